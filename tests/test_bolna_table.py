"""The Bolna table: its documented payloads normalise to hand-written records, are detected as Bolna beside the
other vendors, and its webhooks (the execution object itself, named by its status) parse to the right event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "adapters" / "bolna.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "bolna"
MAIN_FIXTURES = Path(callstatus.__file__).resolve().parents[2] / "tests" / "fixtures"


REGISTRY = callstatus.default_registry()  # every table of adapters/, this one among them
OTHERS = ("dialgen", "dialnexa", "atoms")
OTHER_FIXTURES = sorted(path for vendor in OTHERS for path in (MAIN_FIXTURES / vendor).glob("*.json"))
OTHER_WEBHOOKS = [path for path in OTHER_FIXTURES if path.name.startswith("webhook_")]


def _payload(name: str) -> dict[str, Any]:
    fixture = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert fixture["source"]
    payload: dict[str, Any] = fixture["payload"]
    return payload


NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


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
    adapter = load_table(TABLE)
    assert adapter.id == "bolna"
    assert REGISTRY.get("bolna").id == "bolna"


def test_every_fixture_has_an_expectation_and_the_other_vendors_are_at_hand() -> None:
    assert len(OTHER_FIXTURES) > 40 and OTHER_WEBHOOKS
    assert set(NAMES) >= set(EVENTS)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_normalizes_to_the_expected_record(name: str) -> None:
    fixture = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    record = callstatus.normalize(fixture["payload"], "bolna", strict=True, registry=REGISTRY)
    dumped = record.model_dump(mode="json")
    assert {field: dumped[field] for field in fixture["expected"]} == fixture["expected"]
    assert record.raw == fixture["payload"]
    assert record.raw_status == fixture["payload"]["status"]


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_detected_as_bolna(name: str) -> None:
    payload = _payload(name)
    assert REGISTRY.detect(payload) == "bolna"
    detected = callstatus.normalize(orjson.dumps(payload), registry=REGISTRY)
    assert detected == callstatus.normalize(payload, "bolna", registry=REGISTRY)


@pytest.mark.parametrize("path", OTHER_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_other_vendors_fixtures_are_still_detected_as_themselves(path: Path) -> None:
    vendor = path.parent.name
    payload = json.loads(path.read_text(encoding="utf-8"))["payload"]
    assert REGISTRY.detect(payload) == vendor


@pytest.mark.parametrize("path", OTHER_WEBHOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_other_vendors_webhooks_are_still_theirs(path: Path) -> None:
    vendor = path.parent.name
    body = orjson.dumps(json.loads(path.read_text(encoding="utf-8"))["payload"])
    event = callstatus.parse_webhook(body, {}, allow_unsigned=True, registry=REGISTRY)
    assert event.vendor == vendor


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_webhook_parses_to_its_event(name: str) -> None:
    payload = _payload(name)
    event = callstatus.parse_webhook(orjson.dumps(payload), {}, allow_unsigned=True, registry=REGISTRY)
    assert event.vendor == "bolna"
    assert event.event_type is EVENTS[name]
    assert event.raw_event_type == payload["status"]
    assert event.call == callstatus.normalize(payload, "bolna", registry=REGISTRY)
    assert event.occurred_at == _at(payload["updated_at"].replace("Z", "+00:00"))


def test_webhook_needs_a_secret_unless_unsigned_is_allowed() -> None:
    body = orjson.dumps(_payload("webhook_busy"))
    token = "s3cret-token"
    event = callstatus.parse_webhook(body, {"Authorization": f"Bearer {token}"}, secret=token, registry=REGISTRY)
    assert event.vendor == "bolna"
    with pytest.raises(callstatus.WebhookAuthError):
        callstatus.parse_webhook(body, {"Authorization": "Bearer wrong"}, secret=token, registry=REGISTRY)


def test_list_envelopes() -> None:
    item = _payload("list_item_trimmed")
    page = {"page_number": 1, "page_size": 20, "total": 2, "has_more": False, "data": [item, item]}
    for body in (page, [item]):
        records = list(callstatus.normalize_many(orjson.dumps(body), "bolna", registry=REGISTRY))
        assert records and all(record.call_id == item["id"] for record in records)
        assert all(record.status is CallStatus.COMPLETED for record in records)


def test_call_disconnected_then_completed_merges_to_completed() -> None:
    disconnected = callstatus.normalize(_payload("webhook_call_disconnected"), "bolna", registry=REGISTRY)
    completed_payload = _payload("webhook_call_disconnected") | {
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
    payload = _payload("webhook_completed_llm_prompted_hangup")
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
    payload = _payload("webhook_failed_invalid_number_code") | {"status": status, "conversation_duration": talk}
    payload["telephony_data"]["hangup_code"] = code
    record = callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)
    assert (record.status, record.end_reason) == expected
    assert record.raw_reason == str(code)


def test_termination_reason_is_kept_but_decides_nothing() -> None:
    payload = _payload("webhook_busy") | {"termination_reason": "some_future_value"}
    record = callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)
    assert record.status is CallStatus.BUSY and record.end_reason is EndReason.BUSY
    assert record.analysis is not None and record.analysis["termination_reason"] == "some_future_value"


def test_unknown_status_is_unknown_with_the_raw_kept() -> None:
    payload = _payload("webhook_busy") | {"status": "on-hold"}
    seen: list[Unmapped] = []
    record = callstatus.normalize(payload, "bolna", on_unmapped=seen.append, registry=REGISTRY)
    assert record.status is CallStatus.UNKNOWN and not record.is_terminal
    assert record.raw_status == "on-hold" and record.end_reason is None
    assert [item.field for item in seen] == ["status"]
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)


def test_unknown_reason_and_hangup_by_stay_unknown() -> None:
    payload = _payload("webhook_busy")
    payload["telephony_data"] |= {"hangup_reason": "Solar flare", "hangup_by": "Martian"}
    seen: list[Unmapped] = []
    record = callstatus.normalize(payload, "bolna", on_unmapped=seen.append, registry=REGISTRY)
    assert record.status is CallStatus.BUSY and record.end_reason is EndReason.UNKNOWN
    assert record.raw_reason == "Solar flare"
    assert _value(record.ended_by) == "unknown"
    assert {item.field for item in seen} == {"end_reason", "ended_by"}
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "bolna", strict=True, registry=REGISTRY)

    completed = _payload("webhook_completed_inactivity_timeout")
    completed["telephony_data"]["hangup_reason"] = "Solar flare"
    record = callstatus.normalize(completed, "bolna", registry=REGISTRY)
    assert record.status is CallStatus.COMPLETED and record.end_reason is EndReason.UNKNOWN


def test_unknown_webhook_status_is_an_other_event() -> None:
    body = orjson.dumps(_payload("webhook_busy") | {"status": "on-hold"})
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
