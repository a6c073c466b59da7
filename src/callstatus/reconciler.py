"""Reconcile: list a vendor's calls in a window and merge them into the tracker, reporting what changed.

The job a backend runs nightly (or after an outage) to catch the webhooks it missed. Merging is idempotent, so a
second run over the same window changes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Unpack

import attrs

from .batching import abatched, batched
from .clients.base import AsyncClientBase, CallFilters, ClientBase, OnPage
from .clients.engine import Page
from .errors import UsageError
from .tracker import CallTracker, Observation

__all__ = ["ReconcileReport", "areconcile", "reconcile"]

_BATCH = 500


@attrs.frozen
class ReconcileReport:
    """What one reconcile run found and did, as counts of calls."""

    vendor: str
    since: datetime | None
    until: datetime | None
    listed: int
    """Calls the listing returned (each once)."""
    new: int
    """Calls the tracker had never seen."""
    changed: int
    """Calls whose stored record changed (new ones included)."""
    became_terminal: int
    """Calls that are over now and were not before: the ones to act on."""
    still_open: int
    """Listed calls not over yet: poll them again later."""
    failed: int
    """Items the vendor sent that are not a call of the documented shape: skipped and logged."""
    pages: int

    def __str__(self) -> str:
        window = f"{_when(self.since)} .. {_when(self.until)}"
        return (
            f"{self.vendor} {window}: {self.listed} listed in {self.pages} pages, {self.new} new, "
            f"{self.changed} changed, {self.became_terminal} became terminal, {self.still_open} still open, "
            f"{self.failed} failed"
        )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat()


class _Tally:
    """The counts, kept as records stream through."""

    def __init__(self, on_page: OnPage | None) -> None:
        self.on_page = on_page
        self.pages = self.failed = self.listed = self.new = self.changed = self.became_terminal = 0
        self.open: set[tuple[str, str]] = set()
        """The calls listed and not over: only those are kept, not every call listed."""

    def page(self, page: Page) -> None:
        self.pages += 1
        self.failed += page.failed
        if self.on_page is not None:
            self.on_page(page)

    def add(self, observations: list[Observation]) -> None:
        for observation in observations:
            record = observation.record
            if record is None:  # pragma: no cover - listings carry calls only
                continue
            self.listed += 1
            self.new += observation.previous is None
            self.changed += observation.changed
            self.became_terminal += observation.became_terminal
            if record.is_terminal:
                self.open.discard((record.vendor, record.call_id))
            else:
                self.open.add((record.vendor, record.call_id))

    def report(self, vendor: str, since: datetime | None, until: datetime | None) -> ReconcileReport:
        return ReconcileReport(
            vendor=vendor,
            since=since,
            until=until,
            listed=self.listed,
            new=self.new,
            changed=self.changed,
            became_terminal=self.became_terminal,
            still_open=len(self.open),
            failed=self.failed,
            pages=self.pages,
        )


def reconcile(
    client: ClientBase,
    tracker: CallTracker,
    *,
    on_page: OnPage | None = None,
    **filters: Unpack[CallFilters],
) -> ReconcileReport:
    """List the vendor's calls whose call time is in [``since``, ``until``) and that pass the other canonical
    filters of ``list_calls``, merge them into ``tracker`` with ``observe_many`` in batches, report what changed."""
    if not isinstance(client, ClientBase):
        raise UsageError(f"reconcile takes a blocking client (callstatus.client(...)), not {type(client).__name__}")
    tally = _Tally(on_page)
    listed = client.list_calls(on_page=tally.page, **_checked(filters))
    for batch in batched(listed, _BATCH):
        tally.add(tracker.observe_many(batch))
    return tally.report(client.vendor, filters.get("since"), filters.get("until"))


async def areconcile(
    client: AsyncClientBase,
    tracker: CallTracker,
    *,
    on_page: OnPage | None = None,
    **filters: Unpack[CallFilters],
) -> ReconcileReport:
    """``reconcile`` with an async client; the tracker's batches run in a worker thread."""
    if not isinstance(client, AsyncClientBase):
        raise UsageError(
            f"areconcile takes an async client (callstatus.async_client(...)), not {type(client).__name__}"
        )
    tally = _Tally(on_page)
    listed = client.list_calls(on_page=tally.page, **_checked(filters))
    async for batch in abatched(listed, _BATCH):
        tally.add(await asyncio.to_thread(tracker.observe_many, batch))
    return tally.report(client.vendor, filters.get("since"), filters.get("until"))


def _checked(filters: CallFilters) -> CallFilters:
    unknown = sorted(set(filters) - set(CallFilters.__annotations__))
    if unknown:
        raise UsageError(f"reconcile takes no {', '.join(unknown)} filter")
    return filters
