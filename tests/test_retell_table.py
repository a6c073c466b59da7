"""The Retell AI table: every documented disconnection reason, list responses, webhooks and their signature,
unknown values, and properties over generated payloads. Its documented payloads against their hand-written records,
and detection beside the other vendors, are checked in ``test_seed_payloads.py``.

Expectations are written by hand from Retell's docs and SDK (``retell-python-sdk`` ``phone_call_response.py``,
docs.retellai.com/reliability/debug-call-disconnect); nothing here reads what the table maps a value to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_cases import REGISTRY, fields, fixture, names, payload_of, table

import callstatus
from callstatus import NormalizationError, load_table
from callstatus.events import EventType
from callstatus.laws import violations
from callstatus.signing import Secret
from callstatus.testing import payloads, raw_reasons, raw_statuses, sign
from callstatus.webhooks import WebhookAuthError, WebhookError, parse_webhook


def _call(status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "call_type": "phone_call",
        "call_id": "call_a1b2c3",
        "agent_id": "oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD",
        "direction": "outbound",
        "from_number": "+12137771234",
        "to_number": "+12137771235",
        "call_status": status,
    }
    if reason is not None:
        call["disconnection_reason"] = reason
    return {**call, **extra}


# Every current disconnection_reason (SDK Literal, 2026-07-31) with the call_status the docs pair it with, and the
# canonical status and end reason it should give: written from the debug-call-disconnect descriptions.
CURRENT_REASONS: dict[str, tuple[str, str, str]] = {
    "user_hangup": ("ended", "completed", "customer_hangup"),
    "agent_hangup": ("ended", "completed", "agent_hangup"),
    "call_transfer": ("ended", "completed", "transferred"),
    "voicemail_reached": ("ended", "no_answer", "voicemail"),
    "ivr_reached": ("ended", "completed", "ivr_reached"),
    "inactivity": ("ended", "completed", "silence_timeout"),
    "max_duration_reached": ("ended", "completed", "max_duration"),
    "concurrency_limit_reached": ("error", "failed", "concurrency_limit"),
    "no_concurrency_fallback": ("error", "failed", "concurrency_limit"),
    "no_valid_payment": ("error", "failed", "insufficient_funds"),
    "scam_detected": ("error", "failed", "destination_blocked"),
    "dial_busy": ("not_connected", "busy", "busy"),
    "dial_failed": ("not_connected", "failed", "telephony_error"),
    "dial_no_answer": ("not_connected", "no_answer", "no_answer"),
    "invalid_destination": ("not_connected", "failed", "invalid_number"),
    "telephony_provider_permission_denied": ("not_connected", "failed", "sip_auth_error"),
    "telephony_provider_unavailable": ("not_connected", "failed", "telephony_error"),
    "sip_routing_error": ("not_connected", "failed", "telephony_error"),
    "marked_as_spam": ("not_connected", "failed", "destination_blocked"),
    "user_declined": ("not_connected", "failed", "rejected"),
    "error_llm_websocket_open": ("error", "failed", "config_error"),
    "error_llm_websocket_lost_connection": ("error", "failed", "platform_error"),
    "error_llm_websocket_runtime": ("error", "failed", "platform_error"),
    "error_llm_websocket_corrupt_payload": ("error", "failed", "platform_error"),
    "error_no_audio_received": ("error", "failed", "no_audio"),
    "error_asr": ("error", "failed", "platform_error"),
    "error_retell": ("error", "failed", "platform_error"),
    "error_unknown": ("error", "failed", "unknown"),
    "error_user_not_joined": ("error", "no_answer", "no_answer"),
    "registered_call_timeout": ("error", "canceled", "canceled"),
    "transfer_bridged": ("ended", "completed", "transferred"),
    "transfer_cancelled": ("ended", "completed", "transfer_failed"),
    "manual_stopped": ("ended", "completed", "normal_clearing"),
    "call_take_over": ("ended", "completed", "transferred"),
}
# Removed from the SDK enum over time; calls stored before then still carry them.
RETIRED_REASONS: dict[str, tuple[str, str, str]] = {
    "machine_detected": ("ended", "no_answer", "voicemail"),
    "error_twilio": ("error", "failed", "telephony_error"),
    "error_frontend_corrupted_payload": ("error", "failed", "platform_error"),
    "error_inbound_webhook": ("error", "failed", "config_error"),
}


# --- the table ------------------------------------------------------------------------------------------------


def test_table_loads_and_passes_the_outcome_law_check() -> None:
    adapter = load_table(table("retell"))
    assert adapter.id == "retell"
    assert REGISTRY.get("retell").id == "retell"


def test_documented_reasons_are_the_sdk_enum_plus_the_retired_ones() -> None:
    assert len(CURRENT_REASONS) == 34
    (vocabulary,) = REGISTRY.get("retell").reasons
    assert set(vocabulary.values) == set(CURRENT_REASONS) | set(RETIRED_REASONS)


def test_only_the_retired_reasons_are_marked_deprecated() -> None:
    (vocabulary,) = REGISTRY.get("retell").reasons
    deprecated = {value for value in vocabulary.values if vocabulary.meaning(value).deprecated}  # type: ignore[union-attr]
    assert deprecated == set(RETIRED_REASONS)


def test_documented_statuses_are_the_sdk_enum() -> None:
    values = {value for vocabulary in REGISTRY.get("retell").statuses for value in vocabulary.values}
    assert values == {"registered", "not_connected", "ongoing", "ended", "error"}


# --- documented payloads --------------------------------------------------------------------------------------


def test_there_are_fixtures() -> None:
    assert len(names("retell")) >= 15


def test_epoch_milliseconds_become_utc_and_duration_ms_seconds() -> None:
    record = callstatus.normalize(
        _call("ended", "user_hangup", start_timestamp=1703302407333, end_timestamp=1703302428833, duration_ms=21500),
        registry=REGISTRY,
    )
    assert record.started_at is not None and record.started_at.isoformat() == "2023-12-23T03:33:27.333000+00:00"
    assert record.ended_at is not None and record.ended_at.isoformat() == "2023-12-23T03:33:48.833000+00:00"
    assert record.duration_seconds == 21.5


def test_duration_ms_converts_to_the_nearest_float_of_seconds() -> None:
    record = callstatus.normalize(_call("ended", "user_hangup", duration_ms=21522), registry=REGISTRY)
    assert record.duration_seconds == 21.522


@pytest.mark.parametrize("reason", sorted(CURRENT_REASONS))
def test_every_current_reason_with_its_documented_status(reason: str) -> None:
    raw_status, status, end_reason = CURRENT_REASONS[reason]
    record = callstatus.normalize(_call(raw_status, reason), registry=REGISTRY, strict=True)
    assert (record.status, record.end_reason) == (status, end_reason)
    assert (record.raw_status, record.raw_reason) == (raw_status, reason)


@pytest.mark.parametrize("reason", sorted(RETIRED_REASONS))
def test_retired_reasons_in_stored_calls_still_resolve(reason: str) -> None:
    raw_status, status, end_reason = RETIRED_REASONS[reason]
    record = callstatus.normalize(_call(raw_status, reason), registry=REGISTRY, strict=True)
    assert (record.status, record.end_reason, record.raw_reason) == (status, end_reason, reason)


def test_calls_before_not_connected_existed_read_like_calls_after_it() -> None:
    """Before the 6/30 change an unconnected outbound call ended as ``error``; now it is ``not_connected``."""
    for reason, status in (("dial_no_answer", "no_answer"), ("dial_busy", "busy"), ("dial_failed", "failed")):
        old = callstatus.normalize(_call("error", reason), registry=REGISTRY)
        new = callstatus.normalize(_call("not_connected", reason), registry=REGISTRY)
        assert (old.status, old.end_reason) == (new.status, new.end_reason)
        assert old.status == status


def test_a_web_call_has_direction_web_and_no_numbers() -> None:
    payload = {"call_type": "web_call", "call_id": "web_1", "agent_id": "a", "call_status": "registered"}
    record = callstatus.normalize(payload, registry=REGISTRY)
    assert (record.direction, record.status, record.from_number, record.to_number) == ("web", "queued", None, None)


def test_list_responses_old_and_new() -> None:
    items = [_call("ended", "user_hangup"), _call("not_connected", "dial_busy", call_id="call_b")]
    v3 = {"items": items, "has_more": False, "pagination_key": "call_b"}
    for response in (v3, items, json.dumps(v3)):
        records = list(callstatus.normalize_many(response, registry=REGISTRY))
        assert [(r.vendor, r.call_id, r.status) for r in records] == [
            ("retell", "call_a1b2c3", "completed"),
            ("retell", "call_b", "busy"),
        ]


# --- webhooks -------------------------------------------------------------------------------------------------

WEBHOOK_EVENTS = {
    "webhook_call_started": EventType.CALL_STARTED,
    "webhook_call_ended": EventType.CALL_ENDED,
    "webhook_call_analyzed": EventType.CALL_ANALYZED,
    "webhook_transfer_started": EventType.TRANSFER,
    "webhook_call_ended_not_connected_dial_busy": EventType.CALL_ENDED,
}


@pytest.mark.parametrize("name", sorted(WEBHOOK_EVENTS))
def test_webhook_fixture_parses_to_its_event(name: str) -> None:
    data = fixture("retell", name)
    body = json.dumps(data["payload"]).encode()
    for vendor in (None, "retell"):
        event = parse_webhook(body, {}, vendor, allow_unsigned=True, registry=REGISTRY)
        assert (event.vendor, event.event_type, event.raw_event_type) == (
            "retell",
            WEBHOOK_EVENTS[name],
            data["payload"]["event"],
        )
        assert event.call is not None
        assert fields(event.call, data["expected"]) == data["expected"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("transcript_updated", EventType.OTHER),
        ("transfer_bridged", EventType.TRANSFER),
        ("transfer_cancelled", EventType.TRANSFER),
        ("transfer_ended", EventType.TRANSFER),
    ],
)
def test_other_call_events_carry_the_call(raw: str, expected: EventType) -> None:
    body = json.dumps({"event": raw, "call": _call("ongoing")}).encode()
    event = parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert (event.vendor, event.event_type) == ("retell", expected)
    assert event.call is not None and event.call.status == "in_progress"


@pytest.mark.parametrize("raw", ["chat_started", "chat_ended", "chat_analyzed"])
def test_chat_events_carry_no_call(raw: str) -> None:
    body = json.dumps({"event": raw, "chat": {"chat_id": "chat_1", "agent_id": "a", "chat_status": "ended"}}).encode()
    event = parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert (event.vendor, event.event_type, event.call) == ("retell", EventType.OTHER, None)


def test_an_unknown_event_is_other_and_strict_refuses_it() -> None:
    body = json.dumps({"event": "call_teleported", "call": _call("ongoing")}).encode()
    event = parse_webhook(body, {}, "retell", allow_unsigned=True, registry=REGISTRY)
    assert (event.event_type, event.raw_event_type) == (EventType.OTHER, "call_teleported")
    with pytest.raises(WebhookError):
        parse_webhook(body, {}, "retell", allow_unsigned=True, registry=REGISTRY, strict=True)


def test_the_signature_matches_the_sdk_test_vector() -> None:
    """retell-python-sdk tests/test_webhook_auth.py: this body, key and time give this digest."""
    signature = REGISTRY.get("retell").webhook.signature  # type: ignore[union-attr]
    headers = Secret("test-api-key").signature_headers(signature, b'{"event":"call_ended"}', now=1_700_000_000.0)
    digest = "07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e"
    assert headers == {"x-retell-signature": f"v=1700000000000,d={digest}"}


def test_a_signed_delivery_passes_and_a_tampered_one_is_refused() -> None:
    secret = "key_0123456789abcdef0123456789abcdef"
    raw = json.dumps(payload_of("retell", "webhook_call_ended")).encode()
    now = 1_767_225_600.0
    stamp = str(int(now * 1000))
    header = f"v={stamp},d={hmac.new(secret.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()}"
    event = parse_webhook(raw, {"X-Retell-Signature": header}, secret=secret, registry=REGISTRY, now=now)
    assert (event.vendor, event.event_type) == ("retell", EventType.CALL_ENDED)
    assert parse_webhook(raw, sign("retell", raw, secret, registry=REGISTRY), secret=secret, registry=REGISTRY).vendor
    with pytest.raises(WebhookAuthError):
        parse_webhook(raw + b" ", {"x-retell-signature": header}, secret=secret, registry=REGISTRY, now=now)
    with pytest.raises(WebhookAuthError):
        parse_webhook(raw, {"x-retell-signature": header}, secret=secret, registry=REGISTRY, now=now + 301)


# --- unknown values -------------------------------------------------------------------------------------------


def test_an_unknown_status_is_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = _call("queued_for_dialing")
    record = callstatus.normalize(payload, registry=REGISTRY)
    assert (record.status, record.raw_status, record.end_reason) == ("unknown", "queued_for_dialing", None)
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, registry=REGISTRY, strict=True)


def test_an_unknown_reason_on_an_ended_call_stays_terminal_and_strict_raises() -> None:
    payload = _call("ended", "dial_teleported")
    record = callstatus.normalize(payload, registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_reason) == ("completed", "unknown", "dial_teleported")
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, registry=REGISTRY, strict=True)


def test_an_unknown_direction_is_unknown_and_strict_raises() -> None:
    payload = _call("ongoing", direction="sideways")
    assert callstatus.normalize(payload, registry=REGISTRY).direction == "unknown"
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, registry=REGISTRY, strict=True)


# --- properties -----------------------------------------------------------------------------------------------


@settings(deadline=None)
@given(payloads("retell", registry=REGISTRY))
def test_generated_payloads_normalise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "retell", registry=REGISTRY)
    assert record.vendor == "retell"
    assert callstatus.detect_vendor(payload, registry=REGISTRY) == "retell"


@settings(deadline=None)
@given(st.data())
def test_documented_status_and_reason_pairs_obey_the_outcome_laws(data: st.DataObject) -> None:
    status = data.draw(raw_statuses("retell", registry=REGISTRY))
    reason = data.draw(raw_reasons("retell", registry=REGISTRY))
    duration = data.draw(st.none() | st.sampled_from([0, 1500, 60000]))
    payload = _call(status, reason, **({} if duration is None else {"duration_ms": duration}))
    record = callstatus.normalize(payload, registry=REGISTRY, strict=True)
    assert record.status != "unknown"
    connected = None if duration is None else duration > 0
    assert violations(record.status, record.end_reason, record.ended_by, connected) == []
