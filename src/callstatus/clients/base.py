"""The two drivers of the engine's operations: blocking over ``httpx.Client`` and async over ``httpx.AsyncClient``.

They do only the I/O and the sleeping; what to send, whether to retry and what a reply means is the engine's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from ..adapter import OnUnmapped
from ..normalize import get_adapter
from ..record import CallRecord
from ..vocabulary import CallStatus
from .engine import Engine, Listing, Operation, Reply, Request, fetch_one, listing
from .policy import HttpRetry

__all__ = ["AsyncClientBase", "ClientBase", "StatusFilter"]

H = TypeVar("H", httpx.Client, httpx.AsyncClient)
StatusFilter = CallStatus | str | Iterable[CallStatus | str] | None
"""One canonical status or several; the vendor is asked for every raw value that can mean one of them."""
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
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _send_kwargs(self, request: Request) -> dict[str, Any]:
        return {
            "params": request.params,
            "json": request.json,
            "headers": self._engine.headers,
            "timeout": self._timeout,
        }

    def _listing(self, name: str, filters: Mapping[str, Any], page_size: int | None) -> Listing:
        self._engine.api.endpoint(name)  # a vendor without the endpoint fails here, not at the first page
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

    def calls(
        self,
        *,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agent_id: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[CallRecord]:
        """Every call of the vendor's call listing under canonical filters, each once: what ``callstatus fetch``
        runs. ``status`` takes one ``CallStatus`` or several."""
        filters = {"status": status, "since": since, "until": until, "agent_id": agent_id}
        return self._iterate(self._listing("calls", filters, page_size))

    def _send(self, request: Request) -> Reply:
        attempt = 0
        engine = self._engine
        while True:
            wait = engine.limiter.reserve()
            if wait > 0:
                time.sleep(wait)
            outcome: Reply | httpx.RequestError
            try:
                response = self._http.request(request.method, request.url, **self._send_kwargs(request))
                outcome = engine.reply(request, response.status_code, response.headers, response.content)
            except httpx.RequestError as exc:
                outcome = exc
            delay = engine.retry_delay(request, outcome, attempt)
            if delay is None:
                return engine.settle(request, outcome)
            time.sleep(delay)
            attempt += 1

    def _run(self, operation: Operation) -> Any:
        try:
            request = next(operation)
            while True:
                request = operation.send(self._send(request))
        except StopIteration as done:
            return done.value

    def _iterate(self, operation: Listing) -> Iterator[CallRecord]:
        step = next(operation, None)
        while step is not None:
            if isinstance(step, Request):
                reply: Reply | None = self._send(step)
            else:
                yield from step
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

    def calls(
        self,
        *,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agent_id: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[CallRecord]:
        """Every call of the vendor's call listing under canonical filters, each once: what ``callstatus fetch``
        runs. ``status`` takes one ``CallStatus`` or several."""
        filters = {"status": status, "since": since, "until": until, "agent_id": agent_id}
        return self._iterate(self._listing("calls", filters, page_size))

    async def _send(self, request: Request) -> Reply:
        attempt = 0
        engine = self._engine
        while True:
            wait = engine.limiter.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            outcome: Reply | httpx.RequestError
            try:
                response = await self._http.request(request.method, request.url, **self._send_kwargs(request))
                outcome = engine.reply(request, response.status_code, response.headers, response.content)
            except httpx.RequestError as exc:
                outcome = exc
            delay = engine.retry_delay(request, outcome, attempt)
            if delay is None:
                return engine.settle(request, outcome)
            await asyncio.sleep(delay)
            attempt += 1

    async def _run(self, operation: Operation) -> Any:
        try:
            request = next(operation)
            while True:
                request = operation.send(await self._send(request))
        except StopIteration as done:
            return done.value

    async def _iterate(self, operation: Listing) -> AsyncIterator[CallRecord]:
        step = next(operation, None)
        while step is not None:
            if isinstance(step, Request):
                reply: Reply | None = await self._send(step)
            else:
                for record in step:
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
