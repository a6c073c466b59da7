"""merge laws, as hypothesis properties over generated observations of one call."""

from __future__ import annotations

from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, CallStatus
from callstatus.lifecycle import merge, merge_all
from callstatus.testing import call_records

FIELDS_NEVER_LOST = [
    "ended_by", "answered_by", "direction", "from_number", "to_number", "agent_id", "campaign_id", "contact_id",
    "attempt", "created_at", "started_at", "ended_at", "duration_seconds", "recording_url", "cost", "analysis",
]  # fmt: skip

observations = call_records().map(lambda r: r.model_copy(update={"vendor": "dialnexa", "call_id": "call_1"}))
same_attempt = observations.map(lambda r: r.model_copy(update={"attempt": 1}))


@given(observations, observations)
def test_commutative(a: CallRecord, b: CallRecord) -> None:
    assert merge(a, b) == merge(b, a)


@given(observations, observations, observations)
def test_associative(a: CallRecord, b: CallRecord, c: CallRecord) -> None:
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


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
def test_values_are_never_lost(a: CallRecord, b: CallRecord) -> None:
    merged = merge(a, b)
    for name in FIELDS_NEVER_LOST:
        if getattr(a, name) is not None or getattr(b, name) is not None:
            assert getattr(merged, name) is not None, name


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
