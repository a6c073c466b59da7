"""Dialgen's clients: one call (live status, else the persistent store), its metrics, a batch's calls, batches.

Dialgen has no call listing: ``list_calls`` walks the batches (``[api.walk]`` in its table). Every request also
carries the account's ``userId``.
"""

from __future__ import annotations

from typing import Any, Unpack

from ..record import CallRecord
from .base import AsyncClientBase, CallFilters, ClientBase
from .engine import Engine, Operation, Wanted, fetch_list, fetch_one, fetch_raw

__all__ = ["AsyncDialgenClient", "DialgenClient"]


class _Dialgen:
    """The operations both twins run."""

    _engine: Engine

    def _metrics(self, call_id: str, agent_id: str, contact_id: str) -> Operation:
        return fetch_one(self._engine, "metrics", {"call_id": call_id, "agent_id": agent_id, "contact_id": contact_id})

    def _batch_calls(self, batch_id: str, persistent: bool) -> Operation:
        return fetch_list(self._engine, "batch_history" if persistent else "batch_calls", {"batch_id": batch_id})

    def _batches(self) -> Operation:
        return fetch_raw(self._engine, "batches", {})


class DialgenClient(_Dialgen, ClientBase):
    """Blocking Dialgen client (``https://sa.dialgen.ai``; CALLSTATUS_DIALGEN_API_KEY, CALLSTATUS_DIALGEN_USER_ID)."""

    vendor = "dialgen"

    def __init__(self, api_key: str | None = None, *, user_id: str | None = None, **options: Any) -> None:
        """``options``: as every client (``base_url``, ``client``, ``timeout``, ``retry``, ...)."""
        super().__init__(api_key, credentials={"user_id": user_id}, **options)

    def get_metrics(self, call_id: str, *, agent_id: str, contact_id: str) -> CallRecord:
        """``GET /api/v1/call/get-metric``: the ended call with its ``metricJson`` in ``analysis``."""
        result: CallRecord = self._run(self._metrics(call_id, agent_id, contact_id))
        return result

    def get_batch_calls(
        self, batch_id: str, *, persistent: bool = False, **filters: Unpack[CallFilters]
    ) -> list[CallRecord]:
        """Every call of a batch that passes the canonical filters: live status (kept 30 days), else the
        persistent batch statistics."""
        wanted = Wanted.of(filters)
        result: list[CallRecord] = self._run(self._batch_calls(batch_id, persistent))
        return [record for record in result if wanted.keeps(record)]

    def list_batches(self) -> list[dict[str, Any]]:
        """``GET /api/v1/batch/list``: the batch summaries as Dialgen sends them, newest first."""
        result: list[dict[str, Any]] = self._run(self._batches())
        return result


class AsyncDialgenClient(_Dialgen, AsyncClientBase):
    """Async twin of ``DialgenClient``."""

    vendor = "dialgen"

    def __init__(self, api_key: str | None = None, *, user_id: str | None = None, **options: Any) -> None:
        """``options``: as every client (``base_url``, ``client``, ``timeout``, ``retry``, ...)."""
        super().__init__(api_key, credentials={"user_id": user_id}, **options)

    async def get_metrics(self, call_id: str, *, agent_id: str, contact_id: str) -> CallRecord:
        """``GET /api/v1/call/get-metric``: the ended call with its ``metricJson`` in ``analysis``."""
        result: CallRecord = await self._run(self._metrics(call_id, agent_id, contact_id))
        return result

    async def get_batch_calls(
        self, batch_id: str, *, persistent: bool = False, **filters: Unpack[CallFilters]
    ) -> list[CallRecord]:
        """As ``DialgenClient.get_batch_calls``."""
        wanted = Wanted.of(filters)
        result: list[CallRecord] = await self._run(self._batch_calls(batch_id, persistent))
        return [record for record in result if wanted.keeps(record)]

    async def list_batches(self) -> list[dict[str, Any]]:
        """``GET /api/v1/batch/list``: the batch summaries as Dialgen sends them, newest first."""
        result: list[dict[str, Any]] = await self._run(self._batches())
        return result
