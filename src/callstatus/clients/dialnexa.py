"""DialNexa's clients: the paged call listing under canonical filters, and call logs by id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

from ..record import CallRecord
from .base import AsyncClientBase, ClientBase, StatusFilter

__all__ = ["AsyncDialNexaClient", "DialNexaClient"]


class DialNexaClient(ClientBase):
    """Blocking DialNexa client (``https://api.dialnexa.com/v1``, Bearer key, CALLSTATUS_DIALNEXA_API_KEY)."""

    vendor = "dialnexa"

    def list_calls(
        self,
        agent_id: str | None = None,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
    ) -> Iterator[CallRecord]:
        """``GET /calls``, every page lazily, whichever documented envelope the server sends."""
        return self.calls(status=status, since=since, until=until, agent_id=agent_id, page_size=page_size)


class AsyncDialNexaClient(AsyncClientBase):
    """Async twin of ``DialNexaClient``."""

    vendor = "dialnexa"

    def list_calls(
        self,
        agent_id: str | None = None,
        status: StatusFilter = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[CallRecord]:
        """``GET /calls``, every page lazily, whichever documented envelope the server sends."""
        return self.calls(status=status, since=since, until=until, agent_id=agent_id, page_size=page_size)
