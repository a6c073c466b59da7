"""CallTracker: the merged current record of every call, kept in a store, queried by call time.

Each observation (a ``CallRecord``, or an event carrying one) is merged into the stored record inside one
transaction per batch, so concurrent writers (threads, processes, hosts sharing a database) lose nothing: since
``merge`` is commutative, associative and idempotent, the stored state is the same whatever the interleaving.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack

import attrs

from .errors import Error, UsageError
from .lifecycle import attempt_key
from .record import CallRecord, record_json, same
from .stores.base import COUNTABLE, Filters, Item, Store, query
from .stores.memory import MemoryStore
from .stores.sqlite import SQLiteStore

__all__ = ["CallTracker", "Observation"]

_BATCH = 1000


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


def _key(record: CallRecord) -> str:
    return hashlib.blake2b(record_json(record).encode(), digest_size=16).hexdigest()


def _item(observation: Any) -> Item:
    if observation.__class__ is CallRecord or isinstance(observation, CallRecord):
        return observation.vendor, observation.call_id, "record:" + _key(observation), observation
    call = getattr(observation, "call", None)
    key = getattr(observation, "idempotency_key", None)
    vendor = getattr(observation, "vendor", None)
    if not isinstance(key, str) or not isinstance(vendor, str) or not (call is None or isinstance(call, CallRecord)):
        raise UsageError(f"observe: expected a CallRecord or a CallEvent, not {type(observation).__name__}")
    return vendor, call.call_id if call is not None else None, "event:" + key, call


def _observation(previous: CallRecord | None, current: CallRecord | None, duplicate: bool) -> Observation:
    return Observation(
        record=current,
        previous=previous,
        changed=current is not None and not same(current, previous),
        became_terminal=current is not None
        and current.is_terminal
        and not (previous is not None and previous.is_terminal and attempt_key(previous) == attempt_key(current)),
        duplicate=duplicate,
    )


def _now(now: datetime | None) -> float:
    return (now or datetime.now(UTC)).timestamp()


def open_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A store from what ``CallTracker`` accepts: a store, None (memory), a ``postgresql://`` URL, or a path."""
    if store is None:
        return MemoryStore()
    if isinstance(store, str) and store.startswith(("postgresql://", "postgres://")):
        from .stores.postgres import PostgresStore  # the postgres extra: imported only when asked for

        return PostgresStore(store)
    if isinstance(store, str | os.PathLike):
        return SQLiteStore(store)
    return store


class CallTracker:
    """The merged current record per (vendor, call id).

    ``CallTracker()`` keeps them in memory; ``CallTracker("calls.db")`` in a SQLite file that survives a restart
    and may be shared by several processes; ``CallTracker("postgresql://...")`` in PostgreSQL, shared by several
    hosts (the ``postgres`` extra); any ``Store`` works. Every store failure is a ``TrackerError``.
    """

    def __init__(self, store: Store | str | os.PathLike[str] | None = None) -> None:
        failure: Error | None = None
        try:
            self.store: Store = open_store(store)
        except Error as exc:
            failure = exc
        del store  # a database URL holds a password: no frame of a failure's traceback keeps it
        if failure is not None:
            raise failure.with_traceback(None)

    def __repr__(self) -> str:
        return f"CallTracker({getattr(self, 'store', None)!r})"  # a constructor that failed leaves no store

    def observe(self, observation: CallRecord | Any) -> Observation:
        """Merge one observation: a ``CallRecord``, or a ``CallEvent`` (its ``call``, deduplicated by its key)."""
        return self.observe_many([observation])[0]

    def observe_many(self, observations: Iterable[CallRecord | Any], *, batch_size: int = _BATCH) -> list[Observation]:
        """Merge many observations, in order, one transaction per batch of ``batch_size``; what each one did."""
        if batch_size < 1:
            raise UsageError(f"batch_size must be at least 1, not {batch_size!r}")
        done: list[Observation] = []
        batch: list[Item] = []
        for observation in observations:
            batch.append(_item(observation))
            if len(batch) >= batch_size:
                done += self._apply(batch)
                batch = []
        if batch:
            done += self._apply(batch)
        return done

    def _apply(self, batch: Sequence[Item]) -> list[Observation]:
        return [_observation(*applied) for applied in self.store.apply(batch, _now(None))]

    def get(self, vendor: str, call_id: str) -> CallRecord | None:
        """The current record of a call, None when it was never observed."""
        return self.store.get(vendor, call_id)

    def records(self, *, page_size: int = 500, **filters: Unpack[Filters]) -> Iterator[CallRecord]:
        """The calls the filters select (``vendor``, ``status``, ``terminal``, ``since``, ``until``,
        ``campaign_id``, ``agent_id``), in call-time order, lazily, one page of ``page_size`` at a time.

        ``since``/``until`` bound the call's own time (``started_at``, else ``created_at``, else when the tracker
        first saw it): since inclusive, until exclusive.
        """
        selected = query(**filters)
        if page_size < 1:
            raise UsageError(f"page_size must be at least 1, not {page_size!r}")
        return self._pages(selected, page_size)

    def _pages(self, selected: Any, page_size: int) -> Iterator[CallRecord]:
        after = None
        while True:
            page = self.store.page(selected, after, page_size)
            for moment, record in page:
                yield record
                after = (moment, record.vendor, record.call_id)
            if len(page) < page_size:
                return

    def counts(
        self, by: str | Sequence[str] = ("vendor", "status"), **filters: Unpack[Filters]
    ) -> dict[tuple[Any, ...], int]:
        """How many selected calls share each combination of ``by`` (fields of ``COUNTABLE``): a dict from a tuple
        of values (enum values as strings, None for no value) to a count, sorted."""
        names = (by,) if isinstance(by, str) else tuple(by)
        if not names or any(name not in COUNTABLE for name in names):
            raise UsageError(f"counts: group by one or more of {', '.join(COUNTABLE)}, not {by!r}")
        selected = query(**filters)
        counted = self.store.counts(names, selected)
        return dict(
            sorted(counted.items(), key=lambda item: tuple((value is not None, str(value)) for value in item[0]))
        )

    def stale(self, older_than: timedelta, *, now: datetime | None = None) -> list[CallRecord]:
        """Calls not over yet whose own time (``started_at``, else ``created_at``, else when first seen) is more
        than ``older_than`` ago: the ones a backend should poll."""
        cutoff = datetime.fromtimestamp(_now(now) - older_than.total_seconds(), UTC)
        return list(self.records(terminal=False, until=cutoff))

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget which observations were seen more than ``older_than`` ago, so the store stops growing with
        every delivery; a redelivery after that is merged again (harmlessly: merge is idempotent) but is no
        longer reported as a duplicate. Returns how many were forgotten."""
        return self.store.prune(_now(now) - older_than.total_seconds())

    def forget(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete whole calls whose own time is more than ``older_than`` ago (a retention period), with their
        observation keys. Returns how many calls were deleted."""
        return self.store.forget(_now(now) - older_than.total_seconds())

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> CallTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
