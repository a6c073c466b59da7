"""The Twilio Programmable Voice table: the Call resource list, form-encoded status callbacks and
X-Twilio-Signature, unknown values, and properties over generated payloads. Its documented payloads against their
hand-written records, and detection beside the other vendors, are checked in ``test_seed_payloads.py``.

Expectations are written by hand from Twilio's docs (twilio.com/docs/voice/api/call-resource, the status callback
parameters, answering machine detection); nothing here reads what the table maps a value to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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

CALLBACKS = [name for name in names("twilio") if name.startswith("callback_")]
URL = "https://example.com/twilio/status"
AUTH_TOKEN = "12345"


def _twilio_signature(url: str, params: dict[str, str], token: str) -> str:
    """Twilio's documented algorithm, written out here: base64 HMAC-SHA1 of the URL then each sorted name+value."""
    message = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), message.encode(), hashlib.sha1).digest()).decode()


def test_table_loads_and_passes_the_law_check() -> None:
    adapter = load_table(table("twilio"))
    assert adapter.id == "twilio"


def test_there_are_fixtures() -> None:
    assert len(names("twilio")) >= 15


def test_normalize_many_reads_a_calls_list() -> None:
    items = [payload_of("twilio", name) for name in ("call_completed", "call_busy", "call_queued")]
    body = {
        "calls": items,
        "page": 0,
        "page_size": 50,
        "next_page_uri": None,
        "uri": "/2010-04-01/Accounts/AC/Calls.json",
    }
    records = callstatus.normalize_many(body, "twilio", registry=REGISTRY)
    assert [record.status.value for record in records] == ["completed", "busy", "queued"]


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("callback_initiated", EventType.CALL_STARTED),
        ("callback_ringing", EventType.CALL_STARTED),
        ("callback_answered_human", EventType.CALL_STARTED),
        ("callback_completed", EventType.CALL_ENDED),
        ("callback_completed_machine_end_beep", EventType.CALL_ENDED),
        ("callback_no_answer_sip_487", EventType.CALL_ENDED),
        ("callback_busy_sip_486", EventType.CALL_ENDED),
        ("callback_failed_sip_404", EventType.CALL_ENDED),
        ("callback_canceled", EventType.CALL_ENDED),
        ("callback_dial_leg_completed", EventType.CALL_ENDED),
    ],
)
def test_form_encoded_status_callback_parses(name: str, event: EventType) -> None:
    data = fixture("twilio", name)
    body = urlencode(data["payload"]).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    parsed = parse_webhook(body, headers, allow_unsigned=True, registry=REGISTRY)
    assert parsed.vendor == "twilio"
    assert parsed.event_type is event
    assert parsed.raw_event_type == data["payload"]["CallStatus"]
    assert parsed.call is not None
    assert parsed.call.status.value == data["expected"]["status"]
    assert parsed.occurred_at is not None
    assert parsed.occurred_at.isoformat() == "2010-08-31T20:36:44+00:00"


def test_every_callback_fixture_is_covered_by_the_webhook_test() -> None:
    assert len(CALLBACKS) == 10


def test_signed_callback_is_accepted_and_a_forged_one_refused() -> None:
    params = payload_of("twilio", "callback_completed")
    body = urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": _twilio_signature(URL, params, AUTH_TOKEN),
    }
    parsed = parse_webhook(body, headers, "twilio", secret=AUTH_TOKEN, url=URL, registry=REGISTRY)
    assert parsed.event_type is EventType.CALL_ENDED
    forged = dict(headers, **{"X-Twilio-Signature": _twilio_signature(URL, params, "not-the-token")})
    with pytest.raises(WebhookError):
        parse_webhook(body, forged, "twilio", secret=AUTH_TOKEN, url=URL, registry=REGISTRY)


def test_redelivery_keeps_its_idempotency_key_and_sequence_numbers_differ() -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ringing = payload_of("twilio", "callback_ringing")
    answered = payload_of("twilio", "callback_answered_human")

    def key(params: dict[str, str]) -> str:
        body = urlencode(params).encode()
        return parse_webhook(body, headers, allow_unsigned=True, registry=REGISTRY).idempotency_key

    assert key(ringing) == key(dict(ringing))
    assert key(ringing) != key(answered)


def test_unknown_status_becomes_unknown_with_the_raw_kept_and_strict_raises() -> None:
    payload = dict(payload_of("twilio", "callback_completed"), CallStatus="on-hold")
    record = callstatus.normalize(payload, "twilio", registry=REGISTRY)
    assert record.status.value == "unknown"
    assert record.raw_status == "on-hold"
    assert record.end_reason is None
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "twilio", registry=REGISTRY, strict=True)


def test_unknown_sip_code_on_a_terminal_status_is_an_unknown_reason() -> None:
    payload = dict(payload_of("twilio", "callback_failed_sip_404"), SipResponseCode="499")
    record = callstatus.normalize(payload, "twilio", registry=REGISTRY)
    assert record.status.value == "failed"
    assert record.end_reason is not None and record.end_reason.value == "unknown"
    assert record.raw_reason == "499"
    with pytest.raises(NormalizationError):
        callstatus.normalize(payload, "twilio", registry=REGISTRY, strict=True)


def test_human_answer_leaves_the_sip_reason_to_speak() -> None:
    payload = dict(payload_of("twilio", "callback_completed"), AnsweredBy="human")
    record = callstatus.normalize(payload, "twilio", registry=REGISTRY, strict=True)
    assert record.status.value == "completed"
    assert record.answered_by is not None and record.answered_by.value == "human"


@settings(deadline=None)
@given(payloads("twilio", registry=REGISTRY))
def test_generated_payloads_never_raise_outside_strict_mode(payload: dict[str, Any]) -> None:
    record = callstatus.normalize(payload, "twilio", registry=REGISTRY)
    assert record.vendor == "twilio"
