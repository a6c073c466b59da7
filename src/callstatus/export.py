"""Hand records to a data team: CSV, NDJSON or Parquet, in one flat documented layout (``canonical.COLUMNS``).

Enums are written as their values, timestamps in UTC, ``analysis`` and ``raw`` as JSON text; Parquet (the
``export`` extra, pyarrow) has real column types. Files are written whole or not at all, in constant memory.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from .batching import batched
from .canonical import COLUMNS, Column, to_row, utc_text
from .errors import UsageError
from .record import CallRecord

__all__ = ["FORMATS", "Format", "row_schema", "write"]

Format = Literal["csv", "ndjson", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "ndjson", "parquet")
_SUFFIXES: dict[str, Format] = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".parquet": "parquet"}
_NAMES = [column.name for column in COLUMNS]
_BATCH = 10_000


def write(
    records: Iterable[CallRecord],
    target: str | os.PathLike[str] | IO[bytes],
    format: Format | None = None,
) -> int:
    """Write records to a file path (replaced atomically) or a binary stream; returns how many were written.

    ``format`` defaults to the path's suffix (.csv, .ndjson or .jsonl, .parquet).
    """
    chosen = _format(target, format)
    writer = _WRITERS[chosen]
    if isinstance(target, str | os.PathLike):
        with _replacing(Path(target)) as stream:
            return writer(records, stream)
    if not hasattr(target, "write"):
        raise UsageError(f"write to a path or a binary stream, not {type(target).__name__}")
    return writer(records, target)


def row_schema() -> dict[str, Any]:
    """The JSON Schema of one exported row (an NDJSON line; CSV and Parquet hold the same columns)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CallRecordRow",
        "description": "One call record in the flat export layout: every column present, null when unknown; enums "
        "as their values, timestamps as ISO 8601 in UTC, analysis and raw as JSON text.",
        "type": "object",
        "additionalProperties": False,
        "required": _NAMES,
        "properties": {column.name: _property(column) for column in COLUMNS},
    }


def _property(column: Column) -> dict[str, Any]:
    json_type = {"timestamp": "string", "json": "string"}.get(column.kind, column.kind)
    schema: dict[str, Any] = {"description": column.description}
    schema["type"] = json_type if column.required else [json_type, "null"]
    if column.values is not None:
        schema["enum"] = [*column.values] if column.required else [*column.values, None]
    if column.kind == "timestamp":
        schema["format"] = "date-time"
    if column.kind == "json":
        schema["contentMediaType"] = "application/json"
    return schema


def _format(target: Any, format: str | None) -> Format:
    if format is None:
        suffix = Path(target).suffix.lower() if isinstance(target, str | os.PathLike) else ""
        if suffix not in _SUFFIXES:
            raise UsageError(f"cannot tell the format from {suffix or 'a stream'!r}: pass format= one of {FORMATS}")
        return _SUFFIXES[suffix]
    if format not in FORMATS:
        raise UsageError(f"unknown export format {format!r}: one of {FORMATS}")
    return format


@contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """A stream whose content becomes ``path`` only when the block ends without an error. The partial file is
    created as ``open()`` would create the target (the umask decides its mode, not a temporary file's 0600)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    handle = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
    try:
        with handle:
            yield handle
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_text(value)
    return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)


def _write_csv(records: Iterable[CallRecord], stream: IO[bytes]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)  # RFC 4180: CRLF rows, and any CR or LF in a value is quoted
        writer.writerow(_NAMES)
        count = 0
        for record in records:
            row = to_row(record)
            writer.writerow([_csv_text(row[name]) for name in _NAMES])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()


def _write_ndjson(records: Iterable[CallRecord], stream: IO[bytes]) -> int:
    count = 0
    for record in records:
        stream.write(orjson.dumps(to_row(record), option=orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE))
        count += 1
    stream.flush()
    return count


def arrow_schema(pa: Any) -> Any:
    """The flat layout as an Arrow schema (``pa`` is the pyarrow module): Parquet exports and bulk output."""
    types = {
        "string": pa.string(),
        "json": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema(
        [
            pa.field(
                column.name,
                types[column.kind],
                nullable=not column.required,
                metadata={"description": column.description, **({"format": "json"} if column.kind == "json" else {})},
            )
            for column in COLUMNS
        ]
    )


def _write_parquet(records: Iterable[CallRecord], stream: IO[bytes]) -> int:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("Parquet export needs pyarrow: pip install 'callstatus[export]'") from None
    schema = arrow_schema(pa)
    count = 0
    with pq.ParquetWriter(stream, schema) as writer:
        for batch in batched(records, _BATCH):
            columns: dict[str, list[Any]] = {name: [] for name in _NAMES}
            for record in batch:
                for name, value in to_row(record).items():
                    columns[name].append(value)
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
            count += len(batch)
    return count


_WRITERS: dict[Format, Callable[[Iterable[CallRecord], IO[bytes]], int]] = {
    "csv": _write_csv,
    "ndjson": _write_ndjson,
    "parquet": _write_parquet,
}
