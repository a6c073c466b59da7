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

__all__ = ["EventMeaning", "Signature", "WebhookTable"]


@attrs.frozen
class EventMeaning:
    """What a raw webhook event name means; ``call`` None: the event carries a call when the payload holds one."""

    event_type: EventType
    call: bool | None = None
    deprecated: bool = False


@attrs.frozen
class Signature:
    """A compiled authenticity scheme: header names are lower case, as ``parse_webhook`` looks them up."""

    scheme: Literal["hmac-sha256", "token"]
    headers: tuple[str, ...] = ()
    prefix: str | None = None


@attrs.frozen
class WebhookTable:
    """A vendor's compiled ``[webhook]`` section. Getters read from the webhook body's root."""

    events: Vocabulary[EventMeaning]
    pattern: re.Pattern[str] | None
    """Full-matched against a raw event name; its group 'type' names the event."""
    default_event: EventMeaning | None
    default_requires: tuple[Getter, ...]
    occurred_at: tuple[Getter, ...]
    batch_id: tuple[Getter, ...]
    delivery_id: tuple[Getter, ...]
    signature: Signature
    zone: tzinfo
