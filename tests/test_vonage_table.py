"""The Vonage Voice API table: its documented payloads (call object, list items, event webhook bodies) against
hand-written records, detection beside the other vendors, the event webhook and its JWT signature, unknown values,
the `completed`-after-`busy` quirk, and properties over generated payloads.

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

import callstatus
from callstatus import load_table
from callstatus.errors import NormalizationError
from callstatus.events import EventType
from callstatus.registry import builtin_tables
from callstatus.testing import payloads
from callstatus.webhooks import WebhookError, parse_webhook

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "adapters" / "vonage.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "vonage"
FILES = sorted(FIXTURES.glob("*.json"))
OTHER_VENDORS = ("dialgen", "dialnexa", "atoms")
SECRET = "vonage-signature-secret-0123456789abcdef"


REGISTRY = callstatus.default_registry()  # every table of adapters/, this one among them


def _other_fixture_files(vendors: tuple[str, ...]) -> list[Path]:
    """Other vendors' documented payloads: beside this file in the repository, else in the checkout that holds
    the installed package (while this table is staged outside the repository)."""
    for base in (ROOT / "tests" / "fixtures", Path(callstatus.__file__).resolve().parents[2] / "tests" / "fixtures"):
        files = sorted(path for vendor in vendors for path in (base / vendor).glob("*.json"))
        if files:
            return files
    return []


OTHER_FILES = _other_fixture_files(OTHER_VENDORS)
WEBHOOK_VENDORS = tuple(
    sorted({table.stem for table in builtin_tables()} - {"vonage", *OTHER_VENDORS} - {"asterisk", "freeswitch"})
)
OTHER_WEBHOOK_FILES = [
    path for path in _other_fixture_files(WEBHOOK_VENDORS) if path.stem.startswith(("webhook_", "callback_"))
]
WEBHOOKS = [path for path in FILES if path.stem.startswith("webhook_")]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _record(name: str) -> callstatus.CallRecord:
    return callstatus.normalize(_load(FIXTURES / f"{name}.json")["payload"], "vonage", registry=REGISTRY)


def test_table_loads_and_passes_the_law_check() -> None:
    adapter = load_table(TABLE)
    assert adapter.id == "vonage"


def test_there_are_fixtures() -> None:
    assert len(FILES) >= 20
    assert OTHER_FILES, "the other vendors' fixtures were not found"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_fixture_normalises_to_the_hand_written_record(path: Path) -> None:
    data = _load(path)
    assert set(data) == {"source", "payload", "expected"}
    record = callstatus.normalize(data["payload"], "vonage", registry=REGISTRY, strict=True)
    dumped = record.model_dump(mode="json")
    assert {key: dumped[key] for key in data["expected"]} == data["expected"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_fixture_is_detected_as_vonage(path: Path) -> None:
    record = callstatus.normalize(_load(path)["payload"], registry=REGISTRY)
    assert record.vendor == "vonage"


@pytest.mark.parametrize("path", OTHER_FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_other_vendors_are_still_detected_as_themselves(path: Path) -> None:
    record = callstatus.normalize(_load(path)["payload"], registry=REGISTRY)
    assert record.vendor == path.parent.name


@pytest.mark.parametrize("path", OTHER_WEBHOOK_FILES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_other_vendors_webhooks_are_not_taken_for_vonage(path: Path) -> None:
    """Vonage's event name is `status`, whose values other vendors share: read only beside Vonage's own keys."""
    body = json.dumps(_load(path)["payload"]).encode()
    try:
        parsed = parse_webhook(body, {"Content-Type": "application/json"}, allow_unsigned=True, registry=REGISTRY)
    except WebhookError:
        return
    assert parsed.vendor != "vonage"


def test_normalize_many_reads_the_embedded_calls_list() -> None:
    items = [_load(FIXTURES / f"{name}.json")["payload"] for name in ("call_completed", "list_calls_item_busy")]
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


@pytest.mark.parametrize("path", WEBHOOKS, ids=lambda path: path.stem)
def test_event_webhook_parses_to_the_event_its_status_names(path: Path) -> None:
    data = _load(path)
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
    body = json.dumps(_load(FIXTURES / "webhook_completed.json")["payload"]).encode()
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
    payload = dict(_load(FIXTURES / "webhook_completed.json")["payload"], status="on_hold")
    record = callstatus.normalize(payload, "vonage", registry=REGISTRY)
    assert record.status.value == "unknown"
    assert record.raw_status == "on_hold"
    assert record.end_reason is None
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "vonage", registry=REGISTRY, strict=True)


def test_unknown_detail_on_a_terminal_status_is_an_unknown_reason() -> None:
    payload = dict(_load(FIXTURES / "webhook_failed_invalid_number.json")["payload"], detail="carrier_said_no")
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
