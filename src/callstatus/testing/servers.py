"""Fake vendor API servers for integration tests: real HTTP on 127.0.0.1, an ephemeral port, a seeded history.

Each implements the documented endpoints of one vendor (paths, parameters, paging envelopes, error bodies) over
a generated call history, and injects faults on request: an error status (429 with ``Retry-After``, 500, 502),
a response slower than the client's timeout, a body that is not JSON, calls added between two pages. They use
only the standard library, so they run wherever callstatus does::

    with DialNexaServer(calls=500, api_key="k", now=datetime(2026, 1, 15, 12, tzinfo=UTC)) as server:
        client = DialNexaClient("k", base_url=server.url)

The history is a pure function of ``seed``, the call's index and ``now``: every id (call ids, Atoms ``_id`` and
``callId``, contact ids, batch ids) comes from ``seed`` and the index alone, never from the clock, and every
timestamp is ``now`` minus an age. ``now`` defaults to the current time (whole seconds), so ids are the same from
run to run but timestamps are not: tests that compare timestamps, or want the very same history every run, pin
``now``. ``server_filters=False`` makes a server ignore every filter parameter (answering the unfiltered history,
still paged), as a vendor does whose filters are not live yet: the client must then filter on its side.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self, TypedDict, Unpack
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


class ServerOptions(TypedDict, total=False):
    """What every fake server takes: see ``FakeVendorServer``."""

    calls: int
    seed: int
    api_key: str
    now: datetime | None
    days: int | None
    server_filters: bool


class FakeVendorServer:
    """The shared machinery: the HTTP server thread, auth, faults, the request log. Subclasses route.

    ``calls``: how many calls the history holds, newest first, spread evenly over the ``days`` before ``now``
    (the newest an hour before it). ``seed``: what the calls are; the same seed gives the same ids whatever
    ``now`` is. ``now``: the server's present, which every timestamp and every age (Dialgen's live window) is
    counted from; give a timezone-aware datetime. Left out, it is the current time (whole seconds) at
    construction: pin it in tests that want the same timestamps every run. ``days``: the span of the history,
    the vendor's ``DAYS`` when left out. ``server_filters``: False makes the server ignore every filter
    parameter and answer the unfiltered history (still paged), as a vendor whose filters are documented but not
    live does.
    """

    vendor: ClassVar[str] = ""
    prefix: ClassVar[str] = ""
    """Path of the base URL under the server root, e.g. '/v1'."""
    DAYS: ClassVar[int] = 10
    """The span of the generated history when ``days`` is not given."""
    NEWEST: ClassVar[timedelta] = timedelta(hours=1)
    """How long before ``now`` the newest generated call was placed, so that every call ended before ``now``."""

    def __init__(
        self,
        *,
        calls: int = 100,
        seed: int = 0,
        api_key: str = "test-api-key",
        now: datetime | None = None,
        days: int | None = None,
        server_filters: bool = True,
    ) -> None:
        if now is not None and now.utcoffset() is None:
            raise UsageError(f"now must be timezone-aware, got {now!r}")
        if calls < 0:
            raise UsageError(f"calls must be 0 or more, got {calls}")
        self.api_key = api_key
        self.seed = seed
        self.now = now if now is not None else datetime.now(UTC).replace(microsecond=0)
        """The server's present: every timestamp and every age is counted from it."""
        self.days = self.DAYS if days is None else days
        self.server_filters = server_filters
        self.size = calls
        """How many calls the history was generated with (``add_calls`` adds more)."""
        self._serial = 0
        self.history: list[dict[str, Any]] = [self._new_call(i) for i in range(calls)]
        """The calls, newest first, in the vendor's own shape."""
        self.requests: list[Seen] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the history ------------------------------------------------------------------------------------------

    def _new_call(self, index: int) -> dict[str, Any]:
        self._serial += 1
        age = self.NEWEST + timedelta(seconds=self.days * 86400 * index / max(self.size, 1))
        return self.make_call(self.rng(self._serial), self._serial, self.now - age)

    def rng(self, serial: int) -> random.Random:
        """The random source of the call numbered ``serial`` (its index + 1): a function of the seed and the
        serial only, so a call is the same whatever else the history holds."""
        return random.Random(f"{self.vendor}:{self.seed}:{serial}")

    def digest(self, serial: int) -> str:
        """64 hex digits drawn from the seed and ``serial``: the material of ids that look random."""
        return hashlib.sha256(f"{self.vendor}:{self.seed}:{serial}".encode()).hexdigest()

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        """One generated call in the vendor's shape: ``rng`` is ``self.rng(serial)``, ``created`` its time."""
        raise NotImplementedError

    def add_calls(self, count: int) -> None:
        """Add ``count`` new calls at the head of the history (newest first), as if just placed at ``now``."""
        with self._lock:
            fresh = [
                self.make_call(self.rng(self._serial + i + 1), self._serial + i + 1, self.now) for i in range(count)
            ]
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


