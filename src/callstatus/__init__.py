"""callstatus: every call vendor's statuses, reasons and records in one canonical shape."""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from .adapter import Adapter, OnUnmapped, Unmapped
from .errors import NormalizationError, TableError, UnknownVendorError
from .normalize import detect_vendor, get_adapter, normalize, normalize_many, register, vendors
from .record import CallRecord
from .registry import Registry, default_registry
from .tables import load_table
from .vocabulary import AnsweredBy, CallStatus, Direction, EndedBy, EndReason, Fault, Phase, ReasonGroup

try:
    __version__ = _version("callstatus")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

__all__ = [
    "Adapter",
    "AnsweredBy",
    "CallRecord",
    "CallStatus",
    "Direction",
    "EndReason",
    "EndedBy",
    "Fault",
    "NormalizationError",
    "OnUnmapped",
    "Phase",
    "ReasonGroup",
    "Registry",
    "TableError",
    "UnknownVendorError",
    "Unmapped",
    "__version__",
    "default_registry",
    "detect_vendor",
    "get_adapter",
    "load_table",
    "normalize",
    "normalize_many",
    "register",
    "vendors",
]
