"""Webhook intake: authenticate a vendor webhook, read it through the vendor's table, return a ``CallEvent``.

Everything vendor-specific (event names, envelope paths, signature headers) comes from the ``[webhook]``
section of the vendor tables; this module applies it. Every refusal carries the HTTP status to answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

import attrs
import orjson

from ._codegen import Getter
from .adapter import Adapter, OnUnmapped
from .convert import timestamp
from .errors import Error, NormalizationError, UnknownVendorError, UsageError
from .events import CallEvent, EventType
from .normalize import normalize
from .registry import Registry, default_registry
from .signing import MAX_SIGNATURES, Secret, WebhookSecrets, signed_part
from .tokens import MAX_TOKEN_CHARS
from .webhooktable import EventMeaning, Signature, WebhookTable

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TOKEN_HEADER",
    "FORM_CONTENT_TYPE",
    "MAX_FORM_FIELDS",
    "WebhookAuthError",
    "WebhookError",
    "WebhookSecrets",
    "parse_webhook",
    "webhook_vendors",
]

DEFAULT_MAX_BYTES = 1_048_576
"""Bodies above this many bytes are refused (413) before anything else is done with them."""
DEFAULT_TOKEN_HEADER = "x-webhook-token"
"""Where a shared token may come, besides ``Authorization: Bearer``, for vendors without a signature scheme."""
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 1_000
"""A form body with more fields than this is refused (400) rather than decoded."""


class WebhookError(Error, ValueError):
    """A webhook the receiver should refuse; ``status_code`` is the HTTP status to answer (400 or 413)."""

    def __init__(self, message: str, *, status_code: int = 400, vendor: str | None = None) -> None:
        self.status_code = status_code
        self.vendor = vendor
        self.reason = message
        super().__init__(f"{message} (vendor {vendor})" if vendor else message)


class WebhookAuthError(WebhookError):
    """A missing or wrong signature or token while a secret is configured: answer 401."""

    def __init__(self, message: str, *, vendor: str | None = None) -> None:
        super().__init__(message, status_code=401, vendor=vendor)


def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    vendor: str | None = None,
    *,
    secret: str | bytes | Mapping[str, str | bytes] | WebhookSecrets | None = None,
    allow_unsigned: bool | Iterable[str] = False,
    token_header: str = DEFAULT_TOKEN_HEADER,
    max_bytes: int = DEFAULT_MAX_BYTES,
    registry: Registry | None = None,
    strict: bool = False,
    on_unmapped: OnUnmapped | None = None,
    content_type: str | None = None,
    url: str | None = None,
    now: datetime | float | None = None,
) -> CallEvent:
    """The canonical event of one webhook delivery: its raw body bytes and its headers (any case).

    Every delivery is authenticated with the secret of the vendor it is for: ``secret`` is one secret, or a
    mapping (or ``WebhookSecrets``) of vendor id to secret. A vendor without a secret is refused (401) unless
    ``allow_unsigned`` names it (or is True); with neither a secret nor ``allow_unsigned`` the call is a
    ``UsageError``. In order: a body over ``max_bytes`` is refused (413); the signature (hex HMAC-SHA256 of
    the raw body) or, for vendors without a documented scheme, the shared token (``Authorization: Bearer`` or
    ``token_header``) is checked before the body is parsed, every value of a repeated header tried (401); a
    body that is not a JSON object or that no vendor's webhook table recognises is refused (400); with
    ``vendor=None`` the vendor is detected, then the delivery must have passed that vendor's check (401).
    An event name the table does not know becomes ``other``, with one warning logged; ``strict=True`` refuses
    it (400) and any unknown value in the call. A vendor that is not registered, or has no ``[webhook]`` table,
    is a ``UsageError``.

    A form body (``content_type``, else the ``Content-Type`` header, says ``application/x-www-form-urlencoded``;
    with neither, a body that is not JSON but reads as key=value fields) is decoded into a dict, the first value of
    a repeated key kept, and read like a JSON object. The table's scheme decides what is checked: schemes that sign
    the request URL need ``url`` (the full URL the vendor called, with its query); timestamped schemes refuse a
    timestamp further than the table's ``tolerance`` from ``now`` (default: the clock; a datetime or epoch seconds).
    """
    wrapped = _wrapped(secret)  # secrets are wrapped before anything can raise: no frame holds one in clear
    del secret
    keys = _keys(wrapped, allow_unsigned)
    registry = registry or default_registry()
    adapter = None if vendor is None else _webhook_adapter(registry.get(vendor))
    if not isinstance(body, bytes | bytearray | memoryview):
        raise UsageError(f"the body must be the raw bytes received, not {type(body).__name__}")
    if url is not None and not isinstance(url, str):
        raise UsageError(f"url must be the request URL as a str, not {type(url).__name__}")
    moment = _epoch(now)
    data = bytes(body)
    if len(data) > max_bytes:
        raise WebhookError(
            f"body of {len(data)} bytes is over the limit of {max_bytes}", status_code=413, vendor=vendor
        )
    lowered = _lower(headers)
    form, unreadable = _form(data, content_type, lowered, vendor)
    delivery = _Delivery(data, lowered, form, url, moment, token_header.lower())
    passed = _authenticate([adapter] if adapter else _webhook_adapters(registry), keys, delivery)
    if unreadable is not None:
        raise unreadable
    payload = _object(data, vendor) if form is None else _first_values(form)
    if adapter is None:
        adapter = _detect(payload, registry)
    if adapter.id not in passed:
        raise WebhookAuthError("the signature or token is not this vendor's", vendor=adapter.id)
    return _event(adapter, payload, data, registry, strict, on_unmapped)


def webhook_vendors(registry: Registry | None = None) -> list[str]:
    """The ids of the registered vendors that have a ``[webhook]`` table, sorted."""
    return sorted(adapter.id for adapter in _webhook_adapters(registry or default_registry()))


class _Keys:
    """Which secret authenticates which vendor, and which vendors may deliver unsigned."""

    __slots__ = ("_every", "_secrets", "_unsigned")

    def __init__(self, every: Secret | None, secrets: Mapping[str, Secret], unsigned: frozenset[str] | bool) -> None:
        self._every = every
        self._secrets = secrets
        self._unsigned = unsigned

    def __repr__(self) -> str:
        return "<webhook keys>"

    def secret(self, vendor: str) -> Secret | None:
        return self._every if self._every is not None else self._secrets.get(vendor)

    def unsigned(self, vendor: str) -> bool:
        return self._unsigned is True or (not isinstance(self._unsigned, bool) and vendor in self._unsigned)


def _wrapped(secret: str | bytes | Mapping[str, str | bytes] | WebhookSecrets | None) -> Secret | WebhookSecrets | None:
    if secret is None or isinstance(secret, WebhookSecrets):
        return secret
    return WebhookSecrets(secret) if isinstance(secret, Mapping) else Secret(secret)


def _keys(secret: Secret | WebhookSecrets | None, allow_unsigned: bool | Iterable[str]) -> _Keys:
    if isinstance(allow_unsigned, str | bytes):
        raise UsageError("allow_unsigned takes True or a set of vendor ids, e.g. {'dialgen'}")
    everyone = allow_unsigned is True
    named = frozenset() if isinstance(allow_unsigned, bool) else frozenset(allow_unsigned)
    if secret is None:
        if not (everyone or named):
            raise UsageError("no webhook secret: pass secret= (one, or per vendor), or allow_unsigned= to opt out")
        return _Keys(None, {}, True if everyone else named)
    if everyone:
        raise UsageError("allow_unsigned=True with a secret: name the vendors that deliver unsigned instead")
    if isinstance(secret, WebhookSecrets):
        secrets = secret if not named else WebhookSecrets(secret, allow_unsigned=secret.unsigned | named)
        return _Keys(None, secrets, secrets.unsigned)
    if named:
        raise UsageError("one secret for every vendor leaves none unsigned: pass a secret per vendor instead")
    return _Keys(secret, {}, frozenset())


def _webhook_adapter(adapter: Adapter) -> Adapter:
    if adapter.webhook is None:
        raise UsageError(f"vendor {adapter.id!r} has no [webhook] table ({adapter.source})")
    return adapter


def _webhook_adapters(registry: Registry) -> list[Adapter]:
    return [adapter for adapter in registry if adapter.webhook is not None]


def _lower(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Header names in lower case, each with every value sent (bytes read as Latin-1, as HTTP does).

    Repeated headers keep all their values: ``multi_items()`` (httpx) or ``items()`` listing repeats (Starlette).
    """
    lowered: dict[str, list[str]] = {}
    multi = getattr(headers, "multi_items", None)
    for name, value in multi() if callable(multi) else headers.items():
        name_text = name.decode("latin-1") if isinstance(name, bytes) else name
        value_text = value.decode("latin-1") if isinstance(value, bytes) else value
        if isinstance(name_text, str) and isinstance(value_text, str):
            lowered.setdefault(name_text.lower(), []).append(value_text)
    return lowered


