"""CallTracker over real stores: memory, a SQLite file and a real PostgreSQL server, each shared by processes."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import callstatus
from callstatus import CallRecord, CallStatus, CallTracker, MemoryStore, SQLiteStore
from callstatus.lifecycle import merge_all

STATUSES = ["created", "initiated", "in-progress", "completed", "busy", "no-answer", "hangup", "retry_expired"]


def _records(calls: int, seed: int) -> list[CallRecord]:
    """Several observations per call, statuses and extra fields varying, as webhooks and polls deliver them."""
    rng = random.Random(seed)
    records = []
    for call in range(calls):
        for _ in range(rng.randint(2, 6)):
            payload: dict[str, object] = {"id": f"call_{call}", "status": rng.choice(STATUSES), "agent_id": "agt"}
            if rng.random() < 0.5:
                payload["duration_seconds"] = rng.randint(0, 300)
            if rng.random() < 0.3:
                payload["recording_url"] = f"https://example.com/{call}/{rng.randint(0, 2)}.mp3"
            if rng.random() < 0.4:
                payload["hangup_reason"] = rng.choice(["user_busy", "user_did_not_pick_up", "user_disconnected"])
            records.append(callstatus.normalize(payload, "dialnexa"))
    return records


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CallTracker]:
    if request.param == "postgres":
        store: object = request.getfixturevalue("postgres_url")
    else:
        store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "calls.db")
    with CallTracker(store) as opened:  # type: ignore[arg-type]
        yield opened


def _record(status: str, **extra: object) -> CallRecord:
    return callstatus.normalize({"id": "call_1", "status": status, "agent_id": "agt", **extra}, "dialnexa")


def test_observe_reports_what_changed(tracker: CallTracker) -> None:
    first = tracker.observe(_record("initiated"))
    assert first.changed and not first.duplicate and first.previous is None and not first.became_terminal
    done = tracker.observe(_record("hangup", hangup_reason="user_busy"))
    assert done.changed and done.became_terminal and done.record is not None and done.record.status is CallStatus.BUSY
    again = tracker.observe(_record("hangup", hangup_reason="user_busy"))
    assert again.duplicate and not again.changed and not again.became_terminal
    late = tracker.observe(_record("completed"))
    assert not late.duplicate and not late.became_terminal and late.record is not None
    assert late.record.status is CallStatus.BUSY
    assert tracker.get("dialnexa", "call_1") == late.record
    assert tracker.get("dialnexa", "nope") is None


def test_final_state_is_the_merge_of_everything_in_any_order(tracker: CallTracker) -> None:
    records = _records(20, seed=7)
    shuffled = records + records[: len(records) // 2]
    random.Random(3).shuffle(shuffled)
    for record in shuffled:
        tracker.observe(record)
    for call in {r.call_id for r in records}:
        assert tracker.get("dialnexa", call) == merge_all(r for r in records if r.call_id == call)


def test_stale_lists_calls_stuck_before_the_cutoff(tracker: CallTracker) -> None:
    tracker.observe(_record("in-progress"))
    tracker.observe(callstatus.normalize({"id": "call_2", "status": "completed", "agent_id": "a"}, "dialnexa"))
    assert tracker.stale(timedelta(minutes=5)) == []
    later = datetime.now(UTC) + timedelta(minutes=10)
    assert [r.call_id for r in tracker.stale(timedelta(minutes=5), now=later)] == ["call_1"]


def test_prune_forgets_old_observation_keys_and_keeps_the_records(tracker: CallTracker) -> None:
    tracker.observe(_record("busy"))
    assert tracker.prune(timedelta(days=1)) == 0
    assert tracker.prune(timedelta(days=1), now=datetime.now(UTC) + timedelta(days=2)) == 1
    again = tracker.observe(_record("busy"))
    assert not again.duplicate and not again.changed
    assert tracker.get("dialnexa", "call_1") == _record("busy")


def test_the_sqlite_tracker_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    with CallTracker(path) as tracker:
        tracker.observe(_record("initiated", recording_url="https://example.com/r.mp3"))
    with CallTracker(path) as reopened:
        assert reopened.get("dialnexa", "call_1") == _record("initiated", recording_url="https://example.com/r.mp3")
        assert reopened.observe(_record("initiated", recording_url="https://example.com/r.mp3")).duplicate
    journal = SQLiteStore(path)
    assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    journal.close()


def _feed(path: str, seed: int, records: list[str]) -> None:
    rng = random.Random(seed)
    batch = [CallRecord.model_validate_json(text) for text in records]
    batch = batch + rng.sample(batch, len(batch) // 3)
    rng.shuffle(batch)
    with CallTracker(path) as tracker:
        for record in batch:
            tracker.observe(record)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_several_processes_share_one_store_and_lose_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = str(tmp_path / "shared.db") if kind == "sqlite" else request.getfixturevalue("postgres_url")
    records = _records(40, seed=11)
    texts = [r.model_dump_json() for r in records]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_feed, args=(path, seed, texts)) for seed in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with CallTracker(path) as tracker:
        for call in {r.call_id for r in records}:
            expected = merge_all(r for r in records if r.call_id == call)
            assert tracker.get("dialnexa", call) == expected
            assert tracker.get("dialnexa", call).is_terminal == expected.is_terminal  # type: ignore[union-attr]


def test_repr_names_the_store_not_the_data(tmp_path: Path) -> None:
    with CallTracker(tmp_path / "x.db") as tracker:
        assert repr(tracker).startswith("CallTracker(SQLiteStore(")


def _call(call_id: str, status: str, started: str | None = None, **extra: object) -> CallRecord:
    payload: dict[str, object] = {"id": call_id, "status": status, "agent_id": "agt", **extra}
    if started is not None:
        payload["initiated_at"] = started
    return callstatus.normalize(payload, "dialnexa")


HISTORY = [
    _call("c1", "completed", "2026-01-01T10:00:00Z", batch_id="b1"),
    _call("c2", "busy", "2026-01-01T11:00:00Z", batch_id="b1"),
    _call("c3", "in-progress", "2026-01-02T09:00:00Z", batch_id="b2"),
    _call("c4", "no-answer", "2026-01-03T09:00:00Z", agent_id="agt2"),
    callstatus.normalize(
        {
            "callId": "A1",
            "status": "failed",
            "agentId": "x",
            "createdAt": "2026-01-02T12:00:00Z",
            "disconnectionReason": "connection_error",
        },
        "atoms",
    ),
]


def test_records_selects_by_call_time_and_fields_in_call_time_order(tracker: CallTracker) -> None:
    tracker.observe_many(HISTORY)
    assert [r.call_id for r in tracker.records()] == ["c1", "c2", "c3", "A1", "c4"]
    day = datetime(2026, 1, 2, tzinfo=UTC)
    assert [r.call_id for r in tracker.records(since=day)] == ["c3", "A1", "c4"]
    assert [r.call_id for r in tracker.records(until=day)] == ["c1", "c2"]
    assert [r.call_id for r in tracker.records(vendor="atoms")] == ["A1"]
    assert [r.call_id for r in tracker.records(status=["busy", CallStatus.FAILED])] == ["c2", "A1"]
    assert [r.call_id for r in tracker.records(terminal=False)] == ["c3"]
    assert [r.call_id for r in tracker.records(campaign_id="b1")] == ["c1", "c2"]
    assert [r.call_id for r in tracker.records(agent_id="agt2")] == ["c4"]
    assert [r.call_id for r in tracker.records(vendor="dialnexa", terminal=True, since=day)] == ["c4"]


def test_records_come_lazily_one_page_at_a_time(tracker: CallTracker) -> None:
    calls = [_call(f"p{i:03d}", "completed", f"2026-02-01T{i // 60:02d}:{i % 60:02d}:00Z") for i in range(50)]
    tracker.observe_many(calls)
    pages: list[int] = []
    real_page = tracker.store.page

    def counting(*args: object) -> object:
        result = real_page(*args)  # type: ignore[arg-type]
        pages.append(len(result))
        return result

    tracker.store.page = counting  # type: ignore[method-assign]
    listed = tracker.records(page_size=7)
    assert pages == []  # nothing read before the first record is asked for
    assert next(listed).call_id == "p000" and pages == [7]
    assert [r.call_id for r in listed] == [c.call_id for c in calls[1:]]
    assert pages == [7] * 7 + [1]


def test_counts_group_selected_calls(tracker: CallTracker) -> None:
    tracker.observe_many(HISTORY)
    assert tracker.counts(by=("vendor", "status")) == {
        ("atoms", "failed"): 1, ("dialnexa", "busy"): 1, ("dialnexa", "completed"): 1,
        ("dialnexa", "in_progress"): 1, ("dialnexa", "no_answer"): 1,
    }  # fmt: skip
    assert tracker.counts(by="terminal") == {(False,): 1, (True,): 4}
    assert tracker.counts(by=("end_reason",), vendor="dialnexa", terminal=True) == {
        ("busy",): 1, ("no_answer",): 1, ("normal_clearing",): 1
    }  # fmt: skip
    assert tracker.counts(by=("campaign_id",)) == {(None,): 2, ("b1",): 2, ("b2",): 1}
    with pytest.raises(callstatus.UsageError, match="group by"):
        tracker.counts(by=("raw",))


def test_observe_many_does_what_observing_one_by_one_does(tracker: CallTracker) -> None:
    records = _records(15, seed=5)
    stream = records + records[:10]
    one_by_one = CallTracker(MemoryStore())
    expected = [one_by_one.observe(record) for record in stream]
    assert tracker.observe_many(stream, batch_size=7) == expected


def test_stale_judges_by_the_calls_own_time(tracker: CallTracker) -> None:
    late_import = _call("old", "in-progress", "2026-01-01T10:00:00Z")
    fresh = _call("new", "in-progress", datetime.now(UTC).isoformat())
    unknown_time = _call("seen", "initiated")  # no time of its own: when the tracker saw it
    tracker.observe_many([late_import, fresh, unknown_time])
    assert [r.call_id for r in tracker.stale(timedelta(minutes=30))] == ["old"]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert sorted(r.call_id for r in tracker.stale(timedelta(minutes=30), now=later)) == ["new", "old", "seen"]


def test_forget_deletes_whole_calls_past_a_retention_period(tracker: CallTracker) -> None:
    tracker.observe_many(HISTORY)
    assert tracker.forget(timedelta(days=30), now=datetime(2026, 2, 1, 10, 30, tzinfo=UTC)) == 3  # before Jan 2, 10:30
    assert [r.call_id for r in tracker.records()] == ["A1", "c4"]
    again = tracker.observe(HISTORY[0])
    assert not again.duplicate and again.previous is None  # its observation keys went with it


def test_an_event_without_a_call_is_kept_as_a_delivery_only(tracker: CallTracker) -> None:
    event = callstatus.parse_webhook(
        b'{"event": "batch.completed", "batchId": "b9"}', {}, "dialgen", allow_unsigned=True
    )
    assert event.call is None
    first, second = tracker.observe_many([event, event])
    assert (first.record, first.duplicate, second.duplicate) == (None, False, True)


def test_observe_refuses_what_is_not_an_observation(tracker: CallTracker) -> None:
    with pytest.raises(callstatus.UsageError, match="CallRecord or a CallEvent"):
        tracker.observe({"id": "c1"})
