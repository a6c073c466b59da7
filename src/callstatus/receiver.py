"""The shipped webhook receiver: an ASGI app (Starlette, the ``receiver`` extra) that authenticates each vendor's
deliveries, keeps every call in a ``CallTracker`` and answers at once, well inside the vendors' retry budgets.

Secure by default: each delivery is checked with the secret of the vendor it is for, a vendor without one is
refused unless explicitly allowed unsigned, bodies are capped while they stream in and bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import Error, UsageError
from .events import CallEvent
from .registry import Registry, default_registry
from .signing import Secret, WebhookSecrets
from .tracker import CallTracker, Observation
from .webhooks import DEFAULT_MAX_BYTES, DEFAULT_TOKEN_HEADER, WebhookError, parse_webhook, webhook_vendors

try:
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise UsageError("the receiver needs starlette: pip install 'callstatus[receiver]'") from exc

__all__ = ["DEFAULT_BODY_TIMEOUT", "OnEvent", "create_app"]

logger = logging.getLogger("callstatus.receiver")

DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a delivery's body may take to arrive before it is refused (408)."""

OnEvent = Callable[[CallEvent, Observation], Awaitable[Any] | Any]
"""Called with each stored delivery and what it changed; sync hooks run in a worker thread."""


def create_app(
    secrets: Mapping[str, str | bytes] | WebhookSecrets,
    tracker: CallTracker | str | Path = "calls.db",
    *,
    allow_unsigned: Iterable[str] = (),
    read_token: str | None = None,
    on_event: OnEvent | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    token_header: str = DEFAULT_TOKEN_HEADER,
    public_url: str | None = None,
    strict: bool = False,
    registry: Registry | None = None,
) -> Starlette:
    """The receiver: ``POST /webhooks/{vendor}``, ``POST /webhooks`` (detects the vendor), ``GET /healthz``, and
    ``GET /calls/{vendor}/{call_id}`` when a ``read_token`` is given (it serves phone numbers; Bearer auth).

    ``secrets`` maps vendor ids to webhook secrets; ``allow_unsigned`` names the vendors (without a secret) whose
    deliveries are taken unauthenticated. ``tracker`` is a ``CallTracker`` (the caller closes it) or a SQLite
    path or ``postgresql://`` URL (opened now, closed at shutdown). ``on_event(event, observation)`` runs after
    the delivery is stored and answered; its failure is logged and never loses the delivery. ``public_url``
    is the base URL vendors call (behind a proxy, not the one the app sees): schemes that sign the URL (Twilio)
    check it against that.
    """
    registry = registry or default_registry()
    wrapped = secrets if isinstance(secrets, WebhookSecrets) else WebhookSecrets(secrets)
    del secrets  # wrapped before any check can raise: no frame of the error holds a secret in clear
    keys = _secrets(wrapped, allow_unsigned, registry)
    if max_bytes < 1 or body_timeout <= 0:
        raise UsageError("max_bytes and body_timeout must be positive")
    bearer = None if read_token is None else Secret(read_token)
    del read_token
    owned = not isinstance(tracker, CallTracker)
    store = CallTracker(tracker) if not isinstance(tracker, CallTracker) else tracker
    vendors = frozenset(webhook_vendors(registry))
    hook = None if on_event is None else _hook(on_event)

    async def receive(request: Request) -> Response:
        vendor = request.path_params.get("vendor")
        if vendor is not None and vendor not in vendors:
            return _error(404, "no such vendor")
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            return _too_large(vendor, max_bytes)
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read(request, max_bytes)
        except TimeoutError:
            logger.info("refused a delivery to %s: the body took over %s s", request.url.path, body_timeout)
            return _error(408, "the body took too long", close=True)
        except ClientDisconnect:
            return _error(400, "the client went away", close=True)
        if body is None:
            return _too_large(vendor, max_bytes)
        try:
            event = parse_webhook(
                body,
                request.headers,
                vendor,
                url=_called(request, public_url),
                secret=keys,
                token_header=token_header,
                max_bytes=max_bytes,
                registry=registry,
                strict=strict,
            )
        except WebhookError as exc:
            logger.info("refused a delivery to %s: %s", request.url.path, exc)
            return _error(exc.status_code, exc.reason)
        try:
            observation = await run_in_threadpool(store.observe, event)
        except Error as exc:
            logger.error("could not store a %s delivery: %s", event.vendor, exc)
            return _error(503, "the delivery could not be stored; send it again")
        answer = {
            "vendor": event.vendor,
            "event": event.event_type.value,
            "call_id": event.call.call_id if event.call else None,
            "duplicate": observation.duplicate,
            "changed": observation.changed,
            "status": observation.record.status.value if observation.record else None,
        }
        task = None if hook is None else BackgroundTask(hook, event, observation)
        return JSONResponse(answer, background=task)

    async def call(request: Request) -> Response:
        assert bearer is not None
        if not _authorized(request, bearer):
            return _error(401, "a bearer token is required", headers={"www-authenticate": "Bearer"})
        try:
            record = await run_in_threadpool(store.get, request.path_params["vendor"], request.path_params["call_id"])
        except Error as exc:
            logger.error("could not read a call: %s", exc)
            return _error(503, "the store is unavailable")
        if record is None:
            return _error(404, "no such call")
        return Response(record.model_dump_json(exclude={"raw"}), media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        signed = sorted(set(keys) & vendors)
        logger.info("webhook deliveries are authenticated for: %s", ", ".join(signed) or "no vendor")
        if keys.unsigned:
            logger.warning("UNSIGNED webhook deliveries are accepted for: %s", ", ".join(sorted(keys.unsigned)))
        try:
            yield
        finally:
            if owned:
                store.close()

    routes = [
        Route("/webhooks", receive, methods=["POST"]),
        Route("/webhooks/{vendor}", receive, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    if bearer is not None:
        routes.append(Route("/calls/{vendor}/{call_id:path}", call, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.tracker = store
    return app


def _secrets(secrets: WebhookSecrets, unsigned: Iterable[str], registry: Registry) -> WebhookSecrets:
    if isinstance(unsigned, str | bytes):
        raise UsageError("allow_unsigned takes a set of vendor ids, e.g. {'dialgen'}")
    keys = WebhookSecrets(secrets, allow_unsigned=secrets.unsigned | frozenset(unsigned))
    known = set(webhook_vendors(registry))
    stray = sorted((set(keys) | keys.unsigned) - known)
    if stray:
        raise UsageError(f"no webhook table for vendors {stray}: known are {sorted(known)}")
    if not keys and not keys.unsigned:
        raise UsageError("no vendor can deliver: configure a secret (CALLSTATUS_SECRET_<VENDOR>) or allow_unsigned")
    return keys


async def _read(request: Request, max_bytes: int) -> bytes | None:
    """The body as it streams in; None as soon as it passes ``max_bytes`` (the rest is never read)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            return None
    return bytes(body)


def _hook(on_event: OnEvent) -> Callable[[CallEvent, Observation], Awaitable[None]]:
    """``on_event`` made safe to run after the answer: sync in a thread, async awaited, failures logged."""
    run_async = inspect.iscoroutinefunction(on_event)

    async def hook(event: CallEvent, observation: Observation) -> None:
        try:
            if run_async:
                await on_event(event, observation)
            else:
                result = await run_in_threadpool(on_event, event, observation)
                if inspect.isawaitable(result):
                    await result
        except Exception:
            call_id = event.call.call_id if event.call else None
            logger.exception("on_event failed for a %s delivery (call %s); it is stored", event.vendor, call_id)

    return hook


def _called(request: Request, public_url: str | None) -> str:
    """The URL the vendor called: the request's own, or its path and query under the public base URL."""
    if public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def _authorized(request: Request, bearer: Secret) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bearer.matches([token.strip()])


def _error(status: int, message: str, *, close: bool = False, headers: dict[str, str] | None = None) -> Response:
    extra = dict(headers or {})
    if close:
        extra["connection"] = "close"
    return JSONResponse({"error": message}, status_code=status, headers=extra)


def _too_large(vendor: str | None, max_bytes: int) -> Response:
    logger.info("refused a %s delivery: the body is over %d bytes", vendor or "webhook", max_bytes)
    return _error(413, f"the body is over {max_bytes} bytes", close=True)
