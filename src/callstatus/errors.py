"""Exceptions raised by callstatus: each names the vendor, the place and the value at fault."""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["NormalizationError", "TableError", "UnknownVendorError", "show"]

_MAX_VALUE_CHARS = 120
_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 3, _MAX_VALUE_CHARS, 40
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = 6


def show(value: Any) -> str:
    """A short repr of a value, in time bounded whatever its size: a hostile 10 MB value is an input too."""
    text = _repr.repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


class NormalizationError(ValueError):
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


class TableError(ValueError):
    """A vendor table is invalid: names the file, the TOML path and the value."""

    def __init__(self, message: str, *, source: str, path: str = "", value: Any = None) -> None:
        self.source = source
        self.path = path
        self.value = value
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message} (value {show(value)})")
