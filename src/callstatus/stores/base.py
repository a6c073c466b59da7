"""What every tracker store shares: the query, the row a call is kept as, and the merge of a batch of observations.

A store only fetches and writes; which observation changes what is decided here, once, so that the memory, SQLite
and PostgreSQL stores behave alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypedDict, Unpack

import attrs

from ..errors import UsageError
from ..lifecycle import merge
from ..record import CallRecord, same
from ..vocabulary import CallStatus

__all__ = [
    "COUNTABLE",
    "Applied",
    "Item",
    "Key",
    "Query",
    "Store",
    "call_time",
    "columns",
    "merge_batch",
]

Key = tuple[str, str]
"""(vendor, call id)."""
Item = tuple[str, str | None, str, CallRecord | None]
"""One observation: vendor, call id (None for an event without a call), its idempotency key, its record."""
Applied = tuple[CallRecord | None, CallRecord | None, bool]
"""What one observation did: the record before, the record after, whether it was seen before."""

COUNTABLE = ("vendor", "status", "end_reason", "terminal", "direction", "agent_id", "campaign_id", "ended_by",
             "answered_by")  # fmt: skip
"""The fields ``counts(by=...)`` groups by: the canonical values a report splits calls on."""


@attrs.frozen
class Query:
    """Which calls a query selects. ``since``/``until`` bound the call's own time (``started_at``, else
    ``created_at``, else when the tracker first saw it), since inclusive, until exclusive."""

    vendor: str | None = None
    statuses: frozenset[CallStatus] | None = None
    terminal: bool | None = None
    since: float | None = None
    until: float | None = None
    campaign_id: str | None = None
    agent_id: str | None = None

    def matches(self, row: Mapping[str, Any]) -> bool:
        """Whether a row (see ``columns``) is selected: the memory store's filter, the SQL stores' WHERE."""
        return (
            (self.vendor is None or row["vendor"] == self.vendor)
            and (self.statuses is None or row["status"] in self.statuses)
            and (self.terminal is None or row["terminal"] == self.terminal)
            and (self.since is None or row["call_time"] >= self.since)
            and (self.until is None or row["call_time"] < self.until)
            and (self.campaign_id is None or row["campaign_id"] == self.campaign_id)
            and (self.agent_id is None or row["agent_id"] == self.agent_id)
        )


def _epoch(moment: datetime | float | None, name: str) -> float | None:
    if moment is None or isinstance(moment, float | int):
        return moment
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise UsageError(f"{name}: give a timezone-aware datetime, not {moment!r}")
    return moment.timestamp()


class Filters(TypedDict, total=False):
    """The filters of ``records``, ``counts`` and ``export``: every one optional, all of them must hold."""

    vendor: str | None
    status: CallStatus | str | Iterable[CallStatus | str] | None
    terminal: bool | None
    since: datetime | None
    until: datetime | None
    campaign_id: str | None
    agent_id: str | None


def query(**filters: Unpack[Filters]) -> Query:
    """A ``Query`` from the tracker's keyword filters, checked."""
    unknown = sorted(set(filters) - Filters.__optional_keys__)
    if unknown:
        raise UsageError(f"no filter {', '.join(unknown)}: filter by {', '.join(Filters.__annotations__)}")
    status = filters.get("status")
    statuses = None
    if status is not None:
        values = [status] if isinstance(status, str) else list(status)
        try:
            statuses = frozenset(CallStatus(value) for value in values)
        except ValueError:
            raise UsageError(f"status: not a canonical status in {status!r}") from None
    return Query(
        vendor=filters.get("vendor"),
        statuses=statuses,
        terminal=filters.get("terminal"),
        since=_epoch(filters.get("since"), "since"),
        until=_epoch(filters.get("until"), "until"),
        campaign_id=filters.get("campaign_id"),
        agent_id=filters.get("agent_id"),
    )


def call_time(record: CallRecord) -> float | None:
    """The call's own time: when it started, else when the vendor created it."""
    moment = record.started_at or record.created_at
    return None if moment is None else moment.timestamp()


def columns(record: CallRecord, first_seen: float) -> dict[str, Any]:
    """The queryable columns of a call's row, beside its record."""
    time = call_time(record)
    fields = record.__dict__
    row = {name: fields[name] for name in ("vendor", "call_id", "agent_id", "campaign_id")}
    for name in ("status", "end_reason", "direction", "ended_by", "answered_by"):  # enum members: their values
        member = fields[name]
        row[name] = None if member is None else member._value_
    row["terminal"] = record.status.is_terminal
    row["call_time"] = first_seen if time is None else time
    row["first_seen"] = first_seen
    return row


def merge_batch(
    items: Sequence[Item], stored: Mapping[Key, CallRecord], seen: Sequence[bool]
) -> tuple[list[Applied], dict[Key, CallRecord]]:
    """Fold a batch of observations, in order, into the stored records.

    ``seen[i]``: the store already had item i's key before this batch. Returns what each observation did and the
    records that changed (the last state of each).
    """
    current: dict[Key, CallRecord] = dict(stored)
    changed: dict[Key, CallRecord] = {}
    keys: set[tuple[str, str | None, str]] = set()
    applied: list[Applied] = []
    for (vendor, call_id, key, record), was_seen in zip(items, seen, strict=True):
        duplicate = was_seen or (vendor, call_id, key) in keys
        keys.add((vendor, call_id, key))
        if record is None or call_id is None:
            applied.append((None, None, duplicate))
            continue
        previous = current.get((vendor, call_id))
        merged = record if previous is None else merge(previous, record)
        if not same(merged, previous):
            current[(vendor, call_id)] = changed[(vendor, call_id)] = merged
        applied.append((previous, merged, duplicate))
    return applied, changed


class Store(Protocol):
    """Where a tracker keeps calls. Every method is one atomic step; a failure is a ``TrackerError``."""

    def apply(self, items: Sequence[Item], now: float) -> list[Applied]:
        """Merge a batch of observations in one transaction, in order (see ``merge_batch``)."""
        ...

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        """The stored record of a call."""
        ...

    def page(self, query: Query, after: tuple[float, str, str] | None, limit: int) -> list[tuple[float, CallRecord]]:
        """Up to ``limit`` selected calls with their call time, in (call time, vendor, call id) order, after a
        position: pages that stay right while calls are added."""
        ...

    def counts(self, by: Sequence[str], query: Query) -> dict[tuple[Any, ...], int]:
        """How many selected calls share each combination of the ``by`` columns."""
        ...

    def prune(self, before: float) -> int:
        """Forget observation keys first seen before a time; returns how many."""
        ...

    def forget(self, before: float) -> int:
        """Delete whole calls whose call time is before a time, and their observation keys; returns how many."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...
