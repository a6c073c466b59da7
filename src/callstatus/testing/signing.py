"""Sign a webhook delivery as its vendor would, so users' own tests can send authentic deliveries."""

from __future__ import annotations

from ..errors import UsageError
from ..registry import Registry, default_registry
from ..signing import Secret

__all__ = ["sign"]


def sign(vendor: str, body: bytes, secret: str | bytes, *, registry: Registry | None = None) -> dict[str, str]:
    """The headers that authenticate ``body`` as ``vendor``'s delivery under ``secret``, per its table's scheme."""
    webhook = (registry or default_registry()).get(vendor).webhook
    if webhook is None:
        raise UsageError(f"vendor {vendor!r} has no [webhook] table: nothing to sign")
    if not isinstance(body, bytes):
        raise UsageError(f"the body to sign must be bytes, not {type(body).__name__}")
    return Secret(secret).signature_headers(webhook.signature, body)
