"""Signature schemes chosen by the table: each checked against vectors computed here from the vendor's algorithm.

Twilio (HMAC-SHA1 of URL + sorted form fields), Retell (``v=<ms>,d=<hex HMAC-SHA256 of body + timestamp>``),
Telnyx (Ed25519 over ``<timestamp>|<body>``), Vonage (HS256 JWT with ``payload_hash``), Vapi (a header secret),
Plivo V3 (HMAC-SHA256 of the URL with its query sorted, the sorted form fields and a nonce).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import traceback
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from table_samples import form_calls_table

from callstatus import Registry, TableError, UsageError
from callstatus.events import EventType
from callstatus.signing import MAX_SIGNATURES, Secret
from callstatus.tables import compile_table, parse_table
from callstatus.webhooks import WebhookAuthError, parse_webhook

SECRET = "whsec_scheme-S3cret-value-0123456789abcdef"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
URL = "https://example.com/hooks/acme?tenant=7"

BASE = (
    form_calls_table("acme", "Acme Voice")
    + """
[webhook]

[webhook.event]
paths = ["Event"]
docs = "https://example.com/docs#webhooks"
values = ["call.done"]
map = { "call.done" = "call_ended" }

[webhook.signature]
"""
)

SCHEMES = {
    "twilio": 'scheme = "hmac-sha1-url"\nheaders = ["X-Twilio-Signature"]\nbody_hash_query = "bodySHA256"\n',
    "retell": 'scheme = "hmac-sha256-timestamp"\nheaders = ["x-retell-signature"]\nmessage = "{body}{timestamp}"\n'
    'timestamp_field = "v"\nsignature_field = "d"\ntimestamp_unit = "ms"\n',
    "telnyx": 'scheme = "ed25519"\nheaders = ["telnyx-signature-ed25519"]\ntimestamp_header = "telnyx-timestamp"\n'
    'message = "{timestamp}|{body}"\n',
    "vonage": 'scheme = "jwt"\nheaders = ["Authorization"]\nprefix = "Bearer "\nbody_claim = "payload_hash"\n',
    "vapi": 'scheme = "token"\nheaders = ["x-vapi-secret"]\n',
    "plivo": 'scheme = "hmac-sha256-url-nonce"\nheaders = ["X-Plivo-Signature-V3"]\n'
    'nonce_header = "X-Plivo-Signature-V3-Nonce"\n',
}
JSON_BODY = b'{"Event": "call.done", "CallSid": "CA1", "CallStatus": "completed"}'


def _registry(scheme: str, extra: str = "") -> Registry:
    text = BASE + SCHEMES[scheme] + extra
    return Registry({"acme": compile_table(parse_table(text, "acme.toml"), "acme.toml")})


def _parse(scheme: str, body: bytes, headers: dict[str, str], secret: Any = SECRET, **kwargs: Any) -> Any:
    return parse_webhook(body, headers, "acme", secret=secret, registry=_registry(scheme), now=NOW, **kwargs)


def _refused(scheme: str, body: bytes, headers: dict[str, str], secret: Any = SECRET, **kwargs: Any) -> str:
    with pytest.raises(WebhookAuthError) as info:
        _parse(scheme, body, headers, secret, **kwargs)
    assert info.value.status_code == 401
    return str(info.value)


# --- Twilio: base64 HMAC-SHA1 of the URL and the sorted form fields -------------------------------------------

FORM = {"Event": "call.done", "CallSid": "CA1", "CallStatus": "completed", "To": "+15550100", "Empty": ""}


def _twilio(url: str, params: dict[str, str], secret: str = SECRET) -> str:
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def _form_headers(signature: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}


def test_twilio_form_signature_passes() -> None:
    event = _parse("twilio", urlencode(FORM).encode(), _form_headers(_twilio(URL, FORM)), url=URL)
    assert event.event_type is EventType.CALL_ENDED
    assert event.call is not None and event.call.call_id == "CA1"
    assert event.raw == FORM


def test_twilio_signature_with_the_default_port_passes() -> None:
    signature = _twilio("https://example.com:443/hooks/acme?tenant=7", FORM)
    assert _parse("twilio", urlencode(FORM).encode(), _form_headers(signature), url=URL).vendor == "acme"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": {**FORM, "CallStatus": "ringing"}}, "does not match"),
        ({"secret": "another-secret-of-the-same-length-0123456789"}, "does not match"),
        ({"url": "https://example.com/hooks/acme?tenant=8"}, "does not match"),
        ({"signature": "not base64!"}, "does not match"),
    ],
)
def test_twilio_tampering_is_401(change: dict[str, Any], message: str) -> None:
    body = urlencode(change.get("body", FORM)).encode()
    signature = change.get("signature", _twilio(URL, FORM))
    text = _refused("twilio", body, _form_headers(signature), change.get("secret", SECRET), url=change.get("url", URL))
    assert message in text


def test_twilio_without_url_is_a_clear_401() -> None:
    text = _refused("twilio", urlencode(FORM).encode(), _form_headers(_twilio(URL, FORM)))
    assert "url=" in text


def test_twilio_missing_header_is_401() -> None:
    assert "x-twilio-signature" in _refused("twilio", urlencode(FORM).encode(), {}, url=URL)


def test_twilio_json_body_is_covered_by_its_hash_in_the_url() -> None:
    url = f"https://example.com/hooks/acme?bodySHA256={hashlib.sha256(JSON_BODY).hexdigest()}"
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": _twilio(url, {})}
    assert _parse("twilio", JSON_BODY, headers, url=url).event_type is EventType.CALL_ENDED
    tampered = JSON_BODY.replace(b"CA1", b"CA2")
    assert "hash" in _refused("twilio", tampered, headers, url=url)
    unhashed = {"Content-Type": "application/json", "X-Twilio-Signature": _twilio(URL, {})}
    assert "not covered" in _refused("twilio", JSON_BODY, unhashed, url=URL)


# --- Plivo V3: base64 HMAC-SHA256 of URL (query sorted) + sorted form fields + "." + nonce ---------------------

NONCE = "05429567804466091622"
PLIVO_URL = "https://example.com/hooks/acme?tenant=7&region=eu"
# plivo-python signature_v3.py: the URL without its query, '?', the query sorted, '.', each form field's name and
# value sorted by name, '.', the nonce. Written out by hand for FORM:
PLIVO_SIGNED = (
    "https://example.com/hooks/acme?region=eu&tenant=7."
    "CallSidCA1CallStatuscompletedEmptyEventcall.doneTo+15550100"
    ".05429567804466091622"
)


def _plivo_digest(signed: str, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()


def _plivo_headers(signature: str, nonce: str = NONCE) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Plivo-Signature-V3": signature,
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


def test_plivo_v3_form_signature_passes_and_any_listed_signature_counts() -> None:
    body = urlencode(FORM).encode()
    event = _parse("plivo", body, _plivo_headers(_plivo_digest(PLIVO_SIGNED)), url=PLIVO_URL)
    assert event.call is not None and event.call.call_id == "CA1"
    listed = _plivo_digest(PLIVO_SIGNED, "another-account-token-0123456789abcdef") + "," + _plivo_digest(PLIVO_SIGNED)
    assert _parse("plivo", body, _plivo_headers(listed), url=PLIVO_URL).vendor == "acme"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": {**FORM, "CallStatus": "ringing"}}, "does not match"),
        ({"nonce": "05429567804466091623"}, "does not match"),
        ({"url": "https://example.com/hooks/acme?tenant=8&region=eu"}, "does not match"),
        ({"secret": "another-secret-of-the-same-length-0123456789"}, "does not match"),
        ({"url": None}, "url="),
    ],
)
def test_plivo_v3_tampering_is_401(change: dict[str, Any], message: str) -> None:
    body = urlencode(change.get("body", FORM)).encode()
    headers = _plivo_headers(_plivo_digest(PLIVO_SIGNED), change.get("nonce", NONCE))
    text = _refused("plivo", body, headers, change.get("secret", SECRET), url=change.get("url", PLIVO_URL))
    assert message in text


def test_plivo_v3_needs_exactly_one_nonce_and_a_form_body() -> None:
    headers = _plivo_headers(_plivo_digest(PLIVO_SIGNED))
    del headers["X-Plivo-Signature-V3-Nonce"]
    assert "x-plivo-signature-v3-nonce" in _refused("plivo", urlencode(FORM).encode(), headers, url=PLIVO_URL)
    json_headers = {**_plivo_headers(_plivo_digest(PLIVO_SIGNED)), "Content-Type": "application/json"}
    assert "not covered" in _refused("plivo", JSON_BODY, json_headers, url=PLIVO_URL)


# --- Retell: v=<epoch ms>,d=<hex HMAC-SHA256 of body + timestamp> ---------------------------------------------


def _retell(body: bytes, at: float = NOW, secret: str = SECRET) -> str:
    stamp = str(int(at * 1000))
    digest = hmac.new(secret.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return f"v={stamp},d={digest}"


def test_retell_signature_passes() -> None:
    assert _parse("retell", JSON_BODY, {"X-Retell-Signature": _retell(JSON_BODY)}).call is not None
    assert _parse("retell", JSON_BODY, {"x-retell-signature": _retell(JSON_BODY, NOW - 299)}).vendor == "acme"


@pytest.mark.parametrize(
    ("body", "signature", "secret", "message"),
    [
        (JSON_BODY.replace(b"CA1", b"CA2"), _retell(JSON_BODY), SECRET, "does not match"),
        (JSON_BODY, _retell(JSON_BODY), "another-secret-0123456789abcdef0123456789", "does not match"),
        (JSON_BODY, _retell(JSON_BODY, NOW - 301), SECRET, "outside the 300 s window"),
        (JSON_BODY, _retell(JSON_BODY, NOW + 301), SECRET, "outside the 300 s window"),
        (JSON_BODY, "v=abc,d=00", SECRET, "malformed"),
        (JSON_BODY, _retell(JSON_BODY).replace("d=", "e="), SECRET, "malformed"),
    ],
)
def test_retell_refusals_are_401(body: bytes, signature: str, secret: str, message: str) -> None:
    assert message in _refused("retell", body, {"x-retell-signature": signature}, secret)


def test_retell_missing_header_is_401() -> None:
    assert "x-retell-signature" in _refused("retell", JSON_BODY, {})


def test_the_replay_window_comes_from_the_table() -> None:
    registry = _registry("retell", "tolerance = 30\n")
    headers = {"x-retell-signature": _retell(JSON_BODY, NOW - 31)}
    with pytest.raises(WebhookAuthError, match="30 s window"):
        parse_webhook(JSON_BODY, headers, "acme", secret=SECRET, registry=registry, now=NOW)


def test_every_value_of_a_repeated_timestamped_header_is_tried() -> None:
    good = _retell(JSON_BODY)
    headers = [("x-retell-signature", _retell(JSON_BODY, NOW - 1000)), ("x-retell-signature", good)]
    assert _parse("retell", JSON_BODY, _Multi(headers)).vendor == "acme"
    many = [("x-retell-signature", good)] * (MAX_SIGNATURES + 1)
    assert "at most" in _refused("retell", JSON_BODY, _Multi(many))


class _Multi(dict[str, str]):
    """Headers with repeats, as httpx's ``multi_items()`` lists them."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__(items)
        self._items = items

    def multi_items(self) -> list[tuple[str, str]]:
        return self._items


