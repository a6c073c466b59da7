"""Form-encoded webhook bodies: declared by content_type= or the Content-Type header, or detected; read like JSON."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from table_samples import form_calls_table

from callstatus import Registry
from callstatus.events import EventType
from callstatus.tables import compile_table, parse_table
from callstatus.webhooks import MAX_FORM_FIELDS, WebhookAuthError, WebhookError, parse_webhook

TABLE = (
    form_calls_table("formco", "Form Co", 'to_number = ["To"]\n')
    + """
[webhook]
default_event = { event = "call_ended", requires = ["CallSid"] }

[webhook.event]
paths = ["CallbackEvent"]
docs = "https://example.com/docs#webhooks"
values = ["completed"]
map = { completed = "call_ended" }

[webhook.signature]
scheme = "token"
headers = ["x-formco-secret"]
"""
)

REGISTRY = Registry({"formco": compile_table(parse_table(TABLE, "formco.toml"), "formco.toml")})
_unsigned = functools.partial(parse_webhook, allow_unsigned=True, registry=REGISTRY)
FORM = {"CallSid": "CA1", "CallStatus": "completed", "To": "+15550100", "Note": "a b&c=d", "Empty": ""}
BODY = urlencode(FORM).encode()
FORM_TYPE = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "how",
    [
        {"headers": {"Content-Type": FORM_TYPE}},
        {"headers": {"content-type": FORM_TYPE + "; charset=utf-8"}},
        {"content_type": FORM_TYPE},
        {},  # detected: not JSON, but key=value fields
    ],
)
def test_a_form_body_is_decoded_and_read(how: dict[str, object]) -> None:
    event = _unsigned(BODY, how.get("headers", {}), content_type=how.get("content_type"))
    assert event.vendor == "formco"
    assert event.event_type is EventType.CALL_ENDED
    assert event.raw == FORM
    assert event.call is not None
    assert (event.call.call_id, event.call.to_number, event.call.raw_status) == ("CA1", "+15550100", "completed")


def test_a_named_vendor_reads_a_form_too() -> None:
    assert _unsigned(BODY, {"Content-Type": FORM_TYPE}, "formco").raw == FORM


def test_a_repeated_key_keeps_its_first_value() -> None:
    event = _unsigned(b"CallSid=CA1&CallStatus=completed&CallSid=CA2", {"Content-Type": FORM_TYPE})
    assert event.raw["CallSid"] == "CA1"


def test_content_type_argument_wins_over_the_header() -> None:
    with pytest.raises(WebhookError, match="not valid JSON") as info:
        _unsigned(BODY, {"Content-Type": FORM_TYPE}, content_type="application/json")
    assert info.value.status_code == 400


def test_a_json_content_type_is_not_sniffed() -> None:
    with pytest.raises(WebhookError, match="not valid JSON"):
        _unsigned(BODY, {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"not a form", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff=1", "UTF-8"),
    ],
)
def test_a_body_neither_json_nor_form_is_400(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as info:
        _unsigned(body, {})
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"CallSid=CA1&&x", "not a form"),
        (b"a=%FF", "UTF-8"),
        (b"\xff=1", "UTF-8"),
        (b"&".join(b"k%d=v" % i for i in range(MAX_FORM_FIELDS + 1)), f"over {MAX_FORM_FIELDS} fields"),
    ],
)
def test_a_declared_form_that_cannot_be_read_is_400(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as info:
        _unsigned(body, {"Content-Type": FORM_TYPE})
    assert info.value.status_code == 400


def test_an_unauthenticated_form_is_401_before_its_body_is_read() -> None:
    with pytest.raises(WebhookAuthError):
        parse_webhook(b"a=%FF", {"Content-Type": FORM_TYPE}, secret="s3cret", registry=REGISTRY)


def test_a_form_is_authenticated_like_json() -> None:
    event = parse_webhook(BODY, {"x-formco-secret": "s3cret"}, secret="s3cret", registry=REGISTRY)
    assert event.raw == FORM


def test_the_size_limit_comes_first() -> None:
    with pytest.raises(WebhookError) as info:
        _unsigned(BODY, {"Content-Type": FORM_TYPE}, max_bytes=10)
    assert info.value.status_code == 413


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=6))
def test_arbitrary_forms_raise_nothing_but_webhook_errors(fields: dict[str, str]) -> None:
    try:
        event = _unsigned(urlencode(fields).encode(), {"Content-Type": FORM_TYPE})
    except WebhookError as exc:
        assert exc.status_code == 400
    else:
        assert event.raw == fields
