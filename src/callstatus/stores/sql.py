"""The SQL the SQLite and PostgreSQL stores share: one table of calls, one of observation keys, and the
statements over them, written once for both placeholder styles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..record import CallRecord
from .base import COUNTABLE, Query

__all__ = ["CALL_COLUMNS", "SCHEMA_VERSION", "Dialect", "row"]

SCHEMA_VERSION = 2
"""1: release 0.1.0 (vendor, call_id, record, status, terminal, changed_at). 2: the queryable columns."""

CALL_COLUMNS = ("vendor", "call_id", "record", "status", "end_reason", "terminal", "direction", "agent_id",
                "campaign_id", "ended_by", "answered_by", "call_time", "first_seen", "changed_at")  # fmt: skip
"""The columns of the calls table, in the order the statements bind them."""
_UPDATED = [name for name in CALL_COLUMNS if name not in ("vendor", "call_id", "first_seen")]


@attrs.frozen
class Dialect:
    """What differs between the two SQL engines: the placeholder and the boolean and float column types."""

    mark: str
    """``?`` (SQLite) or ``%s`` (PostgreSQL)."""
    boolean: str
    real: str
    false: str = "0"
    """The literal of false: a literal, not a parameter, lets the planner use the partial index of open calls."""
    calls: str = "calls"
    observations: str = "observations"
    """Table names: a SQLite file is the tracker's own; a PostgreSQL database may be shared, so its are prefixed."""

    def create(self) -> list[str]:
        """The statements that create the tables and indexes (idempotent)."""
        text, real = "TEXT", self.real
        types = {name: text for name in CALL_COLUMNS}
        types |= {"terminal": self.boolean, "call_time": real, "first_seen": real, "changed_at": real}
        required = {"vendor", "call_id", "record", "status", "terminal", "call_time", "first_seen", "changed_at"}
        defined = ", ".join(f"{name} {types[name]}{' NOT NULL' if name in required else ''}" for name in CALL_COLUMNS)
        return [
            f"CREATE TABLE IF NOT EXISTS {self.calls} ({defined}, PRIMARY KEY (vendor, call_id))",
            f"CREATE INDEX IF NOT EXISTS {self.calls}_by_time ON {self.calls} (call_time, vendor, call_id)",
            f"CREATE INDEX IF NOT EXISTS {self.calls}_open_by_time ON {self.calls} (call_time)"
            f" WHERE terminal = {self.false}",
            f"CREATE TABLE IF NOT EXISTS {self.observations} (vendor TEXT NOT NULL, call_id TEXT NOT NULL,"
            f" key TEXT NOT NULL, seen_at {real} NOT NULL, PRIMARY KEY (vendor, call_id, key))",
            f"CREATE INDEX IF NOT EXISTS {self.observations}_by_time ON {self.observations} (seen_at)",
        ]

    def upsert(self) -> str:
        """Write a call's row: insert it, or update everything but its first-seen time."""
        marks = ", ".join([self.mark] * len(CALL_COLUMNS))
        updates = ", ".join(f"{name} = excluded.{name}" for name in _UPDATED)
        return (
            f"INSERT INTO {self.calls} ({', '.join(CALL_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT (vendor, call_id) DO UPDATE SET {updates}"
        )

    def where(self, query: Query) -> tuple[str, list[Any]]:
        """The WHERE clause (or '') and its parameters for a query."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("vendor", query.vendor),
            ("campaign_id", query.campaign_id),
            ("agent_id", query.agent_id),
        ):
            if value is not None:
                clauses.append(f"{column} = {self.mark}")
                params.append(value)
        if query.statuses is not None and not query.statuses:
            clauses.append("1 = 0")  # no status asked for: nothing is selected, as in the memory store
        elif query.statuses is not None:
            clauses.append(f"status IN ({', '.join([self.mark] * len(query.statuses))})")
            params += sorted(status.value for status in query.statuses)
        if query.terminal is not None:
            clauses.append(f"terminal {'<>' if query.terminal else '='} {self.false}")
        if query.since is not None:
            clauses.append(f"call_time >= {self.mark}")
            params.append(query.since)
        if query.until is not None:
            clauses.append(f"call_time < {self.mark}")
            params.append(query.until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def page(self, query: Query, after: tuple[float, str, str] | None, limit: int) -> tuple[str, list[Any]]:
        """A page of calls in (call time, vendor, call id) order after a position (keyset paging)."""
        where, params = self.where(query)
        if after is not None:
            row = f"(call_time, vendor, call_id) > ({self.mark}, {self.mark}, {self.mark})"
            where = f"{where} AND {row}" if where else f" WHERE {row}"
            params += list(after)
        return (
            f"SELECT call_time, record FROM {self.calls}{where} ORDER BY call_time, vendor, call_id LIMIT {int(limit)}",
            params,
        )

    def counts(self, by: Sequence[str], query: Query) -> tuple[str, list[Any]]:
        """How many calls share each combination of the grouping columns (checked by the tracker)."""
        assert all(name in COUNTABLE for name in by), by
        where, params = self.where(query)
        group = ", ".join(by)
        return f"SELECT {group}, COUNT(*) FROM {self.calls}{where} GROUP BY {group} ORDER BY {group}", params


def row(record: CallRecord, text: str, first_seen: float, now: float) -> tuple[Any, ...]:
    """A call's row in ``CALL_COLUMNS`` order: its record's JSON text and the queryable columns (see ``columns``)."""
    fields = record.__dict__
    status = fields["status"]
    moment = fields["started_at"] or fields["created_at"]
    return (
        fields["vendor"],
        fields["call_id"],
        text,
        status._value_,
        None if fields["end_reason"] is None else fields["end_reason"]._value_,
        status.is_terminal,
        None if fields["direction"] is None else fields["direction"]._value_,
        fields["agent_id"],
        fields["campaign_id"],
        None if fields["ended_by"] is None else fields["ended_by"]._value_,
        None if fields["answered_by"] is None else fields["answered_by"]._value_,
        first_seen if moment is None else moment.timestamp(),
        first_seen,
        now,
    )
