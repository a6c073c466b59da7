"""HTTP clients for the vendors' APIs, blocking and async, that return ``CallRecord``s and take canonical filters.

Each vendor's endpoints, envelopes, error bodies and paging live in the ``[api]`` section of its table; the
clients share one engine (``engine``) and differ only in the I/O that drives it (``base``).
"""

from typing import Any

from .atoms import AsyncAtomsClient, AtomsClient
from .base import AsyncClientBase, CallFilters, ClientBase, OnPage
from .dialgen import AsyncDialgenClient, DialgenClient
from .dialnexa import AsyncDialNexaClient, DialNexaClient
from .errors import (
    AuthError,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    RateLimitedError,
    UnsupportedError,
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


def _classes(vendor: str) -> tuple[type[ClientBase], type[AsyncClientBase]]:
    try:
        return CLIENTS[vendor]
    except (KeyError, TypeError):
        raise UnsupportedError(
            "no HTTP client", vendor=str(vendor), instead=f"a vendor of {', '.join(sorted(CLIENTS))}"
        ) from None


def client(vendor: str, api_key: str | None = None, **options: Any) -> ClientBase:
    """The blocking client of a vendor: ``list_calls`` and ``get_call`` alike on every vendor, its own operations
    besides. ``options``: ``base_url``, ``client``, ``timeout``, ``retry``, ``max_requests_per_second``,
    ``max_response_bytes``, ``allow_insecure``, ``strict``, ``on_unmapped``, and account ids (Dialgen's
    ``user_id``); the API key defaults to ``CALLSTATUS_<VENDOR>_API_KEY``."""
    return _classes(vendor)[0](api_key, **options)


def async_client(vendor: str, api_key: str | None = None, **options: Any) -> AsyncClientBase:
    """The async twin of ``client(vendor, ...)``."""
    return _classes(vendor)[1](api_key, **options)


__all__ = [
    "CLIENTS",
    "AsyncAtomsClient",
    "AsyncClientBase",
    "AsyncDialNexaClient",
    "AsyncDialgenClient",
    "AtomsClient",
    "AuthError",
    "CallFilters",
    "ClientBase",
    "ConflictError",
    "DialNexaClient",
    "DialgenClient",
    "HttpRetry",
    "InsufficientCreditsError",
    "NotFoundError",
    "OnPage",
    "RateLimitedError",
    "RateLimiter",
    "UnsupportedError",
    "VendorAPIError",
    "VendorConnectionError",
    "VendorRequestError",
    "VendorResponseError",
    "VendorServerError",
    "async_client",
    "client",
]
