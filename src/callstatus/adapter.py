"""Adapter: one vendor's compiled table, turning that vendor's payloads into ``CallRecord``s.

Built by ``callstatus.tables`` from ``adapters/<vendor>.toml``; nothing in here knows any vendor by name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._codegen import FieldPlan, Getter
from .errors import NormalizationError
from .record import CallRecord, build_record
from .tokens import token
from .vocabulary import AnsweredBy, CallStatus, Direction, EndedBy, EndReason

if TYPE_CHECKING:
    from .apitable import ApiTable
    from .tables import WebhookTable

__all__ = ["Adapter", "OnUnmapped", "ReasonMeaning", "Shape", "StatusMeaning", "Unmapped", "Vocabulary"]

logger = logging.getLogger("callstatus")


@attrs.frozen
class Unmapped:
    """A vendor value the adapter could not map: kept raw in the record, reported to ``on_unmapped``."""

    vendor: str
    field: str
    """The canonical field it was meant for: status, end_reason, direction, to_number, ..."""
    path: str
    """Where it was in the payload."""
    value: str
    problem: str
    """What was wrong with it, e.g. 'unknown status'."""


OnUnmapped = Callable[[Unmapped], None]
"""Called once for every value an adapter could not map (non-strict mode)."""

_CACHE_LIMIT = 4096
_DISPATCH_LIMIT = 256
_WARNED_LIMIT = 10_000
_warned: set[tuple[str, str, str]] = set()

T = TypeVar("T")


@attrs.frozen
class StatusMeaning:
    """What a raw status means, with its joint rules keyed by canonical reason."""

    status: CallStatus
    reason: EndReason | None = None
    reason_wins: bool = False
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    by_reason: Mapping[EndReason, CallStatus] = attrs.field(factory=dict)
    deprecated: bool = False
    implied_reason: EndReason | None = attrs.field(init=False)
    """The end reason when the payload gives none: the entry's own, else the status's default."""

    @implied_reason.default
    def _implied_reason(self) -> EndReason | None:
        if not self.status.is_over:
            return None
        return self.reason if self.reason is not None else self.status.default_reason

    def reason_for(self, status: CallStatus) -> EndReason | None:
        """What this raw status says about why a call that ended up in ``status`` ended (None: not over)."""
        if not status.is_over:
            return None
        implied = self.reason if self.reason is not None else status.default_reason
        return implied if implied is not None else EndReason.UNKNOWN


@attrs.frozen
class ReasonMeaning:
    """What a raw reason or error code means."""

    reason: EndReason
    if_connected: EndReason | None = None
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    deprecated: bool = False


@attrs.frozen
class Vocabulary(Generic[T]):
    """A compiled vocabulary: pre-normalised token -> meaning, with a cache keyed by the raw spelling."""

    name: str
    getters: tuple[Getter, ...]
    values: tuple[str, ...]
    by_token: Mapping[str, T]
    cache: dict[str, T | None] = attrs.field(factory=dict, eq=False, repr=False)
    """Raw spelling -> meaning, for spellings seen; the hot path reads it directly."""

    def __attrs_post_init__(self) -> None:
        for raw in self.values:
            self.meaning(raw)

    def meaning(self, raw: str) -> T | None:
        """The meaning of a raw value in any spelling, or None when the vocabulary does not know it."""
        try:
            return self.cache[raw]
        except KeyError:
            found = self.by_token.get(token(raw))
            if len(self.cache) < _CACHE_LIMIT:
                self.cache[raw] = found
            return found


@attrs.frozen
class Shape:
    """One kind of payload: where its record sits and how to recognise it."""

    name: str
    at: tuple[str, ...]
    all: tuple[Getter, ...]
    any: tuple[Getter, ...]
    none: tuple[Getter, ...]
    match: tuple[tuple[Getter, re.Pattern[str]], ...]
    extract: Callable[..., tuple[Any, ...]] = attrs.field(repr=False, eq=False)
    fast: Callable[..., CallRecord | None] = attrs.field(repr=False, eq=False)
    source: str = attrs.field(repr=False, eq=False)

    def locate(self, root: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The record object of this shape in a payload, or None when the shape does not fit."""
        record: Any = root
        for key in self.at:
            record = record.get(key) if isinstance(record, Mapping) else None
        if not isinstance(record, Mapping):
            return None
        for getter in self.all:
            if _present(record, root, getter) is None:
                return None
        if self.any and all(_present(record, root, getter) is None for getter in self.any):
            return None
        for getter in self.none:
            if _present(record, root, getter) is not None:
                return None
        for getter, pattern in self.match:
            value = _present(record, root, getter)
            if not isinstance(value, str) or pattern.search(value) is None:
                return None
        return record

    def score(self, record: Mapping[str, Any], root: Mapping[str, Any]) -> int:
        """How much of the payload this shape accounts for: breaks ties between vendors in detection."""
        hits = sum(_present(record, root, getter) is not None for getter in self.any)
        return len(self.at) + len(self.all) + hits + len(self.none) + 2 * len(self.match)


