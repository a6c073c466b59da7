"""Fake vendor API servers for integration tests: real HTTP on 127.0.0.1, an ephemeral port, a seeded history.

Each implements the documented endpoints of one vendor (paths, parameters, paging envelopes, error bodies) over
a generated call history, and injects faults on request: an error status (429 with ``Retry-After``, 500, 502),
a response slower than the client's timeout, a body that is not JSON, calls added between two pages. They use
only the standard library, so they run wherever callstatus does::

    with DialNexaServer(calls=500, api_key="k") as server:
        client = DialNexaClient("k", base_url=server.url)
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from ..errors import UsageError

__all__ = ["AtomsServer", "DialNexaServer", "DialgenServer", "FakeVendorServer", "Fault", "Seen"]

Answer = tuple[int, dict[str, str], Any]
"""Status, extra headers and a JSON-able body (bytes are sent as they are)."""


@attrs.frozen
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorized: bool


@attrs.define
class Fault:
    """A fault served instead of the normal answer to matching requests.

    ``kind``: ``status`` (answer ``status`` with the vendor's error body, and ``Retry-After`` when given),
    ``slow`` (wait ``seconds`` before answering normally), ``malformed`` (a 200 whose body is not JSON),
    ``shift`` (add ``calls`` new calls to the head of the history, then answer normally). It applies to
    requests whose path ends with ``path`` (any when None), after ``after`` of them have passed, ``times``
    times (-1: for ever).
    """

    kind: str
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    calls: int = 1
    path: str | None = None
    after: int = 0
    times: int = 1
    message: str = "injected fault"

    def take(self, path: str) -> bool:
        """Whether this request gets the fault; counts it."""
        if self.path is not None and not path.endswith(self.path):
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.times == 0:
            return False
        if self.times > 0:
            self.times -= 1
        return True


class FakeVendorServer:
    """The shared machinery: the HTTP server thread, auth, faults, the request log. Subclasses route."""

    vendor: ClassVar[str] = ""
    prefix: ClassVar[str] = ""
    """Path of the base URL under the server root, e.g. '/v1'."""

    def __init__(
        self,
        *,
        calls: int = 100,
        seed: int = 0,
        api_key: str = "test-api-key",
        now: datetime | None = None,
        days: int = 60,
    ) -> None:
        self.api_key = api_key
        self.seed = seed
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.days = days
        self._random = random.Random(seed)
        self._serial = 0
        self.history: list[dict[str, Any]] = [self._new_call(i, calls) for i in range(calls)]
        """The calls, newest first, in the vendor's own shape."""
        self.requests: list[Seen] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the history ------------------------------------------------------------------------------------------

    def _new_call(self, index: int, count: int) -> dict[str, Any]:
        self._serial += 1
        age = timedelta(seconds=self.days * 86400 * index / max(count, 1))
        return self.make_call(self._random, self._serial, self.now - age)

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        """One generated call in the vendor's shape."""
        raise NotImplementedError

    def add_calls(self, count: int) -> None:
        """Add ``count`` new calls at the head of the history (newest first), as if just placed."""
        with self._lock:
            fresh = [self.make_call(self._random, self._serial + i + 1, self.now) for i in range(count)]
            self._serial += count
            self.history[:0] = reversed(fresh)

    @property
    def call_ids(self) -> list[str]:
        """The ids of the history's calls, newest first."""
        return [self.id_of(call) for call in self.history]

    def id_of(self, call: dict[str, Any]) -> str:
        """The call id the vendor's API addresses a call by."""
        raise NotImplementedError

    # -- faults and the request log ---------------------------------------------------------------------------

    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        path: str | None = None,
        after: int = 0,
        retry_after: str | None = None,
        message: str = "injected fault",
    ) -> Fault:
        """Answer matching requests with ``status`` and the vendor's error body."""
        return self._add(
            Fault(
                "status", status=status, times=times, path=path, after=after, retry_after=retry_after, message=message
            )
        )

    def slow(self, seconds: float, *, times: int = 1, path: str | None = None, after: int = 0) -> Fault:
        """Wait ``seconds`` before answering matching requests."""
        return self._add(Fault("slow", seconds=seconds, times=times, path=path, after=after))

    def malformed(self, *, times: int = 1, path: str | None = None, after: int = 0) -> Fault:
        """Answer matching requests 200 with a body that is not JSON (a truncated response)."""
        return self._add(Fault("malformed", times=times, path=path, after=after))

    def shift(self, calls: int = 1, *, times: int = 1, path: str | None = None, after: int = 1) -> Fault:
        """Add ``calls`` new calls to the head of the history just before matching requests (by default the
        second one): the pages after it shift, as a live history does while it is listed."""
        return self._add(Fault("shift", calls=calls, times=times, path=path, after=after))

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def seen(self, path: str | None = None) -> list[Seen]:
        """The requests received (those whose path ends with ``path``)."""
        with self._lock:
            return [seen for seen in self.requests if path is None or seen.path.endswith(path)]

    def pages_served(self, path: str, param: str = "page") -> Counter[str]:
        """How many times each page number of ``path`` was asked for."""
        return Counter(seen.query.get(param, "") for seen in self.seen(path))

    # -- the server -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:53211/v1``."""
        if self._server is None:
            raise UsageError("the server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port, serving from a daemon thread."""
        handler = _handler(self)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"fake-{self.vendor}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; slow answers still waiting are cut short."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- answering --------------------------------------------------------------------------------------------

    def answer(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> Answer:
        """The whole answer to one request: log, auth, faults, then the vendor's route."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        authorized = headers.get("authorization") == f"Bearer {self.api_key}"
        with self._lock:
            self.requests.append(Seen(method, path, query, body, authorized))
            faults = [fault for fault in self.faults if fault.take(path)]
        for fault in faults:
            if fault.kind == "shift":
                self.add_calls(fault.calls)
            elif fault.kind == "slow":
                self._stopping.wait(fault.seconds)
            elif fault.kind == "malformed":
                return 200, {}, b'{"data": [{"id": "trunc'
            else:
                extra = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
                return fault.status, extra, self.error_body(fault.status, fault.message)
        if not authorized:
            return 401, {}, self.error_body(401, "Unauthorized: missing or invalid API key")
        if not path.startswith(self.prefix + "/") and self.prefix:
            return 404, {}, self.error_body(404, f"Cannot {method} {path}")
        with self._lock:
            return self.route(method, path[len(self.prefix) :], query, body)

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        """The vendor's answer to an authorised request (path below the base URL)."""
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        """The vendor's error envelope."""
        raise NotImplementedError

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], default: int, most: int | None) -> Any:
        try:
            page = int(query.get("page", "1"))
            limit = int(query.get("limit", str(default)))
        except ValueError:
            return None
        if page < 1 or limit < 1 or (most is not None and limit > most):
            return None
        return page, limit, items[(page - 1) * limit : page * limit]


