"""The Bolna table: its webhooks (the execution object itself, named by its status) parse to the right event, list
envelopes, hangup codes, merges, and unknown values. That its documented payloads normalise to hand-written records
and are detected as Bolna beside the other vendors is checked in ``test_seed_payloads.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_cases import REGISTRY, load, names, payload_of, table, webhook_fixtures

import callstatus
from callstatus import (
    CallStatus,
    EndReason,
    EventType,
    NormalizationError,
    Unmapped,
    load_table,
)
from callstatus.testing import payloads, unknown_tokens

OTHER_WEBHOOKS = webhook_fixtures("dialgen", "dialnexa", "atoms")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


EVENTS = {
    "webhook_call_disconnected": EventType.CALL_ENDED,
    "webhook_completed_inactivity_timeout": EventType.CALL_ANALYZED,
    "webhook_completed_llm_prompted_hangup": EventType.CALL_ANALYZED,
    "webhook_completed_rejected": EventType.CALL_ANALYZED,
    "webhook_no_answer": EventType.CALL_ENDED,
    "webhook_busy": EventType.CALL_ENDED,
    "webhook_failed_invalid_number_code": EventType.CALL_ENDED,
    "webhook_balance_low": EventType.CALL_ENDED,
    "webhook_in_progress": EventType.CALL_STARTED,
    "webhook_rescheduled": EventType.CALL_SCHEDULED,
    "webhook_error": EventType.CALL_ENDED,
    "webhook_inbound_caller_hangup": EventType.CALL_ANALYZED,
    "get_execution_completed": EventType.CALL_ANALYZED,
}


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def test_the_table_loads_with_its_laws_checked() -> None:
    adapter = load_table(table("bolna"))
    assert adapter.id == "bolna"
    assert REGISTRY.get("bolna").id == "bolna"


def test_every_webhook_has_a_fixture_and_the_other_vendors_webhooks_are_at_hand() -> None:
    assert OTHER_WEBHOOKS
    assert set(names("bolna")) >= set(EVENTS)


@pytest.mark.parametrize("name", names("bolna"))
def test_raw_status_is_the_payload_status(name: str) -> None:
    payload = payload_of("bolna", name)
    assert callstatus.normalize(payload, "bolna", registry=REGISTRY).raw_status == payload["status"]


@pytest.mark.parametrize("name", names("bolna"))
def test_json_bytes_give_the_whole_record_a_mapping_does(name: str) -> None:
    payload = payload_of("bolna", name)
    detected = callstatus.normalize(orjson.dumps(payload), registry=REGISTRY)
    assert detected == callstatus.normalize(payload, "bolna", registry=REGISTRY)


@pytest.mark.parametrize("path", OTHER_WEBHOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_other_vendors_webhooks_are_still_theirs(path: Path) -> None:
    vendor = path.parent.name
    body = orjson.dumps(load(path)["payload"])
    event = callstatus.parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert event.vendor == vendor


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_webhook_parses_to_its_event(name: str) -> None:
    payload = payload_of("bolna", name)
    event = callstatus.parse_webhook(orjson.dumps(payload), {}, allow_unsigned=True, registry=REGISTRY)
    assert event.vendor == "bolna"
    assert event.event_type is EVENTS[name]
    assert event.raw_event_type == payload["status"]
    assert event.call == callstatus.normalize(payload, "bolna", registry=REGISTRY)
    assert event.occurred_at == _at(payload["updated_at"].replace("Z", "+00:00"))


def test_webhook_needs_a_secret_unless_unsigned_is_allowed() -> None:
    body = orjson.dumps(payload_of("bolna", "webhook_busy"))
    token = "s3cret-token"
    event = callstatus.parse_webhook(body, {"Authorization": f"Bearer {token}"}, secret=token, registry=REGISTRY)
    assert event.vendor == "bolna"
    with pytest.raises(callstatus.WebhookAuthError):
        callstatus.parse_webhook(body, {"Authorization": "Bearer wrong"}, secret=token, registry=REGISTRY)


def test_list_envelopes() -> None:
    item = payload_of("bolna", "list_item_trimmed")
    page = {"page_number": 1, "page_size": 20, "total": 2, "has_more": False, "data": [item, item]}
    for body in (page, [item]):
        records = list(callstatus.normalize_many(orjson.dumps(body), "bolna", registry=REGISTRY))
        assert records and all(record.call_id == item["id"] for record in records)
        assert all(record.status is CallStatus.COMPLETED for record in records)


def test_call_disconnected_then_completed_merges_to_completed() -> None:
    disconnected = callstatus.normalize(payload_of("bolna", "webhook_call_disconnected"), "bolna", registry=REGISTRY)
    completed_payload = payload_of("bolna", "webhook_call_disconnected") | {
        "status": "completed",
        "conversation_duration": 38,
        "updated_at": "2024-01-23T01:18:10Z",
    }
    completed = callstatus.normalize(completed_payload, "bolna", registry=REGISTRY)
    assert disconnected.status is CallStatus.ENDED and not disconnected.is_terminal and disconnected.status.is_over
    for merged in (callstatus.merge(disconnected, completed), callstatus.merge(completed, disconnected)):
        assert merged.status is CallStatus.COMPLETED
        assert merged.end_reason is EndReason.CUSTOMER_HANGUP
        assert merged.duration_seconds == 38.0


def test_hangup_reason_beats_the_code() -> None:
    payload = payload_of("bolna", "webhook_completed_llm_prompted_hangup")
    record = callstatus.normalize(payload, "bolna", registry=REGISTRY)
    assert record.raw_reason == "llm_prompted_hangup"
    del payload["telephony_data"]["hangup_reason"]
    assert callstatus.normalize(payload, "bolna", registry=REGISTRY).raw_reason == "4000"


@pytest.mark.parametrize(
    ("status", "code", "talk", "expected"),
    [
        ("failed", 6010, 0, (CallStatus.FAILED, EndReason.UNKNOWN)),
        ("completed", 6010, 120, (CallStatus.COMPLETED, EndReason.MAX_DURATION)),
        ("completed", 6010, 0, (CallStatus.COMPLETED, EndReason.NORMAL_CLEARING)),
        ("failed", 3020, 0, (CallStatus.FAILED, EndReason.UNKNOWN)),
        ("failed", 5020, 0, (CallStatus.FAILED, EndReason.PLATFORM_ERROR)),
        ("canceled", 1010, 0, (CallStatus.CANCELED, EndReason.INSUFFICIENT_FUNDS)),
    ],
)
def test_code_families(status: str, code: int, talk: int, expected: tuple[CallStatus, EndReason]) -> None:
    payload = payload_of("bolna", "webhook_failed_invalid_number_code") | {
        "status": status,
        "conversation_duration": talk,
    }
    payload["telephony_data"]["hangup_code"] = code
    record = callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)
    assert (record.status, record.end_reason) == expected
    assert record.raw_reason == str(code)


def test_termination_reason_is_kept_but_decides_nothing() -> None:
    payload = payload_of("bolna", "webhook_busy") | {"termination_reason": "some_future_value"}
    record = callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)
    assert record.status is CallStatus.BUSY and record.end_reason is EndReason.BUSY
    assert record.analysis is not None and record.analysis["termination_reason"] == "some_future_value"


def test_unknown_status_is_unknown_with_the_raw_kept() -> None:
    payload = payload_of("bolna", "webhook_busy") | {"status": "on-hold"}
    seen: list[Unmapped] = []
    record = callstatus.normalize(payload, "bolna", on_unmapped=seen.append, registry=REGISTRY)
    assert record.status is CallStatus.UNKNOWN and not record.is_terminal
    assert record.raw_status == "on-hold" and record.end_reason is None
    assert [item.field for item in seen] == ["status"]
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)


def test_unknown_reason_and_hangup_by_stay_unknown() -> None:
    payload = payload_of("bolna", "webhook_busy")
    payload["telephony_data"] |= {"hangup_reason": "Solar flare", "hangup_by": "Martian"}
    seen: list[Unmapped] = []
    record = callstatus.normalize(payload, "bolna", on_unmapped=seen.append, registry=REGISTRY)
    assert record.status is CallStatus.BUSY and record.end_reason is EndReason.UNKNOWN
    assert record.raw_reason == "Solar flare"
    assert _value(record.ended_by) == "unknown"
    assert {item.field for item in seen} == {"end_reason", "ended_by"}
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)

    completed = payload_of("bolna", "webhook_completed_inactivity_timeout")
    completed["telephony_data"]["hangup_reason"] = "Solar flare"
    record = callstatus.normalize(completed, "bolna", registry=REGISTRY)
    assert record.status is CallStatus.COMPLETED and record.end_reason is EndReason.UNKNOWN


def test_unknown_webhook_status_is_an_other_event() -> None:
    body = orjson.dumps(payload_of("bolna", "webhook_busy") | {"status": "on-hold"})
    event = callstatus.parse_webhook(body, {}, vendor="bolna", allow_unsigned=True, registry=REGISTRY)
    assert event.event_type is EventType.OTHER
    assert event.call is not None and event.call.status is CallStatus.UNKNOWN
    with pytest.raises(callstatus.WebhookError):
        callstatus.parse_webhook(body, {}, vendor="bolna", allow_unsigned=True, strict=True, registry=REGISTRY)


PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@PROPERTY
@given(data=st.data())
def test_generated_payloads_normalize_strictly_and_are_detected(data: st.DataObject) -> None:
    payload = data.draw(payloads("bolna", registry=REGISTRY))
    record = callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)
    assert record.vendor == "bolna" and record.raw == payload
    assert record.status is not CallStatus.UNKNOWN
    assert REGISTRY.detect(payload) == "bolna"
    adapter = REGISTRY.get("bolna")
    shape, found = adapter.locate(payload)  # type: ignore[misc]
    assert record == adapter.careful(shape, found, payload)


@PROPERTY
@given(data=st.data())
def test_generated_payloads_with_unknown_values_never_raise_outside_strict_mode(data: st.DataObject) -> None:
    payload = data.draw(payloads("bolna", registry=REGISTRY))
    raw = data.draw(unknown_tokens("bolna", registry=REGISTRY))
    target = data.draw(st.sampled_from(["status", "hangup_reason", "hangup_by", "call_type"]))
    if target == "status":
        payload["status"] = raw
    else:
        telephony = payload.get("telephony_data")
        payload["telephony_data"] = (telephony if isinstance(telephony, dict) else {}) | {target: raw}
    record = callstatus.normalize(payload, "bolna", on_unmapped=lambda item: None, registry=REGISTRY)
    assert record.raw == payload
    if target == "status":
        assert record.status is CallStatus.UNKNOWN and record.raw_status == raw
