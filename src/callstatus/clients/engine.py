"""Everything the sync and async clients share, free of I/O: requests built from the table's ``[api]`` section,
replies read, retries decided, errors typed, pages walked and records made.

An operation is a generator that yields a ``Request`` and is sent back its ``Reply``; listings also yield tuples
of records as each page arrives. ``callstatus.clients.base`` drives them with httpx, blocking or async.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import httpx
import orjson

from ..adapter import Adapter, OnUnmapped
from ..apitable import ApiTable, Endpoint, read_first
from ..errors import NormalizationError, UsageError
from ..record import CallRecord
from ..vocabulary import CallStatus, Direction
from .errors import (
    AuthError,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    RateLimitedError,
    UnsupportedError,
    VendorAPIError,
    VendorConnectionError,
    VendorRequestError,
    VendorResponseError,
    VendorServerError,
)
from .policy import HttpRetry, RateLimiter, parse_retry_after

__all__ = [
    "CANONICAL_FILTERS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Engine",
    "Listing",
    "Operation",
    "Page",
    "Reply",
    "Request",
    "Wanted",
]

logger = logging.getLogger("callstatus.clients")

_EXCERPT = 200
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1_048_576
"""A response body past this many bytes is refused while it streams (``VendorResponseError``), not retried."""
CANONICAL_FILTERS = ("status", "since", "until", "direction", "agent_id", "campaign_id")
"""The filters every client's ``list_calls`` takes: sent to the vendor where it can filter, always checked here."""
SINCE_SLACK = timedelta(days=1)
"""Vendors bound their date filters by creation time, the call time by start: the server's since is widened."""
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class _Malformed:
    def __repr__(self) -> str:
        return "<not JSON>"


MALFORMED: Any = _Malformed()
"""The body of a reply that was not JSON."""


@attrs.frozen
class Request:
    """One HTTP request of an operation; ``endpoint`` is the table's name for it."""

    endpoint: str
    method: str
    url: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None


@attrs.frozen
class Reply:
    """What came back: the status, the headers (lower-case names) and the decoded JSON body."""

    request: Request
    status: int
    headers: Mapping[str, str]
    body: Any
    text: str
    """The start of the raw body, for messages."""


@attrs.frozen
class Page:
    """One page of a listing as it arrived: its number, how many calls the vendor sent, the ones kept."""

    number: int
    received: int
    records: tuple[CallRecord, ...]
    source: str
    """The endpoint path, and the parent it belongs to when the listing walks parents (a Dialgen batch)."""
    failed: int = 0
    """Items of the page that are not a call of the documented shape: skipped and logged (raised when strict)."""


@attrs.frozen
class Wanted:
    """The canonical filters, checked on every record: what a vendor cannot (or will not) filter is dropped here.

    ``since``/``until`` bound the call's time (``started_at``, else ``created_at``), since inclusive, until
    exclusive; a call without either time is outside every window.
    """

    statuses: frozenset[CallStatus] | None = None
    direction: Direction | None = None
    agent_id: str | None = None
    campaign_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, filters: Mapping[str, Any]) -> Wanted:
        """The checked canonical filters among ``filters`` (others are ignored here)."""
        status = filters.get("status")
        direction = filters.get("direction")
        try:
            chosen = None if direction is None else Direction(direction)
        except ValueError:
            raise UsageError(f"direction filter: not a canonical direction: {direction!r}") from None
        return cls(
            statuses=None if status is None else frozenset(_statuses(status)),
            direction=chosen,
            agent_id=filters.get("agent_id"),
            campaign_id=filters.get("campaign_id"),
            since=_aware(filters.get("since"), "since"),
            until=_aware(filters.get("until"), "until"),
        )

    def keeps(self, record: CallRecord) -> bool:
        """Whether a record passes every filter."""
        if self.statuses is not None and record.status not in self.statuses:
            return False
        if self.direction is not None and record.direction is not self.direction:
            return False
        if self.agent_id is not None and record.agent_id != self.agent_id:
            return False
        if self.campaign_id is not None and record.campaign_id != self.campaign_id:
            return False
        if self.since is not None or self.until is not None:
            moment = record.started_at or record.created_at
            if moment is None:
                return False
            if (self.since is not None and moment < self.since) or (self.until is not None and moment >= self.until):
                return False
        return True