# --- Telnyx: Ed25519 over "<timestamp>|<body>", the public key as the secret ----------------------------------

PRIVATE = Ed25519PrivateKey.generate()
PUBLIC = base64.b64encode(PRIVATE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _telnyx(body: bytes, at: float = NOW, key: Ed25519PrivateKey = PRIVATE) -> dict[str, str]:
    stamp = str(int(at))
    signature = key.sign(stamp.encode() + b"|" + body)
    return {"telnyx-signature-ed25519": base64.b64encode(signature).decode(), "telnyx-timestamp": stamp}


def test_telnyx_signature_passes() -> None:
    assert _parse("telnyx", JSON_BODY, _telnyx(JSON_BODY), PUBLIC).event_type is EventType.CALL_ENDED


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (JSON_BODY.replace(b"CA1", b"CA2"), _telnyx(JSON_BODY), "does not match"),
        (JSON_BODY, _telnyx(JSON_BODY, key=Ed25519PrivateKey.generate()), "does not match"),
        (JSON_BODY, _telnyx(JSON_BODY, NOW - 301), "outside"),
        (JSON_BODY, _telnyx(JSON_BODY, NOW + 301), "outside"),
        (JSON_BODY, {"telnyx-signature-ed25519": _telnyx(JSON_BODY)["telnyx-signature-ed25519"]}, "telnyx-timestamp"),
        (JSON_BODY, {"telnyx-timestamp": str(int(NOW))}, "telnyx-signature-ed25519"),
    ],
)
def test_telnyx_refusals_are_401(body: bytes, headers: dict[str, str], message: str) -> None:
    assert message in _refused("telnyx", body, headers, PUBLIC)


