"""merge laws, as hypothesis properties over generated observations of one call."""

from __future__ import annotations

from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, CallStatus
from callstatus.lifecycle import attempt_key, merge, merge_all
from callstatus.record import record_json
from callstatus.testing import call_records

CALL_FIELDS = ["direction", "from_number", "to_number", "agent_id", "campaign_id", "contact_id", "created_at"]
ATTEMPT_FIELDS = [
    "ended_by", "answered_by", "attempt", "started_at", "ended_at", "duration_seconds", "recording_url", "cost",
    "analysis",
]  # fmt: skip

observations = call_records().map(lambda r: r.model_copy(update={"vendor": "dialnexa", "call_id": "call_1"}))
same_attempt = observations.map(lambda r: r.model_copy(update={"attempt": 1}))
# Dialgen retries under the same call id (its table's [retries] same_call_id): attempts are ordered by start time.
dialgen_observations = call_records().map(lambda r: r.model_copy(update={"vendor": "dialgen", "call_id": "call_1"}))


@given(observations, observations)
def test_commutative(a: CallRecord, b: CallRecord) -> None:
    assert record_json(merge(a, b)) == record_json(merge(b, a))  # exactly: 1 and 1.0 are equal, not the same


@given(observations, observations, observations)
def test_associative(a: CallRecord, b: CallRecord, c: CallRecord) -> None:
    assert record_json(merge(merge(a, b), c)) == record_json(merge(a, merge(b, c)))


TWINS = st.sampled_from([(1, 1.0), (1, True), (1.0, True), (0, False), (0.0, -0.0), (0, -0.0), ("1", 1)])
"""Values Python's ``==`` finds equal (but the last pair) that are not the same value."""


@given(observations, observations, TWINS, st.sampled_from(["analysis", "raw", "cost", "duration_seconds"]))
def test_values_equal_but_not_the_same_merge_alike_in_either_order(
    a: CallRecord, b: CallRecord, twins: tuple[object, object], field: str
) -> None:
    x, y = (0.0, -0.0) if field in ("cost", "duration_seconds") else twins
    a = a.model_copy(update={field: x if field in ("cost", "duration_seconds") else {"score": x}})
    b = b.model_copy(update={field: y if field in ("cost", "duration_seconds") else {"score": y}})
    assert record_json(merge(a, b)) == record_json(merge(b, a))
    assert record_json(merge(a, a.model_copy(update={field: b.__dict__[field]}))) == record_json(
        merge(a.model_copy(update={field: b.__dict__[field]}), a)
    )


@given(observations, observations)
def test_idempotent(a: CallRecord, b: CallRecord) -> None:
    assert merge(a, a) == a
    assert merge(merge(a, b), b) == merge(a, b)


@given(
    st.lists(observations, min_size=1, max_size=6).flatmap(lambda xs: st.tuples(st.just(xs), st.permutations(xs + xs)))
)
def test_any_order_with_duplicates_gives_the_same_record(pair: tuple[list[CallRecord], list[CallRecord]]) -> None:
    records, shuffled_with_duplicates = pair
    assert merge_all(shuffled_with_duplicates) == merge_all(records)


@given(same_attempt, same_attempt)
def test_a_terminal_status_never_becomes_non_terminal(a: CallRecord, b: CallRecord) -> None:
    if a.is_terminal or b.is_terminal:
        assert merge(a, b).is_terminal


@given(same_attempt, same_attempt)
def test_unknown_never_overrides_a_known_status(a: CallRecord, b: CallRecord) -> None:
    if b.status is CallStatus.UNKNOWN and a.status is not CallStatus.UNKNOWN:
        assert merge(a, b).status == a.status


@given(observations, observations)
def test_a_later_attempt_supersedes_an_earlier_one(a: CallRecord, b: CallRecord) -> None:
    if (a.attempt or 1) > (b.attempt or 1):
        merged = merge(a, b)
        assert (merged.status, merged.raw_status, merged.raw) == (a.status, a.raw_status, a.raw)


@given(observations, observations)
def test_values_are_never_lost_within_an_attempt_and_call_values_never(a: CallRecord, b: CallRecord) -> None:
    merged = merge(a, b)
    same = attempt_key(a) == attempt_key(b)
    for name in CALL_FIELDS + (ATTEMPT_FIELDS if same else []):
        if getattr(a, name) is not None or getattr(b, name) is not None:
            assert getattr(merged, name) is not None, name


@given(observations, observations)
def test_a_later_attempts_own_fields_come_whole_from_it(a: CallRecord, b: CallRecord) -> None:
    if (a.attempt or 1) > (b.attempt or 1):
        merged = merge(a, b)
        assert [getattr(merged, name) for name in ATTEMPT_FIELDS] == [getattr(a, name) for name in ATTEMPT_FIELDS]


