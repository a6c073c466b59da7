"""The ``report`` command: outcome figures of payload files, canonical records or a tracker, as terminal tables
(rich, the ``report`` extra) and, with ``--html``, one self-contained page.

Reads what ``normalize`` reads (payloads of any vendor mix, NDJSON or JSON, gzip too; canonical records and
export rows as they are) and export-layout Parquet (pyarrow). A record that fails is one line on stderr, counted
on the page, and the run goes on; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import os
import sys
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import attrs

from .canonical import COLUMNS, from_row
from .errors import NormalizationError, UsageError
from .normalize import normalize_each
from .record import CallRecord
from .registry import default_registry
from .report import DASH, GROUPS, RATE_LABELS, RATES, Group, Report, Row, label, percent, seconds, summarize
from .tracker import CallTracker
from .trackercli import DATABASE_URL, database, database_option

__all__ = ["add_command", "report"]

_SHOWN_ERRORS = 20
_GZIP, _PARQUET = b"\x1f\x8b", b"PAR1"
_NAMES = [column.name for column in COLUMNS]


def add_command(commands: Any) -> None:
    """Add ``report`` to the ``callstatus`` subcommands."""
    parser = commands.add_parser(
        "report",
        help="outcome rates, durations and end reasons per vendor, agent and campaign (the report extra)",
        description="Reads payload files (any vendor, NDJSON or JSON, gzip too; canonical records; export-layout "
        f"Parquet) or a tracker: --db FILE, or the PostgreSQL database at ${DATABASE_URL} when no FILE is given.",
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="JSON, JSON array, list response or NDJSON; - for stdin"
    )
    parser.add_argument("--vendor", help="vendor id of the payloads (default: detect each); with a tracker, a filter")
    database_option(parser, f"SQLite file of a tracker, instead of FILEs (default: ${DATABASE_URL})")
    parser.add_argument("--html", metavar="OUT", help="also write the report as one self-contained HTML page")
    parser.add_argument("--top", type=_positive, default=3, metavar="N", help="end reasons listed per row (default 3)")
    parser.add_argument(
        "--engine",
        choices=["python", "duckdb"],
        default="python",
        help="duckdb (the bulk extra): files larger than memory, normalised by the bulk path and counted by DuckDB",
    )
    parser.add_argument("--memory-limit", metavar="SIZE", help="with --engine duckdb: DuckDB's memory limit, e.g. 2GB")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


@attrs.define
class _Rejects:
    """Counts records that fail, and says the first few on stderr."""

    count: int = 0

    def add(self, message: str) -> None:
        self.count += 1
        if self.count <= _SHOWN_ERRORS:
            print(f"callstatus: {message}", file=sys.stderr)


def report(args: argparse.Namespace) -> int:
    """Print the report's tables, write the page when asked; 1 when some record failed to normalise."""
    rich = _needs_rich()
    if args.vendor is not None and args.vendor not in default_registry():
        raise UsageError(f"unknown vendor {args.vendor!r} (known: {', '.join(default_registry().vendors())})")
    if args.files and args.db is not None:
        raise UsageError("give FILEs or --db, not both")
    if args.engine == "duckdb" and not args.files:
        raise UsageError("--engine duckdb reports on FILEs, not a tracker")
    if args.memory_limit is not None and args.engine != "duckdb":
        raise UsageError("--memory-limit goes with --engine duckdb")
    rejects = _Rejects()
    if args.files:
        for name in args.files:
            path = Path(name)
            if name == "-" or path.is_file() or (args.engine == "duckdb" and path.is_dir()):
                continue
            hint = " (a directory: --engine duckdb reads partitioned bulk output)" if path.is_dir() else ""
            raise UsageError(f"cannot read {name}: no such file{hint}")
        if args.engine == "duckdb":
            if "-" in args.files:
                raise UsageError("--engine duckdb reads files, not stdin")
            from .bulkreport import summarize_files

            result = summarize_files(
                args.files, args.vendor, top=args.top, memory_limit=args.memory_limit, on_reject=rejects.add
            )
        else:
            result = summarize(_files(args.files, args.vendor, rejects), top=args.top, sources=args.files)
    else:
        if args.db is None and not os.environ.get(DATABASE_URL):
            raise UsageError(f"nothing to report on: give FILEs, --db FILE, or set {DATABASE_URL}")
        location = database(args.db, None)
        url = "://" in location
        if not url and not os.path.exists(location):
            raise UsageError(f"no tracker database at {location}")
        shown = f"tracker (PostgreSQL, ${DATABASE_URL})" if url else f"tracker {location}"
        with CallTracker(location) as tracker:
            result = summarize(tracker.records(vendor=args.vendor), top=args.top, sources=[shown], folded=True)
    result = attrs.evolve(result, rejected=rejects.count)
    if rejects.count > _SHOWN_ERRORS:
        print(f"callstatus: ... {rejects.count - _SHOWN_ERRORS:,} more records failed", file=sys.stderr)
    _print(result, rich)
    if args.html is not None:
        from .reportpage import page

        try:
            Path(args.html).write_text(page(result, generated=datetime.now(UTC)), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.html}: {exc.strerror or exc}") from None
        print(f"callstatus: wrote {args.html}", file=sys.stderr)
    return 1 if rejects.count else 0


