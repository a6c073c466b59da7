"""The entry points: one payload -> ``CallRecord``; many payloads, list envelopes or NDJSON -> records, lazily."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from .adapter import Adapter, OnUnmapped
from .canonical import canonical_record
from .errors import NormalizationError
from .record import CallRecord
from .registry import Registry, default_registry

__all__ = ["detect_vendor", "get_adapter", "normalize", "normalize_each", "normalize_many", "register", "vendors"]

_TEXT = (str, bytes, bytearray, memoryview)
_loads = orjson.loads


def _excerpt(text: Any) -> Any:
    if isinstance(text, memoryview | bytearray):
        text = bytes(text)
    return text[:80] + (b"..." if isinstance(text, bytes) else "...") if len(text) > 80 else text


def _decode(payload: Any, vendor: str | None) -> Any:
    if payload.__class__ is bytes or isinstance(payload, _TEXT):
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise NormalizationError(
                f"not valid JSON: {exc}", vendor=vendor, path="$", value=_excerpt(payload)
            ) from None
    if isinstance(payload, Mapping):
        # A mapping is copied through JSON: the record's raw payload is then the caller's data as JSON would
        # carry it, independent of later changes to the caller's objects, and it round-trips exactly.
        try:
            return orjson.loads(orjson.dumps(payload, default=_plain))
        except (orjson.JSONEncodeError, orjson.JSONDecodeError) as exc:
            raise NormalizationError(f"payload is not JSON data: {exc}", vendor=vendor, path="$", value=None) from None
    return payload


def _plain(value: Any) -> Any:
    """Mappings other than dict, as JSON objects; anything else is not JSON data."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _object(payload: Any, vendor: str | None) -> Mapping[str, Any]:
    data = _decode(payload, vendor)
    if data.__class__ is not dict and not isinstance(data, Mapping):
        raise NormalizationError("expected a JSON object", vendor=vendor, path="$", value=_excerpt(repr(data)))
    return data


def normalize(
    payload: Mapping[str, Any] | str | bytes,
    vendor: str | None = None,
    *,
    strict: bool = False,
    on_unmapped: OnUnmapped | None = None,
    registry: Registry | None = None,
) -> CallRecord:
    """The canonical record of one vendor payload: a mapping, or JSON as ``str``/``bytes``.

    With ``vendor=None`` the vendor is detected from the payload's shape (``UnknownVendorError`` when none or
    several fit). Unknown vendor values become ``unknown`` with the raw value kept and one warning logged;
    ``strict=True`` raises ``NormalizationError`` instead. ``on_unmapped`` receives an ``Unmapped`` for every
    unknown value. A mapping is copied through JSON first, so the record does not share the caller's objects.
    A canonical record (a ``CallRecord``'s JSON form, or a flat export row) is returned as it is, never read
    through a vendor table; with ``vendor=`` it must be that vendor's.
    """
    if registry is None:
        registry = default_registry()
    if payload.__class__ is bytes and vendor.__class__ is str:  # the hot path: one vendor's JSON bytes
        adapter = registry._adapters.get(vendor)
        if adapter is not None:
            try:
                data = _loads(payload)
            except orjson.JSONDecodeError:
                data = None
            if data.__class__ is dict:
                dispatch = adapter.dispatchers.get(tuple(data))  # Adapter.normalize's first step, inlined
                if dispatch is None:
                    return canonical_record(data, vendor) or adapter.normalize(
                        data, strict=strict, on_unmapped=on_unmapped
                    )
                record = dispatch(data)
                if record is not None:
                    return record
                return adapter.normalize_carefully(data, strict=strict, on_unmapped=on_unmapped)
    data = _object(payload, vendor)
    adapter = None if vendor is None else registry.get(vendor)
    record = canonical_record(data, vendor)
    if record is not None:
        return record
    adapter = adapter or registry.match(data)[0]
    return adapter.normalize(data, strict=strict, on_unmapped=on_unmapped)


def normalize_row(
    text: str | None, vendor: str | None = None, *, registry: Registry | None = None
) -> list[tuple[int | None, str | None, CallRecord | NormalizationError]]:
    """The records of one row of JSON text, read as ``normalize_many`` reads a line of NDJSON (the bulk and Spark
    paths' careful rows): a JSON array or a vendor's list response gives a result per record it holds, each as
    (its index, its JSON text, the result); anything else one, as (None, ``text``, the result). A record that
    fails is its ``NormalizationError`` in its place; so is a NULL row."""
    if text is None:
        failure = NormalizationError("no JSON text: the row's value is NULL", vendor=vendor, path="$", value=None)
        return [(None, text, failure)]
    registry = registry or default_registry()
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = None  # normalize() says why
    items = data if isinstance(data, list) else None
    if isinstance(data, dict):
        items = _listed(data, registry.get(vendor) if vendor is not None else None, registry)
    if items is None:
        return [(None, text, _attempt(text.encode(), vendor, registry))]
    encoded = [orjson.dumps(item) for item in items]  # what normalize() would copy a mapping through anyway
    return [(index, text.decode(), _attempt(text, vendor, registry)) for index, text in enumerate(encoded)]


def _attempt(payload: Any, vendor: str | None, registry: Registry) -> CallRecord | NormalizationError:
    try:
        return normalize(payload, vendor, registry=registry)
    except NormalizationError as exc:
        return exc


def normalize_many(
    payloads: Iterable[Any] | Mapping[str, Any] | str | bytes | IO[bytes] | IO[str] | os.PathLike[str],
    vendor: str | None = None,
    *,
    strict: bool = False,
    on_unmapped: OnUnmapped | None = None,
    registry: Registry | None = None,
) -> Iterator[CallRecord]:
    """Records from many payloads, lazily and in constant memory.

    Takes an iterable of payloads (mappings or JSON), a list response of any vendor (its envelope is found
    from the tables), JSON text holding an array or NDJSON, a binary or text file of NDJSON, or a path to such
    a file. A record that fails raises ``NormalizationError`` with the record's position in a note.
    """
    registry = registry or default_registry()
    adapter = registry.get(vendor) if vendor is not None else None
    return _records(payloads, adapter, registry, strict, on_unmapped)


