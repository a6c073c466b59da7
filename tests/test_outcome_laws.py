"""The outcome laws: status and end reason never contradict each other, for every vendor and every combination.

Three ways: exhaustively over the vocabulary (``resolve``), as a property over every vendor's generated payloads,
and on documented payloads written here by hand from the vendors' docs (never from the tables under test).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallStatus, EndReason, NormalizationError, Unmapped
from callstatus.laws import LAWS, resolve, violations
from callstatus.lifecycle import merge
from callstatus.testing import payloads

VENDORS = callstatus.vendors()


def _n(payload: dict[str, Any], vendor: str | None = None, **options: Any) -> callstatus.CallRecord:
    return callstatus.normalize(payload, vendor, **options)


# -- the laws themselves ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("connected", [None, False, True])
def test_resolve_obeys_every_law_for_every_combination_and_is_idempotent(connected: bool | None) -> None:
    for status in CallStatus:
        for reason in [None, *EndReason]:
            resolved = resolve(status, reason, connected)
            assert violations(*resolved, None, connected) == [], (status, reason, connected, resolved)
            assert resolve(*resolved, connected) == resolved


@pytest.mark.parametrize(
    ("status", "reason", "ended_by", "connected", "law"),
    [
        ("in_progress", "customer_hangup", None, None, 1),
        ("ringing", None, "customer", None, 1),
        ("busy", None, None, None, 1),
        ("completed", "invalid_number", None, None, 2),
        ("completed", "telephony_error", None, None, 2),
        ("completed", "insufficient_funds", None, True, 2),
        ("no_answer", "customer_hangup", None, False, 3),
        ("canceled", "agent_hangup", None, None, 3),
        ("failed", "busy", None, None, 4),
        ("completed", "voicemail", None, True, 4),
        ("ended", "no_answer", None, None, 4),
        ("failed", "customer_hangup", None, None, 5),
    ],
)  # fmt: skip
def test_violations_name_the_law_broken(
    status: str, reason: str | None, ended_by: str | None, connected: bool | None, law: int
) -> None:
    broken = violations(CallStatus(status), reason and EndReason(reason), ended_by and callstatus.EndedBy(ended_by),
                        connected)  # fmt: skip
    assert law in broken and law in LAWS


def test_lawful_combinations_break_nothing() -> None:
    assert violations(CallStatus.COMPLETED, EndReason.TELEPHONY_ERROR, None, True) == []
    assert violations(CallStatus.NO_ANSWER, EndReason.VOICEMAIL) == []
    assert violations(CallStatus.UNKNOWN, None) == []


# -- as a property over every vendor's payloads -----------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_every_generated_payload_obeys_the_laws(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor, reason=data.draw(st.sampled_from([None, True]))))
    record = _n(payload, vendor)
    connected = callstatus.get_adapter(vendor).connected(payload)
    assert violations(record.status, record.end_reason, record.ended_by, connected) == []
    if not record.status.is_terminal:
        assert record.vendor_may_retry is None


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_merged_observations_obey_the_laws(vendor: str, data: st.DataObject) -> None:
    adapter = callstatus.get_adapter(vendor)
    first, second = (_n(data.draw(payloads(vendor)), vendor) for _ in range(2))
    second = second.model_copy(update={"call_id": first.call_id})
    merged = merge(first, second)
    decisive = first if merged.raw == first.raw else second
    assert violations(merged.status, merged.end_reason, merged.ended_by, adapter.connected(decisive.raw)) == []


# -- the payloads of the issue, written from the vendors' docs ---------------------------------------------------


def _dialnexa_webhook(**call: Any) -> dict[str, Any]:
    """A call_ended webhook as https://dialnexa.mintlify.app/api-reference/webhooks shows it."""
    call = {"id": "call_1", "direction": "outbound", "type": "phone_call", "from_number": "12137771234",
            "to_number": "12137771235", "agent_id": "agt_1", **call}  # fmt: skip
    return {"event_type": "call_ended", "payload": {"call": call}}


