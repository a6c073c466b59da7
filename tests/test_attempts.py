"""``CallRecord.attempt`` (1 = first attempt) from what each vendor documents, written out here by hand.

Atoms: ``retryAttemptNumber`` on call logs, 0 for the initial call (smallest-ai-documentation OpenAPI, GET
/conversation, POST /conversation/search, GET /conversation/{callId}/retries). ``retryCount`` counts a call's
retries and is not its attempt. DialNexa: ``attempt``, 1-based, on GET /call-logs/{id}/retries items
(dialnexa.mintlify.app/api-reference/call-logs/retries). Dialgen documents no attempt number at all.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

import callstatus
from callstatus import CallRecord, NormalizationError

ATOMS_LOG = {
    "_id": "60d0fe4f5311236168a109ca",
    "callId": "CALL-1737000000123-xyz789",
    "status": "completed",
    "duration": 185,
    "type": "telephony_outbound",
    "agentId": "60d0fe4f5311236168a109ca",
    "disconnectionReason": "user_hangup",
    "createdAt": "2025-01-15T10:30:00.000Z",
}

# GET /conversation/{callId}/retries: the parent first, then its retries in attempt order, each shaped like a
# GET /conversation log row.
ATOMS_RETRY_FAMILY = {
    "status": True,
    "data": {
        "retries": [
            {**ATOMS_LOG, "callId": "CALL-1737000000000-aa0001", "status": "no_answer", "duration": 0,
             "disconnectionReason": "dial_no_answer", "retryCount": 2, "retryCallId": "CALL-1737003600000-aa0002",
             "retryAttemptNumber": 0},
            {**ATOMS_LOG, "callId": "CALL-1737003600000-aa0002", "status": "no_answer", "duration": 0,
             "disconnectionReason": "dial_no_answer", "retryCallId": "CALL-1737007200000-aa0003",
             "retryAttemptNumber": 1},
            {**ATOMS_LOG, "callId": "CALL-1737007200000-aa0003", "retryAttemptNumber": 2},
        ]
    },
}  # fmt: skip

# GET /call-logs/{id}/retries example: {call_id, data: [{attempt, status, timestamp}]}.
DIALNEXA_RETRIES: dict[str, Any] = {
    "call_id": "call_abc123",
    "data": [
        {"attempt": 1, "status": "no_answer", "timestamp": "2024-03-01T10:00:00.000Z"},
        {"attempt": 2, "status": "completed", "timestamp": "2024-03-01T12:00:00.000Z"},
    ],
}


def _both_paths(payload: dict[str, Any], vendor: str) -> list[CallRecord]:
    """The record from the hot path (a dict, JSON bytes) and from the careful one (a read-only mapping)."""
    return [
        callstatus.normalize(payload, vendor),
        callstatus.normalize(json.dumps(payload).encode(), vendor),
        callstatus.normalize(MappingProxyType(payload), vendor),
    ]


@pytest.mark.parametrize(("retry_number", "attempt"), [(0, 1), (1, 2), (4, 5), (2.0, 3), ("1", 2)])
def test_atoms_attempt_is_the_zero_based_retry_attempt_number_plus_one(retry_number: object, attempt: int) -> None:
    payload = {**ATOMS_LOG, "retryAttemptNumber": retry_number}
    assert [record.attempt for record in _both_paths(payload, "atoms")] == [attempt] * 3


@pytest.mark.parametrize("retry_count", [0, 1, 3])
def test_atoms_retry_count_counts_the_calls_retries_and_is_not_its_attempt(retry_count: int) -> None:
    """The documented GET /conversation example asks callAttemptFilter=initial and shows retryCount 1."""
    payload = {**ATOMS_LOG, "retryCount": retry_count}
    assert [record.attempt for record in _both_paths(payload, "atoms")] == [None] * 3
    assert callstatus.normalize({**payload, "retryAttemptNumber": 0}, "atoms").attempt == 1


def test_atoms_retry_family_gives_one_record_per_attempt_in_order() -> None:
    for source in (ATOMS_RETRY_FAMILY, json.dumps(ATOMS_RETRY_FAMILY)):
        records = list(callstatus.normalize_many(source))
        assert [(r.vendor, r.attempt, r.status) for r in records] == [
            ("atoms", 1, "no_answer"),
            ("atoms", 2, "no_answer"),
            ("atoms", 3, "completed"),
        ]
        assert len({record.call_id for record in records}) == 3  # each retry is a call of its own


def _dialnexa_attempts() -> list[dict[str, Any]]:
    """Each item of the history with the envelope's call_id (the parent call) beside it."""
    return [{"call_id": DIALNEXA_RETRIES["call_id"], **item} for item in DIALNEXA_RETRIES["data"]]


def test_dialnexa_retry_history_attempts_are_one_based() -> None:
    for item, (attempt, status) in zip(_dialnexa_attempts(), [(1, "no_answer"), (2, "completed")], strict=True):
        assert callstatus.detect_vendor(item) == "dialnexa"
        assert [(r.call_id, r.attempt, r.status) for r in _both_paths(item, "dialnexa")] == [
            ("call_abc123", attempt, status)
        ] * 3


def test_dialnexa_the_later_attempt_decides_the_call_whatever_the_order() -> None:
    first, second = (callstatus.normalize(item) for item in _dialnexa_attempts())
    for merged in (callstatus.merge(first, second), callstatus.merge(second, first)):
        assert (merged.attempt, merged.status, merged.end_reason) == (2, "completed", "normal_clearing")


def test_dialgen_reads_no_attempt_since_it_documents_none() -> None:
    payload = {"callId": "call_1", "status": "MISSED", "contactId": "k", "batchId": "b1", "error": "NO_ANSWER",
               "attempt": 2, "retryCount": 1}  # fmt: skip
    assert [record.attempt for record in _both_paths(payload, "dialgen")] == [None] * 3


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "0 or more"), (1.5, "whole number"), (True, "expected a number"), ("two", "expected a number")],
)
def test_a_bad_attempt_is_left_empty_and_strict_names_it(value: object, message: str) -> None:
    payload = {**ATOMS_LOG, "retryAttemptNumber": value}
    record = callstatus.normalize(payload, "atoms")
    assert (record.attempt, record.status, record.raw) == (None, "completed", payload)
    with pytest.raises(NormalizationError, match=message) as info:
        callstatus.normalize(payload, "atoms", strict=True)
    assert (info.value.vendor, info.value.path, info.value.value) == ("atoms", "retryAttemptNumber", value)
