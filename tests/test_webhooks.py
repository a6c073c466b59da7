"""Webhook intake: every documented webhook shape, authenticity, refusals with their HTTP status, idempotency.

Bodies are the vendors' documented examples (the fixture files, or inline with the documented keys); the
expected canonical values are written by hand, never read from the tables under test.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstatus import CallStatus, EndReason, Registry, TableError, UnknownVendorError, UsageError, get_adapter
from callstatus.events import CallEvent, EventType, call_event_schema
from callstatus.signing import MAX_SIGNATURES
from callstatus.tables import compile_table, parse_table
from callstatus.testing import json_values, sign
from callstatus.webhooks import WebhookAuthError, WebhookError, WebhookSecrets, parse_webhook

_unsigned = functools.partial(parse_webhook, allow_unsigned=True)

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "call-event.schema.json"
SECRET = "whsec_s3cr3t-Value-9f2"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["payload"]


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def _sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


DIALGEN_BATCH_COMPLETED = {
    "event": "batch.completed",
    "batchId": "batch_123",
    "agentId": "agent_789",
    "userId": "user_1",
    "statistics": {"total": 100, "completed": 80, "failed": 20},
    "timestamps": {"createdAt": "2024-01-01T12:00:00.000Z", "completedAt": "2024-01-01T14:00:00.000Z"},
}
DIALGEN_BATCH_FAILED = {
    "event": "batch.failed",
    "batchId": "batch_123",
    "agentId": "agent_789",
    "error": "Insufficient credits to continue the batch",
    "code": "INSUFFICIENT_CREDITS",
    "timestamp": "2024-01-01T12:30:00.000Z",
}
NEXA_VERIFICATION = {
    "event_type": "verification",
    "message": "Webhook verification",
    "timestamp": "2025-05-02T10:21:15.945Z",
}
NEXA_VERIFICATION_EVENT_KEY = {"event": "verification", "message": "Webhook verification", "timestamp": 1746181275945}


def _nexa_older(event: str) -> dict[str, Any]:
    return {
        "event": event,
        "workspace_id": "ws_1",
        "session_id": "sess_42",
        "agent_id": "agent_987654321",
        "phone_number": "+12137771235",
        "timestamp": "2025-05-02T10:21:15.945Z",
    }


NEXA_CAMPAIGN_COMPLETED = {"event": "campaign.completed", "campaign_id": "cmp_7", "timestamp": "2025-05-02T12:00:00Z"}
NEXA_TRANSFER = {
    "event_type": "transfer_completed",
    "payload": {
        "call": {
            "id": "call_tr001",
            "direction": "outbound",
            "type": "phone_call",
            "status": "completed",
            "category": "batch",
            "category_id": "batch_001",
            "from_number": "12137771234",
            "to_number": "12137771235",
            "agent_id": "agent_987654321",
            "initiated_at": "2025-05-02T10:21:15.945Z",
            "call_transfer": {"destination": "+12137770000", "status": "completed", "destination_id": "dst_1"},
        }
    },
}
T_NEXA = datetime(2025, 5, 2, 10, 21, 15, 945000, tzinfo=UTC)

# (body, vendor, event type, raw event type, call status, call id, batch id, occurred at)
CASES: dict[str, tuple[dict[str, Any], str, EventType, str | None, CallStatus | None, str | None, str | None, Any]] = {
    "dialgen call.completed": (
        _fixture("dialgen/webhook_call_completed.json"),
        "dialgen", EventType.CALL_ENDED, "call.completed", CallStatus.COMPLETED, "call_123", None, None,
    ),
    "dialgen callback": (
        _fixture("dialgen/status_callback.json"),
        "dialgen", EventType.CALL_ENDED, None, CallStatus.COMPLETED, "call_123", None, None,
    ),
    "dialgen batch.completed": (
        DIALGEN_BATCH_COMPLETED, "dialgen", EventType.BATCH_COMPLETED, "batch.completed", None, None, "batch_123", None,
    ),
    "dialgen batch.failed": (
        DIALGEN_BATCH_FAILED, "dialgen", EventType.BATCH_FAILED, "batch.failed", None, None, "batch_123",
        datetime(2024, 1, 1, 12, 30, tzinfo=UTC),
    ),
    "dialnexa call_initiated": (
        _fixture("dialnexa/webhook_call_initiated.json"),
        "dialnexa", EventType.CALL_STARTED, "call_initiated", CallStatus.INITIATED, "call_abc123xyz", "batch_001", None,
    ),
    "dialnexa call_ended completed": (
        _fixture("dialnexa/webhook_call_ended_completed.json"),
        "dialnexa", EventType.CALL_ENDED, "call_ended", CallStatus.COMPLETED, "call_done001", "batch_001", None,
    ),
    "dialnexa call_ended hangup busy": (
        _fixture("dialnexa/webhook_call_ended_hangup_user_busy.json"),
        "dialnexa", EventType.CALL_ENDED, "call_ended", CallStatus.BUSY, "call_busy001", "batch_001", None,
    ),
    "dialnexa call_ended hangup no answer": (
        _fixture("dialnexa/webhook_call_ended_hangup_disconnection_reason.json"),
        "dialnexa", EventType.CALL_ENDED, "call_ended", CallStatus.NO_ANSWER, "call_abc123xyz", "batch_001", None,
    ),
    "dialnexa transfer_completed": (
        NEXA_TRANSFER, "dialnexa", EventType.TRANSFER, "transfer_completed", CallStatus.COMPLETED, "call_tr001",
        "batch_001", None,
    ),
    "dialnexa verification": (
        NEXA_VERIFICATION, "dialnexa", EventType.VERIFICATION, "verification", None, None, None, T_NEXA,
    ),
    "dialnexa verification as event": (
        NEXA_VERIFICATION_EVENT_KEY, "dialnexa", EventType.VERIFICATION, "verification", None, None, None, T_NEXA,
    ),
    "dialnexa call.started": (
        _nexa_older("call.started"), "dialnexa", EventType.CALL_STARTED, "call.started", CallStatus.IN_PROGRESS,
        "sess_42", None, T_NEXA,
    ),
    "dialnexa call.ended": (
        _nexa_older("call.ended"), "dialnexa", EventType.CALL_ENDED, "call.ended", CallStatus.ENDED, "sess_42", None,
        T_NEXA,
    ),
    "dialnexa call.transcript_ready": (
        _nexa_older("call.transcript_ready"), "dialnexa", EventType.CALL_ANALYZED, "call.transcript_ready",
        CallStatus.ENDED, "sess_42", None, T_NEXA,
    ),
    "dialnexa call.analysis_ready": (
        _nexa_older("call.analysis_ready"), "dialnexa", EventType.CALL_ANALYZED, "call.analysis_ready",
        CallStatus.ENDED, "sess_42", None, T_NEXA,
    ),
    "dialnexa call.function_error": (
        _nexa_older("call.function_error"), "dialnexa", EventType.OTHER, "call.function_error", None, None, None,
        T_NEXA,
    ),
    "dialnexa alert.triggered": (
        _nexa_older("alert.triggered"), "dialnexa", EventType.OTHER, "alert.triggered", None, None, None, T_NEXA,
    ),
    "dialnexa call.completed": (
        _nexa_older("call.completed"), "dialnexa", EventType.CALL_ENDED, "call.completed", CallStatus.COMPLETED,
        "sess_42", None, T_NEXA,
    ),
    "dialnexa call.failed": (
        _nexa_older("call.failed"), "dialnexa", EventType.CALL_ENDED, "call.failed", CallStatus.FAILED, "sess_42",
        None, T_NEXA,
    ),
    "dialnexa call.no_answer": (
        _nexa_older("call.no_answer"), "dialnexa", EventType.CALL_ENDED, "call.no_answer", CallStatus.NO_ANSWER,
        "sess_42", None, T_NEXA,
    ),
    "dialnexa campaign.completed": (
        NEXA_CAMPAIGN_COMPLETED, "dialnexa", EventType.BATCH_COMPLETED, "campaign.completed", None, None, "cmp_7",
        datetime(2025, 5, 2, 12, tzinfo=UTC),
    ),
    "dialnexa campaign.paused": (
        {**NEXA_CAMPAIGN_COMPLETED, "event": "campaign.paused"}, "dialnexa", EventType.OTHER, "campaign.paused", None,
        None, "cmp_7", datetime(2025, 5, 2, 12, tzinfo=UTC),
    ),
    "atoms pre-conversation": (
        _fixture("atoms/webhook_pre_conversation.json"),
        "atoms", EventType.CALL_STARTED, "pre-conversation", CallStatus.INITIATED, "CALL-1778226705739-7e4c17", None,
        None,
    ),
    "atoms post-conversation": (
        _fixture("atoms/webhook_post_conversation.json"),
        "atoms", EventType.CALL_ENDED, "post-conversation", CallStatus.COMPLETED, "CALL-1778226705739-7e4c17", None,
        None,
    ),
    "atoms post-conversation no-answer": (
        _fixture("atoms/webhook_post_conversation_no_answer.json"),
        "atoms", EventType.CALL_ENDED, "post-conversation", CallStatus.NO_ANSWER, "CALL-1778226705740-a1b2c3", None,
        None,
    ),
    "atoms analytics-completed": (
        _fixture("atoms/webhook_analytics_completed.json"),
        "atoms", EventType.CALL_ANALYZED, "analytics-completed", CallStatus.COMPLETED, "CALL-1778226705739-7e4c17",
        None, None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("detect", [True, False], ids=["detected", "named"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_documented_webhooks_give_the_canonical_event(name: str, detect: bool) -> None:
    payload, vendor, event_type, raw_event_type, status, call_id, batch_id, occurred_at = CASES[name]
    event = _unsigned(_body(payload), {}, None if detect else vendor)
    assert (event.vendor, event.event_type, event.raw_event_type) == (vendor, event_type, raw_event_type)
    assert (event.batch_id, event.occurred_at, event.raw) == (batch_id, occurred_at, payload)
    if status is None:
        assert event.call is None
    else:
        assert event.call is not None
        assert (event.call.vendor, event.call.status, event.call.call_id) == (vendor, status, call_id)


def test_the_call_is_what_normalize_gives() -> None:
    event = _unsigned(_body(_fixture("dialnexa/webhook_call_ended_hangup_voicemail.json")), {})
    assert event.call is not None
    assert (event.call.status, event.call.end_reason, event.call.raw_reason) == (
        CallStatus.NO_ANSWER,
        EndReason.VOICEMAIL,
        "voicemail_detected",
    )
    assert event.call.to_number == "+12137771235"


def test_call_completed_of_dialgen_is_not_taken_for_dialnexa() -> None:
    # both vendors document an event named call.completed: the embedded call's shape decides
    assert _unsigned(_body(_fixture("dialgen/webhook_call_completed.json")), {}).vendor == "dialgen"
    assert _unsigned(_body(_nexa_older("call.completed")), {}).vendor == "dialnexa"


# --- idempotency ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_redelivery_has_the_same_key(name: str) -> None:
    payload = CASES[name][0]
    first = _unsigned(_body(payload), {})
    again = _unsigned(json.dumps(payload, indent=3, sort_keys=True).encode(), {})
    assert first.idempotency_key == again.idempotency_key
    assert len(first.idempotency_key) == 64


def test_different_events_have_different_keys() -> None:
    keys = {_unsigned(_body(payload), {}).idempotency_key for payload, *_ in CASES.values()}
    assert len(keys) == len(CASES)
    initiated = _fixture("dialnexa/webhook_call_initiated.json")
    ended = {**initiated, "event_type": "call_ended"}
    assert _unsigned(_body(initiated), {}).idempotency_key != _unsigned(_body(ended), {}).idempotency_key


def test_atoms_keys_come_from_the_delivery_id() -> None:
    payload = _fixture("atoms/webhook_post_conversation.json")
    resent = {**payload, "description": "renamed endpoint", "url": "https://example.com/other"}
    first, again = _unsigned(_body(payload), {}), _unsigned(_body(resent), {})
    assert first.idempotency_key == again.idempotency_key
    other = {**payload, "id": "69fd96578d7c3809f58ce999"}
    assert _unsigned(_body(other), {}).idempotency_key != first.idempotency_key


def test_a_changed_body_without_delivery_id_is_another_event() -> None:
    payload = _fixture("dialgen/webhook_call_completed.json")
    changed = {**payload, "duration": 181}
    assert _unsigned(_body(payload), {}).idempotency_key != _unsigned(_body(changed), {}).idempotency_key


# --- authenticity --------------------------------------------------------------------------------------------

NEXA_BODY = _body(_fixture("dialnexa/webhook_call_ended_completed.json"))
ATOMS_BODY = _body(_fixture("atoms/webhook_post_conversation.json"))
DIALGEN_BODY = _body(_fixture("dialgen/webhook_call_completed.json"))


@pytest.mark.parametrize(
    ("vendor", "body", "header"),
    [
        ("dialnexa", NEXA_BODY, "x-dialnexa-signature"),
        ("dialnexa", NEXA_BODY, "X-Nexa-Signature"),
        ("atoms", ATOMS_BODY, "X-Signature"),
        ("atoms", ATOMS_BODY, "x-signature"),
    ],
)
@pytest.mark.parametrize("form", ["hex", "prefixed", "upper"])
@pytest.mark.parametrize("named", [True, False], ids=["named", "detected"])
def test_a_good_hmac_signature_passes(vendor: str, body: bytes, header: str, form: str, named: bool) -> None:
    signature = {"hex": _sign(body), "prefixed": "sha256=" + _sign(body), "upper": _sign(body).upper()}[form]
    event = parse_webhook(body, {header: signature}, vendor if named else None, secret=SECRET)
    assert event.vendor == vendor


@pytest.mark.parametrize(("vendor", "body", "header"), [("dialnexa", NEXA_BODY, "x-dialnexa-signature"),
                                                        ("atoms", ATOMS_BODY, "X-Signature")])  # fmt: skip
@pytest.mark.parametrize("named", [True, False], ids=["named", "detected"])
def test_a_bad_or_missing_hmac_signature_is_401(vendor: str, body: bytes, header: str, named: bool) -> None:
    target = vendor if named else None
    bad = [
        {header: _sign(body, "another secret")},
        {header: "sha256=" + _sign(body + b" ")},
        {header: ""},
        {header: "sha256="},
        {header: "zz\u00e9"},
        {},
        {"authorization": f"Bearer {SECRET}"},
    ]
    for headers in bad:
        with pytest.raises(WebhookAuthError) as info:
            parse_webhook(body, headers, target, secret=SECRET)
        assert info.value.status_code == 401
        assert isinstance(info.value, WebhookError)


def test_bytes_secret_and_a_list_of_headers_one_good() -> None:
    headers = {"x-dialnexa-signature": "00" * 32, "x-nexa-signature": _sign(NEXA_BODY)}
    assert parse_webhook(NEXA_BODY, headers, "dialnexa", secret=SECRET.encode()).vendor == "dialnexa"


def test_unsigned_is_opt_in() -> None:
    assert _unsigned(NEXA_BODY, {"x-dialnexa-signature": "nonsense"}, "dialnexa").vendor == "dialnexa"
    with pytest.raises(UsageError, match="no webhook secret"):
        parse_webhook(NEXA_BODY, {}, "dialnexa")
    with pytest.raises(UsageError, match="name the vendors"):
        parse_webhook(NEXA_BODY, {}, "dialnexa", secret=SECRET, allow_unsigned=True)
    with pytest.raises(UsageError, match="choose one"):
        WebhookSecrets({"dialnexa": SECRET}, allow_unsigned={"dialnexa"})


DIALGEN_BODY = _body(_fixture("dialgen/webhook_call_completed.json"))
PER_VENDOR = {"dialnexa": "nexa-" + SECRET, "atoms": "atoms-" + SECRET, "dialgen": "dialgen-" + SECRET}


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_the_detecting_route_verifies_with_the_detected_vendors_secret(vendor: str | None) -> None:
    secrets = WebhookSecrets(PER_VENDOR)
    good = sign("dialnexa", NEXA_BODY, PER_VENDOR["dialnexa"])
    assert parse_webhook(NEXA_BODY, good, vendor, secret=secrets).vendor == "dialnexa"
    forged = {"victim_call": {"id": "victim_call", "status": "completed"}}
    for headers in (
        {},
        sign("atoms", NEXA_BODY, PER_VENDOR["atoms"]),
        sign("dialgen", NEXA_BODY, PER_VENDOR["dialgen"]),
    ):
        with pytest.raises(WebhookAuthError):
            parse_webhook(NEXA_BODY, headers, vendor, secret=secrets)
    with pytest.raises(WebhookAuthError):
        parse_webhook(_body(forged), {}, vendor, secret=secrets)


def test_a_vendor_without_a_secret_is_refused_unless_named_unsigned() -> None:
    only_nexa = {"dialnexa": PER_VENDOR["dialnexa"]}
    with pytest.raises(WebhookAuthError, match="no webhook secret is configured") as info:
        parse_webhook(DIALGEN_BODY, {}, "dialgen", secret=only_nexa)
    assert info.value.status_code == 401
    with pytest.raises(WebhookAuthError):
        parse_webhook(DIALGEN_BODY, {}, None, secret=only_nexa)
    assert parse_webhook(DIALGEN_BODY, {}, None, secret=only_nexa, allow_unsigned={"dialgen"}).vendor == "dialgen"
    # an unsigned-allowed vendor never lends its opening to another vendor's body
    with pytest.raises(WebhookAuthError):
        parse_webhook(NEXA_BODY, {}, None, secret=only_nexa, allow_unsigned={"dialgen"})


@pytest.mark.parametrize("vendor", ["dialnexa", "atoms", "dialgen"])
def test_testing_sign_authenticates_every_vendor(vendor: str) -> None:
    body = {"dialnexa": NEXA_BODY, "dialgen": DIALGEN_BODY, "atoms": _body(CASES["atoms post-conversation"][0])}[vendor]
    headers = sign(vendor, body, PER_VENDOR[vendor])
    assert parse_webhook(body, headers, None, secret=PER_VENDOR).vendor == vendor
    with pytest.raises(WebhookAuthError):
        parse_webhook(body, sign(vendor, body, "another-secret"), None, secret=PER_VENDOR)


@pytest.mark.parametrize("good_first", [True, False])
def test_every_value_of_a_repeated_signature_header_is_tried(good_first: bool) -> None:
    values = [_sign(NEXA_BODY), "0" * 64] if good_first else ["0" * 64, _sign(NEXA_BODY)]
    headers = httpx.Headers([("x-dialnexa-signature", value) for value in values])
    assert parse_webhook(NEXA_BODY, headers, "dialnexa", secret=SECRET).vendor == "dialnexa"
    bad = httpx.Headers([("x-dialnexa-signature", "0" * 64), ("X-Dialnexa-Signature", "1" * 64)])
    with pytest.raises(WebhookAuthError):
        parse_webhook(NEXA_BODY, bad, "dialnexa", secret=SECRET)


def test_too_many_signature_values_are_refused() -> None:
    headers = httpx.Headers(
        [("x-dialnexa-signature", "0" * 64)] * MAX_SIGNATURES + [("x-nexa-signature", _sign(NEXA_BODY))]
    )
    with pytest.raises(WebhookAuthError, match="at most"):
        parse_webhook(NEXA_BODY, headers, "dialnexa", secret=SECRET)


def test_the_signature_is_checked_before_the_body_is_parsed() -> None:
    with pytest.raises(WebhookAuthError):
        parse_webhook(b"{not json", {"x-dialnexa-signature": "00"}, "dialnexa", secret=SECRET)
    with pytest.raises(WebhookAuthError):
        parse_webhook(b"{not json", {}, None, secret=SECRET)
    with pytest.raises(WebhookError) as info:
        parse_webhook(b"{not json", {"x-dialnexa-signature": _sign(b"{not json")}, "dialnexa", secret=SECRET)
    assert info.value.status_code == 400


def test_a_signature_of_another_vendor_does_not_authenticate_this_one() -> None:
    # signed as Atoms would sign it, but the body is DialNexa's: DialNexa's own header is missing
    with pytest.raises(WebhookAuthError, match="not this vendor"):
        parse_webhook(NEXA_BODY, {"X-Signature": _sign(NEXA_BODY)}, None, secret=SECRET)


@pytest.mark.parametrize(
    ("headers", "token_header"),
    [
        ({"Authorization": f"Bearer {SECRET}"}, "x-webhook-token"),
        ({"authorization": f"bearer   {SECRET} "}, "x-webhook-token"),
        ({"X-Webhook-Token": SECRET}, "x-webhook-token"),
        ({"X-My-Token": SECRET}, "X-My-Token"),
    ],
)
@pytest.mark.parametrize("named", [True, False], ids=["named", "detected"])
def test_dialgen_takes_a_shared_token(headers: dict[str, str], token_header: str, named: bool) -> None:
    vendor = "dialgen" if named else None
    event = parse_webhook(DIALGEN_BODY, headers, vendor, secret=SECRET, token_header=token_header)
    assert event.vendor == "dialgen"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SECRET}"},
        {"x-webhook-token": SECRET[:-1]},
        {"x-dialgen-signature": _sign(DIALGEN_BODY)},
    ],
)
def test_dialgen_without_the_token_is_401(headers: dict[str, str]) -> None:
    with pytest.raises(WebhookAuthError) as info:
        parse_webhook(DIALGEN_BODY, headers, "dialgen", secret=SECRET)
    assert info.value.status_code == 401


def test_an_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_webhook(DIALGEN_BODY, {"x-webhook-token": ""}, "dialgen", secret="")


# --- refusals ------------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_anything_else() -> None:
    big = b"{" + b" " * 2000 + b"}"
    for vendor in ("dialnexa", None):
        with pytest.raises(WebhookError) as info:
            parse_webhook(big, {}, vendor, secret=SECRET, max_bytes=1000)
        assert info.value.status_code == 413
        assert not isinstance(info.value, WebhookAuthError)
    assert _unsigned(NEXA_BODY, {}, max_bytes=len(NEXA_BODY)).vendor == "dialnexa"
    with pytest.raises(WebhookError) as info:
        _unsigned(NEXA_BODY, {}, max_bytes=len(NEXA_BODY) - 1)
    assert info.value.status_code == 413


def test_the_default_limit_is_one_mebibyte() -> None:
    with pytest.raises(WebhookError) as info:
        _unsigned(b" " * (1_048_576 + 1), {})
    assert info.value.status_code == 413


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b'"call_ended"', "not an object"),
        (b"{}", "recognises"),
        (b'{"event": "order.paid", "id": "x"}', "recognises"),
        (b'{"event_type": "call_ended", "payload": {"call": {"status": "completed"}}}', "cannot be read"),
        (b'{"event_type": ["call_ended"], "payload": {"call": {"id": "c1", "status": "completed"}}}', "not a string"),
    ],
)
def test_bad_bodies_are_400(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as info:
        _unsigned(body, {})
    assert info.value.status_code == 400


def test_a_body_of_another_kind_is_400_for_a_named_vendor() -> None:
    # a /calls item is a DialNexa payload, but not a webhook: it names no event
    with pytest.raises(WebhookError, match="no event name") as info:
        _unsigned(_body(_fixture("dialnexa/list_calls_item.json")), {}, "dialnexa")
    assert info.value.status_code == 400


def test_an_unknown_event_is_other_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    payload = {**_fixture("dialnexa/webhook_call_ended_completed.json"), "event_type": "call_recording_ready"}
    with caplog.at_level(logging.WARNING, logger="callstatus"):
        event = _unsigned(_body(payload), {})
        _unsigned(_body(payload), {})
    assert (event.vendor, event.event_type, event.raw_event_type) == (
        "dialnexa",
        EventType.OTHER,
        "call_recording_ready",
    )
    assert event.call is not None and event.call.status is CallStatus.COMPLETED
    assert sum("call_recording_ready" in message for message in caplog.messages) == 1


def test_strict_refuses_an_unknown_event() -> None:
    payload = {**_fixture("dialnexa/webhook_call_ended_completed.json"), "event_type": "call_recording_ready"}
    with pytest.raises(WebhookError, match="unknown webhook event") as info:
        _unsigned(_body(payload), {}, "dialnexa", strict=True)
    assert info.value.status_code == 400


def test_strict_refuses_an_unknown_status_in_the_call() -> None:
    payload = _fixture("dialnexa/webhook_call_initiated.json")
    payload["payload"]["call"]["status"] = "teleported"
    assert _unsigned(_body(payload), {}).call.status is CallStatus.UNKNOWN  # type: ignore[union-attr]
    with pytest.raises(WebhookError) as info:
        _unsigned(_body(payload), {}, strict=True)
    assert info.value.status_code == 400


def test_configuration_errors_are_not_webhook_errors() -> None:
    with pytest.raises(UnknownVendorError):
        _unsigned(NEXA_BODY, {}, "nosuchvendor")
    table = parse_table(TABLE, "acme.toml").model_copy(update={"webhook": None})
    registry = Registry({"acme": compile_table(table, "acme.toml")})
    with pytest.raises(ValueError, match="no \\[webhook\\] table") as info:
        _unsigned(b"{}", {}, "acme", registry=registry)
    assert not isinstance(info.value, WebhookError)


# --- secrets stay secret -------------------------------------------------------------------------------------


def _failures() -> list[BaseException]:
    attempts = [
        (NEXA_BODY, {"x-dialnexa-signature": _sign(NEXA_BODY, "nope")}, "dialnexa"),
        (NEXA_BODY, {}, "dialnexa"),
        (ATOMS_BODY, {"X-Signature": "sha256=" + "0" * 64}, None),
        (DIALGEN_BODY, {"authorization": "Bearer guess"}, "dialgen"),
        (b"{not json", {"x-dialnexa-signature": _sign(b"{not json")}, "dialnexa"),
        (b"{}", {"x-dialnexa-signature": _sign(b"{}")}, "dialnexa"),
        (b" " * 50, {}, "dialnexa"),
    ]
    caught: list[BaseException] = []
    for body, headers, vendor in attempts:
        with pytest.raises(WebhookError) as info:
            parse_webhook(body, headers, vendor, secret=SECRET, max_bytes=40 if body.isspace() else 1_048_576)
        caught.append(info.value)
    return caught


def test_the_secret_is_in_no_message_repr_or_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        failures = _failures()
        payload = {**_fixture("dialnexa/webhook_call_ended_completed.json"), "event_type": "secretless_new_event"}
        body = _body(payload)
        event = parse_webhook(body, {"x-dialnexa-signature": _sign(body)}, secret=SECRET)
    assert {exc.status_code for exc in failures} == {400, 401, 413}  # type: ignore[attr-defined]
    texts = [caplog.text, repr(event), event.model_dump_json()]
    for exc in failures:
        texts += [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
    for text in texts:
        assert SECRET not in text
        assert SECRET.encode().hex() not in text


@pytest.mark.parametrize("vendor", ["dialnexa", None])
@pytest.mark.parametrize("per_vendor", [False, True])
def test_neither_secret_nor_expected_digest_is_in_the_locals_of_a_refusal(vendor: str | None, per_vendor: bool) -> None:
    # error reporters (Sentry and the like) record the locals of every frame of a traceback
    secret: Any = {"dialnexa": SECRET, "atoms": SECRET + "2"} if per_vendor else SECRET
    with pytest.raises(WebhookAuthError) as info:
        parse_webhook(NEXA_BODY, {"x-dialnexa-signature": "0" * 64}, vendor, secret=secret)
    del secret
    hidden = (SECRET, _sign(NEXA_BODY), _sign(NEXA_BODY).encode().hex())
    library_frames = [
        frame for frame, _ in traceback.walk_tb(info.value.__traceback__) if frame.f_code.co_filename != __file__
    ]
    assert library_frames
    for frame in library_frames:
        for value in frame.f_locals.values():
            shown = repr(value) + repr(getattr(value, "__dict__", ""))
            assert not any(text in shown for text in hidden)


# --- properties ----------------------------------------------------------------------------------------------

DOCUMENTED_EVENTS = sorted(
    {value for vendor in ("atoms", "dialgen", "dialnexa") for value in get_adapter(vendor).webhook.events.values}  # type: ignore[union-attr]
)
EVENT_KEYS = ["event", "event_type", "metadata", "payload", "callData", "callId", "id", "status", "session_id"]


@given(st.binary(max_size=300), st.sampled_from([None, "dialgen", "dialnexa", "atoms"]))
def test_arbitrary_bytes_raise_nothing_but_webhook_errors(body: bytes, vendor: str | None) -> None:
    try:
        _unsigned(body, {}, vendor)
    except WebhookError as exc:
        assert exc.status_code == 400


@given(
    st.dictionaries(
        st.sampled_from(EVENT_KEYS) | st.text(max_size=8),
        st.sampled_from(DOCUMENTED_EVENTS) | json_values(max_leaves=8),
        max_size=6,
    ),
    st.sampled_from([None, "dialgen", "dialnexa", "atoms"]),
    st.booleans(),
)
def test_arbitrary_json_raises_nothing_but_webhook_errors(
    payload: dict[str, Any], vendor: str | None, strict: bool
) -> None:
    try:
        event = _unsigned(orjson.dumps(payload), {}, vendor, strict=strict)
    except WebhookError as exc:
        assert exc.status_code == 400
    else:
        assert event.raw == payload
        assert CallEvent.model_validate_json(event.model_dump_json()) == event


@given(st.sampled_from(sorted(CASES)), json_values(max_leaves=6))
def test_events_survive_a_json_round_trip(name: str, extra: Any) -> None:
    payload = {**CASES[name][0], "x_extra": extra}
    event = _unsigned(orjson.dumps(payload), {})
    assert CallEvent.model_validate_json(event.model_dump_json()) == event
    assert CallEvent.model_validate(event.model_dump(mode="json")) == event


def test_event_type_names_the_call_events() -> None:
    assert {member for member in EventType if member.is_call_event} == {
        EventType.CALL_SCHEDULED,
        EventType.CALL_STARTED,
        EventType.CALL_ENDED,
        EventType.CALL_ANALYZED,
        EventType.TRANSFER,
    }
    assert {member for member in EventType if member.carries_no_call} == {
        EventType.BATCH_COMPLETED,
        EventType.BATCH_FAILED,
        EventType.VERIFICATION,
    }


def test_committed_call_event_schema_matches_the_code() -> None:
    rendered = json.dumps(call_event_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert SCHEMA.read_text(encoding="utf-8") == rendered, "schemas/call-event.schema.json is stale"
    schema = call_event_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"vendor", "event_type", "idempotency_key", "raw"}


# --- the [webhook] table section -----------------------------------------------------------------------------

TABLE = """
[vendor]
id = "acme"
name = "Acme Voice"
docs = ["https://example.com/docs"]
checked = 2026-11-01