def _dialnexa_log(status: str, end_reason: str, **extra: Any) -> dict[str, Any]:
    """A call log (GET /call-logs/{id}): id, call_id, status, end_reason, duration_seconds."""
    return {"id": "log_1", "call_id": "call_1", "agent_id": "agt_1", "status": status, "end_reason": end_reason,
            **extra}  # fmt: skip


def _dialgen_live(status: str, error: Any = None, **extra: Any) -> dict[str, Any]:
    """GET /api/v1/status/call, as the call-status guide shows it."""
    return {"callId": "call_123", "status": status, "startTime": "2025-11-15T14:30:01.123Z",
            "phoneNumber": "+15551234567", "contactId": "contact_456", "batchId": None, "error": error,
            "duration": None, "recordingUrl": None, **extra}  # fmt: skip


def _atoms_log(status: str, reason: str | None, **extra: Any) -> dict[str, Any]:
    """A conversation log item of GET /conversation (fields from the call-metrics guide)."""
    return {"callId": "CALL-1737000000000-abc123", "status": status, "duration": 0, "agentId": "agt_1",
            "disconnectionReason": reason, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("hangup_reason", "reason", "ended_by"),
    [("user_disconnected", "customer_hangup", "customer"), ("agent_disconnected", "agent_hangup", "agent"),
     ("completed", "normal_clearing", None)],
)  # fmt: skip
def test_dialnexa_hangup_with_a_connected_ending_is_completed(hangup_reason: str, reason: str, ended_by: str) -> None:
    record = _n(_dialnexa_webhook(status="hangup", hangup_reason=hangup_reason))
    assert (record.status, record.end_reason, record.ended_by) == ("completed", reason, ended_by)
    assert (record.raw_status, record.raw_reason) == ("hangup", hangup_reason)


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        (_dialgen_live("COMPLETED", "NETWORK_ERROR"), "failed", "telephony_error"),
        (_dialgen_live("COMPLETED", "INVALID_NUMBER"), "failed", "invalid_number"),
        (_dialgen_live("COMPLETED", "INSUFFICIENT_CREDITS"), "failed", "insufficient_funds"),
        (_dialnexa_log("completed", "network_failure"), "failed", "telephony_error"),
        (_dialnexa_log("completed", "unallocated_phone_number"), "failed", "invalid_number"),
        (_dialnexa_log("completed", "insufficient_balance"), "failed", "insufficient_funds"),
        (_dialnexa_log("completed", "destination_forbidden"), "failed", "destination_blocked"),
        (_dialnexa_log("completed", "user_unreachable"), "no_answer", "unreachable"),
    ],
)
def test_completed_with_a_reason_that_says_it_never_connected_takes_the_reasons_status(
    payload: dict[str, Any], status: str, reason: str
) -> None:
    record = _n(payload)
    assert (record.status, record.end_reason) == (status, reason)
    assert record.raw_status.lower() == "completed"


def test_an_error_after_connecting_leaves_the_call_completed() -> None:
    record = _n(_dialgen_live("COMPLETED", "NETWORK_ERROR", duration=120))
    assert (record.status, record.end_reason) == ("completed", "telephony_error")


def test_a_duration_derived_from_dial_start_timestamps_is_no_evidence_of_connecting() -> None:
    webhook = _dialnexa_webhook(status="completed", hangup_reason="network_failure",
                                initiated_at="2025-05-02T10:21:15Z", ended_at="2025-05-02T10:23:15Z")  # fmt: skip
    record = _n(webhook)
    assert record.duration_seconds == 120 and (record.status, record.end_reason) == ("failed", "telephony_error")


def test_dialnexa_call_log_voicemail_is_an_unanswered_call_answered_by_a_machine() -> None:
    record = _n(_dialnexa_log("completed", "voicemail_detected"))
    assert (record.status, record.end_reason, record.answered_by) == ("no_answer", "voicemail", "machine")
    assert _n(_dialnexa_log("voicemail", "voicemail_detected")).status == "no_answer"