def _aware(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UsageError(f"{name}: give a timezone-aware datetime, not {value!r}")
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise UsageError(f"{name}: give a datetime, not {type(value).__name__}")


Operation = Generator[Request, Reply, Any]
Listing = Generator["Request | Page", "Reply | None", None]


def _reply_of(value: Reply | None) -> Reply:
    if value is None:  # pragma: no cover - only a broken driver sends None after a request
        raise UsageError("the driver sent no reply for a request")
    return value


@attrs.define
class Engine:
    """One client's vendor, credentials and policies; builds its requests and judges its replies."""

    adapter: Adapter
    api: ApiTable
    base_url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    credentials: tuple[tuple[str, str], ...] = attrs.field(repr=False)
    retry: HttpRetry
    limiter: RateLimiter
    strict: bool = False
    on_unmapped: OnUnmapped | None = attrs.field(default=None, repr=False)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    @classmethod
    def create(
        cls,
        adapter: Adapter,
        *,
        api_key: str | None,
        credentials: Mapping[str, str | None],
        base_url: str | None,
        retry: HttpRetry | None,
        max_requests_per_second: float | None,
        strict: bool,
        on_unmapped: OnUnmapped | None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allow_insecure: bool = False,
    ) -> Engine:
        """Check the settings, filling the API key and account ids from the environment when not given."""
        api = adapter.api
        if api is None:
            raise UsageError(f"the {adapter.id} table has no [api] section")
        url = (base_url or api.base_url).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{adapter.id}: base_url must be an http(s) URL, not {url!r}")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK and not allow_insecure:
            raise UsageError(
                f"{adapter.id}: plain http to {parts.hostname} would send the API key in clear; use https, "
                "or pass allow_insecure=True"
            )
        if max_response_bytes < 1:
            raise UsageError(f"{adapter.id}: max_response_bytes must be positive")
        key = api_key or os.environ.get(env_name(adapter.id, "api_key"))
        if not key:
            raise UsageError(f"{adapter.id}: no API key; pass api_key= or set {env_name(adapter.id, 'api_key')}")
        params = []
        for argument, parameter in api.credentials.items():
            value = credentials.get(argument) or os.environ.get(env_name(adapter.id, argument))
            if not value:
                raise UsageError(f"{adapter.id}: pass {argument}= or set {env_name(adapter.id, argument)}")
            params.append((parameter, value))
        return cls(
            adapter=adapter,
            api=api,
            base_url=url,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            credentials=tuple(params),
            retry=retry or HttpRetry(),
            limiter=RateLimiter(max_requests_per_second),
            strict=strict,
            on_unmapped=on_unmapped,
            max_response_bytes=max_response_bytes,
        )

    # -- requests and replies -----------------------------------------------------------------------------

    def request(self, endpoint: Endpoint, args: Mapping[str, Any], extra: Iterable[tuple[str, str]] = ()) -> Request:
        """The request for an endpoint: path arguments filled in, query and body parameters named per the table."""
        path = endpoint.path
        for name, value in args.items():
            marker = "{" + name + "}"
            if marker in path:
                path = path.replace(marker, quote(str(value), safe=""))
        params = [*self.credentials, *endpoint.query.items()]
        params += [(endpoint.params[name], str(args[name])) for name in endpoint.params if args.get(name) is not None]
        params += extra
        body = None
        if endpoint.body:
            body = {key: args[name] for name, key in endpoint.body.items() if name in args}
        return Request(
            endpoint=endpoint.name,
            method=endpoint.method,
            url=self.base_url + path,
            path=path,
            params=tuple(params),
            json=body,
        )

    def reply(self, request: Request, status: int, headers: httpx.Headers, content: bytes) -> Reply:
        """Read a response; note the vendor's rate-limit window when its headers say it is used up."""
        try:
            body = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            body = MALFORMED
        text = content[:_EXCERPT].decode("utf-8", "replace")
        lowered = {name.lower(): value for name, value in headers.items()}
        self._watch_window(lowered)
        return Reply(request=request, status=status, headers=lowered, body=body, text=text)

    def _watch_window(self, headers: Mapping[str, str]) -> None:
        if self.api.rate_limit_remaining is None or self.api.rate_limit_reset is None:
            return
        if headers.get(self.api.rate_limit_remaining.lower(), "").strip() != "0":
            return
        reset = parse_retry_after(headers.get(self.api.rate_limit_reset.lower()))
        if reset is None:
            return
        if reset > 1e9:  # an epoch time rather than seconds
            reset = max(0.0, reset - datetime.now(UTC).timestamp())
        self.limiter.pause(min(reset, self.retry.max_retry_after))

    def retry_delay(self, request: Request, outcome: Reply | httpx.RequestError, attempt: int) -> float | None:
        """Seconds to wait before asking again, or None when the outcome is final."""
        if isinstance(outcome, httpx.RequestError):
            retryable = isinstance(outcome, _RETRYABLE)
            asked = None
            what = type(outcome).__name__
        else:
            status = outcome.status
            retryable = status == 429 or status >= 500  # a body that is not JSON would not be JSON the next time
            asked = parse_retry_after(outcome.headers.get("retry-after")) if retryable else None
            what = f"answered {status}"
        if not retryable or attempt >= self.retry.retries:
            return None
        if asked is not None and asked > self.retry.max_retry_after:
            return None
        delay = asked if asked is not None else self.retry.backoff_delay(attempt)
        logger.warning(
            "callstatus: %s %s %s %s; retry %d of %d in %.2f s",
            self.adapter.id,
            request.method,
            request.path,
            what,
            attempt + 1,
            self.retry.retries,
            delay,
        )
        return delay

    def settle(self, request: Request, outcome: Reply | httpx.RequestError, tries: int) -> Reply:
        """The final outcome of a request after ``tries`` tries: its reply, or a ``VendorConnectionError``."""
        if isinstance(outcome, Reply):
            return outcome
        kind = "timed out" if isinstance(outcome, httpx.TimeoutException) else "connection failed"
        raise VendorConnectionError(
            f"{kind} ({type(outcome).__name__}) after {tries} {'try' if tries == 1 else 'tries'}",
            vendor=self.adapter.id,
            method=request.method,
            url=request.path,
        ) from None

    # -- judging replies ----------------------------------------------------------------------------------

    def error(self, reply: Reply, problem: str | None = None) -> VendorAPIError:
        """The typed error for a reply that is not a success, carrying the vendor's error body."""
        envelope = None if reply.body is MALFORMED else reply.body
        message = read_first(envelope, self.api.error_message)
        if isinstance(message, list):
            message = "; ".join(str(part) for part in message)
        if message is None or isinstance(message, (dict, bool)):
            message = reply.text.strip() or httpx.codes.get_reason_phrase(reply.status) or "no message"
        if problem is not None:
            message = f"{problem} ({message})" if envelope is not None and message != reply.text.strip() else problem
        code = read_first(envelope, self.api.error_code)
        common: dict[str, Any] = {
            "vendor": self.adapter.id,
            "method": reply.request.method,
            "url": reply.request.path,
            "status_code": reply.status,
            "code": None if code is None else str(code),
            "envelope": envelope,
        }
        status = reply.status
        if 200 <= status < 300:
            return VendorResponseError(str(message), **common)
        if status in (401, 403):
            return AuthError(str(message), **common)
        if status == 402:
            return InsufficientCreditsError(str(message), **common)
        if status == 404:
            return NotFoundError(str(message), **common)
        if status == 409:
            existing = read_first(envelope, self.api.existing_call_id)
            return ConflictError(str(message), existing_call_id=None if existing is None else str(existing), **common)
        if status == 429:
            return RateLimitedError(
                str(message), retry_after=parse_retry_after(reply.headers.get("retry-after")), **common
            )
        if status >= 500:
            return VendorServerError(str(message), **common)
        return VendorRequestError(str(message), **common)

    def body(self, reply: Reply) -> Any:
        """The body of a successful reply; the typed error otherwise."""
        if not 200 <= reply.status < 300:
            raise self.error(reply)
        if reply.body is MALFORMED:
            raise self.error(reply, "the body is not JSON")
        endpoint = self.api.endpoint(reply.request.endpoint)
        if endpoint.ok and read_first(reply.body, endpoint.ok) is False:
            raise self.error(reply, "the body says the request failed")
        return reply.body

    def items(self, endpoint: Endpoint, reply: Reply) -> list[Any]:
        """The list of records in a list endpoint's body, or ``VendorResponseError`` naming where it looked."""
        found = read_first(self.body(reply), endpoint.records)
        if not isinstance(found, list):
            raise self.error(reply, f"no list of records at {_where(endpoint)}")
        return found

    def record(self, endpoint: Endpoint, reply: Reply) -> CallRecord:
        """The one record of a single-call endpoint; the whole body is normalised, as its shape expects."""
        body = self.body(reply)
        if not read_first(body, endpoint.records) or not isinstance(read_first(body, endpoint.records), dict):
            raise self.error(reply, f"no call object at {_where(endpoint)}")
        try:
            return self.normalize(body)
        except NormalizationError as exc:
            if self.strict:  # strict refusals of unknown values stay what they are
                raise
            raise self.error(reply, f"the call is not the documented shape: {exc}") from exc

    def normalize(self, payload: Any) -> CallRecord:
        """A record from a decoded item of this vendor."""
        if not isinstance(payload, dict):
            raise NormalizationError("a list item is not an object", vendor=self.adapter.id, path="$", value=payload)
        return self.adapter.normalize(payload, strict=self.strict, on_unmapped=self.on_unmapped)

    # -- filters ------------------------------------------------------------------------------------------

    def query(self, endpoint: Endpoint, filters: Mapping[str, Any]) -> tuple[list[tuple[str, str]], Wanted]:
        """The query parameters for the filters the endpoint takes, and the canonical filters checked on every record.

        A canonical filter the endpoint does not take is applied here alone; a vendor-only one (``search``) must be
        one it takes. A status filter asks for every raw value that can resolve to one of the statuses under the
        outcome laws, so the vendor may send more than was asked for; the rest is dropped here. When some status
        has no raw value the parameter accepts, the vendor is not asked to filter by status at all.
        """
        wanted = Wanted.of(filters)
        params: list[tuple[str, str]] = []
        for name, value in filters.items():
            if value is None:
                continue
            if name not in endpoint.filters:
                if name in CANONICAL_FILTERS:
                    continue
                takes = ", ".join(sorted(set(endpoint.filters) - set(CANONICAL_FILTERS))) or "none"
                raise UnsupportedError(
                    f"{endpoint.path} takes no {name} filter",
                    vendor=self.adapter.id,
                    instead=f"vendor filters: {takes}",
                )
            spec = self.api.filters[name]
            if spec.reverse is not None:
                statuses = _statuses(value)
                if all(spec.reverse.get(status) for status in statuses):
                    params.append((spec.param, spec.join.join(spec.raw_statuses(statuses))))
            elif spec.values_of:
                chosen = spec.values_of.get(str(getattr(value, "value", value)))
                if chosen:
                    params.append((spec.param, spec.join.join(chosen)))
            elif name == "since" and wanted.since is not None:
                params.append((spec.param, _time(wanted.since - SINCE_SLACK, spec.format, name)))
            elif isinstance(value, (datetime, date)):
                params.append((spec.param, _time(value, spec.format, name)))
            elif isinstance(value, str):
                params.append((spec.param, value))
            else:
                params.append((spec.param, spec.join.join(str(part) for part in value)))
        return params, wanted

    def page_size(self, page_size: int | None) -> int:
        """The page size to ask for: the caller's, checked against the vendor's documented maximum."""
        pages = self.api.pages
        if pages is None:  # pragma: no cover - compile_api refuses paged endpoints without [api.pages]
            raise UsageError(f"{self.adapter.id}: no [api.pages]")
        if page_size is None:
            return pages.size
        if page_size < 1 or (pages.max_size is not None and page_size > pages.max_size):
            limit = "" if pages.max_size is None else f" (at most {pages.max_size})"
            raise UsageError(f"{self.adapter.id}: page_size {page_size!r} is out of range{limit}")
        return page_size

    def stale(self, endpoint: Endpoint, record: CallRecord) -> bool:
        """Whether a record from ``endpoint`` is older than the endpoint keeps fresh."""
        if endpoint.fresh_days is None:
            return False
        when = record.started_at or record.created_at
        return when is not None and datetime.now(UTC) - when > timedelta(days=endpoint.fresh_days)


def env_name(vendor: str, argument: str) -> str:
    """The environment variable a client reads a missing credential from, e.g. CALLSTATUS_DIALNEXA_API_KEY."""
    return f"CALLSTATUS_{vendor.upper()}_{argument.upper()}"


def _where(endpoint: Endpoint) -> str:
    return " | ".join(".".join(keys) or "$" for keys in endpoint.records)


def _statuses(value: Any) -> tuple[CallStatus, ...]:
    values = (value,) if isinstance(value, (str, CallStatus)) else tuple(value)
    try:
        return tuple(CallStatus(item) for item in values)
    except ValueError:
        raise UsageError(f"status filter: not a canonical status in {values!r}") from None


def _time(value: date, form: str, name: str) -> str:
    if form == "date":
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        raise UsageError(f"{name}: give a timezone-aware datetime, not {value!r}")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- operations ---------------------------------------------------------------------------------------------


def fetch_one(engine: Engine, name: str, args: Mapping[str, Any]) -> Operation:
    """One call from a single-call endpoint, asking its fallback on a miss or when the answer is stale."""
    endpoint = engine.api.endpoint(name)
    reply = yield engine.request(endpoint, args)
    if endpoint.fallback is not None and reply.status in endpoint.fallback_on:
        return (yield from fetch_one(engine, endpoint.fallback, args))
    record = engine.record(endpoint, reply)
    if endpoint.fallback is not None and engine.stale(endpoint, record):
        fallback = engine.api.endpoint(endpoint.fallback)
        later = yield engine.request(fallback, args)
        if later.status not in fallback.fallback_on | endpoint.fallback_on:
            record = engine.record(fallback, later)
    return record


def fetch_items(engine: Engine, name: str, args: Mapping[str, Any]) -> Operation:
    """The items of an unpaged list endpoint as sent, asking its fallback on a miss."""
    endpoint = engine.api.endpoint(name)
    reply = yield engine.request(endpoint, args)
    if endpoint.fallback is not None and reply.status in endpoint.fallback_on:
        return (yield from fetch_items(engine, endpoint.fallback, args))
    return engine.items(endpoint, reply)


def fetch_list(engine: Engine, name: str, args: Mapping[str, Any]) -> Operation:
    """Every record of an unpaged list endpoint, asking its fallback on a miss."""
    return [engine.normalize(item) for item in (yield from fetch_items(engine, name, args))]


def _records(engine: Engine, items: list[Any], where: str) -> tuple[list[CallRecord], int]:
    """The records of a page's items; an item that is not a call is skipped with a warning (raised when strict),
    so one broken record does not end a nightly listing."""
    records, failed = [], 0
    for item in items:
        try:
            records.append(engine.normalize(item))
        except NormalizationError as exc:
            if engine.strict:
                raise
            failed += 1
            logger.warning("callstatus: %s %s: skipped an item that is not a call: %s", engine.adapter.id, where, exc)
    return records, failed


def fetch_raw(engine: Engine, name: str, args: Mapping[str, Any]) -> Operation:
    """The items of a list endpoint as the vendor sent them (for lists that are not calls, like batches)."""
    endpoint = engine.api.endpoint(name)
    reply = yield engine.request(endpoint, args)
    return engine.items(endpoint, reply)


def search(engine: Engine, name: str, argument: str, ids: Iterable[str]) -> Operation:
    """Records for any number of ids, in requests of at most the endpoint's chunk; each id asked once."""
    endpoint = engine.api.endpoint(name)
    unique = list(dict.fromkeys(str(call_id) for call_id in ids))
    size = endpoint.chunk or len(unique) or 1
    found: dict[str, CallRecord] = {}
    for start in range(0, len(unique), size):
        reply = yield engine.request(endpoint, {argument: unique[start : start + size]})
        for item in engine.items(endpoint, reply):
            record = engine.normalize(item)
            found.setdefault(record.call_id, record)
    return [found[call_id] for call_id in unique if call_id in found]


def listing(engine: Engine, name: str, filters: Mapping[str, Any], page_size: int | None) -> Listing:
    """Every call of a paged list endpoint, page by page, each call once.

    A page is asked for once (retries aside). Calls already seen on an earlier page, which happens when the
    history shifts between requests, are dropped and the shift is logged; a page holding nothing new while the
    vendor says more follow means the vendor ignores the page parameter, which raises rather than loops.
    """
    endpoint = engine.api.endpoint(name)
    pages = engine.api.pages
    if pages is None:  # pragma: no cover - compile_api refuses paged endpoints without [api.pages]
        raise UsageError(f"{engine.adapter.id}: no [api.pages]")
    query, wanted = engine.query(endpoint, filters)
    size = engine.page_size(page_size)
    number = 0
    seen: set[str] = set()
    repeated = 0
    totals: set[Any] = set()
    page = pages.first
    while True:
        extra = [*query, (pages.page, str(page)), (pages.limit, str(size))]
        reply = _reply_of((yield engine.request(endpoint, {}, extra)))
        items = engine.items(endpoint, reply)
        records, failed = _records(engine, items, f"{endpoint.path} page {page}")
        fresh: list[CallRecord] = []
        again = 0
        for record in records:
            if record.call_id in seen:
                again += 1
                continue
            seen.add(record.call_id)
            if wanted.keeps(record):
                fresh.append(record)
        repeated += again
        totals.add(read_first(reply.body, pages.total))
        number += 1
        yield Page(number=number, received=len(items), records=tuple(fresh), source=endpoint.path, failed=failed)
        if not pages.more(reply.body, page, size, len(items)):
            break
        if items and again + failed == len(items):
            raise engine.error(reply, f"page {page} holds no call not seen before; is '{pages.page}' ignored?")
        page += 1
    if repeated or len(totals) > 1:
        logger.warning(
            "callstatus: %s %s: the history changed while it was listed (%d calls seen twice were dropped, "
            "totals %s); calls created meanwhile may be missing until the next listing",
            engine.adapter.id,
            endpoint.path,
            repeated,
            sorted(str(total) for total in totals),
        )


def walk(engine: Engine, filters: Mapping[str, Any]) -> Listing:
    """Every call of a vendor without a call listing: its parents (Dialgen's batches) are listed, then each
    parent's calls (live, else the fallback store), each call once, every canonical filter checked here."""
    spec = engine.api.walk
    if spec is None:  # pragma: no cover - callers check
        raise UsageError(f"{engine.adapter.id}: no [api.walk]")
    _query, wanted = engine.query(engine.api.endpoint(spec.children), filters)
    parents = engine.api.endpoint(spec.parents)
    reply = _reply_of((yield engine.request(parents, {})))
    ids = [read_first(item, spec.parent_id) for item in engine.items(parents, reply)]
    seen: set[str] = set()
    for number, parent in enumerate(dict.fromkeys(str(found) for found in ids if found is not None), 1):
        items = yield from _parent_items(engine, spec.children, {spec.argument: parent})
        source = f"{engine.api.endpoint(spec.children).path} {spec.argument}={parent}"
        records, failed = _records(engine, items, source)
        kept = []
        for record in records:
            if record.call_id not in seen:
                seen.add(record.call_id)
                if wanted.keeps(record):
                    kept.append(record)
        yield Page(number=number, received=len(items), records=tuple(kept), source=source, failed=failed)


def _parent_items(engine: Engine, name: str, args: Mapping[str, Any]) -> Operation:
    """A parent's items from its endpoint, then from the fallback store too: the live view keeps recent calls
    only, so older calls of the same parent are only in the store (a call in both is read live: first wins)."""
    endpoint = engine.api.endpoint(name)
    items: list[Any] = []
    for source in (endpoint, *(() if endpoint.fallback is None else (engine.api.endpoint(endpoint.fallback),))):
        reply = yield engine.request(source, args)
        if reply.status not in source.fallback_on | endpoint.fallback_on:
            items += engine.items(source, reply)
    return items
