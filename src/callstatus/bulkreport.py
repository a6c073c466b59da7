"""The outcome report of files larger than memory (``callstatus report --engine duckdb``): records normalised by
the bulk path, each call's observations folded with ``merge`` and the figures counted by DuckDB.

The figures are those ``report.summarize`` gives for the same records (a median or p90 to the last binary digit or
so: DuckDB interpolates in extended precision). Calls seen once (most of an export) are
counted where they lie; only calls with several observations are read into Python, one call at a time, to be
folded with ``merge`` exactly as the tracker folds them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from .bulk import _literal, _needs, normalize_file
from .canonical import COLUMNS, from_row
from .errors import NormalizationError, UsageError
from .lifecycle import merge
from .record import CallRecord
from .registry import Registry, default_registry
from .report import GROUPS, MACHINES, Group, Report, Row, ordered_rows
from .sqlplan import DUCKDB
from .vocabulary import AnsweredBy, CallStatus, EndReason

__all__ = ["summarize_files"]

_PAGE = 50_000
_NAMES = [column.name for column in COLUMNS]
_REQUIRED = [column.name for column in COLUMNS if column.required]
_TALLIED = ("vendor", "agent_id", "campaign_id", "status", "end_reason", "answered_by", "duration_seconds")
_KEYS: dict[Group, str] = {"vendor": "vendor", "agent": "agent_id", "campaign": "campaign_id"}


def _listed(values: Sequence[str]) -> str:
    return ", ".join(DUCKDB.quote(value) for value in values)


_TERMINAL = f"status IN ({_listed([status.value for status in CallStatus if status.is_terminal])})"
_MACHINE = f"coalesce(answered_by IN ({_listed(sorted(MACHINES))}), false)"
_NO_ANSWER = f"(status = '{CallStatus.NO_ANSWER}' OR (status = '{CallStatus.COMPLETED}' AND {_MACHINE}))"
_OTHERS = _listed([CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED])
_FIGURES = {
    "calls": "count(*)",
    "terminal": f"count(*) FILTER (WHERE {_TERMINAL})",
    "reached_person": f"count(*) FILTER (WHERE status = '{CallStatus.COMPLETED}' AND NOT {_MACHINE})",
    "no_answer": f"count(*) FILTER (WHERE {_NO_ANSWER})",
    "voicemail": f"count(*) FILTER (WHERE {_NO_ANSWER} AND (end_reason = '{EndReason.VOICEMAIL}' "
    f"OR answered_by = '{AnsweredBy.MACHINE}'))",
    "busy": f"count(*) FILTER (WHERE status = '{CallStatus.BUSY}')",
    "failed": f"count(*) FILTER (WHERE status = '{CallStatus.FAILED}')",
    "canceled": f"count(*) FILTER (WHERE {_TERMINAL} AND status NOT IN ({_OTHERS}))",
    "unknown": f"count(*) FILTER (WHERE status = '{CallStatus.UNKNOWN}')",
    "timed": f"count(duration_seconds) FILTER (WHERE {_TERMINAL})",
    "median_seconds": f"quantile_cont(duration_seconds, 0.5) FILTER (WHERE {_TERMINAL})",
    "p90_seconds": f"quantile_cont(duration_seconds, 0.9) FILTER (WHERE {_TERMINAL})",
}
"""Each figure of a ``Row`` as an aggregate over table ``calls``: the definitions of ``report.DEFINITIONS``
(median and p90 by linear interpolation, as ``report.percentile``)."""
_VALID = (
    "vendor IS NOT NULL AND call_id IS NOT NULL AND raw IS NOT NULL "
    f"AND status IN ({_listed(list(CallStatus))}) "
    f"AND (end_reason IS NULL OR end_reason IN ({_listed(list(EndReason))})) "
    f"AND (answered_by IS NULL OR answered_by IN ({_listed(list(AnsweredBy))}))"
)
"""An export row the report can count; others are refused, as ``from_row`` refuses them."""


def summarize_files(
    paths: Sequence[str | os.PathLike[str]],
    vendor: str | None = None,
    *,
    top: int = 3,
    registry: Registry | None = None,
    memory_limit: str | None = None,
    on_reject: Callable[[str], None] | None = None,
) -> Report:
    """The report of payload exports (whatever ``bulk.normalize_file`` reads) and export-layout Parquet files
    (``callstatus export``, bulk output: read as they are), in bounded memory.

    ``on_reject`` receives one line per record that fails to normalise (the file, the record's position, the
    error); they are counted in ``Report.rejected``. ``memory_limit`` (e.g. ``'2GB'``) bounds DuckDB.
    """
    if top < 1:
        raise UsageError(f"top must be at least 1, not {top!r}")
    duckdb = _needs("duckdb")
    tell = on_reject or _ignore
    registry = registry or default_registry()
    if vendor is not None:
        registry.get(vendor)
    with tempfile.TemporaryDirectory(prefix="callstatus-report-") as scratch:
        connection = duckdb.connect()
        try:
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute("SET temp_directory = ?", [str(Path(scratch) / "spill")])
            if memory_limit is not None:
                connection.execute("SET memory_limit = ?", [memory_limit])
            parts, rejected, payloads = [], 0, []
            for name in paths:
                part = _exported(connection, Path(name), vendor, tell)
                if part is None:
                    payloads.append(Path(name))
                else:
                    parts.append(part[0])
                    rejected += part[1]
            if payloads:  # every other file in one bulk run: one plan
                out = Path(scratch) / "normalized.parquet"
                summary = normalize_file(payloads, vendor, out=out, registry=registry, memory_limit=memory_limit)
                if summary.rejects is not None:
                    _tell(tell, Path(summary.rejects))
                parts.append(f"SELECT {', '.join(_NAMES)} FROM read_parquet({_literal(out)})")
                rejected += summary.rejected
            connection.execute(f"CREATE TEMP VIEW obs AS {' UNION ALL '.join(parts)}")
            records = connection.execute("SELECT count(*) FROM obs").fetchall()[0][0]
            refused = _fold(connection, Path(scratch), tell)
            figures = {group: _rows(connection, _KEYS[group], top) for group in GROUPS}
            (total,) = _rows(connection, None, top)
        finally:
            connection.close()
    return Report(
        records=records - refused,
        rejected=rejected + refused,
        total=total,
        vendor=figures["vendor"],
        agent=figures["agent"],
        campaign=figures["campaign"],
        top=top,
        sources=tuple(str(name) for name in paths),
    )


def _exported(
    connection: Any, path: Path, vendor: str | None, on_reject: Callable[[str], None]
) -> tuple[str, int] | None:
    """For an export-layout Parquet file, or a directory of them (partitioned bulk output, the partition columns
    read from the paths), a select of its observations, read as they are, and how many rows were refused; None for
    a file of payloads."""
    scan = _export_scan(connection, path)
    if scan is None:
        return None
    scanned, present = scan
    columns = ", ".join(name if name in present else f"NULL AS {name}" for name in _NAMES)
    named = "filename" if path.is_dir() else DUCKDB.quote(str(path))
    source = f"SELECT {columns}, {named} AS file_name, file_row_number FROM {scanned}"
    valid = _VALID + ("" if vendor is None else f" AND vendor = {_listed([vendor])}")
    refused = 0
    result = connection.execute(f"SELECT file_name, file_row_number FROM ({source}) WHERE NOT ({valid}) ORDER BY 1, 2")
    while chunk := result.fetchmany(_PAGE):
        refused += len(chunk)
        for name, row in chunk:
            on_reject(
                f"{name}: row {row}: not a record to count (no vendor{'' if vendor is None else ' ' + vendor}, "
                "call id or raw payload, or a status, end reason or answered_by the vocabulary lacks)"
            )
    return f"SELECT {', '.join(_NAMES)} FROM ({source}) WHERE {valid}", refused


def _export_scan(connection: Any, path: Path) -> tuple[str, set[str]] | None:
    """How to read an export-layout Parquet file, or directory of them, and its export-layout columns (holding
    every required one); None for any other file."""
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise UsageError(f"cannot read {path}: a directory, and no partitioned Parquet output")
        files = _literal(path / "**" / "*.parquet")
        scanned = f"read_parquet({files}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true, "
        scanned += "filename = true, file_row_number = true)"
    elif not path.is_file():
        raise UsageError(f"cannot read {path}: no such file")
    else:
        with path.open("rb") as stream:
            if stream.read(4) != b"PAR1":
                return None
        scanned = f"read_parquet({_literal(path)}, file_row_number = true)"
    described = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {scanned}").fetchall()}
    if set(_REQUIRED) <= described:
        return scanned, described & set(_NAMES)
    if path.is_dir():
        raise UsageError(f"cannot read {path}: its Parquet files are not in the export layout")
    return None


def _tell(on_reject: Callable[[str], None], rejects: Path) -> None:
    with rejects.open("rb") as lines:
        for line in lines:
            item = orjson.loads(line)
            on_reject(f"{item['source']}: record {item['position']}: {item['error']}")


def _fold(connection: Any, scratch: Path, on_reject: Callable[[str], None]) -> int:
    """Table ``calls``: one row per call (``_TALLIED``): the observations of calls seen once as they are, the
    others folded with ``merge``, one call at a time, through a Parquet file (the connection is busy streaming
    them). Returns how many observations ``from_row`` refused."""
    pa, pq = _needs("pyarrow"), _needs("pyarrow.parquet")
    tallied = ", ".join(_TALLIED)
    connection.execute(
        "CREATE TEMP TABLE multi AS SELECT vendor, call_id FROM obs GROUP BY vendor, call_id HAVING count(*) > 1"
    )
    connection.execute(f"CREATE TEMP TABLE calls AS SELECT {tallied} FROM obs ANTI JOIN multi USING (vendor, call_id)")
    result = connection.execute(
        f"SELECT {', '.join(_NAMES)} FROM obs SEMI JOIN multi USING (vendor, call_id) ORDER BY vendor, call_id"
    )
    schema = pa.schema([(name, pa.float64() if name == "duration_seconds" else pa.string()) for name in _TALLIED])
    target = scratch / "folded.parquet"
    refused = 0

    def refuse(message: str) -> None:
        nonlocal refused
        refused += 1
        on_reject(message)

    with pq.ParquetWriter(target, schema) as writer:
        folded: list[CallRecord] = []
        for record in _merged(result, refuse):
            folded.append(record)
            if len(folded) == _PAGE:
                writer.write_table(_page(pa, schema, folded))
                folded.clear()
        writer.write_table(_page(pa, schema, folded))
    connection.execute(f"INSERT INTO calls SELECT {tallied} FROM read_parquet({_literal(target)})")
    return refused


def _page(pa: Any, schema: Any, records: list[CallRecord]) -> Any:
    """The tallied fields of folded calls as an Arrow table of ``schema``."""
    return pa.table({name: [getattr(record, name) for record in records] for name in _TALLIED}, schema=schema)


def _merged(result: Any, refuse: Callable[[str], None]) -> Iterator[CallRecord]:
    """Each call's observations (rows sorted by vendor and call id) merged into one record; an observation
    ``from_row`` refuses is left out, its error told to ``refuse``."""
    current: CallRecord | None = None
    while chunk := result.fetchmany(_PAGE):
        for values in chunk:
            try:
                record = from_row(dict(zip(_NAMES, values, strict=True)))
            except NormalizationError as exc:
                refuse(f"call {values[0]}/{values[1]}: {exc}")
                continue
            if current is not None and (current.vendor, current.call_id) == (record.vendor, record.call_id):
                current = merge(current, record)
                continue
            if current is not None:
                yield current
            current = record
    if current is not None:
        yield current


def _rows(connection: Any, key: str | None, top: int) -> tuple[Row, ...]:
    """The rows of one group (``key``: the column of its id; None for the row of every call)."""
    keys = "NULL, NULL" if key is None else f"vendor, {key}"
    grouping = "" if key is None else f"GROUP BY vendor, {key}"
    reasons: dict[tuple[Any, Any], list[tuple[EndReason, int]]] = {}
    for vendor, id_, reason, count in connection.execute(
        f"SELECT {keys}, end_reason, count(*) AS n FROM calls WHERE {_TERMINAL} AND end_reason IS NOT NULL "
        f"GROUP BY {'' if key is None else f'vendor, {key}, '}end_reason QUALIFY row_number() OVER "
        f"({'' if key is None else f'PARTITION BY vendor, {key} '}ORDER BY n DESC, end_reason) <= {int(top)}"
    ).fetchall():
        reasons.setdefault((vendor, id_), []).append((EndReason(reason), count))
    rows = []
    for vendor, id_, *figures in connection.execute(
        f"SELECT {keys}, {', '.join(_FIGURES.values())} FROM calls {grouping}"
    ).fetchall():
        listed = sorted(reasons.get((vendor, id_), []), key=lambda item: (-item[1], item[0].value))
        rows.append(Row(vendor, id_, **dict(zip(_FIGURES, figures, strict=True)), end_reasons=tuple(listed)))
    return ordered_rows(rows)


def _ignore(message: str) -> None:
    pass
