"""The two drivers of the engine's operations: blocking over ``httpx.Client`` and async over ``httpx.AsyncClient``.

They do only the I/O and the sleeping; what to send, whether to retry and what a reply means is the engine's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypedDict, TypeVar

import httpx

from ..adapter import OnUnmapped
from ..normalize import get_adapter
from ..record import CallRecord
from ..vocabulary import CallStatus, Direction
from .engine import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Engine,
    Listing,
    Operation,
    Page,
    Reply,
    Request,
    fetch_one,
    listing,
    walk,
)
from .errors import UnsupportedError, VendorResponseError
from .policy import HttpRetry

__all__ = ["AsyncClientBase", "CallFilters", "ClientBase", "OnPage", "StatusFilter"]

H = TypeVar("H", httpx.Client, httpx.AsyncClient)
StatusFilter = CallStatus | str | Iterable[CallStatus | str] | None
"""One canonical status or several; the vendor is asked for every raw value that can mean one of them."""


class CallFilters(TypedDict, total=False):
    """The canonical filters of ``list_calls``, on every vendor."""

    since: datetime | None
    until: datetime | None
    status: StatusFilter
    direction: Direction | str | None
    agent_id: str | None
    campaign_id: str | None


OnPage = Callable[[Page], object]
"""Called with each page as it arrives (its number, how many calls came, the ones kept): progress, logging."""
DEFAULT_TIMEOUT = 10.0


class _Base(Generic[H]):
    vendor: str = ""
    """The adapter id the subclass speaks for."""

    _http_class: type[H]

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        client: H | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: HttpRetry | None = None,
        max_requests_per_second: float | None = None,
        strict: bool = False,
        on_unmapped: OnUnmapped | None = None,
        credentials: Mapping[str, str | None] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allow_insecure: bool = False,
    ) -> None:
        self._engine = Engine.create(
            get_adapter(self.vendor),
            api_key=api_key,
            credentials=credentials or {},
            base_url=base_url,
            retry=retry,
            max_requests_per_second=max_requests_per_second,
            strict=strict,
            on_unmapped=on_unmapped,
            max_response_bytes=max_response_bytes,
            allow_insecure=allow_insecure,
        )
        self._owns_http = client is None
        self._http: H = client if client is not None else self._http_class()
        self._timeout: Any = timeout
        if timeout is None:  # a caller's own client keeps its own timeouts
            self._timeout = DEFAULT_TIMEOUT if client is None else httpx.USE_CLIENT_DEFAULT

    @property
    def base_url(self) -> str:
        """The vendor API's base URL this client talks to."""
        return self._engine.base_url

    def __repr__(self) -> str:
        engine = getattr(self, "_engine", None)  # a constructor that failed leaves no engine
        return f"{type(self).__name__}(base_url={engine.base_url if engine else None!r})"

    def _send_kwargs(self, request: Request) -> dict[str, Any]:
        return {
            "params": request.params,
            "json": request.json,
            "headers": self._engine.headers,
            "timeout": self._timeout,
        }

    def _declared_too_large(self, request: Request, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self._engine.max_response_bytes:
            raise self._too_large(request, response.status_code, f"declares {int(declared):,} bytes")

    def _too_large(self, request: Request, status: int, what: str) -> VendorResponseError:
        limit = self._engine.max_response_bytes
        return VendorResponseError(
            f"the response {what}, over max_response_bytes={limit:,}; it was not read further",
            vendor=self._engine.adapter.id,
            method=request.method,
            url=request.path,
            status_code=status,
        )

    def _calls(self, filters: Mapping[str, Any], page_size: int | None) -> Listing:
        """The call listing: the vendor's paged endpoint, or a walk of its parents (batches) where it has none."""
        api = self._engine.api
        if "calls" in api.endpoints:
            return listing(self._engine, "calls", filters, page_size)
        if api.walk is not None:
            if page_size is not None:
                raise UnsupportedError(f"{api.walk.children} is not paged", vendor=self.vendor, instead="no page_size")
            return walk(self._engine, filters)
        raise UnsupportedError("no call listing is documented", vendor=self.vendor, instead="get_call(call_id)")

    def _vendor_listing(self, name: str, filters: Mapping[str, Any], page_size: int | None) -> Listing:
        return listing(self._engine, name, filters, page_size)

    def _get_call(self, call_id: str) -> Operation:
        return fetch_one(self._engine, "call", {"call_id": call_id})


class ClientBase(_Base[httpx.Client]):
    """A blocking client. Use as a context manager, or call ``close()``, to release its connections."""

    _http_class = httpx.Client

    def get_call(self, call_id: str) -> CallRecord:
        """One call by its id, as a canonical record."""
        result: CallRecord = self._run(self._get_call(call_id))
        return result

    def list_calls(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: StatusFilter = None,
        direction: Direction | str | None = None,
        agent_id: str | None = None,
        campaign_id: str | None = None,
        page_size: int | None = None,
        on_page: OnPage | None = None,
    ) -> Iterator[CallRecord]:
        """Every call under canonical filters, lazily, each once, the same on every vendor: sent to the vendor
        where it filters (see the README's capability table), always checked on each record. ``since``/``until``
        bound the call's time (``started_at``, else ``created_at``)."""
        filters = {"since": since, "until": until, "status": status, "direction": direction,
                   "agent_id": agent_id, "campaign_id": campaign_id}  # fmt: skip
        return self._iterate(self._calls(filters, page_size), on_page)

    def _send(self, request: Request) -> Reply:
        attempt = 0
        engine = self._engine
        while True:
            wait = engine.limiter.reserve()
            if wait > 0:
                time.sleep(wait)
            outcome: Reply | httpx.RequestError
            try:
                with self._http.stream(request.method, request.url, **self._send_kwargs(request)) as response:
                    self._declared_too_large(request, response)
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > engine.max_response_bytes:
                            raise self._too_large(request, response.status_code, "is longer")
                outcome = engine.reply(request, response.status_code, response.headers, bytes(body))
            except httpx.RequestError as exc:
                outcome = exc
            delay = engine.retry_delay(request, outcome, attempt)
            if delay is None:
                return engine.settle(request, outcome, attempt + 1)
            time.sleep(delay)
            attempt += 1

    def _run(self, operation: Operation) -> Any:
        try:
            request = next(operation)
            while True:
                request = operation.send(self._send(request))
        except StopIteration as done:
            return done.value

    def _iterate(self, operation: Listing, on_page: OnPage | None = None) -> Iterator[CallRecord]:
        step = next(operation, None)
        while step is not None:
            if isinstance(step, Request):
                reply: Reply | None = self._send(step)
            else:
                if on_page is not None:
                    on_page(step)
                yield from step.records
                reply = None
            try:
                step = operation.send(reply)
            except StopIteration:
                return

    def close(self) -> None:
        """Close the connections, unless the ``httpx.Client`` was the caller's."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class AsyncClientBase(_Base[httpx.AsyncClient]):
    """An async client. Use as an async context manager, or await ``aclose()``, to release its connections."""

    _http_class = httpx.AsyncClient

    async def get_call(self, call_id: str) -> CallRecord:
        """One call by its id, as a canonical record."""
        result: CallRecord = await self._run(self._get_call(call_id))
        return result

    def list_calls(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: StatusFilter = None,
        direction: Direction | str | None = None,
        agent_id: str | None = None,
        campaign_id: str | None = None,
        page_size: int | None = None,
        on_page: OnPage | None = None,
    ) -> AsyncIterator[CallRecord]:
        """Every call under canonical filters, lazily, each once: as ``ClientBase.list_calls``."""
        filters = {"since": since, "until": until, "status": status, "direction": direction,
                   "agent_id": agent_id, "campaign_id": campaign_id}  # fmt: skip
        return self._iterate(self._calls(filters, page_size), on_page)

    async def _send(self, request: Request) -> Reply:
        attempt = 0
        engine = self._engine
        while True:
            wait = engine.limiter.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            outcome: Reply | httpx.RequestError
            try:
                async with self._http.stream(request.method, request.url, **self._send_kwargs(request)) as response:
                    self._declared_too_large(request, response)
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > engine.max_response_bytes:
                            raise self._too_large(request, response.status_code, "is longer")
                outcome = engine.reply(request, response.status_code, response.headers, bytes(body))
            except httpx.RequestError as exc:
                outcome = exc
            delay = engine.retry_delay(request, outcome, attempt)
            if delay is None:
                return engine.settle(request, outcome, attempt + 1)
            await asyncio.sleep(delay)
            attempt += 1

    async def _run(self, operation: Operation) -> Any:
        try:
            request = next(operation)
            while True:
                request = operation.send(await self._send(request))
        except StopIteration as done:
            return done.value

    async def _iterate(self, operation: Listing, on_page: OnPage | None = None) -> AsyncIterator[CallRecord]:
        step = next(operation, None)
        while step is not None:
            if isinstance(step, Request):
                reply: Reply | None = await self._send(step)
            else:
                if on_page is not None:
                    on_page(step)
                for record in step.records:
                    yield record
                reply = None
            try:
                step = operation.send(reply)
            except StopIteration:
                return

    async def aclose(self) -> None:
        """Close the connections, unless the ``httpx.AsyncClient`` was the caller's."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
