"""The Exotel Voice API v1 table: bulk call details, form-encoded StatusCallbacks, naive IST timestamps, national
numbers, the shared-token webhook check, unknown values, and properties over generated payloads. Its documented
payloads (call details wrapped in {"Call": ...}, callbacks) against hand-written records, and detection beside the
other vendors, are checked in ``test_seed_payloads.py``.

Expectations are written by hand from Exotel's docs (developer.exotel.com call details and StatusCallback pages,
support article 27323 on call statuses); nothing here reads what the table maps a value to.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from vendor_cases import REGISTRY, fixture, names, payload_of, table

import callstatus
from callstatus import load_table
from callstatus.errors import NormalizationError
from callstatus.events import EventType
from callstatus.testing import payloads
from callstatus.webhooks import WebhookError, parse_webhook

CALLBACKS = [name for name in names("exotel") if name.startswith("callback_")]
IST = timezone(timedelta(hours=5, minutes=30))
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form(params: dict[str, Any]) -> bytes:
    """A StatusCallback body as Exotel posts it: form fields, the Legs array as Legs[i][Key] fields."""
    fields: dict[str, str] = {}
    for name, value in params.items():
        if name == "Legs":
            for index, leg in enumerate(value):
                for key, item in leg.items():
                    fields[f"Legs[{index}][{key}]"] = str(item)
        elif value is not None:
            fields[name] = str(value)
    return urlencode(fields).encode()


def test_table_loads_and_passes_the_law_check() -> None:
    adapter = load_table(table("exotel"))
    assert adapter.id == "exotel"


def test_there_are_fixtures() -> None:
    assert len(names("exotel")) >= 15


def test_twilio_shaped_callback_with_pascal_case_keys_is_not_taken_for_exotel() -> None:
    """Twilio's callbacks share CallSid/AccountSid/From/To but say CallStatus, never Status."""
    twilio_like = {
        "CallSid": "CA0123456789abcdef0123456789abcdef",
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "CallStatus": "completed",
        "From": "+14155550100",
        "To": "+14155550101",
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
    }
    assert callstatus.detect_vendor(twilio_like, registry=REGISTRY) == "twilio"


def test_naive_timestamps_are_india_standard_time() -> None:
    payload = dict(payload_of("exotel", "callback_default_completed"), DateUpdated="2024-01-01 10:00:00")
    payload.update(StartTime="2024-01-01 10:00:00", EndTime="2024-01-01 10:00:30", DateCreated="2023-12-31 23:59:59")
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY, strict=True)
    assert record.started_at is not None and record.started_at.isoformat() == "2024-01-01T04:30:00+00:00"
    assert record.ended_at is not None and record.ended_at.isoformat() == "2024-01-01T04:30:30+00:00"
    # Just before midnight IST is the previous afternoon in UTC.
    assert record.created_at is not None and record.created_at.isoformat() == "2023-12-31T18:29:59+00:00"


def test_national_numbers_are_read_in_the_tables_region() -> None:
    """Exotel's docs show national numbers (09876543210, landlines with their STD code): read as Indian."""
    payload = {"Call": dict(payload_of("exotel", "details_busy")["Call"], From="09876543210", To="08041402400")}
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY, strict=True)
    assert (record.from_number, record.to_number) == ("+919876543210", "+918041402400")
    assert record.raw["Call"]["From"] == "09876543210"
    international = {"Call": dict(payload["Call"], From="+14155550100", To="919876543210")}
    record = callstatus.normalize(international, "exotel", registry=REGISTRY, strict=True)
    assert (record.from_number, record.to_number) == ("+14155550100", "+919876543210")


def test_a_placeholder_number_stays_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = {"Call": dict(payload_of("exotel", "details_busy")["Call"], To="0XXXXXXXXXX")}
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY)
    assert (record.status.value, record.to_number) == ("busy", None)
    assert record.raw["Call"]["To"] == "0XXXXXXXXXX"
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "exotel", registry=REGISTRY, strict=True)


def test_normalize_many_reads_a_bulk_call_details_list() -> None:
    items = [
        payload_of("exotel", name)["Call"]
        for name in ("details_completed_outbound_api", "details_busy", "details_queued")
    ]
    body = {"Metadata": {"Total": 3, "PageSize": 50, "FirstPageUri": None, "NextPageUri": None}, "Calls": items}
    records = callstatus.normalize_many(body, "exotel", registry=REGISTRY)
    assert [record.status.value for record in records] == ["completed", "busy", "queued"]
    assert [record.vendor for record in callstatus.normalize_many(body, registry=REGISTRY)] == ["exotel"] * 3


