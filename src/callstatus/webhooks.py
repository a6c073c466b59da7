"""Webhook intake: authenticate a vendor webhook, read it through the vendor's table, return a ``CallEvent``.

Everything vendor-specific (event names, envelope paths, signature headers) comes from the ``[webhook]``
section of the vendor tables; this module applies it. Every refusal carries the HTTP status to answer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from ._codegen import Getter
from .adapter import Adapter, OnUnmapped
from .convert import timestamp
from .errors import Error, NormalizationError, UnknownVendorError, UsageError
from .events import CallEvent, EventType
from .normalize import normalize
from .registry import Registry, default_registry
from .tokens import MAX_TOKEN_CHARS
from .webhooktable import EventMeaning, Signature, WebhookTable

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TOKEN_HEADER", "WebhookAuthError", "WebhookError", "parse_webhook"]

DEFAULT_MAX_BYTES = 1_048_576
"""Bodies above this many bytes are refused (413) before anything else is done with them."""
DEFAULT_TOKEN_HEADER = "x-webhook-token"
"""Where a shared token may come, besides ``Authorization: Bearer``, for vendors without a signature scheme."""


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


class _Secret:
    """The configured secret, kept out of reprs, messages and the locals of the frames that use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        if not isinstance(value, str | bytes):
            raise UsageError("the webhook secret must be str or bytes")
        self._value = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if not self._value:
            raise UsageError("the webhook secret is empty")

    def __repr__(self) -> str:
        return "<secret>"

    def hexdigest(self, body: bytes) -> bytes:
        """The hex HMAC-SHA256 of a body, keyed by the secret."""
        return hmac.new(self._value, body, hashlib.sha256).hexdigest().encode("ascii")

    def matches(self, token: str) -> bool:
        """Whether a presented token is the secret, in constant time."""
        return hmac.compare_digest(self._value, token.encode("utf-8", "replace"))


def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    vendor: str | None = None,
    *,
    secret: str | bytes | None = None,
    token_header: str = DEFAULT_TOKEN_HEADER,
    max_bytes: int = DEFAULT_MAX_BYTES,
    registry: Registry | None = None,
    strict: bool = False,
    on_unmapped: OnUnmapped | None = None,
) -> CallEvent:
    """The canonical event of one webhook delivery: its raw body bytes and its headers (any case).

    In order: a body over ``max_bytes`` is refused (``WebhookError``, 413); with a ``secret``, the vendor's
    signature (hex HMAC-SHA256 of the raw body) or, for vendors without a documented scheme, the shared token
    (``Authorization: Bearer`` or ``token_header``) is checked before the body is parsed (``WebhookAuthError``,
    401); a body that is not a JSON object or that no vendor's webhook table recognises is refused (400).
    ``vendor=None`` detects the vendor from the event name and the embedded call. An event name the table does
    not know becomes ``other``, with one warning logged; ``strict=True`` refuses it (400) and any unknown value
    in the call. A vendor that is not registered, or has no ``[webhook]`` table, is a ``ValueError``.
    """
    key = None if secret is None else _Secret(secret)
    del secret
    registry = registry or default_registry()
    adapter = None if vendor is None else _webhook_adapter(registry.get(vendor))
    if not isinstance(body, bytes | bytearray | memoryview):
        raise UsageError(f"the body must be the raw bytes received, not {type(body).__name__}")
    data = bytes(body)
    if len(data) > max_bytes:
        raise WebhookError(
            f"body of {len(data)} bytes is over the limit of {max_bytes}", status_code=413, vendor=vendor
        )
    lowered = _lower(headers)
    passed: frozenset[str] = frozenset()
    if key is not None:
        passed = _authenticate([adapter] if adapter else _webhook_adapters(registry), key, data, lowered, token_header)
    payload = _object(data, vendor)
    if adapter is None:
        adapter = _detect(payload, registry)
    if key is not None and adapter.id not in passed:
        raise WebhookAuthError("the signature or token is not this vendor's", vendor=adapter.id)
    return _event(adapter, payload, data, registry, strict, on_unmapped)


def _webhook_adapter(adapter: Adapter) -> Adapter:
    if adapter.webhook is None:
        raise UsageError(f"vendor {adapter.id!r} has no [webhook] table ({adapter.source})")
    return adapter


def _webhook_adapters(registry: Registry) -> list[Adapter]:
    return [adapter for adapter in registry if adapter.webhook is not None]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case; values kept as sent (bytes read as Latin-1, as HTTP does)."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        name_text = name.decode("latin-1") if isinstance(name, bytes) else name
        value_text = value.decode("latin-1") if isinstance(value, bytes) else value
        if isinstance(name_text, str) and isinstance(value_text, str):
            lowered[name_text.lower()] = value_text
    return lowered


def _authenticate(
    adapters: list[Adapter], key: _Secret, body: bytes, headers: dict[str, str], token_header: str
) -> frozenset[str]:
    """The ids of the vendors whose scheme the request passes; ``WebhookAuthError`` when it passes none."""
    passed: set[str] = set()
    presented = False
    digest: list[bytes] = []
    for adapter in adapters:
        assert adapter.webhook is not None
        verdict = _check(adapter.webhook.signature, key, body, headers, token_header.lower(), digest)
        presented = presented or verdict is not None
        if verdict:
            passed.add(adapter.id)
    if passed:
        return frozenset(passed)
    vendor = adapters[0].id if len(adapters) == 1 else None
    if not presented:
        expected = " or ".join(
            sorted({_expected(adapter.webhook, token_header) for adapter in adapters if adapter.webhook})
        )
        raise WebhookAuthError(f"no signature or token: expected {expected}", vendor=vendor)
    raise WebhookAuthError("the signature or token does not match", vendor=vendor)


def _expected(webhook: WebhookTable, token_header: str) -> str:
    signature = webhook.signature
    if signature.scheme == "hmac-sha256":
        return "header " + " or ".join(signature.headers)
    return "'Authorization: Bearer <token>' or header " + " or ".join((token_header.lower(), *signature.headers))


def _check(
    signature: Signature, key: _Secret, body: bytes, headers: dict[str, str], token_header: str, digest: list[bytes]
) -> bool | None:
    """True: authentic; False: a signature or token was presented and is wrong; None: none was presented."""
    if signature.scheme == "hmac-sha256":
        values = [headers[name] for name in signature.headers if name in headers]
        if not values:
            return None
        if not digest:
            digest.append(key.hexdigest(body))
        return any(hmac.compare_digest(digest[0], _hex(value, signature.prefix)) for value in values)
    tokens = [headers[name].strip() for name in (token_header, *signature.headers) if name in headers]
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        tokens.append(credentials.strip())
    if not tokens:
        return None
    return any(key.matches(token) for token in tokens if token)


def _hex(value: str, prefix: str | None) -> bytes:
    text = value.strip()
    if prefix is not None and text[: len(prefix)].lower() == prefix:
        text = text[len(prefix) :]
    return text.strip().lower().encode("ascii", "replace")


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
    """The raw event name and its path, first present wins; None when the webhook names no event."""
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
