"""The Vonage Voice API table: the calls list, the event webhook and its JWT signature, other vendors' webhooks
left alone, unknown values, the `completed`-after-`busy` quirk, and properties over generated payloads. Its
documented payloads (call object, list items, event webhook bodies) against hand-written records, and detection
beside the other vendors, are checked in ``test_seed_payloads.py``.

Expectations are written by hand from Vonage's docs (developer.vonage.com webhook reference, call statuses, the
Voice API reference) and the .NET SDK's DetailedStatus enum; nothing here reads what the table maps a value to.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from vendor_cases import REGISTRY, fixture, load, names, payload_of, table, webhook_fixtures

import callstatus
from callstatus import load_table
from callstatus.errors import NormalizationError
from callstatus.events import EventType
from callstatus.testing import payloads
from callstatus.webhooks import WebhookError, parse_webhook

SECRET = "vonage-signature-secret-0123456789abcdef"
OTHER_WEBHOOK_FILES = webhook_fixtures(*(vendor for vendor in callstatus.vendors() if vendor != "vonage"))
WEBHOOKS = [name for name in names("vonage") if name.startswith("webhook_")]


def _record(name: str) -> callstatus.CallRecord:
    return callstatus.normalize(payload_of("vonage", name), "vonage", registry=REGISTRY)


def test_table_loads_and_passes_the_law_check() -> None:
    adapter = load_table(table("vonage"))
    assert adapter.id == "vonage"


def test_there_are_fixtures() -> None:
    assert len(names("vonage")) >= 20
    assert OTHER_WEBHOOK_FILES, "the other vendors' webhook fixtures were not found"


@pytest.mark.parametrize("path", OTHER_WEBHOOK_FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_other_vendors_webhooks_are_not_taken_for_vonage(path: Path) -> None:
    """Vonage's event name is `status`, whose values other vendors share: read only beside Vonage's own keys."""
    body = json.dumps(load(path)["payload"]).encode()
    try:
        parsed = parse_webhook(body, {"Content-Type": "application/json"}, allow_unsigned=True, registry=REGISTRY)
    except WebhookError:
        return
    assert parsed.vendor != "vonage"


def test_normalize_many_reads_the_embedded_calls_list() -> None:
    items = [payload_of("vonage", name) for name in ("call_completed", "list_calls_item_busy")]
    body = {
        "count": 2,
        "page_size": 10,
        "record_index": 0,
        "_links": {"self": {"href": "/calls?page_size=10&record_index=0"}},
        "_embedded": {"calls": items},
    }
    records = callstatus.normalize_many(body, "vonage", registry=REGISTRY)
    assert [record.status.value for record in records] == ["completed", "busy"]


# The event each call status stands for, from the webhook reference's descriptions (written by hand).
EVENT_OF_STATUS = {
    "started": EventType.CALL_STARTED,
    "ringing": EventType.CALL_STARTED,
    "answered": EventType.CALL_STARTED,
    "machine": EventType.OTHER,
    "human": EventType.OTHER,
    "disconnected": EventType.OTHER,
    **dict.fromkeys(
        ("completed", "busy", "cancelled", "failed", "rejected", "timeout", "unanswered"), EventType.CALL_ENDED
    ),
}


@pytest.mark.parametrize("name", WEBHOOKS)
def test_event_webhook_parses_to_the_event_its_status_names(name: str) -> None:
    data = fixture("vonage", name)
    body = json.dumps(data["payload"]).encode()
    parsed = parse_webhook(body, {"Content-Type": "application/json"}, allow_unsigned=True, registry=REGISTRY)
    assert parsed.vendor == "vonage"
    assert parsed.event_type is EVENT_OF_STATUS[data["payload"]["status"]]
    assert parsed.call is not None
    assert parsed.call.status.value == data["expected"]["status"]
    assert parsed.occurred_at is not None
    assert parsed.occurred_at.isoformat() == "2020-01-01T12:00:00+00:00"


def test_signed_webhook_is_accepted_and_a_forged_one_refused() -> None:
    jwt = pytest.importorskip("jwt")
    body = json.dumps(payload_of("vonage", "webhook_completed")).encode()
    claims = {"iat": int(time.time()), "payload_hash": hashlib.sha256(body).hexdigest()}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    parsed = parse_webhook(body, headers, "vonage", secret=SECRET, registry=REGISTRY)
    assert parsed.call is not None and parsed.call.status.value == "completed"
    forged = {"Content-Type": "application/json", "Authorization": f"Bearer {jwt.encode(claims, 'x' * 32)}"}
    with pytest.raises(WebhookError):
        parse_webhook(body, forged, "vonage", secret=SECRET, registry=REGISTRY)
    tampered = body.replace(b'"duration": "2"', b'"duration": "9"')
    with pytest.raises(WebhookError):
        parse_webhook(tampered, headers, "vonage", secret=SECRET, registry=REGISTRY)


@pytest.mark.parametrize("order", ["busy_first", "completed_first"])
def test_completed_after_busy_keeps_busy(order: str) -> None:
    """Vonage sends `completed` after busy, timeout, failed, ... (and out of order): the call stays busy."""
    busy, completed = _record("webhook_busy"), _record("webhook_completed_after_busy")
    first, second = (busy, completed) if order == "busy_first" else (completed, busy)
    merged = callstatus.merge(first, second, registry=REGISTRY)
    assert merged.status.value == "busy"
    assert merged.end_reason is not None and merged.end_reason.value == "busy"


def test_unknown_status_becomes_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = dict(payload_of("vonage", "webhook_completed"), status="on_hold")
    record = callstatus.normalize(payload, "vonage", registry=REGISTRY)
    assert record.status.value == "unknown"
    assert record.raw_status == "on_hold"
    assert record.end_reason is None
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "vonage", registry=REGISTRY, strict=True)


def test_unknown_detail_on_a_terminal_status_is_an_unknown_reason() -> None:
    payload = dict(payload_of("vonage", "webhook_failed_invalid_number"), detail="carrier_said_no")
    record = callstatus.normalize(payload, "vonage", registry=REGISTRY)
    assert record.status.value == "failed"
    assert record.end_reason is not None and record.end_reason.value == "unknown"
    assert record.raw_reason == "carrier_said_no"
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "vonage", registry=REGISTRY, strict=True)


def test_bare_digit_numbers_become_e164() -> None:
    record = _record("webhook_ringing")
    assert (record.from_number, record.to_number) == ("+447700900001", "+447700900000")


@settings(deadline=None)
@given(payloads("vonage", registry=REGISTRY))
def test_generated_payloads_never_raise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "vonage", registry=REGISTRY)
    assert record.vendor == "vonage"
