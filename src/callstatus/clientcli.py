"""The ``fetch`` and ``reconcile`` commands: a vendor's API polled under canonical filters.

The API key comes from ``CALLSTATUS_<VENDOR>_API_KEY`` (Dialgen's user id from ``CALLSTATUS_DIALGEN_USER_ID``), the
tracker database for ``reconcile`` from ``--db`` or ``CALLSTATUS_DATABASE_URL``; never a secret from argv.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from .clients import CLIENTS, ClientBase, VendorAPIError, client
from .clients.engine import Page
from .errors import UsageError
from .reconciler import reconcile as run_reconcile
from .record import CallRecord
from .tracker import CallTracker
from .trackercli import database, when
from .vocabulary import CallStatus, Direction

__all__ = ["add_client_commands", "fetch", "reconcile"]

_SECRETS = "The API key comes from CALLSTATUS_<VENDOR>_API_KEY (Dialgen's user id from CALLSTATUS_DIALGEN_USER_ID)"


def add_client_commands(commands: Any) -> None:
    """Add ``fetch`` and ``reconcile`` to the ``callstatus`` subcommands."""
    fetch = commands.add_parser(
        "fetch",
        help="poll a vendor's API and write canonical NDJSON records",
        description=f"{_SECRETS}, never from a flag. Without --call-id or --batch-id, lists every call.",
    )
    _client_options(fetch)
    fetch.add_argument("--call-id", action="append", help="fetch these calls (repeatable) instead of listing")
    fetch.add_argument("--batch-id", help="the calls of this batch instead of listing (the filters still apply)")
    fetch.add_argument("--page-size", type=int, help="records per page (default: the vendor table's)")

    reconcile = commands.add_parser(
        "reconcile",
        help="list a vendor's calls in a window and merge them into the tracker; report what changed",
        description=f"{_SECRETS}; a PostgreSQL tracker from CALLSTATUS_DATABASE_URL. Exit 1 when some items could "
        "not be read. The report is one JSON line on stdout.",
    )
    _client_options(reconcile)
    reconcile.add_argument(
        "--db", metavar="FILE", help="SQLite file of the tracker (default: $CALLSTATUS_DATABASE_URL)"
    )


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vendor", help="vendor id")
    parser.add_argument("--status", action="append", help="canonical status (repeat or comma-separate)")
    parser.add_argument("--since", type=when, help="call time from (ISO 8601; UTC when it has no offset)")
    parser.add_argument("--until", type=when, help="call time before (ISO 8601; UTC when it has no offset)")
    parser.add_argument("--direction", choices=[direction.value for direction in Direction], help="only these calls")
    parser.add_argument("--agent-id", help="only this agent's calls")
    parser.add_argument("--campaign-id", help="only this campaign's or batch's calls")
    parser.add_argument("--base-url", help="API base URL (default: the vendor's documented one)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per request (default 10)")
    parser.add_argument("--max-requests-per-second", type=float, default=None, help="client-side rate limit")


def _statuses(values: list[str] | None) -> list[CallStatus] | None:
    if not values:
        return None
    try:
        return [CallStatus(part.strip()) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        known = ", ".join(status.value for status in CallStatus)
        raise UsageError(f"--status: not a canonical status in {values!r} (known: {known})") from None


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "status": _statuses(args.status),
        "since": args.since,
        "until": args.until,
        "direction": args.direction,
        "agent_id": args.agent_id,
        "campaign_id": args.campaign_id,
    }


def _client(args: argparse.Namespace) -> ClientBase:
    if args.vendor not in CLIENTS:
        raise UsageError(f"{args.vendor} has no HTTP client (known: {', '.join(sorted(CLIENTS))})")
    return client(
        args.vendor,
        base_url=args.base_url,
        timeout=args.timeout,
        max_requests_per_second=args.max_requests_per_second,
    )


class _Progress:
    """A running count on stderr, from the listing's pages: in place on a terminal, a line per 1,000 otherwise."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.count = self.shown = 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()

    def page(self, page: Page) -> None:
        self.add(len(page.records))

    def add(self, count: int) -> None:
        self.count += count
        if self.count - self.shown >= 1000:
            self.shown = self.count
            end = "\r" if self.tty else "\n"
            print(f"callstatus: {self.vendor}: {self.count:,} calls so far", end=end, file=sys.stderr, flush=True)

    def done(self) -> None:
        seconds = time.monotonic() - self.started
        print(f"callstatus: {self.vendor}: {self.count:,} calls in {seconds:.1f} s", file=sys.stderr)


def fetch(args: argparse.Namespace) -> int:
    """Write the calls as canonical NDJSON on stdout; exit 1 when the vendor API failed."""
    filters = _filters(args)
    progress = _Progress(args.vendor)
    out = sys.stdout.buffer
    with _client(args) as polling:
        try:
            records: Iterable[CallRecord]
            if args.call_id:
                records = (polling.get_call(call_id) for call_id in args.call_id)
            elif args.batch_id:
                batch_calls = getattr(polling, "get_batch_calls", None)
                if batch_calls is None:
                    raise UsageError(f"{args.vendor} has no batch endpoint; use --campaign-id")
                records = batch_calls(args.batch_id, **filters)
            else:
                records = polling.list_calls(page_size=args.page_size, on_page=progress.page, **filters)
            for record in records:
                out.write(record.model_dump_json().encode() + b"\n")
                if args.call_id or args.batch_id:
                    progress.add(1)
        except VendorAPIError as exc:
            out.flush()
            print(f"callstatus: {exc}", file=sys.stderr)
            return 1
    out.flush()
    progress.done()
    return 0


def _plain(_instance: Any, _field: Any, value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def reconcile(args: argparse.Namespace) -> int:
    """Merge the window's calls into the tracker; the report as JSON on stdout, a line on stderr."""
    filters = _filters(args)
    with _client(args) as polling, CallTracker(database(args.db, None)) as tracker:
        try:
            report = run_reconcile(polling, tracker, **filters)
        except VendorAPIError as exc:
            print(f"callstatus: {exc}", file=sys.stderr)
            return 1
    print(f"callstatus: {report}", file=sys.stderr)
    print(json.dumps(attrs.asdict(report, value_serializer=_plain)))
    return 1 if report.failed else 0