def normalize_each(
    payloads: Iterable[Any] | Mapping[str, Any] | str | bytes | IO[bytes] | IO[str] | os.PathLike[str],
    vendor: str | None = None,
    *,
    strict: bool = False,
    on_unmapped: OnUnmapped | None = None,
    registry: Registry | None = None,
) -> Iterator[CallRecord | NormalizationError]:
    """``normalize_many``, but a payload that fails comes as its ``NormalizationError`` (its position in a note)
    and reading goes on: for callers that count or log failures, such as a batch job or the command line."""
    registry = registry or default_registry()
    adapter = registry.get(vendor) if vendor is not None else None
    return _records(payloads, adapter, registry, strict, on_unmapped, tolerant=True)


def _records(
    payloads: Any,
    adapter: Adapter | None,
    registry: Registry,
    strict: bool,
    on_unmapped: OnUnmapped | None,
    tolerant: bool = False,
) -> Iterator[Any]:
    vendor = adapter.id if adapter is not None else None
    items = _items(payloads, adapter, registry, tolerant)
    for index in itertools.count():
        try:
            item = next(items, _END)
            if item is _END:
                return
            if isinstance(item, NormalizationError):  # a part _items could not decode (tolerant only)
                raise item
            data = item if item.__class__ is dict else _object(item, vendor)
            record = canonical_record(data, vendor)
            if record is not None:
                yield record
                continue
            found = adapter if adapter is not None else registry.match(data)[0]
            yield found.normalize(data, strict=strict, on_unmapped=on_unmapped)
        except NormalizationError as exc:
            exc.add_note(f"record {index} of the input")
            if not tolerant:
                raise
            yield exc


_END = object()


def _items(payloads: Any, adapter: Adapter | None, registry: Registry, tolerant: bool = False) -> Iterator[Any]:
    """Single payloads out of whatever container the user handed over."""
    if isinstance(payloads, os.PathLike):
        with Path(payloads).open("rb") as stream:
            yield from _each(_stream_lines(stream), adapter, registry, tolerant)
    elif isinstance(payloads, _TEXT):
        yield from _each(_text_documents(payloads), adapter, registry, tolerant)
    elif isinstance(payloads, Mapping):
        yield from _each([payloads], adapter, registry, tolerant)
    elif hasattr(payloads, "read"):
        yield from _each(_stream_lines(payloads), adapter, registry, tolerant)
    elif isinstance(payloads, Iterable):
        yield from _each(payloads, adapter, registry, tolerant)
    else:
        raise NormalizationError(
            "expected payloads, a list response, JSON text, NDJSON or a file",
            vendor=adapter.id if adapter else None,
            path="$",
            value=type(payloads).__name__,
        )


def _each(items: Iterable[Any], adapter: Adapter | None, registry: Registry, tolerant: bool) -> Iterator[Any]:
    """Decode each item; arrays and list responses give their records, anything else is one payload."""
    vendor = adapter.id if adapter else None
    for item in items:
        try:
            data = _decode(item, vendor)
        except NormalizationError as exc:
            if not tolerant:
                raise
            yield exc
            continue
        if data.__class__ is dict or isinstance(data, Mapping):
            listed = _listed(data, adapter, registry)
            if listed is None:
                yield data
            else:
                yield from listed
        elif isinstance(data, list):
            yield from data
        else:
            yield data


def _listed(data: Mapping[str, Any], adapter: Adapter | None, registry: Registry) -> list[Any] | None:
    """The records of a list response (found through the tables' list paths), or None for a single payload:
    a payload that a vendor's record shape recognises is one record, whatever lists it holds."""
    candidates = [adapter] if adapter is not None else list(registry)
    for candidate in candidates:
        for path in candidate.lists:
            if not path or path[0] not in data:
                continue
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if isinstance(value, list):
                if any(other.locate(data) is not None for other in candidates):
                    return None
                return value
    return None


def _text_documents(text: str | bytes | bytearray | memoryview) -> Iterator[Any]:
    """One JSON document, or the lines of NDJSON."""
    try:
        yield orjson.loads(text)
    except orjson.JSONDecodeError:
        lines = (text if isinstance(text, str) else bytes(text)).splitlines()
        yield from (line for line in lines if line.strip())


def _stream_lines(stream: IO[Any]) -> Iterator[Any]:
    """NDJSON line by line, in constant memory; a file that is one multi-line JSON document is read whole."""
    lines = iter(stream)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        yield from _text_documents(first + first[:0].join(lines))
        return
    yield first
    yield from (line for line in lines if line.strip())


def detect_vendor(payload: Mapping[str, Any] | str | bytes, *, registry: Registry | None = None) -> str:
    """The vendor id of a payload, from its shape; ``UnknownVendorError`` when none or several fit."""
    return (registry or default_registry()).detect(_object(payload, None))


def vendors() -> list[str]:
    """The vendor ids the default registry knows, sorted."""
    return default_registry().vendors()


def get_adapter(vendor: str) -> Adapter:
    """The adapter of a vendor id in the default registry."""
    return default_registry().get(vendor)


def register(adapter: Adapter | str | os.PathLike[str], *, replace: bool = False) -> Adapter:
    """Add an adapter, or a table file, to the default registry at run time."""
    return default_registry().register(
        adapter if isinstance(adapter, Adapter | str) else Path(adapter), replace=replace
    )
