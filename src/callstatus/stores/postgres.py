"""PostgresStore: the tracker's calls in PostgreSQL, for backends whose web workers run on several hosts.

Needs the ``postgres`` extra (psycopg 3). Every batch is one transaction: the rows of calls seen for the first time
are inserted first (a concurrent insert of the same call waits for this one), the others are locked in key order,
then merged and written, so concurrent writers lose no update and never deadlock on each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pydantic

from ..batching import batched
from ..errors import TrackerError, UsageError
from ..record import CallRecord, record_json
from .base import Applied, Item, Key, Query, merge_batch
from .sql import CALL_COLUMNS, SCHEMA_VERSION, Dialect, row

try:
    import psycopg
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise UsageError("PostgresStore needs psycopg: pip install 'callstatus[postgres]'") from exc

__all__ = ["PostgresStore"]

_SQL = Dialect(
    mark="%s",
    boolean="BOOLEAN",
    real="DOUBLE PRECISION",
    false="false",
    calls="callstatus_calls",
    observations="callstatus_observations",
)
_META = "callstatus_meta"
_CHUNK = 500
"""Rows per statement: PostgreSQL binds at most 65,535 parameters in one."""
_SCHEMA_LOCK = 7_411_022_500  # an advisory lock: one process at a time creates or upgrades the tables


class _Conninfo:
    """A connection URL kept out of reprs and messages: only its password-free form is ever shown."""

    __slots__ = ("_password", "_value", "shown")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._value = url
        self._password = parts.password
        del url
        try:
            port_number = parts.port
        except ValueError:
            port_number = -1
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or port_number == -1:
            self._value = self._password = ""
            del parts  # the message names no part of the URL, and no frame keeps a copy of it
            raise UsageError("expected a postgresql://user:password@host:port/database URL (a port 0-65535)")
        user = f"{parts.username}@" if parts.username else ""
        port = f":{port_number}" if port_number else ""
        self.shown = f"postgresql://{user}{parts.hostname}{port}{parts.path}"

    def __repr__(self) -> str:
        return self.shown

    def scrub(self, text: str) -> str:
        """A message with the password, should a driver have quoted it, masked."""
        return text.replace(self._password, "***") if self._password else text

    def connect(self, timeout: float) -> psycopg.Connection[Any]:
        return psycopg.connect(self._value, connect_timeout=max(1, int(timeout)))


class PostgresStore:
    """A store in a PostgreSQL database, in the tables ``callstatus_calls`` and ``callstatus_observations``."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._conninfo = _Conninfo(url)
        del url
        self._timeout = timeout
        self._lock = threading.Lock()
        failure = None
        try:
            self._db = self._conninfo.connect(timeout)
        except psycopg.Error as exc:
            failure = self._conninfo.scrub(str(exc).strip())
        if failure is not None:  # raised here, outside the handler: no chained driver frames holding the URL
            raise TrackerError(f"cannot connect: {failure}", store=repr(self))
        try:
            self._create()
        except BaseException:
            self._db.close()
            raise

    def _create(self) -> None:
        """Create the tables, unless a process did already (one at a time: an advisory lock)."""
        with self._errors("cannot create the tables"), self._lock, self._live().transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {_META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = self._db.execute(f"SELECT value FROM {_META} WHERE key = 'schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise TrackerError(
                    f"the tables are at schema version {row[0]}, written by a newer callstatus (this one reads up "
                    f"to {SCHEMA_VERSION})",
                    store=repr(self),
                )
            if row is not None and int(row[0]) == SCHEMA_VERSION:
                return  # no DDL: even CREATE ... IF NOT EXISTS locks the tables that other workers are writing
            for statement in _SQL.create():
                self._db.execute(statement)
            self._db.execute(
                f"INSERT INTO {_META} (key, value) VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def __repr__(self) -> str:
        return f"PostgresStore({self._conninfo.shown!r})"

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, opened again when the server dropped it (a restart, a failover, an idle timeout): the
        operation that met the drop failed whole (its transaction rolled back); the next one reconnects."""
        if self._db.closed or self._db.broken:
            self._db.close()
            self._db = self._conninfo.connect(self._timeout)
        return self._db

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        failure = None
        try:
            yield
        except psycopg.Error as exc:
            failure = self._conninfo.scrub(str(exc).strip())
        except pydantic.ValidationError as exc:
            failure = f"a stored record is not a valid CallRecord ({exc.error_count()} errors)"
        if failure is not None:  # from None: the driver's exception (and its frames) is not shown chained
            raise TrackerError(f"{what}: {failure}", store=repr(self)) from None

    def apply(self, items: Sequence[Item], now: float) -> list[Applied]:
        with self._errors("cannot store the observations"), self._lock, self._live().transaction():
            inserted = self._keys(items, now)
            seen = [(vendor, call_id or "", key) not in inserted for vendor, call_id, key, _record in items]
            first: dict[Key, CallRecord] = {}
            for vendor, call_id, _key, record in items:
                if call_id and record is not None:
                    first.setdefault((vendor, call_id), record)
            new = self._insert(first, now)
            stored, first_seen = self._lock_rows(sorted(set(first) - new))
            applied, changed = merge_batch(items, stored, seen)
            if changed:
                with self._db.cursor() as cursor:
                    cursor.executemany(
                        _SQL.upsert(),
                        [
                            row(record, record_json(record), first_seen.get(key, now), now)
                            for key, record in sorted(changed.items())
                        ],
                    )
        return applied

    def _keys(self, items: Sequence[Item], now: float) -> set[tuple[str, str, str]]:
        """Record the batch's observation keys; those inserted now were not seen before."""
        rows = sorted({(vendor, call_id or "", key) for vendor, call_id, key, _record in items})
        inserted: set[tuple[str, str, str]] = set()
        for chunk in batched(rows, _CHUNK):  # a statement binds at most 65,535 parameters
            marks = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            returned = self._db.execute(
                f"INSERT INTO {_SQL.observations} (vendor, call_id, key, seen_at) VALUES {marks}"
                " ON CONFLICT DO NOTHING RETURNING vendor, call_id, key",
                [value for row in chunk for value in (*row, now)],
            ).fetchall()
            inserted.update((vendor, call_id, key) for vendor, call_id, key in returned)
        return inserted

    def _insert(self, first: dict[Key, CallRecord], now: float) -> set[Key]:
        """Insert a row for each call not stored yet (its first observation, merged over below); which were new."""
        if not first:
            return set()
        rows = [row(record, record_json(record), now, now) for _key, record in sorted(first.items())]
        new: set[Key] = set()
        for chunk in batched(rows, _CHUNK):
            marks = ", ".join(["(" + ", ".join(["%s"] * len(CALL_COLUMNS)) + ")"] * len(chunk))
            returned = self._db.execute(
                f"INSERT INTO {_SQL.calls} ({', '.join(CALL_COLUMNS)}) VALUES {marks} ON CONFLICT DO NOTHING"
                " RETURNING vendor, call_id",
                [value for row in chunk for value in row],
            ).fetchall()
            new.update((vendor, call_id) for vendor, call_id in returned)
        return new

    def _lock_rows(self, keys: list[Key]) -> tuple[dict[Key, CallRecord], dict[Key, float]]:
        """The stored records of calls, their rows locked until the transaction ends (in key order)."""
        stored: dict[Key, CallRecord] = {}
        first_seen: dict[Key, float] = {}
        for chunk in batched(keys, _CHUNK):
            marks = ", ".join(["(%s, %s)"] * len(chunk))
            for vendor, call_id, text, seen in self._db.execute(
                f"SELECT vendor, call_id, record, first_seen FROM {_SQL.calls} WHERE (vendor, call_id) IN ({marks})"
                " ORDER BY vendor, call_id FOR UPDATE",
                [value for key in chunk for value in key],
            ):
                stored[(vendor, call_id)] = CallRecord.model_validate_json(text)
                first_seen[(vendor, call_id)] = seen
        return stored, first_seen

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        with self._errors("cannot read a call"), self._lock, self._live().transaction():
            row = self._db.execute(
                f"SELECT record FROM {_SQL.calls} WHERE vendor = %s AND call_id = %s",
                (vendor, call_id),
            ).fetchone()
            return CallRecord.model_validate_json(row[0]) if row else None

    def page(self, query: Query, after: tuple[float, str, str] | None, limit: int) -> list[tuple[float, CallRecord]]:
        sql, params = _SQL.page(query, after, limit)
        with self._errors("cannot read calls"), self._lock, self._live().transaction():
            rows = self._db.execute(sql, params).fetchall()
            return [(moment, CallRecord.model_validate_json(text)) for moment, text in rows]

    def counts(self, by: Sequence[str], query: Query) -> dict[tuple[Any, ...], int]:
        sql, params = _SQL.counts(by, query)
        with self._errors("cannot count calls"), self._lock, self._live().transaction():
            rows = self._db.execute(sql, params).fetchall()
        return {tuple(row[:-1]): row[-1] for row in rows}

    def prune(self, before: float) -> int:
        with self._errors("cannot prune"), self._lock, self._live().transaction():
            cursor = self._db.execute(f"DELETE FROM {_SQL.observations} WHERE seen_at < %s", (before,))
            return cursor.rowcount

    def forget(self, before: float) -> int:
        with self._errors("cannot forget calls"), self._lock, self._live().transaction():
            self._db.execute(
                f"DELETE FROM {_SQL.observations} o USING {_SQL.calls} c WHERE c.vendor = o.vendor"
                " AND c.call_id = o.call_id AND c.call_time < %s",
                (before,),
            )
            cursor = self._db.execute(f"DELETE FROM {_SQL.calls} WHERE call_time < %s", (before,))
            return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