@given(dialgen_observations, dialgen_observations)
def test_same_call_id_attempts_commute_and_are_idempotent(a: CallRecord, b: CallRecord) -> None:
    assert merge(a, b) == merge(b, a)
    assert merge(a, a) == a and merge(merge(a, b), b) == merge(a, b)


@given(dialgen_observations, dialgen_observations, dialgen_observations)
def test_same_call_id_attempts_associate(a: CallRecord, b: CallRecord, c: CallRecord) -> None:
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


@given(dialgen_observations, dialgen_observations)
def test_same_call_id_a_later_start_is_a_later_attempt(a: CallRecord, b: CallRecord) -> None:
    if a.attempt == b.attempt and a.started_at is not None and b.started_at is not None and a.started_at > b.started_at:
        merged = merge(a, b)
        assert (merged.status, merged.started_at, merged.raw) == (a.status, a.started_at, a.raw)


def _dialgen(status: str, start: str, **extra: object) -> CallRecord:
    return callstatus.normalize({"callId": "call_1", "status": status, "startTime": start, "contactId": "k",
                                 "batchId": "b1", **extra}, "dialgen")  # fmt: skip


def test_a_vendor_retry_under_the_same_call_id_supersedes_the_missed_attempt() -> None:
    missed = _dialgen("MISSED", "2025-11-15T14:30:00Z", duration=0, recordingUrl=None)
    completed = _dialgen("COMPLETED", "2025-11-15T15:30:00Z", duration=120, recordingUrl="https://r/1.mp3")
    assert missed.vendor_may_retry is True and completed.vendor_may_retry is False
    for merged in (merge(missed, completed), merge(completed, missed)):
        assert (merged.status, merged.duration_seconds, merged.end_reason) == ("completed", 120, "normal_clearing")
        assert merged.started_at == completed.started_at and merged.vendor_may_retry is False
    live = _dialgen("ONGOING", "2025-11-15T15:30:00Z")
    assert merge(missed, live).status == "in_progress"  # the retry is under way: the MISSED attempt is history
    assert merge(missed, live).ended_at is None and merge(missed, live).duration_seconds is None


def test_without_the_flag_a_terminal_status_stays_absorbing() -> None:
    busy = _dialnexa("busy", initiated_at="2025-11-15T14:30:00Z")
    completed = _dialnexa("completed", initiated_at="2025-11-15T15:30:00Z")
    assert merge(busy, completed).status == merge(completed, busy).status == "busy"


@given(observations, observations)
def test_the_merge_is_a_valid_record(a: CallRecord, b: CallRecord) -> None:
    merged = merge(a, b)
    assert CallRecord.model_validate_json(merged.model_dump_json()) == merged
    assert merged.raw in (a.raw, b.raw)


def _dialnexa(status: str, **extra: object) -> CallRecord:
    return callstatus.normalize({"id": "call_1", "status": status, "agent_id": "agt", **extra}, "dialnexa")


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ("busy", "completed", "busy"),  # Vonage-style: completed arrives after busy
        ("completed", "busy", "busy"),
        ("no-answer", "completed", "no_answer"),
        ("initiated", "completed", "completed"),
        ("completed", "initiated", "completed"),  # a late, out-of-order start
        ("in-progress", "created", "in_progress"),
    ],
)
def test_documented_sequences(first: str, then: str, expected: str) -> None:
    assert merge(_dialnexa(first), _dialnexa(then)).status == expected


def test_ended_then_completed_becomes_completed() -> None:
    ended = callstatus.normalize({"callId": "C1", "status": "processing", "agentId": "a"}, "atoms")
    completed = callstatus.normalize({"callId": "C1", "status": "completed", "agentId": "a", "duration": 30}, "atoms")
    assert ended.status is CallStatus.ENDED
    assert merge(ended, completed).status is merge(completed, ended).status is CallStatus.COMPLETED


def test_a_later_observation_without_a_recording_keeps_the_earlier_one() -> None:
    with_recording = _dialnexa("completed", recording_url="https://example.com/r.mp3", duration_seconds=30)
    later = _dialnexa("completed", end_reason="user_disconnected")
    merged = merge(with_recording, later)
    assert merged.recording_url == "https://example.com/r.mp3" and merged.duration_seconds == 30
    assert merged.end_reason == "customer_hangup"


def test_observations_of_different_calls_do_not_merge() -> None:
    with pytest.raises(ValueError, match="different calls"):
        merge(_dialnexa("busy"), _dialnexa("busy").model_copy(update={"call_id": "call_2"}))
    with pytest.raises(ValueError):
        merge_all([])


def test_fold_is_deterministic_for_a_real_webhook_sequence() -> None:
    events = [
        _dialnexa("created"),
        _dialnexa("initiated", from_phone_number="+15550000001"),
        _dialnexa("hangup", hangup_reason="user_busy"),
        _dialnexa("completed"),
    ]
    forward = reduce(merge, events)
    backward = reduce(merge, reversed(events))
    assert forward == backward and forward.status is CallStatus.BUSY and forward.from_number == "+15550000001"
