"""The ``callstatus`` command: normalize payload files to canonical NDJSON, check them for unmapped values,
fetch from vendors' APIs, serve the webhook receiver, export a tracker, list vendors, write the JSON Schemas.

Exit codes: 0 success, 1 a data problem (a payload that fails, an unmapped value in ``check``), 2 a usage
problem (a bad option, an unknown vendor, a file that cannot be read). Each problem is one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

from . import __version__
from .adapter import Unmapped
from .clients import CLIENTS, VendorAPIError
from .errors import NormalizationError, TableError, TrackerError, UnknownVendorError, UsageError
from .normalize import normalize, split_payloads
from .record import CallRecord
from .registry import default_registry
from .schemas import write_schemas
from .trackercli import add_commands, export, serve, when
from .vocabulary import CallStatus

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

    check = commands.add_parser("check", help="report every raw value the vendor tables do not map")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--vendor", help="vendor id (default: detect per payload)")
    check.add_argument(
        "--strict", action="store_true", help="also fail payloads that carry no status at all (strict normalisation)"
    )

    commands.add_parser("vendors", help="list the vendor ids")

    fetch = commands.add_parser(
        "fetch",
        help="poll a vendor's API and write canonical NDJSON records",
        description="The API key comes from CALLSTATUS_<VENDOR>_API_KEY (Dialgen's user id from "
        "CALLSTATUS_DIALGEN_USER_ID), never from a flag. Without --call-id or --batch-id, lists every call.",
    )
    fetch.add_argument("vendor", help="vendor id")
    fetch.add_argument("--status", action="append", help="canonical status (repeat or comma-separate)")
    fetch.add_argument("--since", type=when, help="ISO 8601 time (UTC when it has no offset)")
    fetch.add_argument("--until", type=when, help="ISO 8601 time (UTC when it has no offset)")
    fetch.add_argument("--agent-id", help="only this agent's calls")
    fetch.add_argument("--call-id", action="append", help="fetch these calls (repeatable) instead of listing")
    fetch.add_argument("--batch-id", help="fetch the calls of this batch instead of listing")
    fetch.add_argument("--page-size", type=int, help="records per page (default: the vendor table's)")
    fetch.add_argument("--base-url", help="API base URL (default: the vendor's documented one)")
    fetch.add_argument("--timeout", type=float, default=None, help="seconds per request (default 10)")
    fetch.add_argument("--max-requests-per-second", type=float, default=None, help="client-side rate limit")

    add_commands(commands)

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
    for index, payload in enumerate(split_payloads(stream, args.vendor)):
        try:
            if isinstance(payload, NormalizationError):
                raise payload
            yield normalize(payload, args.vendor, **options)
        except NormalizationError as exc:
            print(f"callstatus: {name}: record {index}: {exc}", file=sys.stderr)
            yield None


def _normalize(args: argparse.Namespace) -> int:
    _vendor(args.vendor)
    out = sys.stdout.buffer
    failed = 0
    for name in args.files:
        with _open(name) as stream:
            try:
                for record in _records(name, stream, args, strict=args.strict):
                    if record is None:
                        failed += 1
                    else:
                        out.write(record.model_dump_json().encode() + b"\n")
            except NormalizationError as exc:  # the container itself (not JSON, not NDJSON)
                failed += 1
                print(f"callstatus: {name}: {exc}", file=sys.stderr)
    out.flush()
    return 1 if failed else 0


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


def _statuses(values: list[str] | None) -> list[CallStatus] | None:
    if not values:
        return None
    try:
        return [CallStatus(part.strip()) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        known = ", ".join(status.value for status in CallStatus)
        raise _UsageError(f"--status: not a canonical status in {values!r} (known: {known})") from None


class _Progress:
    """A running count on stderr: rewritten in place on a terminal, a line per 1,000 records otherwise."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.count = 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()

    def tick(self) -> None:
        self.count += 1
        if self.count % 1000 == 0:
            end = "\r" if self.tty else "\n"
            print(f"callstatus: {self.vendor}: {self.count:,} calls so far", end=end, file=sys.stderr, flush=True)

    def done(self) -> None:
        seconds = time.monotonic() - self.started
        print(f"callstatus: {self.vendor}: {self.count:,} calls in {seconds:.1f} s", file=sys.stderr)


def _fetch(args: argparse.Namespace) -> int:
    vendor: str = args.vendor
    _vendor(vendor)
    api = default_registry().get(vendor).api
    if vendor not in CLIENTS or api is None:
        raise _UsageError(f"{vendor} has no HTTP client")
    statuses = _statuses(args.status)
    try:
        client = CLIENTS[vendor][0](
            base_url=args.base_url, timeout=args.timeout, max_requests_per_second=args.max_requests_per_second
        )
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    progress = _Progress(vendor)
    out = sys.stdout.buffer
    with client:
        try:
            records: Iterable[CallRecord]
            if args.call_id:
                records = (client.get_call(call_id) for call_id in args.call_id)
            elif args.batch_id:
                batch_calls = getattr(client, "get_batch_calls", None)
                if batch_calls is None:
                    raise _UsageError(f"{vendor} has no batch endpoint")
                records = batch_calls(args.batch_id)
            elif "calls" not in api.endpoints:
                raise _UsageError(f"{vendor} has no call listing; pass --call-id or --batch-id")
            else:
                records = client.calls(
                    status=statuses,
                    since=args.since,
                    until=args.until,
                    agent_id=args.agent_id,
                    page_size=args.page_size,
                )
            for record in records:
                if statuses is not None and record.status not in statuses:
                    continue
                out.write(record.model_dump_json().encode() + b"\n")
                progress.tick()
        except ValueError as exc:
            if isinstance(exc, NormalizationError):
                raise
            raise _UsageError(str(exc)) from None
        except VendorAPIError as exc:
            out.flush()
            print(f"callstatus: {exc}", file=sys.stderr)
            return 1
    out.flush()
    progress.done()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "normalize":
            return _normalize(args)
        if args.command == "check":
            return _check(args)
        if args.command == "fetch":
            return _fetch(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "export":
            return export(args)
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
