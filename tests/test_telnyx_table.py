"""The Telnyx Call Control table: every SDK hangup cause, webhook events, unknown values, and generated payloads.
Its documented webhook payloads against their hand-written records, and detection beside the other vendors, are
checked in ``test_seed_payloads.py``.

Expectations are written by hand from Telnyx's docs (developers.telnyx.com callbacks) and SDK enums
(telnyx-ruby ``call_hangup.rb``); nothing here reads what the table maps a value to.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from vendor_cases import REGISTRY, fields, fixture, names, table

import callstatus
from callstatus import NormalizationError, load_table
from callstatus.events import EventType
from callstatus.testing import payloads
from callstatus.webhooks import WebhookError, parse_webhook


def _hangup(cause: str, sip: str = "unspecified", source: str = "unknown") -> dict[str, Any]:
    return {
        "data": {
            "record_type": "event",
            "event_type": "call.hangup",
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2018-02-02T22:25:27.521992Z",
            "payload": {
                "call_control_id": "v3:abc",
                "call_leg_id": "428c31b6-7af4-4bcb-b7f5-5013ef9657c1",
                "from": "+35319605860",
                "to": "+13129457420",
                "state": "hangup",
                "hangup_cause": cause,
                "hangup_source": source,
                "sip_hangup_cause": sip,
            },
        }
    }


# The SDK's HangupCause enum with the canonical status and end reason each should give on call.hangup.
HANGUP_CAUSES: dict[str, tuple[str, str]] = {
    "call_rejected": ("failed", "rejected"),
    "normal_clearing": ("completed", "normal_clearing"),
    "originator_cancel": ("canceled", "canceled"),
    "timeout": ("no_answer", "no_answer"),
    "time_limit": ("completed", "max_duration"),
    "user_busy": ("busy", "busy"),
    "not_found": ("failed", "invalid_number"),
    "no_answer": ("no_answer", "no_answer"),
    "unspecified": ("ended", "unknown"),
}


def test_table_loads_and_passes_the_outcome_law_check() -> None:
    assert load_table(table("telnyx")).id == "telnyx"
    assert REGISTRY.get("telnyx").id == "telnyx"


def test_documented_hangup_causes_are_the_sdk_enum() -> None:
    vocabulary = REGISTRY.get("telnyx").reasons[0]
    assert set(vocabulary.values) == set(HANGUP_CAUSES)


def test_there_are_fixtures() -> None:
    assert len(names("telnyx")) >= 10


@pytest.mark.parametrize("cause", sorted(HANGUP_CAUSES))
def test_every_hangup_cause(cause: str) -> None:
    status, reason = HANGUP_CAUSES[cause]
    record = callstatus.normalize(_hangup(cause), registry=REGISTRY, strict=True)
    assert (record.status, record.end_reason, record.raw_reason) == (status, reason, cause)
    assert record.call_id == "v3:abc"
    assert (record.from_number, record.to_number) == ("+35319605860", "+13129457420")


def test_an_unspecified_cause_stays_unknown_even_with_a_sip_response() -> None:
    """The first reason vocabulary present wins: the format cannot fall back past an uninformative value."""
    record = callstatus.normalize(_hangup("unspecified", "486"), registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_reason) == ("ended", "unknown", "unspecified")


def test_the_list_of_events_normalises_each() -> None:
    items = [_hangup("user_busy")["data"], _hangup("normal_clearing")["data"]]
    records = list(callstatus.normalize_many(items, registry=REGISTRY))
    assert [(r.vendor, r.status) for r in records] == [("telnyx", "busy"), ("telnyx", "completed")]


# --- webhooks -------------------------------------------------------------------------------------------------

WEBHOOK_EVENTS = {
    "webhook_call_hangup_call_rejected": EventType.CALL_ENDED,
    "webhook_call_hangup_normal_clearing": EventType.CALL_ENDED,
    "webhook_call_hangup_user_busy": EventType.CALL_ENDED,
    "webhook_call_hangup_no_answer": EventType.CALL_ENDED,
    "webhook_call_initiated_outgoing": EventType.CALL_STARTED,
    "webhook_call_initiated_incoming": EventType.CALL_STARTED,
    "webhook_call_answered": EventType.OTHER,
    "webhook_machine_detection_ended_machine": EventType.OTHER,
}


@pytest.mark.parametrize("name", sorted(WEBHOOK_EVENTS))
def test_webhook_fixture_parses_to_its_event(name: str) -> None:
    data = fixture("telnyx", name)
    body = json.dumps(data["payload"]).encode()
    for vendor in (None, "telnyx"):
        event = parse_webhook(body, {}, vendor, allow_unsigned=True, registry=REGISTRY)
        assert (event.vendor, event.event_type, event.raw_event_type) == (
            "telnyx",
            WEBHOOK_EVENTS[name],
            data["payload"]["data"]["event_type"],
        )
        assert event.call is not None
        assert fields(event.call, data["expected"]) == data["expected"]


def test_an_unknown_event_is_other_and_strict_refuses_it() -> None:
    body = _hangup("normal_clearing")
    body["data"]["event_type"] = "call.teleported"
    raw = json.dumps(body).encode()
    event = parse_webhook(raw, {}, "telnyx", allow_unsigned=True, registry=REGISTRY)
    assert (event.event_type, event.raw_event_type) == (EventType.OTHER, "call.teleported")
    with pytest.raises(WebhookError):
        parse_webhook(raw, {}, "telnyx", allow_unsigned=True, registry=REGISTRY, strict=True)


# --- unknown values -------------------------------------------------------------------------------------------


def test_an_unknown_cause_on_a_hangup_is_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = _hangup("cosmic_ray")
    record = callstatus.normalize(payload, registry=REGISTRY)
    assert (record.end_reason, record.raw_reason) == ("unknown", "cosmic_ray")
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, registry=REGISTRY, strict=True)


def test_an_unknown_event_status_is_unknown_and_strict_raises() -> None:
    payload = _hangup("normal_clearing")
    payload["data"]["event_type"] = "call.teleported"
    record = callstatus.normalize(payload, registry=REGISTRY)
    assert (record.status, record.raw_status) == ("unknown", "call.teleported")
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, registry=REGISTRY, strict=True)


# --- properties -----------------------------------------------------------------------------------------------


@settings(deadline=None)
@given(payloads("telnyx", registry=REGISTRY))
def test_generated_payloads_normalise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "telnyx", registry=REGISTRY)
    assert record.vendor == "telnyx"
    assert callstatus.detect_vendor(payload, registry=REGISTRY) == "telnyx"
