"""A production-shaped webhook receiver for Dialgen, DialNexa and Smallest.ai Atoms.

Starlette app: ``parse_webhook`` checks the signature and the shape, ``CallTracker`` (SQLite, WAL) merges the
call into one current truth per call, and the request is answered at once, well inside the vendors' 5-second
budget; duplicates and late, out-of-order deliveries are answered 200 too, so vendors stop retrying.

    pip install 'callstatus[receiver]'
    CALLSTATUS_SECRET_DIALNEXA=... python examples/webhook_receiver.py --port 8000 --db calls.db

Point each vendor at ``/webhooks/<vendor>`` (``/webhooks`` detects the vendor). Secrets come from the
environment (``CALLSTATUS_SECRET_<VENDOR>``), never from the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import callstatus
from callstatus import CallTracker, WebhookError, parse_webhook

logger = logging.getLogger("callstatus.receiver")
MAX_BODY = 1_048_576


def secrets_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Webhook secrets per vendor, from CALLSTATUS_SECRET_<VENDOR> variables."""
    found = {}
    for vendor in callstatus.vendors():
        value = environ.get(f"CALLSTATUS_SECRET_{vendor.upper()}")
        if value:
            found[vendor] = value
    return found


def create_app(db: str, secrets: Mapping[str, str]) -> Starlette:
    """The receiver: POST /webhooks[/{vendor}], GET /calls/{vendor}/{call_id}, GET /healthz."""
    tracker = CallTracker(db)

    async def receive(request: Request) -> JSONResponse:
        vendor = request.path_params.get("vendor")
        if vendor is not None and vendor not in callstatus.vendors():
            return JSONResponse({"error": "unknown vendor"}, status_code=404)
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        body = await request.body()
        try:
            event = parse_webhook(body, request.headers, vendor, secret=secrets.get(vendor or ""), max_bytes=MAX_BODY)
        except WebhookError as exc:
            logger.info("rejected webhook: %s", exc)
            return JSONResponse({"error": str(exc)}, status_code=exc.status_code)
        observation = await run_in_threadpool(tracker.observe, event)  # SQLite blocks: keep the loop free
        if observation.became_terminal and observation.record is not None:
            logger.info("call %s ended: %s", observation.record.call_id, observation.record.status)
        return JSONResponse(
            {
                "event": event.event_type,
                "duplicate": observation.duplicate,
                "changed": observation.changed,
                "status": observation.record.status if observation.record else None,
            }
        )

    async def call(request: Request) -> JSONResponse:
        record = await run_in_threadpool(tracker.get, request.path_params["vendor"], request.path_params["call_id"])
        if record is None:
            return JSONResponse({"error": "unknown call"}, status_code=404)
        return JSONResponse(record.model_dump(mode="json", exclude={"raw"}))

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        tracker.close()

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/webhooks", receive, methods=["POST"]),
            Route("/webhooks/{vendor}", receive, methods=["POST"]),
            Route("/calls/{vendor}/{call_id}", call),
            Route("/healthz", healthz),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="callstatus webhook receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", default="calls.db", help="SQLite file of the call tracker")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_app(args.db, secrets_from_environment()), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