@pytest.mark.parametrize(
    ("status", "end_reason", "expected"),
    [("failed", "user_busy", "busy"), ("failed", "user_did_not_pick_up", "no_answer"), ("no_answer", "user_busy",
     "busy"), ("cancelled", "user_busy", "busy"), ("busy", "user_did_not_pick_up", "no_answer")],
)  # fmt: skip
def test_a_reason_that_names_a_status_decides_it(status: str, end_reason: str, expected: str) -> None:
    record = _n(_dialnexa_log(status, end_reason))
    assert record.status == record.end_reason == expected


@pytest.mark.parametrize(("status", "expected"), [("no_answer", "no_answer"), ("busy", "busy"), ("failed", "failed")])
def test_atoms_hang_up_on_a_call_that_never_connected_is_a_rejection(status: str, expected: str) -> None:
    record = _n(_atoms_log(status, "user_hangup"))
    assert (record.status, record.end_reason, record.ended_by) == (expected, "rejected", "customer")
    assert record.end_reason.group == "not_connected"


def test_a_live_call_has_no_end_reason_and_nobody_ended_it() -> None:
    record = _n(_atoms_log("in_progress", "user_hangup"))
    assert (record.status, record.end_reason, record.ended_by, record.raw_reason) == (
        "in_progress", None, None, "user_hangup")  # fmt: skip


@pytest.mark.parametrize(
    ("talk", "status", "reason"),
    [(None, "completed", "customer_hangup"), (0, "failed", "rejected"), (95, "completed", "customer_hangup")],
)
def test_connected_in_three_states(talk: int | None, status: str, reason: str) -> None:
    """The vendor's own talk time: absent (the reason is believed), zero (never connected), above zero."""
    call: dict[str, Any] = {"status": "hangup", "hangup_reason": "user_disconnected"}
    if talk is not None:
        call["duration"] = talk
    record = _n(_dialnexa_webhook(**call))
    assert (record.status, record.end_reason) == (status, reason)
    atoms = _atoms_log("failed", "user_hangup", duration=talk)
    if talk is None:
        del atoms["duration"]
    assert (_n(atoms).status, _n(atoms).end_reason) == (status, reason)


def test_an_answer_time_says_the_call_connected() -> None:
    webhook = {"url": "https://example.com/hook", "description": "d", "event": "agt_1.post-conversation",
               "id": "delivery_1", "metadata": {"agentId": "agt_1", "eventType": "post-conversation",
               "callId": "CALL-1", "disconnectionReason": "timeout",
               "callData": {"callStatus": "completed", "answerTime": "2026-05-08T07:00:00Z"}}}  # fmt: skip
    assert _n(webhook).end_reason == "max_duration"
    webhook["metadata"]["callData"] = {"callStatus": "no_answer"}
    assert _n(webhook).end_reason == "no_answer"


def test_dialgen_error_descriptions_are_recognised() -> None:
    record = _n(_dialgen_live("FAILED", "Network connectivity issue"))
    assert (record.status, record.end_reason, record.raw_reason) == ("failed", "telephony_error",
                                                                      "Network connectivity issue")  # fmt: skip
    assert _n(_dialgen_live("MISSED", "Line is busy")).status == "busy"
    assert _n(_dialgen_live("FAILED", "Phone number is invalid")).end_reason == "invalid_number"
    assert _n(_dialgen_live("FAILED", "Not enough credits to place call")).end_reason == "insufficient_funds"
    assert _n(_dialgen_live("MISSED", "Call was not answered")).end_reason == "no_answer"
    assert _n(_dialgen_live("FAILED", "Network connectivity issue"), strict=True).end_reason == "telephony_error"


