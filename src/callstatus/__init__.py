"""callstatus: every call vendor's statuses, reasons and records in one canonical shape."""

from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .adapter import Adapter, OnUnmapped, Unmapped
from .callretry import RetryDecision, RetryPolicy
from .errors import Error, NormalizationError, TableError, TrackerError, UnknownVendorError, UsageError
from .events import CallEvent, EventType
from .lifecycle import merge, merge_all
from .normalize import detect_vendor, get_adapter, normalize, normalize_each, normalize_many, register, vendors
from .record import CallRecord
from .registry import Registry, default_registry
from .stores import MemoryStore, SQLiteStore
from .tables import load_table
from .tracker import CallTracker, Observation
from .vocabulary import AnsweredBy, CallStatus, Direction, EndedBy, EndReason, Fault, Phase, ReasonGroup
from .webhooks import WebhookAuthError, WebhookError, WebhookSecrets, parse_webhook

if _TYPE_CHECKING:
    from .clients import (
        AsyncAtomsClient,
        AsyncDialgenClient,
        AsyncDialNexaClient,
        AtomsClient,
        AuthError,
        ConflictError,
        DialgenClient,
        DialNexaClient,
        HttpRetry,
        InsufficientCreditsError,
        NotFoundError,
        RateLimitedError,
        UnsupportedError,
        VendorAPIError,
        VendorConnectionError,
        VendorRequestError,
        VendorResponseError,
        VendorServerError,
        async_client,
        client,
    )
    from .reconciler import ReconcileReport, areconcile, reconcile

_CLIENTS = """AsyncAtomsClient AsyncDialgenClient AsyncDialNexaClient AtomsClient AuthError ConflictError DialgenClient
DialNexaClient HttpRetry InsufficientCreditsError NotFoundError RateLimitedError UnsupportedError VendorAPIError
VendorConnectionError VendorRequestError VendorResponseError VendorServerError async_client client"""
_LAZY = dict.fromkeys(_CLIENTS.split(), ".clients") | dict.fromkeys(
    ["ReconcileReport", "areconcile", "reconcile"], ".reconciler"
)
"""Names imported on first use: the HTTP clients need httpx, which normalising and webhooks do not (a cold start
is shorter without it)."""


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'callstatus' has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


try:
    __version__ = _version("callstatus")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

__all__ = [
    "Adapter",
    "AnsweredBy",
    "AsyncAtomsClient",
    "AsyncDialNexaClient",
    "AsyncDialgenClient",
    "AtomsClient",
    "AuthError",
    "CallEvent",
    "CallRecord",
    "CallStatus",
    "CallTracker",
    "ConflictError",
    "DialNexaClient",
    "DialgenClient",
    "Direction",
    "EndReason",
    "EndedBy",
    "Error",
    "EventType",
    "Fault",
    "HttpRetry",
    "InsufficientCreditsError",
    "MemoryStore",
    "NormalizationError",
    "NotFoundError",
    "Observation",
    "OnUnmapped",
    "Phase",
    "RateLimitedError",
    "ReasonGroup",
    "ReconcileReport",
    "Registry",
    "RetryDecision",
    "RetryPolicy",
    "SQLiteStore",
    "TableError",
    "TrackerError",
    "UnknownVendorError",
    "Unmapped",
    "UnsupportedError",
    "UsageError",
    "VendorAPIError",
    "VendorConnectionError",
    "VendorRequestError",
    "VendorResponseError",
    "VendorServerError",
    "WebhookAuthError",
    "WebhookError",
    "WebhookSecrets",
    "__version__",
    "areconcile",
    "async_client",
    "client",
    "default_registry",
    "detect_vendor",
    "get_adapter",
    "load_table",
    "merge",
    "merge_all",
    "normalize",
    "normalize_each",
    "normalize_many",
    "parse_webhook",
    "reconcile",
    "register",
    "vendors",
]
