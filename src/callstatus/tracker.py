"""CallTracker: the merged current record of every call, kept in a store that survives restarts.

Each observation (a ``CallRecord``, or an event carrying one) is merged into the stored record inside one
transaction, so concurrent writers (threads or processes sharing a SQLite file) lose nothing: since ``merge``
is commutative, associative and idempotent, the stored state is the same whatever the interleaving.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import attrs

from .lifecycle import attempt_key, merge
from .record import CallRecord

__all__ = ["CallTracker", "MemoryStore", "Observation", "SQLiteStore", "Store"]


@attrs.frozen
class Observation:
    """What one observation did to the tracked state of its call."""

    record: CallRecord | None
    """The merged current record of the call (None for an event that carries no call, e.g. a batch event)."""
    previous: CallRecord | None
    """The record before this observation, None for a call seen for the first time."""
    changed: bool
    """The observation changed the stored record."""
    became_terminal: bool
    """The call just became terminal: the moment to act on its outcome, exactly once per attempt."""
    duplicate: bool
    """This exact observation (same event delivery, or same record) was seen before."""


class Store(Protocol):
    """Where a tracker keeps records: merges one observation in one atomic step."""

    def apply(
        self, vendor: str, call_id: str | None, key: str, record: CallRecord | None
    ) -> tuple[CallRecord | None, CallRecord | None, bool]:
        """Merge ``record`` into the stored one: (previous, current, duplicate). ``key`` identifies the observation."""
        ...

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        """The stored record of a call."""
        ...

    def stale(self, before: float) -> list[CallRecord]:
        """Non-terminal records last changed before a time (seconds since the epoch)."""
        ...

    def prune(self, before: float) -> int:
        """Forget observation keys first seen before a time; returns how many were forgotten."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


class MemoryStore:
    """A store in this process's memory: for tests and short-lived workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], tuple[CallRecord, float]] = {}
        self._seen: dict[tuple[str, str | None, str], float] = {}

    def apply(
        self, vendor: str, call_id: str | None, key: str, record: CallRecord | None
    ) -> tuple[CallRecord | None, CallRecord | None, bool]:
        with self._lock:
            duplicate = (vendor, call_id, key) in self._seen
            self._seen.setdefault((vendor, call_id, key), time.time())
            if record is None or call_id is None:
                return None, None, duplicate
            stored = self._records.get((vendor, call_id))
            previous = stored[0] if stored else None
            current = record if previous is None else merge(previous, record)
            if current != previous:
                self._records[(vendor, call_id)] = (current, time.time())
            return previous, current, duplicate

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        with self._lock:
            stored = self._records.get((vendor, call_id))
        return stored[0] if stored else None

    def stale(self, before: float) -> list[CallRecord]:
        with self._lock:
            return [rec for rec, changed in self._records.values() if changed < before and not rec.is_terminal]

    def prune(self, before: float) -> int:
        with self._lock:
            old = [key for key, seen in self._seen.items() if seen < before]
            for key in old:
                del self._seen[key]
        return len(old)

    def close(self) -> None:
        """Nothing to release."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    vendor TEXT NOT NULL,
    call_id TEXT NOT NULL,
    record TEXT NOT NULL,
    status TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    changed_at REAL NOT NULL,
    PRIMARY KEY (vendor, call_id)
);
CREATE INDEX IF NOT EXISTS calls_open ON calls (terminal, changed_at);
CREATE TABLE IF NOT EXISTS observations (
    vendor TEXT NOT NULL,
    call_id TEXT NOT NULL,
    key TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (vendor, call_id, key)
);
"""


class SQLiteStore:
    """A store in a SQLite file (WAL mode): survives restarts and is shared safely by threads and processes."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def apply(
        self, vendor: str, call_id: str | None, key: str, record: CallRecord | None
    ) -> tuple[CallRecord | None, CallRecord | None, bool]:
        now = time.time()
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO observations (vendor, call_id, key, seen_at) VALUES (?, ?, ?, ?)",
                (vendor, call_id or "", key, now),
            ).rowcount
            duplicate = inserted == 0
            if record is None or call_id is None:
                return None, None, duplicate
            row = db.execute("SELECT record FROM calls WHERE vendor = ? AND call_id = ?", (vendor, call_id)).fetchone()
            previous = CallRecord.model_validate_json(row[0]) if row else None
            current = record if previous is None else merge(previous, record)
            if current != previous:
                db.execute(
                    "INSERT OR REPLACE INTO calls (vendor, call_id, record, status, terminal, changed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (vendor, call_id, current.model_dump_json(), current.status.value, current.is_terminal, now),
                )
            return previous, current, duplicate

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM calls WHERE vendor = ? AND call_id = ?", (vendor, call_id)
            ).fetchone()
        return CallRecord.model_validate_json(row[0]) if row else None

    def stale(self, before: float) -> list[CallRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM calls WHERE terminal = 0 AND changed_at < ? ORDER BY changed_at", (before,)
            ).fetchall()
        return [CallRecord.model_validate_json(row[0]) for row in rows]

    def prune(self, before: float) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM observations WHERE seen_at < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _key(record: CallRecord) -> str:
    return hashlib.sha256(record.model_dump_json().encode()).hexdigest()


class CallTracker:
    """The merged current record per (vendor, call id).

    ``CallTracker()`` keeps them in memory; ``CallTracker("calls.db")`` in a SQLite file that survives a
    restart and may be shared by several processes; any ``Store`` works.
    """

    def __init__(self, store: Store | str | Path | None = None) -> None:
        if store is None:
            store = MemoryStore()
        elif isinstance(store, str | Path):
            store = SQLiteStore(store)
        self.store: Store = store

    def __repr__(self) -> str:
        return f"CallTracker({self.store!r})"

    def observe(self, observation: CallRecord | Any) -> Observation:
        """Merge one observation: a ``CallRecord``, or a ``CallEvent`` (its ``call``, deduplicated by its key)."""
        call_id: str | None
        if isinstance(observation, CallRecord):
            record: CallRecord | None = observation
            vendor, call_id, key = observation.vendor, observation.call_id, "record:" + _key(observation)
        else:
            record = observation.call
            vendor = observation.vendor
            call_id = record.call_id if record is not None else None
            key = "event:" + observation.idempotency_key
        previous, current, duplicate = self.store.apply(vendor, call_id, key, record)
        return Observation(
            record=current,
            previous=previous,
            changed=current is not None and current != previous,
            became_terminal=current is not None
            and current.is_terminal
            and not (previous is not None and previous.is_terminal and attempt_key(previous) == attempt_key(current)),
            duplicate=duplicate,
        )

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        """The current record of a call, None when it was never observed."""
        return self.store.get(vendor, call_id)

    def stale(self, older_than: timedelta, *, now: datetime | None = None) -> list[CallRecord]:
        """Calls stuck in a non-terminal status: no change for ``older_than``. The ones a backend should poll."""
        moment = (now or datetime.now(UTC)).timestamp() - older_than.total_seconds()
        return self.store.stale(moment)

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget which observations were seen more than ``older_than`` ago, so the store stops growing with
        every delivery; a redelivery after that is merged again (harmlessly: merge is idempotent) but is no
        longer reported as a duplicate. Returns how many were forgotten."""
        return self.store.prune((now or datetime.now(UTC)).timestamp() - older_than.total_seconds())

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> CallTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