def test_dialgen_error_object_is_read_by_its_code_and_never_loses_the_record() -> None:
    record = _n(_dialgen_live("FAILED", {"code": "NETWORK_ERROR", "message": "Network connectivity issue"}))
    assert (record.status, record.end_reason, record.raw_reason) == ("failed", "telephony_error", "NETWORK_ERROR")
    assert _n(_dialgen_live("FAILED", {"message": "Line is busy"})).status == "busy"
    seen: list[Unmapped] = []
    odd = _dialgen_live("FAILED", {"detail": ["x"]})
    record = _n(odd, "dialgen", on_unmapped=seen.append)
    assert (record.status, record.end_reason, record.raw["error"]) == ("failed", "unknown", {"detail": ["x"]})
    assert record.raw_reason == '{"detail":["x"]}'
    assert [(item.field, item.path, item.problem) for item in seen] == [("end_reason", "error", "expected a string")]
    with pytest.raises(NormalizationError) as info:
        _n(odd, "dialgen", strict=True)
    assert (info.value.vendor, info.value.path) == ("dialgen", "error")


def test_atoms_minimal_call_is_detected_by_its_shape() -> None:
    payload = {"callId": "CALL-1", "status": "no_answer", "duration": 0}
    assert callstatus.detect_vendor(payload) == "atoms"
    assert (_n(payload).status, _n(payload).end_reason) == ("no_answer", "no_answer")


def test_a_payload_that_fits_none_of_the_named_vendors_shapes_is_reported() -> None:
    live = _dialgen_live("ONGOING")
    seen: list[Unmapped] = []
    record = _n(live, "atoms", on_unmapped=seen.append)
    assert record.status == "unknown" and record.raw == live
    assert ("shape", "$") in [(item.field, item.path) for item in seen]
    with pytest.raises(NormalizationError, match="fits none of the shapes") as info:
        _n({**live, "status": "COMPLETED"}, "atoms", strict=True)  # a known status: only the shape is wrong
    assert info.value.vendor == "atoms"


# -- vendor retries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (_dialgen_live("MISSED", batchId="batch_1"), True),  # "Will retry based on retry strategy"
        (_dialgen_live("MISSED"), None),  # outside a batch there is no retry strategy
        (_dialgen_live("FAILED", "BUSY", batchId="batch_1"), True),  # "BUSY: Retries after busyDelay"
        (_dialgen_live("FAILED", "NETWORK_ERROR", batchId="batch_1"), None),  # "May retry based on error type"
        (_dialgen_live("MISSED", "INVALID_NUMBER", batchId="batch_1"), None),
        (_dialgen_live("COMPLETED", batchId="batch_1"), False),
        (_dialgen_live("ONGOING", batchId="batch_1"), None),
        (_dialnexa_log("retry_expired", "user_did_not_pick_up", batch_id="b"), False),
        (_dialnexa_log("did_not_pick", "user_did_not_pick_up", batch_id="b"), True),
        (_dialnexa_log("failed", "network_failure", batch_id="b"), False),  # "failed calls are not retried"
        (_dialnexa_log("voicemail", "voicemail_detected", batch_id="b"), None),  # retry_on_voicemail: configurable
        (_atoms_log("no_answer", "dial_no_answer"), None),
    ],
)
def test_vendor_may_retry_says_what_the_docs_say(payload: dict[str, Any], expected: bool | None) -> None:
    assert _n(payload).vendor_may_retry is expected


def test_the_documented_retry_defaults_are_in_the_table() -> None:
    retries = callstatus.get_adapter("dialgen").retries
    assert retries is not None and retries.max_attempts == 3 and retries.same_call_id
    delays = {reason: delay.total_seconds() for reason, delay in retries.delays.items()}
    assert delays == {"busy": 300, "no_answer": 3600}


def test_tracker_reports_a_terminal_call_once_per_attempt() -> None:
    tracker = callstatus.CallTracker()
    missed = _n(_dialgen_live("MISSED", batchId="b", duration=0))
    retry = _n(_dialgen_live("COMPLETED", batchId="b", duration=120, startTime="2025-11-15T15:30:01Z"))
    assert tracker.observe(missed).became_terminal
    assert not tracker.observe(missed.model_copy(update={"recording_url": "https://r/x"})).became_terminal
    observation = tracker.observe(retry)
    assert observation.became_terminal and observation.record is not None
    assert (observation.record.status, observation.record.duration_seconds) == ("completed", 120)
    assert not tracker.observe(missed).became_terminal  # the late MISSED is history now
