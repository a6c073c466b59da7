"""Where a ``CallTracker`` keeps calls: memory, a SQLite file, or PostgreSQL (the ``postgres`` extra)."""

from __future__ import annotations

from typing import Any

from .base import COUNTABLE, Query, Store
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["COUNTABLE", "MemoryStore", "PostgresStore", "Query", "SQLiteStore", "Store"]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":  # psycopg is an optional dependency: import it only when asked for
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