def _listed(query: dict[str, str], name: str) -> set[str] | None:
    """A comma-separated filter parameter as a set, None when absent or empty."""
    items = {item for item in query.get(name, "").split(",") if item}
    return items or None


def _within(created: str | None, since: datetime | None, until: datetime | None) -> bool:
    when = _parse_time(created)
    if when is None:
        return since is None and until is None
    return (since is None or when >= since) and (until is None or when <= until)


OUR_NUMBER = "+14155550100"
"""The account's own number: the caller of outbound calls, the callee of inbound ones."""


# -- DialNexa ---------------------------------------------------------------------------------------------------


class DialNexaServer(FakeVendorServer):
    """DialNexa: ``GET /v1/calls`` and ``GET /v1/call-logs/{id}``. ``envelope``: 'meta' ({data, meta{page, limit,
    total, totalPages}}), 'meta-without-total-pages', or 'array' (a bare array, as the OpenAPI shows).

    ``/calls`` pages with ``page`` and ``limit`` (at most 100) and, unless ``server_filters`` is False, filters on
    ``status``, ``agent_id``, ``call_direction`` (inbound, outbound) and ``batch_call_id``, each a comma-separated
    list, and ``from``/``to`` (bounds on ``created_at``). Calls are inbound or outbound (``call_direction``), by
    one of ``AGENTS``; outbound ones mostly belong to one of ``BATCHES`` (``batch_id``), the others to none.
    """

    vendor = "dialnexa"
    prefix = "/v1"
    AGENTS: ClassVar[tuple[str, ...]] = ("agt_0", "agt_1", "agt_2", "agt_3")
    BATCHES: ClassVar[tuple[str, ...]] = ("batch_0", "batch_1", "batch_2")
    DIRECTIONS: ClassVar[tuple[str, ...]] = ("outbound", "outbound", "outbound", "inbound")
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "outbound": (
            "completed", "completed", "completed", "did_not_pick", "no_answer", "busy", "failed", "cancelled",
            "retry_expired", "initiated", "sent", "created", "in-progress", "no-answer",
        ),
        "inbound": ("completed", "completed", "completed", "received", "in-progress", "failed"),
    }  # fmt: skip
    """The call-log enum and the lighter /calls spellings; 'sent' is outbound only, 'received' inbound only."""
    REASONS: ClassVar[dict[str, str]] = {
        "completed": "user_disconnected",
        "did_not_pick": "user_did_not_pick_up",
        "no_answer": "user_did_not_pick_up",
        "no-answer": "user_did_not_pick_up",
        "busy": "user_busy",
        "failed": "network_failure",
    }

    def __init__(self, *, envelope: str = "meta", **options: Unpack[ServerOptions]) -> None:
        if envelope not in ("meta", "meta-without-total-pages", "array"):
            raise UsageError(f"unknown envelope {envelope!r}")
        self.envelope = envelope
        super().__init__(**options)

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        direction = rng.choice(self.DIRECTIONS)
        status = rng.choice(self.STATUSES[direction])
        duration = rng.randrange(20, 600) if status == "completed" else 0
        customer = _number(rng)
        outbound = direction == "outbound"
        call: dict[str, Any] = {
            "id": f"call_{serial:06d}",
            "agent_id": rng.choice(self.AGENTS),
            "to_phone_number": customer if outbound else OUR_NUMBER,
            "from_phone_number": OUR_NUMBER if outbound else customer,
            "call_direction": direction,
            "batch_id": rng.choice((*self.BATCHES, None)) if outbound else None,
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
        if not self.server_filters:
            return list(self.history)
        wanted = {
            "status": _listed(query, "status"),
            "agent_id": _listed(query, "agent_id"),
            "call_direction": _listed(query, "call_direction"),
            "batch_id": _listed(query, "batch_call_id"),
        }
        since, until = _parse_time(query.get("from")), _parse_time(query.get("to"))
        return [
            call
            for call in self.history
            if all(values is None or call[field] in values for field, values in wanted.items())
            and _within(call["created_at"], since, until)
        ]


# -- Smallest.ai Atoms ------------------------------------------------------------------------------------------


class AtomsServer(FakeVendorServer):
    """Atoms: ``GET /api/v1/conversation`` in ``{status, data: {logs, pagination}}``, ``GET
    /api/v1/conversation/{callId}`` and ``POST /api/v1/conversation/search`` (at most 100 callIds).

    ``/conversation`` pages with ``page`` and ``limit`` and, unless ``server_filters`` is False, filters on
    ``statusFilter``, ``agentIds``, ``campaignIds`` and ``callTypes`` (telephony_inbound, telephony_outbound,
    webcall), each a comma-separated list, ``dateFrom``/``dateTo`` (bounds on ``createdAt``) and ``search`` (in
    ``callId``, ``from`` or ``to``). Calls are of each ``type``, by one of ``AGENTS``; outbound ones belong to one
    of ``CAMPAIGNS`` (``campaignId``), the others to none. ``callId`` keeps the vendor's shape
    ``CALL-<13 digits>-<6 hex digits>`` but is drawn from the seed and the index: its number is not a time.
    """

    vendor = "atoms"
    prefix = "/api/v1"
    AGENTS: ClassVar[tuple[str, ...]] = ("agent_0", "agent_1", "agent_2", "agent_3")
    CAMPAIGNS: ClassVar[tuple[str, ...]] = ("camp_0", "camp_1", "camp_2")
    TYPES: ClassVar[tuple[str, ...]] = (
        "telephony_outbound", "telephony_outbound", "telephony_outbound", "telephony_outbound", "telephony_inbound",
        "telephony_inbound", "webcall",
    )  # fmt: skip
    STATUSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "telephony_outbound": (
            "completed", "completed", "completed", "failed", "no_answer", "cancelled", "in_progress", "in_queue",
            "pending", "processing", "busy", "active",
        ),
        "telephony_inbound": ("completed", "completed", "completed", "failed", "in_progress", "processing", "active"),
        "webcall": ("completed", "completed", "failed", "in_progress", "processing"),
    }  # fmt: skip
    """The statusFilter enum and the SDK's busy; no_answer and the queue states are outbound only."""
    REASONS: ClassVar[dict[str, str]] = {
        "completed": "user_hangup",
        "failed": "connection_error",
        "no_answer": "dial_no_answer",
        "busy": "dial_no_answer",
    }
    _SUFFIX_STEP = 1_000_003
    """Odd, so coprime with 16**6: ``serial * step`` modulo 16**6 never repeats, so suffixes are unique per seed."""

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        kind = rng.choice(self.TYPES)
        status = rng.choice(self.STATUSES[kind])
        customer = None if kind == "webcall" else _number(rng)
        ours = None if kind == "webcall" else OUR_NUMBER
        outbound = kind == "telephony_outbound"
        return {
            "_id": self._object_id(serial),
            "callId": self._call_id(serial),
            "status": status,
            "duration": rng.randrange(20, 600) if status == "completed" else 0,
            "from": ours if outbound else customer,
            "to": customer if outbound else ours,
            "type": kind,
            "agentId": rng.choice(self.AGENTS),
            "campaignId": rng.choice(self.CAMPAIGNS) if outbound else None,
            "disconnectionReason": self.REASONS.get(status),
            "retryCount": 0,
            "callCost": 1.5,
            "createdAt": _iso(created),
        }

    def _object_id(self, serial: int) -> str:
        """24 hex digits, like a MongoDB ObjectId: 16 from the seed's digest, 8 counting the serial."""
        return f"{self.digest(serial)[:16]}{serial % 16**8:08x}"

    def _call_id(self, serial: int) -> str:
        """``CALL-<13 digits>-<6 hex digits>``: the number from the seed's digest (not a time), the suffix a
        scrambled serial, unique for the first 16**6 calls."""
        number = 1_700_000_000_000 + int(self.digest(serial), 16) % 10**11
        suffix = (serial * self._SUFFIX_STEP + int(self.digest(0), 16)) % 16**6
        return f"CALL-{number}-{suffix:06x}"

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
        if not self.server_filters:
            return list(self.history)
        wanted = {
            "status": _listed(query, "statusFilter"),
            "agentId": _listed(query, "agentIds"),
            "campaignId": _listed(query, "campaignIds"),
            "type": _listed(query, "callTypes"),
        }
        since, until = _parse_time(query.get("dateFrom")), _parse_time(query.get("dateTo"))
        search = query.get("search")

        def found(call: dict[str, Any]) -> bool:
            return not search or any(search in (call[key] or "") for key in ("callId", "from", "to"))

        return [
            call
            for call in self.history
            if all(values is None or call[field] in values for field, values in wanted.items())
            and _within(call["createdAt"], since, until)
            and found(call)
        ]


