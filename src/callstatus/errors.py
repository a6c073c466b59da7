"""Exceptions raised by callstatus: each names the vendor, the place and the value at fault.

Every exception the library raises derives from ``Error``, as ``sqlite3.Error`` or ``httpx.HTTPError`` do for theirs,
and keeps the built-in base it had (``NormalizationError`` is still a ``ValueError``).
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["Error", "NormalizationError", "TableError", "TrackerError", "UnknownVendorError", "UsageError", "show"]

_MAX_VALUE_CHARS = 120
_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 3, _MAX_VALUE_CHARS, 40
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = 6


def show(value: Any) -> str:
    """A short repr of a value, in time bounded whatever its size: a hostile 10 MB value is an input too."""
    text = _repr.repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


class Error(Exception):
    """The base of every exception callstatus raises: ``except callstatus.Error`` catches them all."""


class UsageError(Error, TypeError, ValueError):
    """A call the library cannot carry out as asked: an argument of the wrong type or value, a setting missing."""


class TrackerError(Error):
    """A store of the call tracker failed: names the store and the cause (never a password)."""

    def __init__(self, message: str, *, store: str) -> None:
        self.store = store
        super().__init__(f"{store}: {message}")


class NormalizationError(Error, ValueError):
    """A payload could not be turned into a record: names the vendor, the field path and the offending value."""

    def __init__(self, message: str, *, vendor: str | None = None, path: str | None = None, value: Any = None) -> None:
        self.vendor = vendor
        self.path = path
        self.value = value
        self.reason = message
        parts = [f"vendor {vendor}" if vendor else "vendor unknown"]
        if path:
            parts.append(f"field {path}")
        parts.append(f"value {show(value)}")
        super().__init__(f"{message} ({', '.join(parts)})")


class UnknownVendorError(NormalizationError):
    """No adapter, or more than one, matches a payload; or a vendor name is not registered."""


class TableError(Error, ValueError):
    """A vendor table is invalid: names the file, the TOML path and the value."""

    def __init__(self, message: str, *, source: str, path: str = "", value: Any = None) -> None:
        self.source = source
        self.path = path
        self.value = value
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message} (value {show(value)})")