def _handler(server: FakeVendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no delayed-ACK stall between

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra, body = server.answer(self.command, self.path, headers, raw)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a slow fault)
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(rng: random.Random, plus: bool = True) -> str:
    digits = f"1415555{rng.randrange(10**4):04d}"
    return ("+" if plus else "") + digits


# -- DialNexa ---------------------------------------------------------------------------------------------------


class DialNexaServer(FakeVendorServer):
    """DialNexa: ``GET /v1/calls`` (page, limit at most 100, agent_id, status comma list, from/to on created_at)
    and ``GET /v1/call-logs/{id}``. ``envelope``: 'meta' ({data, meta{page, limit, total, totalPages}}),
    'meta-without-total-pages', or 'array' (a bare array, as the OpenAPI shows)."""

    vendor = "dialnexa"
    prefix = "/v1"
    STATUSES: ClassVar[tuple[str, ...]] = (
        "completed", "completed", "completed", "did_not_pick", "no_answer", "busy", "failed", "cancelled",
        "retry_expired", "initiated", "sent", "created", "received",
    )  # fmt: skip
    REASONS: ClassVar[dict[str, str]] = {
        "completed": "user_disconnected",
        "did_not_pick": "user_did_not_pick_up",
        "no_answer": "user_did_not_pick_up",
        "busy": "user_busy",
        "failed": "network_failure",
    }

    def __init__(self, *, envelope: str = "meta", **kwargs: Any) -> None:
        if envelope not in ("meta", "meta-without-total-pages", "array"):
            raise UsageError(f"unknown envelope {envelope!r}")
        self.envelope = envelope
        super().__init__(**kwargs)

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        status = rng.choice(self.STATUSES)
        duration = rng.randrange(20, 600) if status == "completed" else 0
        call: dict[str, Any] = {
            "id": f"call_{serial:06d}",
            "agent_id": f"agt_{rng.randrange(3)}",
            "to_phone_number": _number(rng),
            "from_phone_number": "+14155550100",
            "status": status,
            "duration_seconds": duration,
            "created_at": _iso(created),
        }
        if status in self.REASONS:
            call["end_reason"] = self.REASONS[status]
            call["ended_at"] = _iso(created + timedelta(seconds=duration + 30))
        return call

    def id_of(self, call: dict[str, Any]) -> str:
        return str(call["id"])

    def error_body(self, status: int, message: str) -> Any:
        from http import HTTPStatus

        return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        headers = {"x-ratelimit-limit": "150", "x-ratelimit-remaining": "149", "x-ratelimit-reset": "60"}
        if method == "GET" and path == "/calls":
            calls = self._filtered(query)
            paged = self._page(calls, query, 20, 100)
            if paged is None:
                return 400, headers, {**self.error_body(400, ""), "message": ["limit must not be greater than 100"]}
            page, limit, items = paged
            if self.envelope == "array":
                return 200, headers, items
            meta: dict[str, Any] = {"page": page, "limit": limit, "total": len(calls)}
            if self.envelope == "meta":
                meta["totalPages"] = -(-len(calls) // limit)
            return 200, headers, {"data": items, "meta": meta}
        if method == "GET" and path.startswith("/call-logs/"):
            wanted = path.removeprefix("/call-logs/")
            for call in self.history:
                if call["id"] == wanted:
                    return 200, headers, call
            return 404, headers, self.error_body(404, f"Call log {wanted} not found")
        return 404, headers, self.error_body(404, f"Cannot {method} {path}")

    def _filtered(self, query: dict[str, str]) -> list[dict[str, Any]]:
        statuses = set(query["status"].split(",")) if query.get("status") else None
        since, until = _parse_time(query.get("from")), _parse_time(query.get("to"))
        result = []
        for call in self.history:
            if statuses is not None and call["status"] not in statuses:
                continue
            if query.get("agent_id") and call["agent_id"] != query["agent_id"]:
                continue
            if since or until:
                created = _parse_time(call["created_at"])
                if created is not None and ((since and created < since) or (until and created > until)):
                    continue
            result.append(call)
        return result


# -- Smallest.ai Atoms ------------------------------------------------------------------------------------------


class AtomsServer(FakeVendorServer):
    """Atoms: ``GET /api/v1/conversation`` (page, limit, statusFilter, agentIds, campaignIds, dateFrom/dateTo,
    search) in ``{status, data: {logs, pagination}}``, ``GET /api/v1/conversation/{callId}`` and
    ``POST /api/v1/conversation/search`` (at most 100 callIds)."""

    vendor = "atoms"
    prefix = "/api/v1"
    STATUSES: ClassVar[tuple[str, ...]] = (
        "completed", "completed", "completed", "failed", "no_answer", "cancelled", "in_progress", "in_queue",
        "pending", "processing", "busy",
    )  # fmt: skip
    REASONS: ClassVar[dict[str, str]] = {
        "completed": "user_hangup",
        "failed": "connection_error",
        "no_answer": "dial_no_answer",
        "busy": "dial_no_answer",
    }

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        status = rng.choice(self.STATUSES)
        return {
            "_id": f"{serial:024x}",
            "callId": f"CALL-{int(created.timestamp() * 1000)}-{serial:06d}",
            "status": status,
            "duration": rng.randrange(20, 600) if status == "completed" else 0,
            "from": "+14155550100",
            "to": _number(rng),
            "type": rng.choice(("telephony_outbound", "telephony_inbound")),
            "agentId": f"agent_{rng.randrange(3)}",
            "campaignId": f"camp_{rng.randrange(2)}",
            "disconnectionReason": self.REASONS.get(status),
            "retryCount": 0,
            "callCost": 1.5,
            "createdAt": _iso(created),
        }

    def id_of(self, call: dict[str, Any]) -> str:
        return str(call["callId"])

    def error_body(self, status: int, message: str) -> Any:
        if status == 429:
            return {"message": "Rate limit exceeded", "rateLimit": {"limit": 60, "remaining": 0, "resetIn": 1}}
        return {"status": False, "errors": [message]}

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if method == "GET" and path == "/conversation":
            calls = self._filtered(query)
            paged = self._page(calls, query, 5, None)
            if paged is None:
                return 400, {}, self.error_body(400, "page and limit must be positive integers")
            page, limit, items = paged
            pages = -(-len(calls) // limit)
            pagination = {
                "total": len(calls),
                "page": page,
                "limit": limit,
                "hasMore": page < pages,
                "totalPages": pages,
            }
            return 200, {}, {"status": True, "data": {"logs": items, "pagination": pagination}}
        if method == "POST" and path == "/conversation/search":
            ids = body.get("callIds") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not ids or len(ids) > 100:
                return 400, {}, self.error_body(400, "callIds must be a list of 1 to 100 call ids")
            wanted = set(ids)
            return 200, {}, {"status": True, "data": [call for call in self.history if call["callId"] in wanted]}
        if method == "GET" and path.startswith("/conversation/"):
            call_id = path.removeprefix("/conversation/")
            if not call_id.startswith("CALL-"):
                return 400, {}, self.error_body(400, "Invalid call ID format")
            for call in self.history:
                if call["callId"] == call_id:
                    return 200, {}, {"status": True, "data": call}
            return 404, {}, self.error_body(404, "Call not found")
        return 404, {}, self.error_body(404, f"Cannot {method} {path}")

    def _filtered(self, query: dict[str, str]) -> list[dict[str, Any]]:
        def listed(name: str) -> set[str] | None:
            return set(query[name].split(",")) if query.get(name) else None

        statuses, agents, campaigns = listed("statusFilter"), listed("agentIds"), listed("campaignIds")
        since, until = _parse_time(query.get("dateFrom")), _parse_time(query.get("dateTo"))
        search = query.get("search")
        keep: list[Callable[[dict[str, Any]], bool]] = []
        if statuses is not None:
            keep.append(lambda call: call["status"] in statuses)
        if agents is not None:
            keep.append(lambda call: call["agentId"] in agents)
        if campaigns is not None:
            keep.append(lambda call: call["campaignId"] in campaigns)
        if since is not None:
            keep.append(lambda call: _parse_time(call["createdAt"]) >= since)  # type: ignore[operator]
        if until is not None:
            keep.append(lambda call: _parse_time(call["createdAt"]) <= until)  # type: ignore[operator]
        if search:
            keep.append(lambda call: search in call["callId"] or search in call["from"] or search in call["to"])
        return [call for call in self.history if all(test(call) for test in keep)]


# -- Dialgen ----------------------------------------------------------------------------------------------------


class DialgenServer(FakeVendorServer):
    """Dialgen: live status (``/api/v1/status/call``, calls of the last 30 days only), persistent status
    (``/api/v1/call/check-status``), ``/api/v1/call/get-metric``, live batch status (``/api/v1/status/batch``,
    30 days), batch statistics (``/api/v1/batch/check-status``) and ``/api/v1/batch/list``. Every request must
    carry ``userId``. ``live_days``: how long the live cache keeps a call (0: it has expired for all)."""

    vendor = "dialgen"
    prefix = ""
    STATUSES: ClassVar[tuple[tuple[str, str | None], ...]] = (
        ("COMPLETED", None), ("COMPLETED", None), ("MISSED", "NO_ANSWER"), ("MISSED", "BUSY"),
        ("FAILED", "NETWORK_ERROR"), ("FAILED", "INVALID_NUMBER"), ("ONGOING", None), ("SCHEDULED", None),
    )  # fmt: skip

    def __init__(self, *, user_id: str = "test-user", batches: int = 3, live_days: int = 30, **kwargs: Any) -> None:
        self.user_id = user_id
        self.batch_count = batches
        self.live_days = live_days
        super().__init__(**kwargs)

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        status, error = rng.choice(self.STATUSES)
        duration = rng.randrange(20, 600) if status == "COMPLETED" else None
        return {
            "id": f"call_{serial:06d}",
            "contactId": f"contact_{serial:06d}",
            "agentId": "agent_1",
            "batchId": f"batch_{serial % max(self.batch_count, 1)}",
            "status": status,
            "error": error,
            "direction": "OUTBOUND",
            "phoneNumber": _number(rng),
            "createdAt": _iso(created),
            "startTime": _iso(created + timedelta(seconds=1)),
            "endTime": None if duration is None else _iso(created + timedelta(seconds=1 + duration)),
            "duration": duration,
            "summary": "Caller asked about pricing." if status == "COMPLETED" else None,
            "metricJson": {"intent": "SALES_INQUIRY", "sentiment": "positive"} if status == "COMPLETED" else None,
        }

    def id_of(self, call: dict[str, Any]) -> str:
        return str(call["id"])

    def error_body(self, status: int, message: str) -> Any:
        codes = {400: "INVALID_REQUEST", 402: "INSUFFICIENT_CREDITS", 404: "NOT_FOUND", 409: "CALL_IN_PROGRESS"}
        return {"error": message, "code": codes.get(status, "INTERNAL_ERROR"), "message": message, "details": {}}

    def _live(self, call: dict[str, Any]) -> bool:
        created = _parse_time(call["createdAt"])
        return created is not None and self.now - created < timedelta(days=self.live_days)

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if query.get("userId") != self.user_id:
            return 400, {}, self.error_body(400, "userId is required")
        by_id = {call["id"]: call for call in self.history}
        call = by_id.get(query.get("callId", ""))
        if path == "/api/v1/status/call":
            if call is None or not self._live(call):
                return 404, {}, self.error_body(404, "Call not found in live status")
            return 200, {}, self._live_view(call)
        if path == "/api/v1/call/check-status":
            if call is None:
                return 404, {}, self.error_body(404, "Call not found")
            keys = ("id", "status", "direction", "duration", "createdAt")
            data: dict[str, Any] = {key: call[key] for key in keys}
            data["endedAt"] = call["endTime"]
            data["contact"] = {"name": "Contact", "phoneNumber": call["phoneNumber"]}
            return 200, {}, {"success": True, "data": data}
        if path == "/api/v1/call/get-metric":
            if call is None or query.get("contactId") != call["contactId"] or query.get("agentId") != call["agentId"]:
                return 404, {}, self.error_body(404, "Call not found")
            return 200, {}, {"success": True, "callData": call, "metricSchema": {"intent": "string"}}
        batch = [c for c in self.history if c["batchId"] == query.get("batchId")]
        if path == "/api/v1/status/batch":
            live = [c for c in batch if self._live(c)]
            if not live:
                return 404, {}, self.error_body(404, "Batch not found in live status")
            return 200, {}, {"batchId": query["batchId"], "calls": [self._live_view(c) for c in live]}
        if path == "/api/v1/batch/check-status":
            if not batch:
                return 404, {}, self.error_body(404, "Batch not found")
            limit = query.get("limit", "10")
            shown = batch if limit in ("all", "-1") else batch[: int(limit)]
            recent = [{key: c[key] for key in ("id", "status", "duration", "createdAt", "phoneNumber")} for c in shown]
            return 200, {}, {"batchId": query["batchId"], "status": "completed", "recentCalls": recent}
        if path == "/api/v1/batch/list":
            ids = sorted({c["batchId"] for c in self.history})
            sizes = Counter(c["batchId"] for c in self.history)
            return 200, {}, [{"batchId": b, "status": "completed", "total": sizes[b]} for b in ids]
        return 404, {}, self.error_body(404, f"Cannot {method} {path}")

    @staticmethod
    def _live_view(call: dict[str, Any]) -> dict[str, Any]:
        return {
            "callId": call["id"],
            "status": call["status"],
            "startTime": call["startTime"],
            "phoneNumber": call["phoneNumber"],
            "contactId": call["contactId"],
            "batchId": call["batchId"],
            "error": call["error"],
            "duration": call["duration"],
            "recordingUrl": None,
        }


def servers() -> Iterator[type[FakeVendorServer]]:
    """The fake server classes, one per vendor."""
    yield from (DialgenServer, DialNexaServer, AtomsServer)
