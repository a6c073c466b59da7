"""The compiled ``[webhook]`` section of a vendor table: event names, envelope paths, the signature scheme.

Built by ``callstatus.tables``; ``callstatus.webhooks`` applies it and knows no vendor by name.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Literal

import attrs

from ._codegen import Getter
from .events import EventType
from .meanings import Vocabulary

__all__ = ["BODY", "TIMESTAMP", "EventMeaning", "Scheme", "Signature", "WebhookTable"]


@attrs.frozen
class EventMeaning:
    """What a raw webhook event name means; ``call`` None: the event carries a call when the payload holds one."""

    event_type: EventType
    call: bool | None = None
    deprecated: bool = False


Scheme = Literal[
    "hmac-sha256", "token", "hmac-sha1-url", "hmac-sha256-url-nonce", "hmac-sha256-timestamp", "ed25519", "jwt"
]
BODY = "{body}"
TIMESTAMP = "{timestamp}"


@attrs.frozen
class Signature:
    """A compiled authenticity scheme: header names are lower case, as ``parse_webhook`` looks them up.

    ``message`` is what a timestamped scheme signs: literal parts and the markers ``BODY`` and ``TIMESTAMP``.
    """

    scheme: Scheme
    headers: tuple[str, ...] = ()
    prefix: str | None = None
    encoding: Literal["hex", "base64"] = "hex"
    message: tuple[str, ...] = ()
    timestamp_header: str | None = None
    timestamp_field: str | None = None
    signature_field: str | None = None
    timestamp_unit: Literal["s", "ms"] = "s"
    tolerance: int = 300
    body_hash_query: str | None = None
    body_claim: str | None = None
    nonce_header: str | None = None

    @property
    def timestamped(self) -> bool:
        """Whether the scheme signs a timestamp checked against a replay window."""
        return self.scheme in ("hmac-sha256-timestamp", "ed25519")


@attrs.frozen
class WebhookTable:
    """A vendor's compiled ``[webhook]`` section. Getters read from the webhook body's root."""

    events: Vocabulary[EventMeaning]
    pattern: re.Pattern[str] | None
    """Full-matched against a raw event name; its group 'type' names the event."""
    default_event: EventMeaning | None
    default_requires: tuple[Getter, ...]
    event_requires: tuple[Getter, ...]
    """Paths that must all hold a value before the event name is read."""
    occurred_at: tuple[Getter, ...]
    batch_id: tuple[Getter, ...]
    delivery_id: tuple[Getter, ...]
    signature: Signature
    zone: tzinfo
