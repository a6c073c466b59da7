"""Canonical records as data: the flat row layout exports use, and records (JSON form or flat row) read back.

A canonical record never passes through a vendor table: ``normalize`` hands it here and gets it back unchanged.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import orjson
import pydantic

from .errors import NormalizationError
from .record import CallRecord

__all__ = ["COLUMNS", "Column", "canonical_record", "from_row", "to_row"]

Kind = Literal["string", "integer", "number", "boolean", "timestamp", "json"]


@attrs.frozen
class Column:
    """One column of the flat layout: a ``CallRecord`` field, typed for CSV, NDJSON and Parquet alike."""

    name: str
    kind: Kind
    description: str
    required: bool
    values: tuple[str, ...] | None = None
    """The allowed values of an enum column."""


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...] | None]:
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    for candidate in typing.get_args(annotation) if union else (annotation,):
        if candidate is type(None):
            continue
        base = typing.get_args(candidate)[0] if typing.get_origin(candidate) is typing.Annotated else candidate
        if isinstance(base, type) and issubclass(base, enum.Enum):
            return "string", tuple(str(member.value) for member in base)
        if base is datetime or base is pydantic.AwareDatetime:
            return "timestamp", None
        origin = typing.get_origin(base) or base
        if origin is dict:
            return "json", None
        for kind, python in (("boolean", bool), ("integer", int), ("number", float), ("string", str)):
            if base is python:
                return typing.cast(Kind, kind), None
    raise TypeError(f"no flat column kind for {annotation!r}")  # a new CallRecord field type: extend _kind


_HINTS = typing.get_type_hints(CallRecord, include_extras=True)


def _column(name: str, field: Any) -> Column:
    kind, values = _kind(_HINTS[name])
    return Column(name, kind, field.description or "", field.is_required(), values)


COLUMNS: tuple[Column, ...] = tuple(_column(name, field) for name, field in CallRecord.model_fields.items())
"""The flat layout, in ``CallRecord`` field order: enums as their values, timestamps in UTC, JSON as text."""

_NAMES = frozenset(column.name for column in COLUMNS)
_JSON = tuple(column.name for column in COLUMNS if column.kind == "json")
_REQUIRED = tuple(column.name for column in COLUMNS if column.required)


_ENUMS = tuple(column.name for column in COLUMNS if column.values is not None)


def to_row(record: CallRecord) -> dict[str, Any]:
    """A record as a flat row: enum values, UTC datetimes, ``analysis`` and ``raw`` as JSON text. Only the enum
    and JSON columns are looked at (exports and the bulk path's careful rows call it per record)."""
    row = dict(record.__dict__)
    for name in _ENUMS:
        value = row[name]
        if value is not None:
            row[name] = value._value_
    for name in _JSON:
        value = row[name]
        if isinstance(value, dict):
            row[name] = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return row


def from_row(row: Mapping[str, Any], vendor: str | None = None) -> CallRecord:
    """The record a flat row (or a record's JSON form) holds; ``NormalizationError`` naming the field otherwise."""
    data = dict(row)
    for name in _JSON:
        value = data.get(name)
        if isinstance(value, str | bytes):
            try:
                data[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise NormalizationError(
                    f"{name} is not JSON text", vendor=_vendor(row, vendor), path=name, value=value
                ) from None
    try:
        return CallRecord.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error["loc"]) or "$"
        raise NormalizationError(
            f"not a valid canonical record: {error['msg']}",
            vendor=_vendor(row, vendor),
            path=path,
            value=error.get("input") if not isinstance(error.get("input"), dict) else None,
        ) from None


def canonical_record(data: Mapping[str, Any], vendor: str | None = None) -> CallRecord | None:
    """The record ``data`` is when it is a canonical record (JSON form or flat row), else None.

    Recognised by its keys: every required field of ``CallRecord`` and nothing else. ``vendor``, when given,
    must be the record's own (``NormalizationError`` otherwise): a canonical record is never re-read as another.
    """
    if "raw" not in data or "call_id" not in data or not data.keys() <= _NAMES:
        return None
    if any(name not in data for name in _REQUIRED):
        return None
    if vendor is not None and data["vendor"] != vendor:
        raise NormalizationError(
            f"a canonical record of vendor {data['vendor']!r}, not {vendor!r}",
            vendor=vendor,
            path="vendor",
            value=data["vendor"],
        )
    return from_row(data, vendor)


def _vendor(row: Mapping[str, Any], vendor: str | None) -> str | None:
    found = row.get("vendor")
    return found if isinstance(found, str) else vendor


def utc_text(value: datetime) -> str:
    """A timestamp as ISO 8601 in UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
