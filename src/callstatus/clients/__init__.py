"""HTTP clients for the vendors' APIs, blocking and async, that return ``CallRecord``s and take canonical filters.

Each vendor's endpoints, envelopes, error bodies and paging live in the ``[api]`` section of its table; the
clients share one engine (``engine``) and differ only in the I/O that drives it (``base``).
"""

from .atoms import AsyncAtomsClient, AtomsClient
from .base import AsyncClientBase, ClientBase
from .dialgen import AsyncDialgenClient, DialgenClient
from .dialnexa import AsyncDialNexaClient, DialNexaClient
from .errors import (
    AuthError,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    RateLimitedError,
    VendorAPIError,
    VendorConnectionError,
    VendorRequestError,
    VendorResponseError,
    VendorServerError,
)
from .policy import HttpRetry, RateLimiter

CLIENTS: dict[str, tuple[type[ClientBase], type[AsyncClientBase]]] = {
    client.vendor: (client, twin)
    for client, twin in (
        (DialgenClient, AsyncDialgenClient),
        (DialNexaClient, AsyncDialNexaClient),
        (AtomsClient, AsyncAtomsClient),
    )
}
"""Vendor id -> (blocking client class, async client class)."""

__all__ = [
    "CLIENTS",
    "AsyncAtomsClient",
    "AsyncClientBase",
    "AsyncDialNexaClient",
    "AsyncDialgenClient",
    "AtomsClient",
    "AuthError",
    "ClientBase",
    "ConflictError",
    "DialNexaClient",
    "DialgenClient",
    "HttpRetry",
    "InsufficientCreditsError",
    "NotFoundError",
    "RateLimitedError",
    "RateLimiter",
    "VendorAPIError",
    "VendorConnectionError",
    "VendorRequestError",
    "VendorResponseError",
    "VendorServerError",
]