def test_the_signed_timestamp_cannot_be_swapped() -> None:
    headers = {**_telnyx(JSON_BODY, NOW - 100), "telnyx-timestamp": str(int(NOW))}
    assert "does not match" in _refused("telnyx", JSON_BODY, headers, PUBLIC)


def test_a_secret_that_is_no_public_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Ed25519 public key"):
        _parse("telnyx", JSON_BODY, _telnyx(JSON_BODY), SECRET)


def test_a_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(UsageError, match=r"callstatus\[signatures\]"):
        _parse("telnyx", JSON_BODY, _telnyx(JSON_BODY), PUBLIC)
    monkeypatch.setitem(sys.modules, "jwt", None)
    with pytest.raises(UsageError, match=r"callstatus\[signatures\]"):
        _parse("vonage", JSON_BODY, _vonage(JSON_BODY))


# --- Vonage: Authorization: Bearer <HS256 JWT>, payload_hash = hex SHA-256 of the body ------------------------


def _vonage(body: bytes, at: float = NOW, secret: str = SECRET, **claims: Any) -> dict[str, str]:
    payload = {"iat": int(at), "jti": "j1", "payload_hash": hashlib.sha256(body).hexdigest(), **claims}
    return {"Authorization": "Bearer " + jwt.encode(payload, secret, algorithm="HS256")}


