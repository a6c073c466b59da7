"""The Vapi table: list responses, server messages as webhooks, endedReason families read by patterns, and unknown
values kept, never guessed. Its documented payloads against their hand-written expectations, and detection beside
the other vendors, are checked in ``test_seed_payloads.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vendor_cases import REGISTRY, names, payload_of, table

import callstatus
from callstatus import CallStatus, EndReason, EventType, NormalizationError, load_table
from callstatus.testing import payloads, unknown_tokens


def _call(reason: str | None, status: str = "ended", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "0e9f8a7b-6c5d-4e3f-8a1b-2c3d4e5f6a7b",
        "orgId": "b1f2e3d4-c5b6-4a79-8e8d-7c6b5a4f3e2d",
        "type": "outboundPhoneCall",
        "status": status,
        "customer": {"number": "+14155550100"},
        **extra,
    }
    if reason is not None:
        payload["endedReason"] = reason
    return payload


def test_the_table_loads_under_the_outcome_laws() -> None:
    adapter = load_table(table("vapi"))
    assert adapter.id == "vapi"
    assert REGISTRY.get("vapi").id == "vapi"


def test_there_are_fixtures() -> None:
    assert len(names("vapi")) >= 10


def test_a_list_response_is_a_bare_array() -> None:
    items = [payload_of("vapi", name) for name in names("vapi") if name.startswith("call_")]
    records = list(callstatus.normalize_many(json.dumps(items), "vapi", registry=REGISTRY))
    assert [record.call_id for record in records] == [item["id"] for item in items]


@pytest.mark.parametrize(
    ("name", "event_type", "status"),
    [
        ("webhook_status_update_ringing", EventType.OTHER, CallStatus.RINGING),
        ("webhook_status_update_forwarding", EventType.OTHER, CallStatus.IN_PROGRESS),
        ("webhook_status_update_ended_silence", EventType.OTHER, CallStatus.COMPLETED),
        ("webhook_end_of_call_report", EventType.CALL_ENDED, CallStatus.COMPLETED),
        ("webhook_end_of_call_report_sip_403", EventType.CALL_ENDED, CallStatus.FAILED),
        ("webhook_assistant_request", EventType.CALL_STARTED, CallStatus.RINGING),
    ],
)
def test_server_messages_parse_as_webhooks(name: str, event_type: EventType, status: CallStatus) -> None:
    body = json.dumps(payload_of("vapi", name)).encode()
    for vendor in (None, "vapi"):
        event = callstatus.parse_webhook(body, {}, vendor, allow_unsigned=True, registry=REGISTRY)
        assert (event.vendor, event.event_type) == ("vapi", event_type)
        assert event.call is not None and event.call.status is status


def test_end_of_call_report_time_is_epoch_milliseconds() -> None:
    body = json.dumps(payload_of("vapi", "webhook_end_of_call_report")).encode()
    event = callstatus.parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert event.occurred_at is not None and event.occurred_at.isoformat() == "2026-11-29T16:05:00+00:00"


@pytest.mark.parametrize("kind", ["transcript", "speech-update", "tool-calls", "conversation-update"])
def test_in_call_messages_carry_no_call_record(kind: str) -> None:
    body = json.dumps({"message": {"type": kind, "call": {"id": "c1", "type": "webCall"}}}).encode()
    event = callstatus.parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert (event.vendor, event.event_type, event.call) == ("vapi", EventType.OTHER, None)


def test_the_secret_header_authenticates_a_delivery() -> None:
    body = json.dumps(payload_of("vapi", "webhook_end_of_call_report")).encode()
    event = callstatus.parse_webhook(body, {"X-Vapi-Secret": "s3cret"}, "vapi", secret="s3cret", registry=REGISTRY)
    assert event.event_type is EventType.CALL_ENDED
    bearer = {"Authorization": "Bearer s3cret"}
    assert callstatus.parse_webhook(body, bearer, "vapi", secret="s3cret", registry=REGISTRY).call is not None
    with pytest.raises(callstatus.WebhookAuthError):
        callstatus.parse_webhook(body, {"X-Vapi-Secret": "wrong"}, "vapi", secret="s3cret", registry=REGISTRY)


@pytest.mark.parametrize(
    ("reason", "status", "end_reason"),
    [
        ("customer-ended-call-during-transfer", CallStatus.COMPLETED, EndReason.CUSTOMER_HANGUP),
        ("assistant-ended-call-with-hangup-task", CallStatus.COMPLETED, EndReason.AGENT_HANGUP),
        ("assistant-forwarded-call", CallStatus.COMPLETED, EndReason.TRANSFERRED),
        ("call.ending.hook-executed-transfer", CallStatus.COMPLETED, EndReason.TRANSFERRED),
        ("call.forwarding.operator-busy", CallStatus.COMPLETED, EndReason.TRANSFER_FAILED),
        ("call.in-progress.error-warm-transfer-silence-timeout", CallStatus.COMPLETED, EndReason.TRANSFER_FAILED),
        ("exceeded-max-duration", CallStatus.COMPLETED, EndReason.MAX_DURATION),
        ("call.in-progress.twilio-completed-call", CallStatus.COMPLETED, EndReason.NORMAL_CLEARING),
        ("call.ringing.sip-inbound-caller-hungup-before-call-connect", CallStatus.CANCELED, EndReason.CANCELED),
        (
            "call.in-progress.error-providerfault-outbound-sip-408-request-timeout",
            CallStatus.NO_ANSWER,
            EndReason.NO_ANSWER,
        ),
        (
            "call.in-progress.error-providerfault-outbound-sip-407-proxy-authentication-required",
            CallStatus.FAILED,
            EndReason.SIP_AUTH_ERROR,
        ),
        (
            "call.in-progress.error-providerfault-outbound-sip-503-service-unavailable",
            CallStatus.FAILED,
            EndReason.TELEPHONY_ERROR,
        ),
        ("twilio-reported-customer-misdialed", CallStatus.FAILED, EndReason.INVALID_NUMBER),
        ("call.start.error-subscription-concurrency-limit-reached", CallStatus.FAILED, EndReason.CONCURRENCY_LIMIT),
        ("call.start.error-fraud-check-failed", CallStatus.FAILED, EndReason.DESTINATION_BLOCKED),
        ("call.start.error-get-assistant", CallStatus.FAILED, EndReason.CONFIG_ERROR),
        ("call.start.error-vapifault-database-error", CallStatus.FAILED, EndReason.PLATFORM_ERROR),
        ("assistant-request-returned-invalid-assistant", CallStatus.FAILED, EndReason.CONFIG_ERROR),
        ("call.in-progress.error-assistant-did-not-receive-customer-audio", CallStatus.FAILED, EndReason.NO_AUDIO),
        ("pipeline-error-openai-401-unauthorized", CallStatus.FAILED, EndReason.CONFIG_ERROR),
        ("worker-shutdown", CallStatus.FAILED, EndReason.PLATFORM_ERROR),
    ],
)
def test_documented_reasons_decide_an_ended_call(reason: str, status: CallStatus, end_reason: EndReason) -> None:
    record = callstatus.normalize(_call(reason), "vapi", strict=True, registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_reason) == (status, end_reason, reason)


@pytest.mark.parametrize(
    ("reason", "end_reason"),
    [
        ("pipeline-error-mistral-llm-failed", EndReason.PLATFORM_ERROR),
        ("pipeline-error-eleven-labs-system-busy-and-requested-upgrade", EndReason.PLATFORM_ERROR),
        ("pipeline-error-hume-voice-failed", EndReason.PLATFORM_ERROR),
        ("pipeline-error-soniox-transcriber-failed", EndReason.PLATFORM_ERROR),
        ("call.in-progress.error-vapifault-anthropic-llm-failed", EndReason.PLATFORM_ERROR),
        ("call.in-progress.error-providerfault-cartesia-503-server-error", EndReason.PLATFORM_ERROR),
        ("call.in-progress.error-providerfault-outbound-sip-401-unauthorized", EndReason.SIP_AUTH_ERROR),
        ("call.in-progress.error-providerfault-outbound-sip-502-bad-gateway", EndReason.TELEPHONY_ERROR),
        ("call.in-progress.error-sip-telephony-provider-failed-to-connect-call", EndReason.TELEPHONY_ERROR),
        ("call.start.error-subscription-paused", EndReason.INSUFFICIENT_FUNDS),
        ("call.in-progress.error-warm-transfer-hold-timeout", EndReason.TRANSFER_FAILED),
        ("call.ringing.hook-executed-end-call", EndReason.AGENT_HANGUP),
    ],
)
def test_new_members_of_a_family_are_read_by_its_pattern(reason: str, end_reason: EndReason) -> None:
    record = callstatus.normalize(_call(reason), "vapi", strict=True, registry=REGISTRY)
    assert record.end_reason is end_reason
    assert record.status is CallStatus.FAILED or end_reason.group.value == "connected"


@pytest.mark.parametrize("status", ["scheduled", "queued", "ringing", "in-progress", "forwarding"])
def test_an_endedreason_on_a_live_call_gives_no_end_reason(status: str) -> None:
    record = callstatus.normalize(_call("customer-ended-call", status), "vapi", registry=REGISTRY)
    assert not record.status.is_over
    assert (record.end_reason, record.ended_by, record.raw_reason) == (None, None, "customer-ended-call")


def test_ended_without_a_reason_is_over_but_not_classified() -> None:
    record = callstatus.normalize(_call(None), "vapi", strict=True, registry=REGISTRY)
    assert (record.status, record.end_reason, record.is_terminal) == (CallStatus.ENDED, None, False)


def test_an_unknown_reason_on_an_ended_call_is_over_unclassified_and_kept() -> None:
    seen: list[Any] = []
    record = callstatus.normalize(_call("brand-new-vapi-code"), "vapi", on_unmapped=seen.append, registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_reason) == (
        CallStatus.ENDED,
        EndReason.UNKNOWN,
        "brand-new-vapi-code",
    )
    assert record.status.is_over and not record.is_terminal
    assert [(item.field, item.value) for item in seen] == [("end_reason", "brand-new-vapi-code")]
    with pytest.raises(NormalizationError):
        callstatus.normalize(_call("brand-new-vapi-code"), "vapi", strict=True, registry=REGISTRY)


def test_an_unknown_status_is_unknown_and_kept() -> None:
    record = callstatus.normalize(_call("customer-ended-call", "teleporting"), "vapi", registry=REGISTRY)
    assert (record.status, record.raw_status, record.end_reason) == (CallStatus.UNKNOWN, "teleporting", None)
    with pytest.raises(NormalizationError):
        callstatus.normalize(_call(None, "teleporting"), "vapi", strict=True, registry=REGISTRY)


def test_an_unknown_call_type_is_an_unknown_direction() -> None:
    record = callstatus.normalize(_call(None, "queued", type="carrierPigeonCall"), "vapi", registry=REGISTRY)
    assert record.direction is callstatus.Direction.UNKNOWN
    with pytest.raises(NormalizationError):
        callstatus.normalize(_call(None, "queued", type="carrierPigeonCall"), "vapi", strict=True, registry=REGISTRY)


def test_an_unknown_message_type_is_an_other_event_and_strict_refuses_it() -> None:
    body = json.dumps({"message": {"type": "brand-new-message", "call": {"id": "c1"}}}).encode()
    event = callstatus.parse_webhook(body, {}, "vapi", allow_unsigned=True, registry=REGISTRY)
    assert (event.event_type, event.raw_event_type) == (EventType.OTHER, "brand-new-message")
    with pytest.raises(callstatus.WebhookError):
        callstatus.parse_webhook(body, {}, "vapi", allow_unsigned=True, strict=True, registry=REGISTRY)


@given(payloads("vapi", registry=REGISTRY))
def test_generated_payloads_never_raise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "vapi", registry=REGISTRY)
    assert record.vendor == "vapi"
    assert not record.status.is_terminal or record.end_reason is not None


@given(payloads("vapi", reason=False, registry=REGISTRY), st.data())
def test_an_unknown_reason_never_changes_the_status(payload: dict[str, Any], data: st.DataObject) -> None:
    before = callstatus.normalize(payload, "vapi", registry=REGISTRY)
    raw = data.draw(unknown_tokens("vapi", registry=REGISTRY))
    message = payload.setdefault("message", {})  # $.message.endedReason: the reason path read first
    assert isinstance(message, dict)
    message["endedReason"] = raw
    after = callstatus.normalize(payload, "vapi", registry=REGISTRY)
    assert after.raw_reason == raw
    assert after.status == before.status
    assert after.end_reason in (EndReason.UNKNOWN, before.end_reason)
