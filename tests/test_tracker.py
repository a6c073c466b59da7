"""CallTracker over real stores: memory, and a SQLite file shared by several processes."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import callstatus
from callstatus import CallRecord, CallStatus
from callstatus.lifecycle import merge_all
from callstatus.tracker import CallTracker, MemoryStore, SQLiteStore

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


@pytest.fixture(params=["memory", "sqlite"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> CallTracker:
    store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "calls.db")
    return CallTracker(store)


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


def test_several_processes_share_one_sqlite_file_and_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
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
