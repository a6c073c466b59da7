"""What a record promises beyond its fields: independence from the caller's data, and reasons only when over."""

from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType

import pytest

import callstatus
from callstatus import CallRecord, CallStatus, EndReason


def test_a_record_does_not_share_the_callers_objects() -> None:
    payload = {"id": "c1", "status": "completed", "agent_id": "a", "analysis": {"score": 1}}
    record = callstatus.normalize(payload, "dialnexa")
    payload["status"] = "failed"
    payload["analysis"]["score"] = 2  # type: ignore[index]
    assert record.raw["status"] == "completed" and record.analysis == {"metrics": {"score": 1}}


def test_non_json_floats_in_a_mapping_still_round_trip() -> None:
    record = callstatus.normalize({"id": "c1", "status": "completed", "x": float("nan")}, "dialnexa")
    assert CallRecord.model_validate_json(record.model_dump_json()) == record


@pytest.mark.parametrize("wrap", [OrderedDict, MappingProxyType])
def test_nested_mappings_of_any_kind_are_found(wrap: type) -> None:
    call = wrap({"id": "c9", "status": "hangup", "hangup_reason": "user_busy"})
    payload = {"event_type": "call_ended", "payload": wrap({"call": call})}
    assert callstatus.normalize(payload).status is CallStatus.BUSY
    assert callstatus.normalize(wrap(payload), "dialnexa").status is CallStatus.BUSY


@pytest.mark.parametrize(
    ("vendor", "payload"),
    [
        ("atoms", {"callId": "c", "status": "in_progress", "disconnectionReason": "user_hangup", "agentId": "a"}),
        ("dialnexa", {"id": "c", "status": "initiated", "hangup_reason": "user_busy", "agent_id": "a"}),
        ("dialnexa", {"id": "c", "status": "teleported", "hangup_reason": "user_busy", "agent_id": "a"}),
    ],
)
def test_a_call_that_is_not_over_has_no_end_reason(vendor: str, payload: dict[str, str]) -> None:
    record = callstatus.normalize(payload, vendor)
    assert not record.status.is_over and record.end_reason is None and record.raw_reason is not None


def test_ended_keeps_its_reason() -> None:
    record = callstatus.normalize({"callId": "c", "status": "processing", "disconnectionReason": "user_hangup",
                                   "agentId": "a"}, "atoms")  # fmt: skip
    assert record.status is CallStatus.ENDED and record.end_reason is EndReason.CUSTOMER_HANGUP


def test_if_connected_uses_a_duration_derived_from_the_timestamps() -> None:
    webhook = {
        "url": "u",
        "description": "d",
        "event": "agent1.post-conversation",
        "id": "delivery1",
        "metadata": {
            "agentId": "agent1",
            "eventType": "post-conversation",
            "callId": "CALL-1",
            "disconnectionReason": "timeout",
            "callData": {
                "callStatus": "completed",
                "answerTime": "2026-05-08T07:00:00Z",
                "endTime": "2026-05-08T07:30:00Z",
            },
        },
    }
    record = callstatus.normalize(webhook, "atoms")
    assert record.duration_seconds == 1800 and record.end_reason is EndReason.MAX_DURATION


@pytest.mark.parametrize(
    ("vendor", "payload", "status"),
    [
        ("dialnexa", {"id": "c", "status": "completed", "hangup_reason": "user_did_not_pick_up"}, "no_answer"),
        ("dialgen", {"callId": "c", "status": "COMPLETED", "error": "BUSY", "phoneNumber": "+15551234567"}, "busy"),
        ("atoms", {"callId": "c", "status": "completed", "disconnectionReason": "dial_no_answer"}, "no_answer"),
    ],
)  # fmt: skip
def test_completed_with_a_not_connected_reason_takes_the_reason_at_its_word(
    vendor: str, payload: dict[str, str], status: str
) -> None:
    assert callstatus.normalize(payload, vendor).status == status
