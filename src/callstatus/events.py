"""CallEvent: one vendor webhook delivery in the canonical shape, with the call it reports, if any.

``webhooks.parse_webhook`` builds these; ``EventType`` is the closed set every vendor's event names map onto,
through the ``[webhook]`` section of each vendor table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .record import CallRecord, UtcDatetime

__all__ = ["CallEvent", "EventType", "call_event_schema"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


class EventType(StrEnum):
    """What a webhook reports, whatever the vendor calls it."""

    CALL_SCHEDULED = "call_scheduled"
    """A call was accepted and is due later."""
    CALL_STARTED = "call_started"
    """A call was placed, or is about to connect."""
    CALL_ENDED = "call_ended"
    """A call is over; its record says how it ended."""
    CALL_ANALYZED = "call_analyzed"
    """Post-call results (transcript, summary, metrics) are ready."""
    TRANSFER = "transfer"
    """A call was transferred."""
    BATCH_COMPLETED = "batch_completed"
    """A batch or campaign finished."""
    BATCH_FAILED = "batch_failed"
    """A batch or campaign stopped on an error."""
    VERIFICATION = "verification"
    """The vendor checks that the endpoint answers; no call involved."""
    OTHER = "other"
    """Any other event, or one the vendor table does not know."""

    @property
    def is_call_event(self) -> bool:
        """True when the event is about one call and carries its record."""
        return self in _CALL_EVENTS

    @property
    def carries_no_call(self) -> bool:
        """True for batch and verification events: about no single call, so never with a call record."""
        return self in _NO_CALL_EVENTS


_CALL_EVENTS = frozenset(
    {
        EventType.CALL_SCHEDULED,
        EventType.CALL_STARTED,
        EventType.CALL_ENDED,
        EventType.CALL_ANALYZED,
        EventType.TRANSFER,
    }
)
_NO_CALL_EVENTS = frozenset({EventType.BATCH_COMPLETED, EventType.BATCH_FAILED, EventType.VERIFICATION})


class CallEvent(BaseModel):
    """One webhook delivery: what happened, to which call or batch, and a key to drop redeliveries by."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="CallEvent")

    vendor: str = Field(description="Adapter id of the vendor that sent the webhook.")
    event_type: EventType = Field(description="Canonical event type, from the vendor's event name.")
    raw_event_type: str | None = Field(
        default=None, description="The vendor's event name exactly as received; null when the payload has none."
    )
    occurred_at: UtcDatetime | None = Field(default=None, description="When the vendor says the event happened (UTC).")
    call: CallRecord | None = Field(
        default=None, description="The call the event reports; null for batch and verification events."
    )
    batch_id: str | None = Field(
        default=None, description="The batch or campaign the event is about, or the call belongs to."
    )
    idempotency_key: str = Field(
        description="Equal for redeliveries of the same event, different for different events: deduplicate by it."
    )
    raw: dict[str, Any] = Field(description="The webhook body exactly as received.")


def call_event_schema() -> dict[str, Any]:
    """The JSON Schema of ``CallEvent``, as published in ``schemas/call-event.schema.json``."""
    return {"$schema": _DRAFT, **CallEvent.model_json_schema(mode="validation")}
