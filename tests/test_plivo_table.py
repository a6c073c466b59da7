"""The Plivo Voice table: form-encoded callbacks, CDRs decided by their hangup code, unknown values, and properties
over generated payloads. Its documented payloads and their detection are checked in ``test_seed_payloads.py``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from vendor_cases import REGISTRY, payload_of, table

import callstatus
from callstatus import CallStatus, EndReason, NormalizationError, load_table
from callstatus.events import EventType
from callstatus.testing import payloads
from callstatus.webhooks import parse_webhook


def test_table_loads() -> None:
    assert load_table(table("plivo")).id == "plivo"


def test_form_callbacks_parse() -> None:
    expected = {"callback_hangup_completed": EventType.CALL_ENDED, "callback_hangup_canceled": EventType.CALL_ENDED}
    for stem, event_type in expected.items():
        body = urlencode(payload_of("plivo", stem)).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        event = parse_webhook(body, headers, allow_unsigned=True, registry=REGISTRY)
        assert event.vendor == "plivo"
        assert event.event_type == event_type


def test_answer_callback_is_call_started() -> None:
    body = urlencode({"CallUUID": "x-1", "CallStatus": "in-progress", "Direction": "inbound", "From": "+14155550100"})
    headers = {"content-type": "application/x-www-form-urlencoded"}
    event = parse_webhook(body.encode(), headers, allow_unsigned=True, registry=REGISTRY)
    assert event.event_type == EventType.CALL_STARTED


def test_unknown_name_kept_and_strict_raises() -> None:
    payload = {"CallUUID": "u-1", "CallStatus": "on-hold", "HangupCauseName": "Something New"}
    record = callstatus.normalize(payload, vendor="plivo", registry=REGISTRY)
    assert (record.status, record.raw_status, record.raw_reason) == (CallStatus.UNKNOWN, "on-hold", "Something New")
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, vendor="plivo", registry=REGISTRY, strict=True)


# A CDR carries no status: the shape's status ("ended") and the hangup code decide (Plivo's hangup-causes page).
CDR_OUTCOMES = [
    (4000, 35, CallStatus.COMPLETED, EndReason.NORMAL_CLEARING),
    (4010, 35, CallStatus.COMPLETED, EndReason.NORMAL_CLEARING),
    (1000, 0, CallStatus.CANCELED, EndReason.CANCELED),
    (1010, 0, CallStatus.FAILED, EndReason.INSUFFICIENT_FUNDS),
    (2000, 0, CallStatus.FAILED, EndReason.INVALID_NUMBER),
    (2040, 0, CallStatus.FAILED, EndReason.DESTINATION_BLOCKED),
    (0, 0, CallStatus.ENDED, EndReason.UNKNOWN),
    (3020, 0, CallStatus.ENDED, EndReason.UNKNOWN),  # the 3000s are not documented by name: over, outcome unknown
]


@pytest.mark.parametrize(("code", "billed", "status", "reason"), CDR_OUTCOMES)
def test_a_cdr_takes_its_status_from_the_hangup_code(
    code: int, billed: int, status: CallStatus, reason: EndReason
) -> None:
    payload = {"call_uuid": "u-2", "hangup_cause_code": code, "bill_duration": billed, "call_direction": "outbound"}
    record = callstatus.normalize(payload, vendor="plivo", registry=REGISTRY)
    assert (record.status, record.end_reason, record.raw_status, record.raw_reason) == (status, reason, None, str(code))


def test_a_cdr_without_a_known_code_is_strict_only_about_the_code() -> None:
    payload = {"call_uuid": "u-3", "hangup_cause_code": 3020, "bill_duration": 0}
    with pytest.raises(NormalizationError) as caught:
        callstatus.normalize(payload, vendor="plivo", registry=REGISTRY, strict=True)
    assert "3020" in str(caught.value)


@settings(deadline=None)
@given(payloads("plivo", registry=REGISTRY))
def test_never_raises(payload: Any) -> None:
    callstatus.normalize(payload, vendor="plivo", registry=REGISTRY)
