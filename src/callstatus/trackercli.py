"""The ``serve`` and ``export`` commands: the receiver run with uvicorn, and a tracker's calls written out.

Secrets, the read token and a database URL come from environment variables, never from argv, where ``ps`` and
shell histories would show them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from .errors import UsageError
from .export import FORMATS, write
from .signing import WebhookSecrets
from .tracker import CallTracker
from .webhooks import DEFAULT_MAX_BYTES, webhook_vendors

__all__ = ["DATABASE_URL", "add_commands", "database", "database_option", "export", "serve", "when"]

DATABASE_URL = "CALLSTATUS_DATABASE_URL"
READ_TOKEN = "CALLSTATUS_READ_TOKEN"


def add_commands(commands: Any) -> None:
    """Add ``serve`` and ``export`` to the ``callstatus`` subcommands."""
    serve = commands.add_parser(
        "serve",
        help="run the webhook receiver (the receiver extra)",
        description="Webhook secrets come from CALLSTATUS_SECRET_<VENDOR>, a PostgreSQL URL from "
        f"{DATABASE_URL}, the token for GET /calls from {READ_TOKEN}; never from flags.",
    )
    database_option(serve, "SQLite file of the tracker (default: $" + DATABASE_URL + ", else calls.db)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--allow-unsigned",
        action="append",
        default=[],
        metavar="VENDOR",
        help="accept this vendor's deliveries without a signature (repeatable; off by default)",
    )
    serve.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="largest body accepted")
    serve.add_argument("--public-url", help="the base URL vendors call, behind a proxy (URL-signing schemes check it)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    export = commands.add_parser(
        "export",
        help="write a tracker's calls as CSV, NDJSON or Parquet",
        description=f"Reads the SQLite file given by --db, or the PostgreSQL database at ${DATABASE_URL}.",
    )
    database_option(export, f"SQLite file of the tracker (default: ${DATABASE_URL})")
    export.add_argument("--format", choices=FORMATS, help="default: from the output's suffix")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write; - for stdout")
    export.add_argument("--vendor", help="only this vendor's calls")
    export.add_argument("--status", action="append", help="canonical status (repeat or comma-separate)")
    terminal = export.add_mutually_exclusive_group()
    terminal.add_argument("--terminal", dest="terminal", action="store_const", const=True, help="only ended calls")
    terminal.add_argument("--open", dest="terminal", action="store_const", const=False, help="only calls not over")
    export.add_argument("--since", type=when, help="call time from (ISO 8601; UTC when it has no offset)")
    export.add_argument("--until", type=when, help="call time before (ISO 8601; UTC when it has no offset)")
    export.add_argument("--campaign-id", help="only this campaign's or batch's calls")
    export.add_argument("--agent-id", help="only this agent's calls")


def when(text: str) -> datetime:
    """An ISO 8601 time from the command line; UTC when it has no offset."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def database_option(parser: argparse.ArgumentParser, text: str) -> None:
    """``--db FILE``: a SQLite file; a database URL comes from the environment only."""
    parser.add_argument("--db", metavar="FILE", help=text)


def database(given: str | None, default: str | None) -> str:
    """The tracker location: ``--db`` (a file only), else ``$CALLSTATUS_DATABASE_URL``, else ``default``."""
    if given is not None:
        if "://" in given:
            raise UsageError(f"a database URL on the command line shows in ps and shell history: set {DATABASE_URL}")
        return given
    found = os.environ.get(DATABASE_URL) or default
    if not found:
        raise UsageError(f"no database: pass --db FILE or set {DATABASE_URL}")
    return found


def serve(args: argparse.Namespace) -> int:
    """Run the receiver until interrupted."""
    try:
        import uvicorn

        from .receiver import create_app
    except ImportError:
        raise UsageError("serve needs the receiver extra: pip install 'callstatus[receiver]'") from None
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    vendors = webhook_vendors()
    unsigned = {name for value in args.allow_unsigned for name in value.split(",") if name}
    secrets = WebhookSecrets.from_environment(vendors, allow_unsigned=unsigned)
    app = create_app(
        secrets,
        database(args.db, "calls.db"),
        read_token=os.environ.get(READ_TOKEN) or None,
        max_bytes=args.max_bytes,
        public_url=args.public_url,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, http="h11", server_header=False)
    return 0


def export(args: argparse.Namespace) -> int:
    """Write the selected calls; the count goes to stderr."""
    statuses = [name for value in args.status or () for name in value.split(",") if name] or None
    location = database(args.db, None)
    if "://" not in location and not os.path.exists(location):
        raise UsageError(f"no tracker database at {location}")
    with CallTracker(location) as tracker:
        records = tracker.records(
            vendor=args.vendor,
            status=statuses,
            terminal=args.terminal,
            since=args.since,
            until=args.until,
            campaign_id=args.campaign_id,
            agent_id=args.agent_id,
        )
        if args.output == "-":
            count = write(records, sys.stdout.buffer, args.format or "ndjson")
        else:
            count = write(records, args.output, args.format)
    print(f"callstatus: exported {count:,} calls", file=sys.stderr)
    return 0
