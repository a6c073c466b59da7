"""The Bland AI table: the outcome of each documented payload, durations, the list envelope, the post-call webhook,
unknown values, and the outcome laws over generated payloads. That each documented payload normalises to its
hand-written record and is detected as Bland beside the other vendors is checked in ``test_seed_payloads.py``.

Expectations live in the fixture files and below, written by hand from Bland's docs and the notes of
``adapters/bland.toml``; nothing here reads the table under test for an expected value.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from vendor_cases import REGISTRY, fields, fixture, names, payload_of, table

import callstatus
from callstatus import CallStatus, EndReason, NormalizationError, load_table
from callstatus.events import EventType
from callstatus.laws import violations
from callstatus.testing import payloads
from callstatus.webhooks import parse_webhook

# Hand-written: the canonical outcome of each documented payload, the core of what the table decides.
OUTCOMES = {
    "call_details_completed": ("completed", "normal_clearing", "agent", "human"),
    "call_details_complete_corrected_duration": ("completed", "normal_clearing", None, "human"),
    "list_calls_item": ("completed", "normal_clearing", None, "human"),
    "webhook_voicemail": ("no_answer", "voicemail", "agent", "machine"),
    "webhook_no_answer": ("no_answer", "no_answer", None, None),
    "call_queue_error": ("failed", "unknown", None, None),
    "call_pre_queue_error": ("failed", "unknown", None, None),
    "call_error_user_hangup": ("failed", "unknown", "customer", None),
    "webhook_complete_error_user_hangup": ("completed", "customer_hangup", "customer", None),
    "call_details_started": ("in_progress", None, None, None),
    "call_details_queued": ("queued", None, None, None),
    "stored_postcall_webhook": ("completed", "normal_clearing", "agent", "human"),
}


def test_the_table_loads_and_passes_the_outcome_laws() -> None:
    adapter = load_table(table("bland"))  # the loader checks every status x reason x connected state against the laws
    assert adapter.id == "bland"
    assert "bland" in REGISTRY


def test_every_fixture_states_its_outcome_and_no_direction() -> None:
    """The fixtures' expectations agree with the outcomes above; `inbound` is a boolean the table cannot read."""
    assert set(names("bland")) == set(OUTCOMES)
    for name, outcome in OUTCOMES.items():
        expected = fixture("bland", name)["expected"]
        assert (expected["status"], expected["end_reason"], expected["ended_by"], expected["answered_by"]) == outcome
        assert expected["direction"] is None, name


def test_call_length_is_minutes_and_end_at_is_not_an_end_time() -> None:
    record = callstatus.normalize(payload_of("bland", "call_details_completed"), registry=REGISTRY)
    assert record.duration_seconds == 45.0  # call_length 0.75 minutes
    corrected = payload_of("bland", "call_details_complete_corrected_duration")
    record = callstatus.normalize(corrected, registry=REGISTRY)
    assert record.duration_seconds == 71.0  # corrected_duration "71" seconds
    assert record.ended_at is None  # end_at 2023-12-16T00:15:41Z is the max_duration cutoff


def test_both_spellings_of_complete_are_completed() -> None:
    base = {"call_id": "c-1", "call_length": 1.0, "endpoint_url": "api.bland.ai"}
    for field in ("queue_status", "status"):
        for raw in ("complete", "completed", "COMPLETE"):
            record = callstatus.normalize({**base, field: raw}, "bland", strict=True, registry=REGISTRY)
            assert (record.status, record.end_reason, record.raw_status) == ("completed", "normal_clearing", raw)


def test_queue_status_is_read_before_status() -> None:
    payload = {"call_id": "c-2", "queue_status": "started", "status": "completed", "max_duration": 30}
    record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    assert (record.status, record.raw_status) == (CallStatus.IN_PROGRESS, "started")


def test_the_list_envelope_is_read() -> None:
    item = payload_of("bland", "list_calls_item")
    listing = {"count": 2, "calls": [item, {**item, "call_id": "c-3", "queue_status": "queued"}]}
    records = list(callstatus.normalize_many([listing], registry=REGISTRY))
    assert [(r.vendor, r.call_id, r.status) for r in records] == [
        ("bland", "c1234567-89ab-cdef-0123-456789abcdef", "completed"),
        ("bland", "c-3", "queued"),
    ]


@pytest.mark.parametrize(
    "name",
    ["call_details_completed", "webhook_voicemail", "webhook_no_answer", "webhook_complete_error_user_hangup"],
)
def test_post_call_webhook_is_a_call_ended_event(name: str) -> None:
    data = fixture("bland", name)
    body = json.dumps(data["payload"]).encode()
    for vendor in ("bland", None):
        event = parse_webhook(body, {}, vendor, allow_unsigned=True, registry=REGISTRY)
        assert event.vendor == "bland"
        assert event.event_type is EventType.CALL_ENDED
        assert event.raw_event_type == data["payload"]["queue_status"]
        assert event.call is not None
        assert fields(event.call, data["expected"]) == data["expected"]