@attrs.frozen
class _Delivery:
    """What a signature scheme may cover: the raw body, the headers, the form fields, the URL, the time."""

    body: bytes
    headers: dict[str, list[str]]
    form: list[tuple[str, str]] | None
    url: str | None
    now: float
    token_header: str


def _epoch(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise UsageError("now must be a timezone-aware datetime")
        return now.timestamp()
    if isinstance(now, int | float) and not isinstance(now, bool):
        return float(now)
    raise UsageError(f"now must be a datetime or epoch seconds, not {type(now).__name__}")


def _form(
    data: bytes, content_type: str | None, headers: dict[str, list[str]], vendor: str | None
) -> tuple[list[tuple[str, str]] | None, WebhookError | None]:
    """The fields of a form body (None: read it as JSON), and why a declared form cannot be read.

    The error is raised after authentication, so an unauthenticated delivery is refused (401) before its body is.
    """
    declared = content_type if content_type is not None else next(iter(headers.get("content-type", ())), None)
    if declared is not None:
        if declared.partition(";")[0].strip().lower() != FORM_CONTENT_TYPE:
            return None, None
        try:
            return _fields(data, vendor), None
        except WebhookError as exc:
            return None, exc
    if data.lstrip()[:1] in (b"{", b"[") or _is_json(data):
        return None, None
    try:
        fields = _fields(data, vendor)
    except WebhookError:
        return None, None
    return fields or None, None


def _is_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def _fields(data: bytes, vendor: str | None) -> list[tuple[str, str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookError("body is not valid UTF-8", vendor=vendor) from None
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except UnicodeDecodeError:
        raise WebhookError("a form field is not valid UTF-8", vendor=vendor) from None
    except ValueError:
        if text.count("&") + text.count(";") >= MAX_FORM_FIELDS:
            raise WebhookError(f"the form has over {MAX_FORM_FIELDS} fields", vendor=vendor) from None
        raise WebhookError("body is not a form of key=value fields", vendor=vendor) from None


def _first_values(fields: list[tuple[str, str]]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name, value in fields:
        payload.setdefault(name, value)
    return payload


def _authenticate(adapters: list[Adapter], keys: _Keys, delivery: _Delivery) -> frozenset[str]:
    """The ids of the vendors whose check the request passes (or that may deliver unsigned); 401 when none."""
    passed: set[str] = set()
    presented = mismatched = False
    reasons: set[str] = set()
    for adapter in adapters:
        assert adapter.webhook is not None
        secret = keys.secret(adapter.id)
        if secret is None:
            if keys.unsigned(adapter.id):
                passed.add(adapter.id)
            continue
        verdict = _check(adapter.webhook.signature, secret, delivery, adapter.id)
        presented = presented or verdict is not None
        if verdict is True:
            passed.add(adapter.id)
        elif isinstance(verdict, str):
            reasons.add(verdict)
        elif verdict is False:
            mismatched = True
    if passed:
        return frozenset(passed)
    vendor = adapters[0].id if len(adapters) == 1 else None
    if not presented:
        schemes = {_expected(a.webhook, delivery.token_header) for a in adapters if a.webhook and keys.secret(a.id)}
        if not schemes:
            raise WebhookAuthError("no webhook secret is configured for this vendor", vendor=vendor)
        raise WebhookAuthError(f"no signature or token: expected {' or '.join(sorted(schemes))}", vendor=vendor)
    if reasons and not mismatched:
        raise WebhookAuthError("; ".join(sorted(reasons)), vendor=vendor)
    raise WebhookAuthError("the signature or token does not match", vendor=vendor)


def _expected(webhook: WebhookTable, token_header: str) -> str:
    signature = webhook.signature
    if signature.scheme == "token":
        return "'Authorization: Bearer <token>' or header " + " or ".join((token_header, *signature.headers))
    return "header " + " or ".join(signature.headers)


def _check(signature: Signature, secret: Secret, delivery: _Delivery, vendor: str) -> bool | str | None:
    """True: authentic; False or a reason: a signature or token was presented and fails; None: none was."""
    if signature.scheme == "token":
        return _check_token(signature, secret, delivery, vendor)
    values = [value for name in signature.headers for value in delivery.headers.get(name, ())]
    if not values:
        return None
    _bounded(values, vendor)
    if signature.timestamped:
        return _check_timestamped(signature, secret, delivery, values, vendor)
    if signature.scheme == "jwt":
        tokens = [_unprefixed(value, signature.prefix) for value in values]
        return secret.jwt_verifies(tokens, signature.body_claim or "", delivery.body, delivery.now, signature.tolerance)
    if signature.scheme == "hmac-sha256-url-nonce":  # one header may list several signatures
        values = [part.strip() for value in values for part in value.split(",")]
        _bounded(values, vendor)
    signatures = [_decoded(_unprefixed(value, signature.prefix), signature.encoding) for value in values]
    if signature.scheme == "hmac-sha1-url":
        return _check_url(signature, secret, delivery, signatures)
    if signature.scheme == "hmac-sha256-url-nonce":
        return _check_url_nonce(signature, secret, delivery, signatures)
    return secret.hmac_signs([(delivery.body, sig) for sig in signatures if sig is not None])


def _check_token(signature: Signature, secret: Secret, delivery: _Delivery, vendor: str) -> bool | None:
    headers = delivery.headers
    tokens = [value.strip() for name in (delivery.token_header, *signature.headers) for value in headers.get(name, ())]
    for value in headers.get("authorization", ()):
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "bearer":
            tokens.append(credentials.strip())
    tokens = [token for token in tokens if token]
    if not tokens:
        return None
    _bounded(tokens, vendor)
    return secret.matches(tokens)


def _check_url(signature: Signature, secret: Secret, delivery: _Delivery, signatures: list[bytes | None]) -> bool | str:
    """The request URL, then each form field's name and value sorted by name; a JSON body by its hash in the URL."""
    url = delivery.url
    if url is None:
        return "this vendor signs the request URL: pass parse_webhook(url=...) the full URL it called"
    fields = ""
    if delivery.form is not None:
        fields = "".join(name + value for name, value in sorted(delivery.form))
    elif delivery.body.strip():
        hashes = parse_qs(urlsplit(url).query).get(signature.body_hash_query or "", [])
        if not hashes:
            return "the body is not covered by the signature (a non-form body needs its hash in the signed URL)"
        digest = hashlib.sha256(delivery.body).hexdigest().encode("ascii")
        if not hmac.compare_digest(digest, hashes[0].strip().lower().encode("utf-8", "replace")):
            return "the body does not match the hash in the signed URL"
    pairs = [((variant + fields).encode("utf-8"), sig) for variant in _url_variants(url) for sig in signatures if sig]
    return secret.hmac_signs(pairs, "sha1")


def _check_url_nonce(
    signature: Signature, secret: Secret, delivery: _Delivery, signatures: list[bytes | None]
) -> bool | str:
    """The URL without its query, then '?' and its query sorted by name and value ('a=1&b=2'), then (with a form)
    '.' and each form field's name and value sorted, then '.' and the nonce. A non-form body is not covered."""
    url = delivery.url
    if url is None:
        return "this vendor signs the request URL: pass parse_webhook(url=...) the full URL it called"
    nonces = delivery.headers.get(signature.nonce_header or "", [])
    if len(nonces) != 1:
        return f"expected one {signature.nonce_header} header, got {len(nonces)}"
    if delivery.form is None and delivery.body.strip():
        return "the body is not covered by the signature (only form fields are)"
    fields = sorted(delivery.form or [])
    pairs: list[tuple[bytes, bytes]] = []
    for variant in _url_variants(url):
        parts = urlsplit(variant)
        base = urlunsplit(parts._replace(query="", fragment=""))
        query = "&".join(f"{name}={value}" for name, value in sorted(parse_qsl(parts.query, keep_blank_values=True)))
        if fields:
            signed = base + "?" + query + ("." if query else "") + "".join(name + value for name, value in fields)
        else:
            signed = base + ("?" + query if query else "")
        message = (signed + "." + nonces[0]).encode("utf-8")
        pairs += [(message, sig) for sig in signatures if sig]
    return secret.hmac_signs(pairs, "sha256")


def _url_variants(url: str) -> list[str]:
    """The URL as given, and with its default port added or removed: proxies and vendors differ on which is signed."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        return [url]
    if default is None or parts.hostname is None:
        return [url]
    host = parts.netloc.rpartition("@")[2]
    credentials = parts.netloc[: len(parts.netloc) - len(host)]
    bare = host.rsplit(":", 1)[0] if port is not None else host
    if port is None:
        return [url, urlunsplit(parts._replace(netloc=f"{credentials}{bare}:{default}"))]
    if port == default:
        return [url, urlunsplit(parts._replace(netloc=credentials + bare))]
    return [url]


def _check_timestamped(
    signature: Signature, secret: Secret, delivery: _Delivery, values: list[str], vendor: str
) -> bool | str:
    """Each presented (timestamp, signature) pair: the timestamp within the window, the signature over the message."""
    candidates: list[tuple[str, bytes | None]] = []
    if signature.timestamp_field is not None:
        for value in values:
            fields = [part.strip().partition("=")[::2] for part in value.split(",")]
            stamps = [text.strip() for key, text in fields if key.strip() == signature.timestamp_field]
            sigs = [text for key, text in fields if key.strip() == signature.signature_field]
            candidates += [
                (stamps[0] if stamps else "", _decoded(_unprefixed(sig, signature.prefix), signature.encoding))
                for sig in sigs
            ]
    else:
        stamps = delivery.headers.get(signature.timestamp_header or "", [])
        if len(stamps) != 1:
            return f"expected one {signature.timestamp_header} header, got {len(stamps)}"
        candidates = [
            (stamps[0].strip(), _decoded(_unprefixed(value, signature.prefix), signature.encoding)) for value in values
        ]
    _bounded(candidates, vendor)
    fresh = [(stamp, sig) for stamp, sig in candidates if sig is not None and _within(stamp, signature, delivery.now)]
    if not fresh:
        if any(sig is not None and _stamp(stamp, signature) is not None for stamp, sig in candidates):
            return f"the signature's timestamp is outside the {signature.tolerance} s window"
        return "the signature or its timestamp is malformed"
    pairs = [
        (b"".join(signed_part(part, delivery.body, stamp) for part in signature.message), sig) for stamp, sig in fresh
    ]
    if signature.scheme == "hmac-sha256-timestamp":
        return secret.hmac_signs(pairs)
    verified = secret.ed25519_verifies(pairs)
    if verified is None:
        raise UsageError(f"the secret of vendor {vendor!r} is not an Ed25519 public key (base64 of 32 bytes)")
    return verified


def _stamp(text: str, signature: Signature) -> float | None:
    if not (text.isascii() and text.isdigit() and len(text) <= 16):
        return None
    return int(text) / 1000 if signature.timestamp_unit == "ms" else float(text)


def _within(text: str, signature: Signature, now: float) -> bool:
    moment = _stamp(text, signature)
    return moment is not None and abs(now - moment) <= signature.tolerance


def _bounded(values: list[Any], vendor: str) -> None:
    if len(values) > MAX_SIGNATURES:
        raise WebhookAuthError(
            f"{len(values)} signature or token values: at most {MAX_SIGNATURES} are tried", vendor=vendor
        )


def _unprefixed(value: str, prefix: str | None) -> str:
    text = value.strip()
    if prefix is not None and text[: len(prefix)].lower() == prefix:
        text = text[len(prefix) :]
    return text.strip()


def _decoded(text: str, encoding: str) -> bytes | None:
    """A presented signature's bytes; None when it is not in the scheme's encoding (it then matches nothing)."""
    try:
        return bytes.fromhex(text) if encoding == "hex" else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return None


def _object(data: bytes, vendor: str | None) -> dict[str, Any]:
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookError("body is not valid UTF-8", vendor=vendor) from None
        raise WebhookError(f"body is not valid JSON: {exc}", vendor=vendor) from None
    if not isinstance(payload, dict):
        raise WebhookError(f"body is a JSON {type(payload).__name__}, not an object", vendor=vendor)
    return payload


def _dig(payload: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = payload
    for name in keys:
        value = value.get(name) if isinstance(value, Mapping) else None
    return None if value == "" else value


def _event_name(webhook: WebhookTable, payload: Mapping[str, Any]) -> tuple[Any, str]:
    """The raw event name and its path, first present wins; None when the webhook names no event, or lacks what
    the table requires before reading one."""
    if any(_dig(payload, getter.keys) is None for getter in webhook.event_requires):
        return None, " | ".join(getter.where("") for getter in webhook.events.getters)
    for getter in webhook.events.getters:
        value = _dig(payload, getter.keys)
        if value is not None:
            return value, getter.where("")
    return None, " | ".join(getter.where("") for getter in webhook.events.getters)


def _meaning(webhook: WebhookTable, raw: str) -> EventMeaning | None:
    name = raw
    if len(raw) > MAX_TOKEN_CHARS:
        return None
    if webhook.pattern is not None:
        found = webhook.pattern.fullmatch(raw)
        if found is None or found.group("type") is None:
            return None
        name = found.group("type")
    return webhook.events.meaning(name)


def _knows(adapter: Adapter, payload: Mapping[str, Any]) -> bool:
    assert adapter.webhook is not None
    raw = _event_name(adapter.webhook, payload)[0]
    return isinstance(raw, str) and _meaning(adapter.webhook, raw) is not None


def _detect(payload: Mapping[str, Any], registry: Registry) -> Adapter:
    """The vendor whose webhook table knows the event name; the embedded call's shape decides between several."""
    adapters = _webhook_adapters(registry)
    knowing = [adapter for adapter in adapters if _knows(adapter, payload)]
    if len(knowing) == 1:
        return knowing[0]
    try:
        return Registry({adapter.id: adapter for adapter in knowing or adapters}).match(payload)[0]
    except UnknownVendorError:
        if len(knowing) > 1:
            tied = ", ".join(sorted(adapter.id for adapter in knowing))
            raise WebhookError(f"the event is ambiguous between vendors {tied}; pass vendor=") from None
        raise WebhookError("no vendor's webhook table recognises this payload") from None


def _event(
    adapter: Adapter,
    payload: dict[str, Any],
    body: bytes,
    registry: Registry,
    strict: bool,
    on_unmapped: OnUnmapped | None,
) -> CallEvent:
    webhook = adapter.webhook
    assert webhook is not None
    raw, path = _event_name(webhook, payload)
    meaning: EventMeaning | None
    if raw is None:
        meaning = webhook.default_event
        if meaning is None or any(_dig(payload, getter.keys) is None for getter in webhook.default_requires):
            raise WebhookError(f"not a webhook of this vendor: no event name at {path}", vendor=adapter.id)
    elif not isinstance(raw, str):
        raise WebhookError(f"the event name at {path} is not a string", vendor=adapter.id)
    else:
        meaning = _meaning(webhook, raw)
        if meaning is None:
            try:
                adapter._unmapped("event_type", path, raw, strict, on_unmapped, "unknown webhook event")
            except NormalizationError as exc:
                raise WebhookError(exc.reason + f" {raw!r} at {path}", vendor=adapter.id) from None
            meaning = EventMeaning(event_type=EventType.OTHER)
    call = None
    if _carries_call(meaning, adapter, payload):
        try:
            call = normalize(payload, adapter.id, strict=strict, on_unmapped=on_unmapped, registry=registry)
        except NormalizationError as exc:
            raise WebhookError(f"the call in the webhook cannot be read: {exc}", vendor=adapter.id) from exc
    batch_id = _text(webhook.batch_id, "batch_id", payload, adapter.id)
    if batch_id is None and call is not None:
        batch_id = call.campaign_id
    delivery_id = _text(webhook.delivery_id, "delivery_id", payload, adapter.id)
    name = raw if raw is not None else str(meaning.event_type)
    return CallEvent(
        vendor=adapter.id,
        event_type=meaning.event_type,
        raw_event_type=raw,
        occurred_at=_occurred_at(webhook, payload, adapter.id),
        call=call,
        batch_id=batch_id,
        idempotency_key=_idempotency_key(adapter.id, name, call.call_id if call else None, delivery_id, payload),
        raw=payload,
    )


def _carries_call(meaning: EventMeaning, adapter: Adapter, payload: Mapping[str, Any]) -> bool:
    if meaning.call is not None:
        return meaning.call
    if meaning.event_type.is_call_event:
        return True
    return not meaning.event_type.carries_no_call and adapter.locate(payload) is not None


def _text(getters: tuple[Getter, ...], field: str, payload: Mapping[str, Any], vendor: str) -> str | None:
    """An id from the envelope: a string, or an integer written as one."""
    for getter in getters:
        value = _dig(payload, getter.keys)
        if value is None:
            continue
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise WebhookError(f"{field} at {getter.where('')} is not a string", vendor=vendor)
    return None


def _occurred_at(webhook: WebhookTable, payload: Mapping[str, Any], vendor: str) -> datetime | None:
    for getter in webhook.occurred_at:
        value = _dig(payload, getter.keys)
        if value is not None:
            try:
                return timestamp(value, getter.format or "auto", webhook.zone, vendor, getter.where(""))
            except NormalizationError as exc:
                raise WebhookError(str(exc), vendor=vendor) from None
    return None


def _idempotency_key(vendor: str, event: str, call_id: str | None, delivery_id: str | None, body: Any) -> str:
    """Equal for redeliveries of one event: from the vendor's delivery id, else from the body's canonical JSON.

    The delivery id is hashed with the event name and call id, so a vendor that reused one id for two events
    could not make them collide; without one, the body's sorted-key JSON makes key order and spacing irrelevant.
    """
    if delivery_id is not None:
        material = orjson.dumps(["delivery", vendor, delivery_id, event, call_id])
    else:
        material = orjson.dumps(["body", vendor, event, call_id]) + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(material).hexdigest()
