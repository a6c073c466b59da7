"""SQLiteStore: the tracker's calls in a SQLite file in WAL mode, shared safely by threads and processes."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydantic

from ..errors import TrackerError
from ..record import CallRecord, record_json
from .base import Applied, Item, Key, Query, merge_batch
from .sql import CALL_COLUMNS, SCHEMA_VERSION, Dialect, row

__all__ = ["SQLiteStore"]

_SQL = Dialect(mark="?", boolean="INTEGER", real="REAL")
_CHUNK = 500  # calls fetched per SELECT: below SQLite's limit on bound parameters
_REAL = frozenset({"call_time", "first_seen", "changed_at"})
_RETURNING = sqlite3.sqlite_version_info >= (3, 35)  # INSERT ... RETURNING


class SQLiteStore:
    """A store in a SQLite file (WAL mode): survives restarts; every batch is one ``BEGIN IMMEDIATE``
    transaction, so threads and processes sharing the file lose nothing. A file written by an earlier release
    is upgraded in place when opened."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._written = _Written()
        with self._errors("cannot open the database"):
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            try:
                self._wal()
                self._db.execute("PRAGMA synchronous=NORMAL")
                with self._transaction() as db:
                    self._upgrade(db)
            except BaseException:
                self._db.close()
                raise

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise TrackerError(f"{what}: {exc}", store=repr(self)) from exc
        except pydantic.ValidationError as exc:
            raise TrackerError(f"{what}: a stored record is not a valid CallRecord ({exc.error_count()} errors)",
                               store=repr(self)) from None  # fmt: skip

    def _wal(self) -> None:
        """Switch to WAL. Switching needs the file to itself: while another process opens it at the same moment,
        SQLite answers 'locked' without waiting, so wait here, up to the busy timeout."""
        deadline = time.monotonic() + self._timeout
        pause = 0.001
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
            time.sleep(pause * (1 + random.random()))
            pause = min(pause * 2, 0.05)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT (disk full, busy) leaves it open: close it
                    self._db.execute("ROLLBACK")
                raise

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """Create the tables, or bring an earlier release's up to this one's (inside the open transaction)."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise TrackerError(
                f"the database is at schema version {version}, written by a newer callstatus (this one reads up to "
                f"{SCHEMA_VERSION})",
                store=repr(self),
            )
        existing = {row[1] for row in db.execute("PRAGMA table_info(calls)")}
        if existing and "call_time" not in existing:  # release 0.1.0: add the columns and fill them in
            db.execute("DROP INDEX IF EXISTS calls_open")  # the release's, on (terminal, changed_at)
            for name in CALL_COLUMNS:
                if name not in existing:
                    db.execute(f"ALTER TABLE calls ADD COLUMN {name} {'REAL' if name in _REAL else 'TEXT'}")
            assignments = ", ".join(f"{name} = ?" for name in CALL_COLUMNS)
            for text, changed_at in db.execute("SELECT record, changed_at FROM calls").fetchall():
                record = CallRecord.model_validate_json(text)  # the release's own writing: first seen when last changed
                values = row(record, text, changed_at, changed_at)
                db.execute(f"UPDATE calls SET {assignments} WHERE vendor = ? AND call_id = ?", (*values, *values[:2]))
        for statement in _SQL.create():
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def apply(self, items: Sequence[Item], now: float) -> list[Applied]:
        with self._errors("cannot store the observations"), self._transaction() as db:
            keys = [(vendor, call_id or "", key) for vendor, call_id, key, _record in items]
            new = self._record_keys(db, keys, now)
            seen = [key not in new for key in keys]
            wanted = {(vendor, call_id) for vendor, call_id, _key, record in items if call_id and record is not None}
            stored, first_seen = self._fetch(db, wanted)
            applied, changed = merge_batch(items, stored, seen)
            rows = []
            for key, record in changed.items():
                text = record_json(record)
                rows.append(row(record, text, first_seen.get(key, now), now))
                self._written.put(key, text, record)
            db.executemany(_SQL.upsert(), rows)
        return applied

    @staticmethod
    def _record_keys(db: sqlite3.Connection, keys: list[tuple[str, str, str]], now: float) -> set[tuple[str, str, str]]:
        """Record observation keys; those recorded now (not seen before) are returned."""
        distinct = sorted(set(keys))
        if not _RETURNING:
            insert = "INSERT OR IGNORE INTO observations (vendor, call_id, key, seen_at) VALUES (?, ?, ?, ?)"
            return {key for key in distinct if db.execute(insert, (*key, now)).rowcount}
        new: set[tuple[str, str, str]] = set()
        for start in range(0, len(distinct), _CHUNK):
            chunk = distinct[start : start + _CHUNK]
            marks = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            new.update(
                db.execute(
                    f"INSERT INTO observations (vendor, call_id, key, seen_at) VALUES {marks} ON CONFLICT DO NOTHING"
                    " RETURNING vendor, call_id, key",
                    [value for key in chunk for value in (*key, now)],
                )
            )
        return new

    def _fetch(self, db: sqlite3.Connection, wanted: set[Key]) -> tuple[dict[Key, CallRecord], dict[Key, float]]:
        stored: dict[Key, CallRecord] = {}
        first_seen: dict[Key, float] = {}
        by_vendor: dict[str, list[str]] = {}
        for vendor, call_id in sorted(wanted):
            by_vendor.setdefault(vendor, []).append(call_id)
        for vendor, ids in by_vendor.items():
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                for call_id, text, seen in db.execute(
                    f"SELECT call_id, record, first_seen FROM calls WHERE vendor = ? AND call_id IN ({marks})",
                    (vendor, *chunk),
                ):
                    stored[(vendor, call_id)] = self._written.get((vendor, call_id), text)
                    first_seen[(vendor, call_id)] = seen
        return stored, first_seen

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        with self._errors("cannot read a call"), self._lock:
            row = self._db.execute(
                "SELECT record FROM calls WHERE vendor = ? AND call_id = ?", (vendor, call_id)
            ).fetchone()
            return CallRecord.model_validate_json(row[0]) if row else None

    def page(self, query: Query, after: tuple[float, str, str] | None, limit: int) -> list[tuple[float, CallRecord]]:
        sql, params = _SQL.page(query, after, limit)
        with self._errors("cannot read calls"), self._lock:
            return [(moment, CallRecord.model_validate_json(text)) for moment, text in self._db.execute(sql, params)]

    def counts(self, by: Sequence[str], query: Query) -> dict[tuple[Any, ...], int]:
        sql, params = _SQL.counts(by, query)
        with self._errors("cannot count calls"), self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return {tuple(bool(v) if name == "terminal" else v for name, v in zip(by, row[:-1], strict=True)): row[-1]
                for row in rows}  # fmt: skip

    def prune(self, before: float) -> int:
        with self._errors("cannot prune"), self._transaction() as db:
            return db.execute("DELETE FROM observations WHERE seen_at < ?", (before,)).rowcount

    def forget(self, before: float) -> int:
        with self._errors("cannot forget calls"), self._transaction() as db:
            db.execute(
                "DELETE FROM observations WHERE EXISTS (SELECT 1 FROM calls WHERE calls.vendor = observations.vendor"
                " AND calls.call_id = observations.call_id AND calls.call_time < ?)",
                (before,),
            )
            return db.execute("DELETE FROM calls WHERE call_time < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Written:
    """The records this store wrote last, by call, with their JSON text: a row read back with the same text is
    that record, not parsed again. Bounded by the size of the texts it holds."""

    LIMIT = 8 << 20

    def __init__(self) -> None:
        self._texts: dict[Key, tuple[str, CallRecord]] = {}
        self._size = 0

    def get(self, key: Key, text: str) -> CallRecord:
        found = self._texts.get(key)
        if found is not None and found[0] == text:
            return found[1]
        return CallRecord.model_validate_json(text)

    def put(self, key: Key, text: str, record: CallRecord) -> None:
        old = self._texts.pop(key, None)
        if old is not None:
            self._size -= len(old[0])
        while self._texts and self._size + len(text) > self.LIMIT:  # the oldest go first (dicts keep order)
            self._size -= len(self._texts.pop(next(iter(self._texts)))[0])
        if len(text) <= self.LIMIT:
            self._texts[key] = (text, record)
            self._size += len(text)