[[shapes]]
name = "call"
at = "data"
all = ["uuid", "state"]

[fields]
call_id = ["uuid"]

[status.state]
paths = ["state"]
docs = "https://example.com/docs#states"
values = ["Ringing", "Done"]
map = { Ringing = "ringing", Done = "completed" }

[webhook]
delivery_id = ["delivery"]
batch_id = ["$.campaign"]
occurred_at = { paths = ["sent_at"], format = "epoch_ms" }

[webhook.event]
paths = ["kind"]
pattern = '^acme:(?P<type>.+)$'
docs = "https://example.com/docs#webhooks"
values = ["call.rang", "call.done", "campaign.done"]
map = { "call.rang" = "call_started", "call.done" = "call_ended", "campaign.done" = "batch_completed" }

[webhook.signature]
scheme = "hmac-sha256"
headers = ["X-Acme-Signature"]
"""


def _acme(text: str = TABLE) -> Registry:
    return Registry({"acme": compile_table(parse_table(text, "acme.toml"), "acme.toml")})


def test_a_third_party_table_drives_parse_webhook() -> None:
    body = (
        b'{"kind": "acme:call.done", "delivery": 7, "sent_at": 1746181275945, "data": {"uuid": "u1", "state": "Done"}}'
    )
    event = parse_webhook(body, {"x-acme-signature": _sign(body)}, secret=SECRET, registry=_acme())
    assert (event.vendor, event.event_type, event.raw_event_type) == ("acme", EventType.CALL_ENDED, "acme:call.done")
    assert event.occurred_at == datetime(2025, 5, 2, 10, 21, 15, 945000, tzinfo=UTC)
    assert event.call is not None and event.call.status is CallStatus.COMPLETED
    batch = _unsigned(b'{"kind": "acme:campaign.done", "campaign": "c9"}', {}, registry=_acme())
    assert (batch.event_type, batch.batch_id, batch.call) == (EventType.BATCH_COMPLETED, "c9", None)


def test_a_name_the_pattern_does_not_match_is_an_unknown_event() -> None:
    body = b'{"kind": "call.done", "data": {"uuid": "u1", "state": "Done"}}'
    assert _unsigned(body, {}, "acme", registry=_acme()).event_type is EventType.OTHER


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (('"call.done" = "call_ended"', '"call.done" = "call_over"'), "webhook.event.map", ""),
        (('"campaign.done"]', '"campaign.done", "call.gone"]'), "webhook.event.values", "no mapping"),
        (('"batch_completed" }', '"batch_completed", "call.gone" = "other" }'), "webhook.event.map.call.gone",
         "not in the documented"),
        (('"batch_completed" }', '"batch_completed", "CALL.DONE" = "other" }'), "webhook.event.map", "pre-normal"),
        (("(?P<type>.+)$'", "(?P<type>.+$'"), "webhook.event.pattern", "regular expression"),
        (("(?P<type>.+)$'", "(.+)$'"), "webhook.event.pattern", "named group 'type'"),
        (('headers = ["X-Acme-Signature"]', "headers = []"), "webhook.signature.headers", "needs its headers"),
        (('headers = ["X-Acme-Signature"]', 'headers = ["X Acme"]'), "webhook.signature.headers[0]", "header name"),
        (('scheme = "hmac-sha256"', 'scheme = "token"\nprefix = "sha256="'), "webhook.signature.prefix", "hmac"),
        (('scheme = "hmac-sha256"', 'scheme = "rsa"'), "webhook.signature.scheme", ""),
        (('"campaign.done" = "batch_completed"', '"campaign.done" = { event = "batch_completed", call = true }'),
         "webhook.event.map.campaign.done.call", "carries no call"),
        (('delivery_id = ["delivery"]', 'delivery_id = ["a..b"]'), "webhook.delivery_id[0]", "dotted key path"),
        (('format = "epoch_ms"', 'format = "fortnights"'), "webhook.occurred_at", ""),
        (('delivery_id = ["delivery"]', 'delivery_id = ["delivery"]\nsurprise = 1'), "webhook.surprise", "Extra"),
        (("[webhook]", '[webhook]\ndefault_event = "call_finished"'), "webhook.default_event", ""),
    ],
)  # fmt: skip
def test_a_bad_webhook_section_is_a_table_error(change: tuple[str, str], path: str, message: str) -> None:
    old, new = change
    assert old in TABLE
    with pytest.raises(TableError) as info:
        _acme(TABLE.replace(old, new))
    assert info.value.source == "acme.toml"
    assert info.value.path.startswith(path), info.value.path
    assert message in str(info.value)