def _present(record: Mapping[str, Any], root: Mapping[str, Any], getter: Getter) -> Any:
    value: Any = root if getter.from_root else record
    for key in getter.keys:
        value = value.get(key) if value.__class__ is dict or isinstance(value, Mapping) else None
    return None if value == "" else value


@attrs.frozen
class Adapter:
    """A vendor's compiled table. ``normalize`` turns one payload of that vendor into a ``CallRecord``."""

    id: str
    name: str
    source: str
    docs: tuple[str, ...]
    shapes: tuple[Shape, ...] = attrs.field(repr=False)
    lists: tuple[tuple[str, ...], ...] = attrs.field(repr=False)
    statuses: tuple[Vocabulary[StatusMeaning], ...] = attrs.field(repr=False)
    reasons: tuple[Vocabulary[ReasonMeaning], ...] = attrs.field(repr=False)
    enums: Mapping[str, Vocabulary[Any]] = attrs.field(repr=False)
    fields: tuple[FieldPlan, ...] = attrs.field(repr=False)
    call_id_paths: str = attrs.field(repr=False)
    fast_locate: Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | None] = attrs.field(repr=False, eq=False)
    locate_source: str = attrs.field(repr=False, eq=False)
    compile_dispatch: Callable[[frozenset[str] | None], Callable[[dict[str, Any]], CallRecord | None]] = attrs.field(
        repr=False, eq=False
    )
    dispatchers: dict[tuple[str, ...] | None, Callable[[dict[str, Any]], CallRecord | None]] = attrs.field(
        factory=dict, repr=False, eq=False
    )
    """Hot-path functions by the key tuple of the payloads they were specialised for."""
    webhook: WebhookTable | None = attrs.field(default=None, repr=False)
    """The compiled ``[webhook]`` section: event names, envelope paths, signature scheme; None without one."""
    api: ApiTable | None = attrs.field(default=None, repr=False)
    """The compiled ``[api]`` section, for the HTTP clients; None without one."""

    def locate(self, payload: Mapping[str, Any]) -> tuple[Shape, Mapping[str, Any]] | None:
        """The first shape that fits the payload, and the record object it finds."""
        if payload.__class__ is dict:  # JSON-decoded: normalize() turns every mapping into plain dicts first
            found = self.fast_locate(payload)
            return None if found is None else (self.shapes[found[0]], found[1])
        for shape in self.shapes:
            record = shape.locate(payload)
            if record is not None:
                return shape, record
        return None

    def normalize(
        self, payload: Mapping[str, Any], *, strict: bool = False, on_unmapped: OnUnmapped | None = None
    ) -> CallRecord:
        """The record for one decoded payload of this vendor: JSON data, as ``callstatus.normalize`` hands over
        (nested objects as plain dicts)."""
        if payload.__class__ is dict:
            keys = tuple(payload)
            dispatch = self.dispatchers.get(keys)
            if dispatch is None:
                dispatch = self._dispatcher(keys)
            result = dispatch(payload)
            if result is not None:
                return result
        return self.normalize_carefully(payload, strict=strict, on_unmapped=on_unmapped)

    def normalize_carefully(
        self, payload: Mapping[str, Any], *, strict: bool = False, on_unmapped: OnUnmapped | None = None
    ) -> CallRecord:
        """The record by the careful path alone: for payloads the hot path has already handed back."""
        found = self.locate(payload)
        if found is None:
            found = self._fallback(payload)
        shape, record = found
        return self.careful(shape, record, payload, strict=strict, on_unmapped=on_unmapped)

    def _dispatcher(self, keys: tuple[str, ...]) -> Callable[[dict[str, Any]], CallRecord | None]:
        """Compile the hot path for payloads with these keys; past a limit, one generic hot path serves all."""
        if len(self.dispatchers) >= _DISPATCH_LIMIT:
            dispatch = self.dispatchers.get(None)
            if dispatch is None:
                dispatch = self.dispatchers[None] = self.compile_dispatch(None)
            return dispatch
        dispatch = self.dispatchers[keys] = self.compile_dispatch(frozenset(keys))
        return dispatch

    def _fallback(self, payload: Mapping[str, Any]) -> tuple[Shape, Mapping[str, Any]]:
        for shape in self.shapes:
            if not shape.at:
                return shape, payload
        names = ", ".join(shape.name for shape in self.shapes)
        raise NormalizationError(
            f"payload matches none of the shapes ({names})", vendor=self.id, path="$", value=payload
        )

    def careful(
        self,
        shape: Shape,
        record: Mapping[str, Any],
        payload: Mapping[str, Any],
        *,
        strict: bool = False,
        on_unmapped: OnUnmapped | None = None,
    ) -> CallRecord:
        """The record by the careful path, which checks everything and decides every unusual case."""
        bad: list[tuple[str, str, Any]] = []
        (
            call_id,
            from_number,
            to_number,
            contact_number,
            agent_id,
            campaign_id,
            contact_id,
            attempt,
            created_at,
            started_at,
            ended_at,
            duration,
            recording_url,
            cost,
            direction_raw,
            direction_path,
            ended_by_raw,
            ended_by_path,
            answered_by_raw,
            answered_by_path,
            raw_status,
            status_path,
            status_vocabulary,
            raw_reason,
            reason_path,
            reason_vocabulary,
            analysis,
        ) = shape.extract(record, payload, bad)
        if call_id is None:
            raise NormalizationError("no call id", vendor=self.id, path=self.call_id_paths, value=None)
        for field, path, value in bad:
            self._unmapped(field, path, value, strict, on_unmapped, "not a phone number in international form")

        status = CallStatus.UNKNOWN
        status_meaning = None
        if raw_status is not None:
            status_meaning = self.statuses[status_vocabulary].meaning(raw_status)
            if status_meaning is None:
                self._unmapped("status", status_path, raw_status, strict, on_unmapped, "unknown status")
        elif strict:
            raise NormalizationError("no status", vendor=self.id, path=self._status_paths(), value=None)

        if duration is None and started_at is not None and ended_at is not None and ended_at >= started_at:
            duration = (ended_at - started_at).total_seconds()

        reason: EndReason | None = None
        reason_meaning = None
        if raw_reason is not None:
            reason_meaning = self.reasons[reason_vocabulary].meaning(raw_reason)
            if reason_meaning is None:
                self._unmapped("end_reason", reason_path, raw_reason, strict, on_unmapped, "unknown reason")
                reason = EndReason.UNKNOWN
            else:
                reason = reason_meaning.reason
                if reason_meaning.if_connected is not None and duration:
                    reason = reason_meaning.if_connected

        if status_meaning is not None:
            status = status_meaning.status
            if reason is None or status_meaning.reason_wins:
                reason = status_meaning.implied_reason
            else:
                if status_meaning.by_reason:
                    status = status_meaning.by_reason.get(reason, status)
                if reason is EndReason.UNKNOWN and reason_meaning is not None:
                    # A reason the table maps to unknown (ambiguous, or the vendor's own 'unknown') gives way
                    # to what the status says; an unmapped raw reason stays unknown, visibly.
                    reason = status_meaning.reason_for(status)
        if reason is None or not status.is_over:  # a call that is not over has no end reason (raw kept)
            reason = status.default_reason

        ended_by = self._enum("ended_by", ended_by_raw, ended_by_path, strict, on_unmapped)
        if ended_by is None:
            ended_by = _first_attr("ended_by", reason_meaning, status_meaning)
        answered_by = self._enum("answered_by", answered_by_raw, answered_by_path, strict, on_unmapped)
        if answered_by is None:
            answered_by = _first_attr("answered_by", reason_meaning, status_meaning)
        direction = self._enum("direction", direction_raw, direction_path, strict, on_unmapped)
        if contact_number is not None:
            if direction is Direction.INBOUND:
                from_number = from_number or contact_number
            else:
                to_number = to_number or contact_number

        return build_record(
            {
                "vendor": self.id,
                "call_id": call_id,
                "status": status,
                "end_reason": reason,
                "ended_by": ended_by,
                "answered_by": answered_by,
                "raw_status": raw_status,
                "raw_reason": raw_reason,
                "direction": direction,
                "from_number": from_number,
                "to_number": to_number,
                "agent_id": agent_id,
                "campaign_id": campaign_id,
                "contact_id": contact_id,
                "attempt": attempt,
                "created_at": created_at,
                "started_at": started_at,
                "ended_at": ended_at,
                "duration_seconds": duration,
                "recording_url": recording_url,
                "cost": cost,
                "analysis": analysis,
                "raw": payload if type(payload) is dict else dict(payload),
            }
        )

    def _enum(self, field: str, raw: str | None, path: str | None, strict: bool, on_unmapped: OnUnmapped | None) -> Any:
        if raw is None:
            return None
        vocabulary = self.enums.get(field)
        value = vocabulary.meaning(raw) if vocabulary is not None else None
        if value is None:
            self._unmapped(field, path or field, raw, strict, on_unmapped, f"unknown {field.replace('_', ' ')} value")
            return _ENUM_UNKNOWN[field]
        return value

    def _status_paths(self) -> str:
        return " | ".join(g.where("") for vocabulary in self.statuses for g in vocabulary.getters)

    def _unmapped(
        self, field: str, path: str, raw: Any, strict: bool, on_unmapped: OnUnmapped | None, what: str
    ) -> None:
        if strict:
            raise NormalizationError(what, vendor=self.id, path=path, value=raw)
        if on_unmapped is not None:
            on_unmapped(Unmapped(vendor=self.id, field=field, path=path, value=str(raw), problem=what))
        phone = field.endswith("_number")
        key = (self.id, path, "" if phone else str(raw))
        if key not in _warned and len(_warned) < _WARNED_LIMIT:
            _warned.add(key)
            shown = "(number not logged)" if phone else repr(raw)
            logger.warning("callstatus: %s: %s %s at %s; raw value kept", self.id, what, shown, path)


_ENUM_UNKNOWN: dict[str, Any] = {
    "direction": Direction.UNKNOWN,
    "ended_by": EndedBy.UNKNOWN,
    "answered_by": AnsweredBy.UNKNOWN,
}


def _first_attr(name: str, *meanings: Any) -> Any:
    for meaning in meanings:
        if meaning is not None:
            value = getattr(meaning, name)
            if value is not None:
                return value
    return None
