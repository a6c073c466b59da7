"""Smallest.ai Atoms' clients: the conversation listing with its vendor-only filters, one call, search by ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Unpack

from ..record import CallRecord
from .base import AsyncClientBase, CallFilters, ClientBase, OnPage
from .engine import search

__all__ = ["AsyncAtomsClient", "AtomsClient"]


def _filters(search: str | None, call_type: str | Iterable[str] | None, filters: CallFilters) -> dict[str, Any]:
    return {**filters, "search": search, "call_type": call_type}


class AtomsClient(ClientBase):
    """Blocking Atoms client (``https://atoms-api.smallest.ai/api/v1``, Bearer key, CALLSTATUS_ATOMS_API_KEY)."""

    vendor = "atoms"

    def get_calls(
        self,
        *,
        search: str | None = None,
        call_type: str | Iterable[str] | None = None,
        page_size: int | None = None,
        on_page: OnPage | None = None,
        **filters: Unpack[CallFilters],
    ) -> Iterator[CallRecord]:
        """``list_calls`` with Atoms' own filters too: ``search`` (call id or number) and ``call_type``
        (``telephony_inbound``, ``telephony_outbound``, ``chat``/``webcall``)."""
        return self._iterate(self._vendor_listing("calls", _filters(search, call_type, filters), page_size), on_page)

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
        search: str | None = None,
        call_type: str | Iterable[str] | None = None,
        page_size: int | None = None,
        on_page: OnPage | None = None,
        **filters: Unpack[CallFilters],
    ) -> AsyncIterator[CallRecord]:
        """``list_calls`` with Atoms' own filters too, as ``AtomsClient.get_calls``."""
        return self._iterate(self._vendor_listing("calls", _filters(search, call_type, filters), page_size), on_page)

    async def search_calls(self, call_ids: Iterable[str]) -> list[CallRecord]:
        """``POST /conversation/search`` for any number of ids, 100 per request; in the order asked, found only."""
        result: list[CallRecord] = await self._run(search(self._engine, "search", "call_ids", call_ids))
        return result