def test_vonage_jwt_passes() -> None:
    assert _parse("vonage", JSON_BODY, _vonage(JSON_BODY)).call is not None


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (JSON_BODY.replace(b"CA1", b"CA2"), _vonage(JSON_BODY)),
        (JSON_BODY, _vonage(JSON_BODY, secret="another-secret-0123456789abcdef0123456789")),
        (JSON_BODY, _vonage(JSON_BODY, NOW - 301)),
        (JSON_BODY, _vonage(JSON_BODY, NOW + 301)),
        (JSON_BODY, _vonage(JSON_BODY, exp=int(NOW) - 1)),
        (JSON_BODY, _vonage(JSON_BODY, payload_hash=None)),
        (JSON_BODY, {"Authorization": "Bearer not.a.jwt"}),
        (JSON_BODY, {"Authorization": "Bearer " + jwt.encode({"iat": int(NOW)}, SECRET, algorithm="HS256")}),
    ],
)
def test_vonage_refusals_are_401(body: bytes, headers: dict[str, str]) -> None:
    assert "does not match" in _refused("vonage", body, headers)


def test_vonage_missing_header_is_401() -> None:
    assert "authorization" in _refused("vonage", JSON_BODY, {})


def test_an_unsigned_jwt_is_refused() -> None:
    token = jwt.encode({"iat": int(NOW), "payload_hash": hashlib.sha256(JSON_BODY).hexdigest()}, None, "none")
    assert "does not match" in _refused("vonage", JSON_BODY, {"Authorization": f"Bearer {token}"})


# --- Vapi: the shared secret as-is in a header (the token scheme with a named header) --------------------------


def test_vapi_header_secret_passes_and_a_wrong_one_is_401() -> None:
    assert _parse("vapi", JSON_BODY, {"X-Vapi-Secret": SECRET}).vendor == "acme"
    assert "does not match" in _refused("vapi", JSON_BODY, {"x-vapi-secret": SECRET[:-1] + "X"})
    assert "x-vapi-secret" in _refused("vapi", JSON_BODY, {})


# --- secret hygiene --------------------------------------------------------------------------------------------


def _hidden(scheme: str) -> tuple[str, ...]:
    secret = PUBLIC if scheme == "telnyx" else SECRET
    return (secret, secret.encode().hex(), hmac.new(SECRET.encode(), JSON_BODY, hashlib.sha256).hexdigest())


WRONG = {
    "twilio": (urlencode(FORM).encode(), _form_headers("AAAA" * 7), {"url": URL}),
    "retell": (JSON_BODY, {"x-retell-signature": f"v={int(NOW * 1000)},d={'0' * 64}"}, {}),
    "telnyx": (JSON_BODY, {**_telnyx(JSON_BODY, key=Ed25519PrivateKey.generate())}, {}),
    "vonage": (JSON_BODY, _vonage(JSON_BODY, secret="another-secret-0123456789abcdef0123456789"), {}),
    "vapi": (JSON_BODY, {"x-vapi-secret": "wrong"}, {}),
    "plivo": (urlencode(FORM).encode(), _plivo_headers("AAAA" * 11), {"url": PLIVO_URL}),
}


@pytest.mark.parametrize("scheme", sorted(WRONG))
def test_no_secret_in_messages_or_the_locals_of_a_refusal(scheme: str) -> None:
    body, headers, kwargs = WRONG[scheme]
    secret = PUBLIC if scheme == "telnyx" else SECRET
    with pytest.raises(WebhookAuthError) as info:
        _parse(scheme, body, headers, {"acme": secret}, **kwargs)
    hidden = _hidden(scheme)
    exc = info.value
    texts = [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
    assert not any(text in shown for text in hidden for shown in texts)
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__) if frame.f_code.co_filename != __file__]
    assert frames
    for frame in frames:
        for value in frame.f_locals.values():
            shown = repr(value) + repr(getattr(value, "__dict__", ""))
            assert not any(text in shown for text in hidden)