def test_unwrapped_call_object_is_detected_as_exotel() -> None:
    record = callstatus.normalize(payload_of("exotel", "details_no_answer")["Call"], registry=REGISTRY, strict=True)
    assert record.vendor == "exotel"
    assert record.status.value == "no_answer"


@pytest.mark.parametrize(
    ("name", "event", "raw_event"),
    [
        ("callback_default_completed", EventType.CALL_ENDED, None),
        ("callback_default_no_answer", EventType.CALL_ENDED, None),
        ("callback_terminal_completed", EventType.CALL_ENDED, "terminal"),
        ("callback_terminal_no_answer", EventType.CALL_ENDED, "terminal"),
        ("callback_terminal_busy", EventType.CALL_ENDED, "terminal"),
        ("callback_terminal_failed", EventType.CALL_ENDED, "terminal"),
        ("callback_answered", EventType.CALL_STARTED, "answered"),
        ("callback_inbound_completed_leg2_no_answer", EventType.CALL_ENDED, "terminal"),
        ("callback_inbound_completed_leg2_completed", EventType.CALL_ENDED, "terminal"),
    ],
)
def test_form_encoded_status_callback_parses(name: str, event: EventType, raw_event: str | None) -> None:
    data = fixture("exotel", name)
    parsed = parse_webhook(_form(data["payload"]), FORM, allow_unsigned=True, registry=REGISTRY)
    assert parsed.vendor == "exotel"
    assert parsed.event_type is event
    assert parsed.raw_event_type == raw_event
    assert parsed.call is not None
    assert parsed.call.status.value == data["expected"]["status"]
    assert parsed.call.call_id == data["expected"]["call_id"]
    # DateUpdated is IST without an offset: 5 h 30 min ahead of UTC.
    updated = data["payload"]["DateUpdated"]
    assert parsed.occurred_at is not None
    assert parsed.occurred_at == datetime.strptime(updated, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)


def test_every_callback_fixture_is_covered_by_the_webhook_test() -> None:
    assert len(CALLBACKS) == 9


def test_json_status_callback_parses_too() -> None:
    body = json.dumps(payload_of("exotel", "callback_terminal_completed")).encode()
    parsed = parse_webhook(body, {"Content-Type": "application/json"}, allow_unsigned=True, registry=REGISTRY)
    assert parsed.vendor == "exotel"
    assert parsed.event_type is EventType.CALL_ENDED


def test_shared_token_is_accepted_and_a_wrong_one_refused() -> None:
    """Exotel signs nothing: the table's scheme is a shared token (Authorization: Bearer)."""
    body = _form(payload_of("exotel", "callback_terminal_completed"))
    headers = dict(FORM, Authorization="Bearer s3cret-token")
    parsed = parse_webhook(body, headers, "exotel", secret="s3cret-token", registry=REGISTRY)
    assert parsed.event_type is EventType.CALL_ENDED
    with pytest.raises(WebhookError):
        parse_webhook(
            body, dict(FORM, Authorization="Bearer wrong"), "exotel", secret="s3cret-token", registry=REGISTRY
        )
    with pytest.raises(WebhookError):
        parse_webhook(body, FORM, "exotel", secret="s3cret-token", registry=REGISTRY)


def test_unknown_status_becomes_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = dict(payload_of("exotel", "callback_default_completed"), Status="on-hold")
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY)
    assert record.status.value == "unknown"
    assert record.raw_status == "on-hold"
    assert record.end_reason is None
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "exotel", registry=REGISTRY, strict=True)


def test_unknown_dial_status_is_an_unknown_reason_and_strict_raises() -> None:
    payload = dict(
        payload_of("exotel", "callback_inbound_completed_leg2_no_answer"), DialCallStatus="rejected-by-carrier"
    )
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY)
    assert record.raw_reason == "rejected-by-carrier"
    assert record.end_reason is not None and record.end_reason.value == "unknown"
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "exotel", registry=REGISTRY, strict=True)


def test_unknown_event_type_is_not_a_known_event() -> None:
    payload = dict(payload_of("exotel", "callback_terminal_completed"), EventType="ringing")
    parsed = parse_webhook(_form(payload), FORM, allow_unsigned=True, registry=REGISTRY)
    assert parsed.vendor == "exotel"
    assert parsed.raw_event_type == "ringing"
    assert parsed.event_type is EventType.OTHER


@settings(deadline=None)
@given(payloads("exotel", registry=REGISTRY))
def test_generated_payloads_never_raise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "exotel", registry=REGISTRY)
    assert record.vendor == "exotel"
