"""Smallest.ai Atoms' clients: the conversation listing under canonical filters, one call, and search by ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime

from ..record import CallRecord
from .base import AsyncClientBase, ClientBase, StatusFilter
from .engine import search

__all__ = ["AsyncAtomsClient", "AtomsClient"]


class AtomsClient(ClientBase):
    """Blocking Atoms client (``https://atoms-api.smallest.ai/api/v1``, Bearer key, CALLSTATUS_ATOMS_API_KEY)."""

    vendor = "atoms"

    def get_calls(
        self,
        *,
        agent_id: str | None = None,
        campaign_id: str | None = None,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[CallRecord]:
        """``GET /conversation`` with the documented filters, every page lazily (``data.pagination.hasMore``)."""
        filters = dict(
            status=status, since=since, until=until, agent_id=agent_id, campaign_id=campaign_id, search=search
        )
        return self._iterate(self._listing("calls", filters, page_size))

    def search_calls(self, call_ids: Iterable[str]) -> list[CallRecord]:
        """``POST /conversation/search`` for any number of ids, 100 per request; in the order asked, found only."""
        result: list[CallRecord] = self._run(search(self._engine, "search", "call_ids", call_ids))
        return result


class AsyncAtomsClient(AsyncClientBase):
    """Async twin of ``AtomsClient``."""

    vendor = "atoms"

    def get_calls(
        self,
        *,
        agent_id: str | None = None,
        campaign_id: str | None = None,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[CallRecord]:
        """``GET /conversation`` with the documented filters, every page lazily (``data.pagination.hasMore``)."""
        filters = dict(
            status=status, since=since, until=until, agent_id=agent_id, campaign_id=campaign_id, search=search
        )
        return self._iterate(self._listing("calls", filters, page_size))

    async def search_calls(self, call_ids: Iterable[str]) -> list[CallRecord]:
        """``POST /conversation/search`` for any number of ids, 100 per request; in the order asked, found only."""
        result: list[CallRecord] = await self._run(search(self._engine, "search", "call_ids", call_ids))
        return result
