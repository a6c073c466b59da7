"""Webhook intake: authenticate a vendor webhook, read it through the vendor's table, return a ``CallEvent``.

Everything vendor-specific (event names, envelope paths, signature headers) comes from the ``[webhook]``
section of the vendor tables; this module applies it. Every refusal carries the HTTP status to answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
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
from .signing import MAX_SIGNATURES, Secret, WebhookSecrets
from .tokens import MAX_TOKEN_CHARS
from .webhooktable import EventMeaning, Signature, WebhookTable

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TOKEN_HEADER",
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
    """
    wrapped = _wrapped(secret)  # secrets are wrapped before anything can raise: no frame holds one in clear
    del secret
    keys = _keys(wrapped, allow_unsigned)
    registry = registry or default_registry()
    adapter = None if vendor is None else _webhook_adapter(registry.get(vendor))
    if not isinstance(body, bytes | bytearray | memoryview):
        raise UsageError(f"the body must be the raw bytes received, not {type(body).__name__}")
    data = bytes(body)
    if len(data) > max_bytes:
        raise WebhookError(
            f"body of {len(data)} bytes is over the limit of {max_bytes}", status_code=413, vendor=vendor
        )
    passed = _authenticate(
        [adapter] if adapter else _webhook_adapters(registry), keys, data, _lower(headers), token_header.lower()
    )
    payload = _object(data, vendor)
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


def _authenticate(
    adapters: list[Adapter], keys: _Keys, body: bytes, headers: dict[str, list[str]], token_header: str
) -> frozenset[str]:
    """The ids of the vendors whose check the request passes (or that may deliver unsigned); 401 when none."""
    passed: set[str] = set()
    presented = False
    for adapter in adapters:
        assert adapter.webhook is not None
        secret = keys.secret(adapter.id)
        if secret is None:
            if keys.unsigned(adapter.id):
                passed.add(adapter.id)
            continue
        verdict = _check(adapter.webhook.signature, secret, body, headers, token_header, adapter.id)
        presented = presented or verdict is not None
        if verdict:
            passed.add(adapter.id)
    if passed:
        return frozenset(passed)
    vendor = adapters[0].id if len(adapters) == 1 else None
    if not presented:
        schemes = {_expected(a.webhook, token_header) for a in adapters if a.webhook and keys.secret(a.id)}
        if not schemes:
            raise WebhookAuthError("no webhook secret is configured for this vendor", vendor=vendor)
        raise WebhookAuthError(f"no signature or token: expected {' or '.join(sorted(schemes))}", vendor=vendor)
    raise WebhookAuthError("the signature or token does not match", vendor=vendor)


def _expected(webhook: WebhookTable, token_header: str) -> str:
    signature = webhook.signature
    if signature.scheme == "hmac-sha256":
        return "header " + " or ".join(signature.headers)
    return "'Authorization: Bearer <token>' or header " + " or ".join((token_header, *signature.headers))


def _check(
    signature: Signature, secret: Secret, body: bytes, headers: dict[str, list[str]], token_header: str, vendor: str
) -> bool | None:
    """True: authentic; False: a signature or token was presented and is wrong; None: none was presented."""
    if signature.scheme == "hmac-sha256":
        values = [_hex(value, signature.prefix) for name in signature.headers for value in headers.get(name, ())]
        if not values:
            return None
        _bounded(values, vendor)
        return secret.signs(body, values)
    tokens = [value.strip() for name in (token_header, *signature.headers) for value in headers.get(name, ())]
    for value in headers.get("authorization", ()):
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "bearer":
            tokens.append(credentials.strip())
    tokens = [token for token in tokens if token]
    if not tokens:
        return None
    _bounded(tokens, vendor)
    return secret.matches(tokens)


def _bounded(values: list[Any], vendor: str) -> None:
    if len(values) > MAX_SIGNATURES:
        raise WebhookAuthError(
            f"{len(values)} signature or token values: at most {MAX_SIGNATURES} are tried", vendor=vendor
        )


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