# -- Dialgen ----------------------------------------------------------------------------------------------------


class DialgenServer(FakeVendorServer):
    """Dialgen: live status (``/api/v1/status/call``, calls of the last ``live_days`` only), persistent status
    (``/api/v1/call/check-status``), ``/api/v1/call/get-metric``, live batch status (``/api/v1/status/batch``,
    the batch's calls of the last ``live_days``; 404 when none is), batch statistics
    (``/api/v1/batch/check-status``, every call however old) and ``/api/v1/batch/list`` (newest first). Every
    request must carry ``userId``. ``live_days``: how long the live cache keeps a call (0: it has expired for all).

    Dialgen has no call listing, so there is nothing for ``server_filters`` to switch off. The history spans
    ``DAYS`` (60) by default, twice the live window. Every call belongs to one of ``batches`` batches,
    ``batch_0`` (the newest calls) to ``batch_{batches - 1}`` (the oldest), each a contiguous stretch of the
    history run by one agent (``agent_1``, ``agent_2``, ``agent_3``, in turn): with the defaults, ``batch_0`` is
    all live, ``batch_1`` partly and ``batch_2`` not at all. Calls added later join ``batch_0``. Most calls are
    ``OUTBOUND``, some ``INBOUND`` (``direction``, in the persistent status and the metrics).
    """

    vendor = "dialgen"
    prefix = ""
    DAYS = 60
    AGENTS: ClassVar[tuple[str, ...]] = ("agent_1", "agent_2", "agent_3")
    DIRECTIONS: ClassVar[tuple[str, ...]] = ("OUTBOUND", "OUTBOUND", "OUTBOUND", "OUTBOUND", "INBOUND")
    STATUSES: ClassVar[tuple[tuple[str, str | None], ...]] = (
        ("COMPLETED", None), ("COMPLETED", None), ("COMPLETED", None), ("MISSED", "NO_ANSWER"), ("MISSED", "BUSY"),
        ("FAILED", "NETWORK_ERROR"), ("FAILED", "INVALID_NUMBER"), ("FAILED", "INSUFFICIENT_CREDITS"),
        ("ONGOING", None), ("SCHEDULED", None),
    )  # fmt: skip
    RUNNING: ClassVar[frozenset[str]] = frozenset({"ONGOING", "SCHEDULED"})

    def __init__(
        self,
        *,
        user_id: str = "test-user",
        batches: int = 3,
        live_days: int = 30,
        **options: Unpack[ServerOptions],
    ) -> None:
        if batches < 1:
            raise UsageError(f"batches must be 1 or more, got {batches}")
        self.user_id = user_id
        self.batch_count = batches
        self.live_days = live_days
        super().__init__(**options)

    def batch_of(self, serial: int) -> int:
        """The batch number of the call numbered ``serial``: contiguous stretches, batch 0 the newest."""
        if serial > self.size:
            return 0
        return (serial - 1) * self.batch_count // max(self.size, 1)

    def make_call(self, rng: random.Random, serial: int, created: datetime) -> dict[str, Any]:
        batch = self.batch_of(serial)
        status, error = rng.choice(self.STATUSES)
        duration = rng.randrange(20, 600) if status == "COMPLETED" else None
        return {
            "id": f"call_{serial:06d}",
            "contactId": f"contact_{serial:06d}",
            "agentId": self.AGENTS[batch % len(self.AGENTS)],
            "batchId": f"batch_{batch}",
            "status": status,
            "error": error,
            "direction": rng.choice(self.DIRECTIONS),
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

    def batches(self) -> list[dict[str, Any]]:
        """The batch summaries ``/api/v1/batch/list`` answers, newest first."""
        members: dict[str, list[dict[str, Any]]] = {}
        for call in self.history:
            members.setdefault(call["batchId"], []).append(call)
        summaries = []
        for batch_id, calls in sorted(members.items(), key=lambda item: int(item[0].removeprefix("batch_"))):
            summaries.append(
                {
                    "batchId": batch_id,
                    "agentId": calls[-1]["agentId"],
                    "status": self._batch_status(calls),
                    "total": len(calls),
                    "createdAt": calls[-1]["createdAt"],
                }
            )
        return summaries

    def _batch_status(self, calls: list[dict[str, Any]]) -> str:
        return "processing" if any(call["status"] in self.RUNNING for call in calls) else "completed"

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
            if limit in ("all", "-1"):
                shown = batch
            elif limit.isdigit() and int(limit) > 0:
                shown = batch[: int(limit)]
            else:
                return 400, {}, self.error_body(400, "limit must be a positive integer, 'all' or -1")
            recent = [{key: c[key] for key in ("id", "status", "duration", "createdAt", "phoneNumber")} for c in shown]
            status = self._batch_status(batch)
            return 200, {}, {"batchId": query["batchId"], "status": status, "recentCalls": recent}
        if path == "/api/v1/batch/list":
            return 200, {}, self.batches()
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
