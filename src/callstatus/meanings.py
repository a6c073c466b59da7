"""Compiled vocabularies: what a vendor's raw statuses and reasons mean, and what each pair of them resolves to.

Built by ``callstatus.tables`` from a table's ``[status.*]`` and ``[reason.*]`` sections. Every pair of a status
entry and a reason entry (or no reason), for each of the three connected states, is resolved once through the
outcome laws (``callstatus.laws``) into an ``Outcome``; ``normalize()`` then only indexes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Generic, TypeVar

import attrs

from ._codegen import Getter
from .laws import resolve
from .tokens import MAX_TOKEN_CHARS, token
from .vocabulary import AnsweredBy, CallStatus, EndedBy, EndReason

__all__ = [
    "CONNECTED_STATES",
    "Outcome",
    "ReasonMeaning",
    "Retries",
    "StatusMeaning",
    "Vocabulary",
    "connected_index",
    "decide",
]

_CACHE_LIMIT = 1024
"""Spellings cached per vocabulary: with values capped at ``MAX_TOKEN_CHARS``, at most 256 KiB of keys."""

CONNECTED_STATES: tuple[bool | None, ...] = (None, False, True)
"""The three connected states, in the order outcome triples are indexed: not known, not connected, connected."""

T = TypeVar("T")


def connected_index(connected: bool | None) -> int:
    """The position of a connected state in an outcome triple."""
    return 0 if connected is None else 2 if connected else 1


@attrs.frozen
class Outcome:
    """What a (status, reason, connected) combination resolves to; ``over`` is ``status.is_over``."""

    status: CallStatus
    reason: EndReason | None
    ended_by: EndedBy | None
    """The tables' ended_by for this pair; None on a call that is not over (law 1)."""
    answered_by: AnsweredBy | None
    vendor_may_retry: bool | None
    """The tables' word on whether the vendor retries this outcome by itself; None on a call that is not terminal."""
    over: bool


@attrs.frozen
class Retries:
    """A vendor's own retries of unanswered calls, from its table's ``[retries]`` section."""

    max_attempts: int | None
    """Documented default attempts in all: no vendor retry once a known attempt reaches it."""
    delays: Mapping[EndReason, timedelta]
    """Documented default wait before a retry, by end reason."""
    same_call_id: bool
    """Retries reuse the call id: merge orders attempts by their start time."""
    requires: tuple[str, ...]
    """Record fields that must hold a value for the vendor to retry at all (a batch's campaign_id)."""


@attrs.frozen
class ReasonMeaning:
    """What a raw reason or error code means; ``index`` is its place in each status's outcome matrix."""

    reason: EndReason
    if_connected: EndReason | None = None
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    vendor_retries: bool | None = None
    deprecated: bool = False
    index: int = attrs.field(default=-1, eq=False)


@attrs.frozen
class StatusMeaning:
    """What a raw status means: a status, its own reason and flags, the table's overrides keyed by the resolved
    reason, and (filled by the compiler) what it resolves to with each reason of the table."""

    status: CallStatus
    reason: EndReason | None = None
    reason_wins: bool = False
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    by_reason: Mapping[EndReason, CallStatus] = attrs.field(factory=dict)
    vendor_retries: bool | None = None
    deprecated: bool = False
    alone: Outcome | None = attrs.field(default=None, eq=False, repr=False)
    """The outcome with no reason; None where it depends on the connected state (see ``by_connected``)."""
    outcomes: tuple[Outcome | None, ...] = attrs.field(default=(), eq=False, repr=False)
    """The outcome with each reason meaning, by ``ReasonMeaning.index``; None where it depends on the connected
    state. The usual case needs no talk time, so the hot path reads none."""
    by_connected: tuple[tuple[Outcome, ...], ...] = attrs.field(default=(), eq=False, repr=False)
    """Every outcome per connected state (``connected_index``): first with no reason, then by reason index + 1."""
    reachable: frozenset[CallStatus] = attrs.field(factory=frozenset, eq=False, repr=False)
    """Every status this raw status can end up in, with any reason of the table or none."""


def decide(
    meaning: StatusMeaning, reason: ReasonMeaning | None, connected: bool | None, *, unmapped: bool = False
) -> Outcome:
    """The outcome of a raw status with a raw reason (None: no reason; ``unmapped``: one the table does not know).

    The reason's meaning, or the status's own when the status's reason wins, when the reason is absent, or when
    the table maps the reason to ``unknown`` on purpose (the vendor's value is ambiguous); then the outcome laws;
    then the table's override for the resolved reason, which the loader has checked against the laws.
    """
    given: EndReason | None
    ambiguous = False
    if reason is not None:
        given = reason.if_connected if connected and reason.if_connected is not None else reason.reason
        ambiguous = given is EndReason.UNKNOWN
        if ambiguous:
            given = None
    else:
        given = EndReason.UNKNOWN if unmapped else None
    if meaning.reason_wins or given is None:
        given = meaning.reason if meaning.reason is not None else given
    status, resolved = resolve(meaning.status, given, connected)
    if resolved is None and ambiguous and status.is_over:  # a reason was given: say it is not known which
        resolved = EndReason.UNKNOWN
    if resolved is not None:
        status = meaning.by_reason.get(resolved, status)
    over = status.is_over
    ended_by = (
        (reason.ended_by if reason is not None and reason.ended_by is not None else meaning.ended_by) if over else None
    )
    answered_by = reason.answered_by if reason is not None and reason.answered_by is not None else meaning.answered_by
    retry: bool | None = None
    if status.is_terminal:  # the status's word while the call keeps that status, else the reason's
        if status is meaning.status and meaning.vendor_retries is not None:
            retry = meaning.vendor_retries
        elif reason is not None:
            retry = reason.vendor_retries
    return Outcome(status, resolved, ended_by, answered_by, retry, over)


@attrs.frozen
class Vocabulary(Generic[T]):
    """A compiled vocabulary: pre-normalised token -> meaning, ordered full-match patterns tried after the exact
    map, and a bounded cache keyed by the raw spelling (the hot path reads it directly)."""

    name: str
    getters: tuple[Getter, ...]
    values: tuple[str, ...]
    by_token: Mapping[str, T]
    patterns: tuple[tuple[re.Pattern[str], T], ...] = ()
    cache: dict[str, T | None] = attrs.field(factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for raw in self.values:
            self.meaning(raw)

    def meaning(self, raw: str) -> T | None:
        """The meaning of a raw value in any spelling, or None when the vocabulary does not know it."""
        try:
            return self.cache[raw]
        except KeyError:
            pass
        if len(raw) > MAX_TOKEN_CHARS:
            return None
        key = token(raw)
        found = self.by_token.get(key)
        if found is None:
            found = next((meaning for pattern, meaning in self.patterns if pattern.fullmatch(key)), None)
        if len(self.cache) < _CACHE_LIMIT:
            self.cache[raw] = found
        return found
