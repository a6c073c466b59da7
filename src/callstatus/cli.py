"""The ``callstatus`` command: normalize payload files to canonical NDJSON, check them for unmapped values,
fetch from vendors' APIs, serve the webhook receiver, export a tracker, report on calls, list vendors, write the
JSON Schemas.

Exit codes: 0 success, 1 a data problem (a payload that fails, an unmapped value in ``check``), 2 a usage
problem (a bad option, an unknown vendor, a file that cannot be read). Each problem is one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

from . import __version__
from .adapter import Unmapped
from .clientcli import add_client_commands, fetch, reconcile
from .errors import NormalizationError, TableError, TrackerError, UnknownVendorError, UsageError
from .normalize import normalize_each
from .record import CallRecord
from .registry import default_registry
from .report import fold
from .reportcli import add_command as add_report_command
from .reportcli import report
from .schemas import write_schemas
from .trackercli import add_commands, export, serve

__all__ = ["main"]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="callstatus", description="Every call vendor's statuses and records in one shape.")
    parser.add_argument("--version", action="version", version=f"callstatus {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    normalize = commands.add_parser("normalize", help="write canonical NDJSON records for vendor payloads")
    normalize.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON, JSON array, list response or NDJSON; - for stdin"
    )
    normalize.add_argument("--vendor", help="vendor id (default: detect per payload)")
    normalize.add_argument("--strict", action="store_true", help="fail on any value the vendor table does not know")
    normalize.add_argument(
        "--engine",
        choices=["python", "duckdb"],
        default="python",
        help="duckdb: export files (NDJSON, JSON array, CSV, Parquet; gzip) into one --out, in bulk (the bulk extra)",
    )
    normalize.add_argument(
        "-o",
        "--out",
        metavar="FILE",
        help="with --engine duckdb: the .parquet or .ndjson to write (with --partition-by: a new directory)",
    )
    normalize.add_argument(
        "--partition-by",
        metavar="COLUMNS",
        help="with --engine duckdb: write a Hive-style directory partitioned by "
        "these comma-separated columns: text columns of the layout, and year, month, day of the call's time",
    )
    normalize.add_argument(
        "--batch",
        metavar="NAME",
        help="with --partition-by: add this run's files to the directory, named after NAME; "
        "a run of the same NAME again replaces them",
    )
    normalize.add_argument(
        "--memory-limit", metavar="SIZE", help="with --engine duckdb: DuckDB's memory limit, e.g. 2GB"
    )
    normalize.add_argument(
        "--fold",
        action="store_true",
        help="one record per call: the records of a call seen several times merged as the tracker merges them "
        "(the python engine holds the records in memory; the duckdb engine does not)",
    )

    check = commands.add_parser("check", help="report every raw value the vendor tables do not map")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--vendor", help="vendor id (default: detect per payload)")
    check.add_argument(
        "--strict", action="store_true", help="also fail payloads that carry no status at all (strict normalisation)"
    )

    commands.add_parser("vendors", help="list the vendor ids")

    add_client_commands(commands)
    add_commands(commands)
    add_report_command(commands)

    schema = commands.add_parser("schema", help="write the JSON Schemas (call record, adapter table)")
    schema.add_argument("--out", required=True, metavar="DIR", help="directory to write them into")
    return parser


@contextmanager
def _open(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    path = Path(name)
    if not path.is_file():
        raise _UsageError(f"cannot read {name}: no such file")
    with path.open("rb") as stream:
        yield stream


def _vendor(name: str | None) -> str | None:
    if name is not None and name not in default_registry():
        raise _UsageError(f"unknown vendor {name!r} (known: {', '.join(default_registry().vendors())})")
    return name


def _records(name: str, stream: IO[bytes], args: argparse.Namespace, **options: Any) -> Iterator[CallRecord | None]:
    """Records of one input, None for each payload that fails (after one line on stderr naming it)."""
    for index, record in enumerate(normalize_each(stream, args.vendor, **options)):
        if isinstance(record, NormalizationError):
            print(f"callstatus: {name}: record {index}: {record}", file=sys.stderr)
            yield None
        else:
            yield record


def _normalize(args: argparse.Namespace) -> int:
    _vendor(args.vendor)
    if args.engine == "duckdb":
        return _normalize_bulk(args)
    if args.out is not None or args.partition_by is not None or args.batch is not None:
        raise _UsageError(
            "--out, --partition-by and --batch go with --engine duckdb; the python engine writes NDJSON to stdout"
        )
    out = sys.stdout.buffer
    failed = 0
    calls: list[CallRecord] = []
    for name in args.files:
        with _open(name) as stream:
            try:
                for record in _records(name, stream, args, strict=args.strict):
                    if record is None:
                        failed += 1
                    elif args.fold:
                        calls.append(record)
                    else:
                        out.write(record.model_dump_json().encode() + b"\n")
            except NormalizationError as exc:  # the container itself (not JSON, not NDJSON)
                failed += 1
                print(f"callstatus: {name}: {exc}", file=sys.stderr)
    for record in fold(calls)[0] if args.fold else ():
        out.write(record.model_dump_json().encode() + b"\n")
    out.flush()
    return 1 if failed else 0


def _normalize_bulk(args: argparse.Namespace) -> int:
    from .bulk import normalize_file

    if "-" in args.files or args.out is None:
        raise _UsageError("--engine duckdb reads files (not stdin) and needs --out FILE")
    if args.strict:
        raise _UsageError("--strict goes with the python engine: the duckdb engine keeps every row, rejecting none")
    partitions = [] if args.partition_by is None else [name.strip() for name in args.partition_by.split(",")]
    summary = normalize_file(
        args.files, args.vendor, out=args.out, memory_limit=args.memory_limit, partition_by=partitions,
        batch=args.batch, fold=args.fold,
    )  # fmt: skip
    files = f"{summary.files:,} file{'s' if summary.files > 1 else ''}"
    calls = "" if summary.calls is None else f"; {summary.calls:,} calls written"
    print(
        f"callstatus: {files}, {summary.rows:,} rows: {summary.by_sql:,} by SQL, {summary.by_normalize:,} by "
        f"normalize(), {summary.rejected:,} rejected" + (f" ({summary.rejects})" if summary.rejects else "") + calls,
        file=sys.stderr,
    )
    return 1 if summary.rejected else 0


def _check(args: argparse.Namespace) -> int:
    _vendor(args.vendor)
    logging.getLogger("callstatus").setLevel(logging.ERROR)  # each unmapped value is reported below instead
    found: Counter[tuple[str, str, str, str]] = Counter()
    records = failed = 0

    def collect(item: Unmapped) -> None:
        value = item.value if len(item.value) <= 200 else f"{item.value[:200]}... ({len(item.value):,} characters)"
        found[(item.vendor, item.field, item.path, value)] += 1

    for name in args.files:
        with _open(name) as stream:
            try:
                for index, record in enumerate(_records(name, stream, args, on_unmapped=collect)):
                    records += 1
                    if record is None:
                        failed += 1
                    elif args.strict and record.raw_status is None:  # what strict normalisation rejects too
                        failed += 1
                        print(f"callstatus: {name}: record {index}: no status ({record.vendor} {record.call_id})",
                              file=sys.stderr)  # fmt: skip
            except NormalizationError as exc:
                failed += 1
                print(f"callstatus: {name}: {exc}", file=sys.stderr)
    for (vendor, field, path, value), count in sorted(found.items()):
        shown = "(phone number)" if field.endswith("_number") else repr(value)
        print(f"unmapped: {vendor} {field} at {path}: {shown} x{count}")
    print(f"{records} payloads, {failed} failed, {len(found)} distinct unmapped values", file=sys.stderr)
    return 1 if found or failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "normalize":
            return _normalize(args)
        if args.command == "check":
            return _check(args)
        if args.command == "fetch":
            return fetch(args)
        if args.command == "reconcile":
            return reconcile(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "export":
            return export(args)
        if args.command == "report":
            return report(args)
        if args.command == "vendors":
            for adapter in default_registry():
                print(f"{adapter.id}\t{adapter.name}")
            return 0
        try:
            written = write_schemas(args.out)
        except OSError as exc:
            raise _UsageError(f"cannot write schemas to {args.out}: {exc.strerror or exc}") from None
        for path in written:
            print(path)
        return 0
    except (_UsageError, UsageError) as exc:
        print(f"callstatus: error: {exc}", file=sys.stderr)
        return 2
    except TrackerError as exc:
        print(f"callstatus: {exc}", file=sys.stderr)
        return 1
    except UnknownVendorError as exc:
        print(f"callstatus: error: {exc}", file=sys.stderr)
        return 2
    except NormalizationError as exc:
        print(f"callstatus: {exc}", file=sys.stderr)
        return 1
    except TableError as exc:
        print(f"callstatus: bad vendor table: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, and keep exit-time flushes quiet too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