def _needs_rich() -> Any:
    try:
        return importlib.import_module("rich.table"), importlib.import_module("rich.console")
    except ImportError:
        raise UsageError("report needs rich: pip install 'callstatus[report]'") from None


def _files(names: list[str], vendor: str | None, rejects: _Rejects) -> Iterator[CallRecord]:
    for name in names:
        if name != "-" and _head(name) == _PARQUET:
            yield from _parquet(name, vendor, rejects)
            continue
        with _open(name) as stream:
            try:
                for index, record in enumerate(normalize_each(stream, vendor)):
                    if isinstance(record, NormalizationError):
                        rejects.add(f"{name}: record {index}: {record}")
                    else:
                        yield record
            except (OSError, EOFError) as exc:  # a broken gzip stream
                rejects.add(f"{name}: cannot read on: {exc}")


def _head(name: str) -> bytes:
    with open(name, "rb") as stream:
        return stream.read(4)


@contextmanager
def _open(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    if _head(name)[:2] == _GZIP:
        with gzip.open(name, "rb") as unzipped:
            yield typing.cast(IO[bytes], unzipped)
        return
    with open(name, "rb") as stream:
        yield stream


def _parquet(name: str, vendor: str | None, rejects: _Rejects) -> Iterator[CallRecord]:
    """Rows of a Parquet file in the export layout (``callstatus export``, bulk output)."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("reading Parquet needs pyarrow: pip install 'callstatus[export]'") from None
    source = pq.ParquetFile(name)
    present = [column for column in _NAMES if column in source.schema_arrow.names]
    missing = [column.name for column in COLUMNS if column.required and column.name not in present]
    if missing:
        raise UsageError(f"{name}: not the export layout (no column {', '.join(missing)})")
    index = 0
    for batch in source.iter_batches(columns=present):
        for row in batch.to_pylist():
            try:
                record = from_row(row, vendor)
                if vendor is not None and record.vendor != vendor:
                    raise NormalizationError(
                        f"a record of vendor {record.vendor!r}, not {vendor!r}", vendor=vendor, path="vendor"
                    )
                yield record
            except NormalizationError as exc:
                rejects.add(f"{name}: row {index}: {exc}")
            index += 1


_HEADERS = RATE_LABELS | {"reached_person": "reached"}  # the terminal's columns are narrow


def _print(result: Report, rich: Any) -> None:
    table_module, console_module = rich
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
    console = console_module.Console(width=width, highlight=False)
    sources = ", ".join(label(source) for source in result.sources)
    console.print(
        f"{result.records:,} records, {result.calls:,} calls ({result.total.terminal:,} terminal), "
        f"{result.rejected:,} failed to normalise" + (f"; from {sources}" if sources else ""),
        markup=False,
        soft_wrap=True,
    )
    console.print(_table(table_module, "All calls", None, (result.total,), result.top))
    for group in GROUPS:
        console.print(_table(table_module, f"By {group}", group, result.rows(group), result.top))
    console.print(
        "Rates over terminal calls (unknown: over all calls). Reached = completed, not answered by a machine; "
        "no answer includes voicemail; durations over terminal calls with one, p90 by linear interpolation. "
        "--html writes a page with the full definitions.",
        markup=False,
        soft_wrap=True,
        style="dim",
    )


def _table(module: Any, title: str, group: Group | None, rows: tuple[Row, ...], top: int) -> Any:
    from rich.text import Text

    table = module.Table(title=title, title_justify="left")
    if group is not None and group != "vendor":
        table.add_column("vendor", overflow="fold")
    table.add_column(group or "", overflow="fold")
    for header in ("calls", "terminal", *(_HEADERS[name] for name in RATES), "median", "p90"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column(f"top {top} end reasons", overflow="fold")
    for row in rows:
        names = [] if group is None else [label(row.key)]
        if group is not None and group != "vendor":
            names.insert(0, label(row.vendor))
        reasons = ", ".join(f"{reason.value} {count:,}" for reason, count in row.end_reasons) or DASH
        cells = [
            *(names or ["all calls"]),
            f"{row.calls:,}",
            f"{row.terminal:,}",
            *(percent(row.rate(name)) for name in RATES),
            seconds(row.median_seconds),
            seconds(row.p90_seconds),
            reasons,
        ]
        table.add_row(*(Text(cell) for cell in cells))
    return table
