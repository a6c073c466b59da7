"""MemoryStore: the tracker's calls in this process's memory, for tests and short-lived workers."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..record import CallRecord
from .base import Applied, Item, Key, Query, columns, merge_batch

__all__ = ["MemoryStore"]


class MemoryStore:
    """A store in this process's memory: lost when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Key, tuple[CallRecord, dict[str, Any]]] = {}
        self._seen: dict[tuple[str, str | None, str], float] = {}
        self._order: list[tuple[tuple[float, str, str], Key]] | None = None
        """Every call by (call time, vendor, call id), rebuilt on the first page read after a change."""

    def __repr__(self) -> str:
        return "MemoryStore()"

    def apply(self, items: Sequence[Item], now: float) -> list[Applied]:
        with self._lock:
            seen = [(vendor, call_id, key) in self._seen for vendor, call_id, key, _record in items]
            stored = {
                (vendor, call_id): self._calls[(vendor, call_id)][0]
                for vendor, call_id, _key, record in items
                if call_id is not None and record is not None and (vendor, call_id) in self._calls
            }
            applied, changed = merge_batch(items, stored, seen)
            for vendor, call_id, key, _record in items:
                self._seen.setdefault((vendor, call_id, key), now)
            for call, record in changed.items():
                first_seen = self._calls[call][1]["first_seen"] if call in self._calls else now
                self._calls[call] = (record, columns(record, first_seen))
            if changed:
                self._order = None
            return applied

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        with self._lock:
            stored = self._calls.get((vendor, call_id))
        return stored[0] if stored else None

    def page(self, query: Query, after: tuple[float, str, str] | None, limit: int) -> list[tuple[float, CallRecord]]:
        with self._lock:
            if self._order is None:
                self._order = sorted(
                    ((row["call_time"], row["vendor"], row["call_id"]), key)
                    for key, (_record, row) in self._calls.items()
                )
            start = 0 if after is None else bisect.bisect_right(self._order, (after, ("\U0010ffff",)))
            found: list[tuple[float, CallRecord]] = []
            for position, key in self._order[start:]:
                record, row = self._calls[key]
                if query.matches(row):
                    found.append((position[0], record))
                    if len(found) == limit:
                        break
            return found

    def counts(self, by: Sequence[str], query: Query) -> dict[tuple[Any, ...], int]:
        with self._lock:
            rows = [row for _record, row in self._calls.values() if query.matches(row)]
        return dict(Counter(tuple(row[name] for name in by) for row in rows))

    def prune(self, before: float) -> int:
        with self._lock:
            old = [key for key, seen in self._seen.items() if seen < before]
            for key in old:
                del self._seen[key]
        return len(old)

    def forget(self, before: float) -> int:
        with self._lock:
            old = {key for key, (_record, row) in self._calls.items() if row["call_time"] < before}
            for key in old:
                del self._calls[key]
            self._order = None
            for seen in [seen for seen in self._seen if (seen[0], seen[1]) in old]:
                del self._seen[seen]
        return len(old)

    def close(self) -> None:
        """Nothing to release."""
