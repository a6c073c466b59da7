"""merge: one current truth from two observations of the same call, whatever order they arrived in.

Vendors deliver webhooks late, twice and out of order, and polling races them. ``merge`` is built as a
product of joins, so it is commutative, associative and idempotent by construction (the property tests check
the laws):

- Observations belong to attempts. The *attempt key* orders them: ``attempt`` (1 when not given), then, for a
  vendor whose table says it retries under the same call id, the attempt's start time (an observation without
  one is placed by its status: a call not over before every attempt, one that is over after).
- The *decisive observation* (status, end_reason, raw_status, raw_reason, raw, vendor_may_retry) is taken whole
  from the greatest key: attempt key, then status precedence (below), then an observation that carries a raw
  reason, then a deterministic order of the content. Within an attempt a terminal status is absorbing.
- An attempt's own fields (started_at, ended_at, duration_seconds, ended_by, answered_by, recording_url, cost,
  analysis, attempt) come from the decisive attempt's observations, joined among themselves, so a later
  attempt never shows an earlier attempt's end; the call's fields (numbers, ids, direction, created_at) are
  joined over every observation.
- A join: a value beats no value; ``created_at`` and ``started_at`` keep the earliest, ``ended_at``,
  ``duration_seconds`` and ``cost`` the largest; ``unknown`` enum values lose to known ones; other conflicts
  pick the greatest value, so the result never depends on arrival order.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import reduce
from typing import Any, TypeVar

import orjson

from .errors import UsageError
from .record import CallRecord, build_record
from .registry import Registry, default_registry
from .vocabulary import CallStatus

__all__ = ["STATUS_PRECEDENCE", "attempt_key", "field_joins", "merge", "merge_all"]

_TERMINAL_SPECIFICITY = (
    CallStatus.COMPLETED,
    CallStatus.FAILED,
    CallStatus.CANCELED,
    CallStatus.NO_ANSWER,
    CallStatus.BUSY,
)
STATUS_PRECEDENCE: dict[CallStatus, int] = {
    **{status: status.rank for status in CallStatus if not status.is_terminal},
    **{status: CallStatus.COMPLETED.rank + i for i, status in enumerate(_TERMINAL_SPECIFICITY)},
}
"""Within one attempt, the status that wins a merge: lifecycle order, then terminal over non-terminal, then
the more specific terminal over the generic one (Vonage sends ``completed`` after ``busy``: it stays busy)."""

_DECISIVE = ("status", "end_reason", "raw_status", "raw_reason", "raw", "vendor_may_retry")
_INFINITY = float("inf")

T = TypeVar("T")


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def attempt_key(record: CallRecord, registry: Registry | None = None) -> tuple[int, float]:
    """Which attempt of its call an observation belongs to, in order: ``attempt``, then the start time for a vendor
    whose table says it retries under the same call id (``[retries] same_call_id``)."""
    start = 0.0
    registry = registry or default_registry()
    retries = registry.get(record.vendor).retries if record.vendor in registry else None
    if retries is not None and retries.same_call_id:
        if record.started_at is not None:
            start = record.started_at.timestamp()
        else:
            start = _INFINITY if record.status.is_over else -_INFINITY
    return (record.attempt or 1, start)


def _decisive(a: dict[str, Any], b: dict[str, Any], attempt_a: tuple[int, float], attempt_b: tuple[int, float]) -> bool:
    """Whether ``a`` is the decisive observation of the two (their fields, as dicts); the content decides only
    when attempt, status precedence and the presence of a raw reason all tie."""
    key_a = (attempt_a, STATUS_PRECEDENCE[a["status"]], a["raw_reason"] is not None)
    key_b = (attempt_b, STATUS_PRECEDENCE[b["status"]], b["raw_reason"] is not None)
    if key_a != key_b:
        return key_a > key_b
    return _canonical([a[name] for name in _DECISIVE]) >= _canonical([b[name] for name in _DECISIVE])


def _either(join: Callable[[T, T], T]) -> Callable[[T | None, T | None], T | None]:
    """A join on values, with no value as the bottom."""

    def joined(a: T | None, b: T | None) -> T | None:
        if a is None:
            return b
        if b is None:
            return a
        return join(a, b)

    return joined


_PLAIN = (str, int, bool, datetime)
"""Classes whose equal values of one class are the same value (unlike ``0.0 == -0.0``, or two dicts holding
``1`` and ``1.0``)."""


def _same(a: Any, b: Any) -> bool:
    """Whether two values are the same, not merely equal: either may stand for both, whichever came first."""
    if a is b:
        return True
    if a != b or a.__class__ is not b.__class__:
        return False
    if a.__class__ is float:
        return a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b)
    return a.__class__ in _PLAIN or isinstance(a, enum.Enum) or _canonical(a) == _canonical(b)


def _greatest(a: Any, b: Any) -> Any:
    if _same(a, b):
        return a
    return a if _canonical(a) >= _canonical(b) else b


def _most(a: Any, b: Any) -> Any:
    """The larger value; of two equal but distinct ones (``0.0``, ``-0.0``), the greatest in content order."""
    return a if a > b else b if b > a else _greatest(a, b)


def _least(a: Any, b: Any) -> Any:
    """The smaller value; of two equal but distinct ones, the greatest in content order (as ``_most``)."""
    return a if a < b else b if b < a else _greatest(a, b)


def _known(a: Any, b: Any) -> Any:
    """Enum join: a known value beats ``unknown``; two known values, the greatest."""
    if a.value == "unknown":
        return b
    if b.value == "unknown":
        return a
    return max(a, b, key=lambda member: member.value)


def _analysis(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = _greatest(merged[key], value) if key in merged else value
    return {key: merged[key] for key in sorted(merged)}


_earliest: Callable[[datetime | None, datetime | None], datetime | None] = _either(_least)
_latest: Callable[[datetime | None, datetime | None], datetime | None] = _either(_most)
_largest: Callable[[float | None, float | None], float | None] = _either(_most)
_any_value = _either(_greatest)
_enum = _either(_known)
_analyses = _either(_analysis)

_CALL_JOINS: dict[str, Callable[[Any, Any], Any]] = {
    "direction": _enum,
    "from_number": _any_value,
    "to_number": _any_value,
    "agent_id": _any_value,
    "campaign_id": _any_value,
    "contact_id": _any_value,
    "created_at": _earliest,
}
_ATTEMPT_JOINS: dict[str, Callable[[Any, Any], Any]] = {
    "attempt": _largest,
    "ended_by": _enum,
    "answered_by": _enum,
    "started_at": _earliest,
    "ended_at": _latest,
    "duration_seconds": _largest,
    "recording_url": _any_value,
    "cost": _largest,
    "analysis": _analyses,
}
_KINDS: dict[Callable[[Any, Any], Any], str] = {
    _earliest: "earliest",
    _latest: "latest",
    _largest: "largest",
    _any_value: "any",
    _enum: "enum",
    _analyses: "analysis",
}


_JOINS = tuple((name, _CALL_JOINS.get(name), _ATTEMPT_JOINS.get(name)) for name in CallRecord.model_fields)
"""Each field with its join over the whole call and within one attempt (None where the decisive record decides)."""


def field_joins() -> list[tuple[str, str, str | None]]:
    """How ``merge`` joins each field, for engines that fold calls themselves (``bulk``): (field, scope, kind).
    Scope ``call``: over every observation; ``attempt``: over the decisive attempt's observations; ``decisive``:
    the decisive observation's value (kind None). Kinds: ``earliest``, ``latest``, ``largest`` (no value is the
    bottom), ``enum`` (known beats ``unknown``, else the greatest value), ``any`` and ``analysis`` (several
    distinct values are ordered by their content)."""
    joins: list[tuple[str, str, str | None]] = []
    for name, call, attempt in _JOINS:
        join = call or attempt
        joins.append((name, "call" if call else "attempt" if attempt else "decisive", join and _KINDS[join]))
    return joins


def merge(a: CallRecord, b: CallRecord, *, registry: Registry | None = None) -> CallRecord:
    """The current truth about a call from two observations of it; ``ValueError`` for two different calls.

    Commutative, associative and idempotent: fold any number of observations in any order, with any
    duplicates, and the result is the same. Within one attempt a terminal status is never replaced by a
    non-terminal one, ``unknown`` never replaces a known status, and a value is never replaced by no value; a
    later attempt supersedes an earlier one whole. ``registry`` says which vendors retry under the same call id
    (default: the default registry).
    """
    if (a.vendor, a.call_id) != (b.vendor, b.call_id):
        raise UsageError(
            f"cannot merge observations of different calls: {a.vendor}/{a.call_id} and {b.vendor}/{b.call_id}"
        )
    fields_a, fields_b = a.__dict__, b.__dict__
    if fields_a == fields_b and (a is b or _canonical(fields_a) == _canonical(fields_b)):
        return a
    attempt_a, attempt_b = attempt_key(a, registry), attempt_key(b, registry)
    decisive = fields_a if _decisive(fields_a, fields_b, attempt_a, attempt_b) else fields_b
    same_attempt = attempt_a == attempt_b
    values: dict[str, Any] = {}
    for name, call_join, attempt_join in _JOINS:
        join = call_join or (attempt_join if same_attempt else None)
        if join is None:
            values[name] = decisive[name]
            continue
        value_a, value_b = fields_a[name], fields_b[name]
        values[name] = value_a if value_a is value_b or _same(value_a, value_b) else join(value_a, value_b)
    return build_record(values)


def merge_all(records: Iterable[CallRecord], *, registry: Registry | None = None) -> CallRecord:
    """All observations of one call merged into one; ``ValueError`` when there are none or they differ in call."""
    items = list(records)
    if not items:
        raise UsageError("nothing to merge")
    return reduce(lambda a, b: merge(a, b, registry=registry), items)
