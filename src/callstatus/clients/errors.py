"""Typed failures of the HTTP clients. Each carries the vendor's own error body; none ever shows the API key."""

from __future__ import annotations

from typing import Any

from ..errors import Error, UsageError

__all__ = [
    "AuthError",
    "ConflictError",
    "InsufficientCreditsError",
    "NotFoundError",
    "RateLimitedError",
    "UnsupportedError",
    "VendorAPIError",
    "VendorConnectionError",
    "VendorRequestError",
    "VendorResponseError",
    "VendorServerError",
]


class VendorAPIError(Error):
    """A vendor API call failed. ``envelope`` is the vendor's error body as sent (None when it was not JSON)."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        method: str,
        url: str,
        status_code: int | None = None,
        code: str | None = None,
        envelope: Any = None,
    ) -> None:
        self.vendor = vendor
        self.method = method
        self.url = url
        self.status_code = status_code
        self.message = message
        self.code = code
        self.envelope = envelope
        answered = "" if status_code is None else f" answered {status_code}"
        tag = f" [{code}]" if code else ""
        super().__init__(f"{vendor}: {method} {url}{answered}: {message}{tag}")


class AuthError(VendorAPIError):
    """401 or 403: the API key is missing, wrong, or lacks the permission."""


class NotFoundError(VendorAPIError):
    """404: no such call (or user, agent, batch)."""


class ConflictError(VendorAPIError):
    """409. ``existing_call_id``: the call already in progress, when the vendor says which (Dialgen does)."""

    def __init__(self, message: str, *, existing_call_id: str | None = None, **kwargs: Any) -> None:
        self.existing_call_id = existing_call_id
        super().__init__(message, **kwargs)


class RateLimitedError(VendorAPIError):
    """429 after every retry. ``retry_after``: seconds the vendor asked to wait, when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class InsufficientCreditsError(VendorAPIError):
    """402: the account has no credit or balance left."""


class VendorServerError(VendorAPIError):
    """5xx after every retry."""


class VendorRequestError(VendorAPIError):
    """Another 4xx: the vendor rejected the request (a bad parameter, an id of the wrong kind)."""


class VendorResponseError(VendorAPIError):
    """A success status with a body that is not the documented shape, or that says the call failed."""


class VendorConnectionError(VendorAPIError):
    """No answer after every retry: the connection failed or the response did not arrive in time."""


class UnsupportedError(UsageError):
    """The vendor cannot do what was asked (no such endpoint or filter); ``instead`` says what to use."""

    def __init__(self, message: str, *, vendor: str, instead: str | None = None) -> None:
        self.vendor = vendor
        self.instead = instead
        super().__init__(f"{vendor}: {message}" + (f"; instead, {instead}" if instead else ""))