def test_the_secret_signs_what_the_vendor_sends() -> None:
    registry = _registry("retell")
    signature = registry.get("acme").webhook.signature  # type: ignore[union-attr]
    headers = Secret(SECRET).signature_headers(signature, JSON_BODY, now=NOW)
    assert headers == {"x-retell-signature": _retell(JSON_BODY)}
    vonage = _registry("vonage").get("acme").webhook.signature  # type: ignore[union-attr]
    assert _parse("vonage", JSON_BODY, Secret(SECRET).signature_headers(vonage, JSON_BODY, now=NOW)).vendor == "acme"


# --- the table validates each scheme's parameters ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ('scheme = "hmac-sha1-url"\n', "webhook.signature.headers", "needs its headers"),
        ('scheme = "hmac-sha256-timestamp"\nheaders = ["x-sig"]\ntimestamp_header = "x-ts"\n',
         "webhook.signature.message", "needs its message"),
        ('scheme = "hmac-sha256-timestamp"\nheaders = ["x-sig"]\nmessage = "{body}"\ntimestamp_header = "x-ts"\n',
         "webhook.signature.message", "{timestamp}"),
        ('scheme = "ed25519"\nheaders = ["x-sig"]\nmessage = "{timestamp}|{body}|{url}"\ntimestamp_header = "x-ts"\n',
         "webhook.signature.message", "placeholders"),
        ('scheme = "ed25519"\nheaders = ["x-sig"]\nmessage = "{timestamp}|{body}"\n',
         "webhook.signature.timestamp_header", "one of"),
        ('scheme = "ed25519"\nheaders = ["x-sig"]\nmessage = "{timestamp}|{body}"\ntimestamp_header = "x ts"\n',
         "webhook.signature.timestamp_header", "header name"),
        ('scheme = "hmac-sha256-timestamp"\nheaders = ["x-sig"]\nmessage = "{timestamp}.{body}"\n'
         'timestamp_field = "t"\n', "webhook.signature.signature_field", "together"),
        ('scheme = "jwt"\nheaders = ["Authorization"]\n', "webhook.signature.body_claim", "body_claim"),
        ('scheme = "hmac-sha256-url-nonce"\nheaders = ["x-sig"]\n', "webhook.signature.nonce_header", "nonce_header"),
        ('scheme = "hmac-sha1-url"\nheaders = ["x-sig"]\nnonce_header = "x-n"\n', "webhook.signature.nonce_header",
         "only to hmac-sha256-url-nonce"),
        ('scheme = "hmac-sha256"\nheaders = ["x-sig"]\ntolerance = 60\n', "webhook.signature.tolerance", "apply"),
        ('scheme = "token"\nbody_claim = "h"\n', "webhook.signature.body_claim", "only to jwt"),
        ('scheme = "hmac-sha1-url"\nheaders = ["x-sig"]\ntimestamp_unit = "ms"\n',
         "webhook.signature.timestamp_unit", "apply"),
        ('scheme = "jwt"\nheaders = ["Authorization"]\nbody_claim = "h"\ntolerance = 0\n',
         "webhook.signature.tolerance", ""),
        ('scheme = "hmac-sha256"\nheaders = ["x-sig"]\nencoding = "base32"\n', "webhook.signature.encoding", ""),
    ],
)  # fmt: skip
def test_each_scheme_checks_its_parameters(text: str, path: str, message: str) -> None:
    with pytest.raises(TableError) as info:
        compile_table(parse_table(BASE + text, "acme.toml"), "acme.toml")
    assert info.value.path.startswith(path), info.value.path
    assert message in str(info.value)


def test_hmac_sha256_may_be_base64() -> None:
    registry = Registry(
        {
            "acme": compile_table(
                parse_table(BASE + 'scheme = "hmac-sha256"\nheaders = ["x-sig"]\nencoding = "base64"\n', "a.toml"),
                "a.toml",
            )
        }
    )
    signature = base64.b64encode(hmac.new(SECRET.encode(), JSON_BODY, hashlib.sha256).digest()).decode()
    event = parse_webhook(JSON_BODY, {"x-sig": signature}, "acme", secret=SECRET, registry=registry)
    assert event.vendor == "acme"