def test_post_call_webhook_without_queue_status_is_still_call_ended() -> None:
    payload = dict(payload_of("bland", "call_details_completed"))
    del payload["queue_status"]
    payload["status"] = "completed"
    event = parse_webhook(json.dumps(payload).encode(), {}, allow_unsigned=True, registry=REGISTRY)
    assert (event.vendor, event.event_type, event.raw_event_type) == ("bland", EventType.CALL_ENDED, None)
    assert event.call is not None and event.call.status is CallStatus.COMPLETED


def test_post_call_webhook_batch_id_is_the_event_batch() -> None:
    payload = {**payload_of("bland", "call_details_completed"), "batch_id": "batch-42"}
    event = parse_webhook(json.dumps(payload).encode(), {}, "bland", allow_unsigned=True, registry=REGISTRY)
    assert event.batch_id == "batch-42"
    assert event.call is not None and event.call.campaign_id == "batch-42"


def test_post_call_webhook_takes_a_shared_token() -> None:
    body = json.dumps(payload_of("bland", "call_details_completed")).encode()
    event = parse_webhook(body, {"Authorization": "Bearer tok-1"}, "bland", secret="tok-1", registry=REGISTRY)
    assert event.event_type is EventType.CALL_ENDED
    with pytest.raises(callstatus.WebhookAuthError):
        parse_webhook(body, {"Authorization": "Bearer wrong"}, "bland", secret="tok-1", registry=REGISTRY)


def test_an_unknown_queue_status_is_unknown_with_the_raw_kept(caplog: pytest.LogCaptureFixture) -> None:
    payload = {"call_id": "c-4", "queue_status": "paused_for_review", "call_length": 1.0}
    with caplog.at_level(logging.WARNING, logger="callstatus"):
        record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_status) == (CallStatus.UNKNOWN, None, "paused_for_review")
    assert not record.is_terminal
    with pytest.raises(NormalizationError) as raised:
        callstatus.normalize(payload, "bland", strict=True, registry=REGISTRY)
    assert raised.value.path == "queue_status"


def test_an_unknown_answered_by_keeps_the_status_terminal() -> None:
    payload = {"call_id": "c-5", "queue_status": "complete", "answered_by": "fax", "call_length": 1.0}
    record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_reason) == (CallStatus.COMPLETED, EndReason.UNKNOWN, "fax")
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "bland", strict=True, registry=REGISTRY)


def test_an_unknown_call_ended_by_is_unknown_ended_by() -> None:
    payload = {"call_id": "c-6", "queue_status": "complete", "call_ended_by": "SYSTEM", "call_length": 1.0}
    record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    assert (record.status, record.end_reason, record.ended_by) == ("completed", "unknown", "unknown")
    assert record.raw_reason == "SYSTEM"


def test_an_unknown_webhook_queue_status_is_other_and_strict_refuses_it() -> None:
    payload = {"call_id": "c-7", "queue_status": "archived", "call_length": 1.0}
    body = json.dumps(payload).encode()
    event = parse_webhook(body, {}, "bland", allow_unsigned=True, registry=REGISTRY)
    assert (event.event_type, event.raw_event_type) == (EventType.OTHER, "archived")
    with pytest.raises(callstatus.WebhookError):
        parse_webhook(body, {}, "bland", allow_unsigned=True, strict=True, registry=REGISTRY)


def test_national_digits_are_read_as_us_numbers() -> None:
    """Bland's phone_number defaults to +1 and its docs show bare national digits: a valid US number is read as
    one. The docs' own "5551234567" is no valid US number (there is no area code 555), so it is not."""
    payload = {"call_id": "c-8", "queue_status": "complete", "to": "4155550100", "from": "(212) 555-1234"}
    record = callstatus.normalize(payload, "bland", registry=REGISTRY, strict=True)
    assert (record.to_number, record.from_number) == ("+14155550100", "+12125551234")
    fictional = callstatus.normalize(dict(payload, to="5551234567"), "bland", registry=REGISTRY)
    assert fictional.to_number != "+15551234567"


@settings(deadline=None)
@given(payload=payloads("bland", registry=REGISTRY))
def test_generated_payloads_never_raise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    assert record.vendor == "bland"
    if record.end_reason is not None or record.ended_by is not None:
        assert record.status.is_over  # law 1
    if record.status.is_terminal:
        assert record.end_reason is not None


@settings(deadline=None)
@given(payload=payloads("bland", reason=True, registry=REGISTRY))
def test_generated_payloads_obey_the_outcome_laws(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "bland", registry=REGISTRY)
    connected = REGISTRY.get("bland").connected(payload)
    assert violations(record.status, record.end_reason, record.ended_by, connected) == []
