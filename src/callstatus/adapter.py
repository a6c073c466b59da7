"""Adapter: one vendor's compiled table, turning that vendor's payloads into ``CallRecord``s.

Built by ``callstatus.tables`` from ``adapters/<vendor>.toml``; nothing in here knows any vendor by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from typing import Any

import attrs

from ._codegen import OUTPUT, FieldPlan, Getter, Matcher
from .apitable import ApiTable
from .errors import NormalizationError, show
from .meanings import ReasonMeaning, Retries, StatusMeaning, Vocabulary, decide
from .record import CallRecord, build_record
from .vocabulary import AnsweredBy, CallStatus, Direction, EndedBy
from .webhooktable import WebhookTable

__all__ = ["Adapter", "OnUnmapped", "Shape", "Unmapped"]

logger = logging.getLogger("callstatus")


@attrs.frozen
class Unmapped:
    """A vendor value the adapter could not map: kept raw in the record, reported to ``on_unmapped``."""

    vendor: str
    field: str
    """The canonical field it was meant for: status, end_reason, direction, to_number, ..., or 'shape' for a
    payload that fits none of the vendor's record shapes."""
    path: str
    """Where it was in the payload."""
    value: str
    """The raw value; a value that is not a string, as a short repr."""
    problem: str
    """What was wrong with it, e.g. 'unknown status'."""


OnUnmapped = Callable[[Unmapped], None]
"""Called once for every value an adapter could not map (non-strict mode)."""

_DISPATCH_LIMIT = 256
_DISPATCH_KEY_CHARS = 4096
"""A payload whose keys are longer than this in all gets the generic hot path: its keys are not cached."""
_WARNED_LIMIT = 10_000
_warned: set[tuple[str, str, int]] = set()
"""(vendor, path, hash of the value) warned about: bounded in count, holding no value."""
_CONNECTED = OUTPUT.index("connected")


@attrs.frozen
class Shape:
    """One kind of payload: where its record sits and how to recognise it."""

    name: str
    at: tuple[str, ...]
    all: tuple[Getter, ...]
    any: tuple[Getter, ...]
    none: tuple[Getter, ...]
    match: tuple[tuple[Getter, Matcher], ...]
    status: StatusMeaning | None
    """The status of a record of this shape that carries none (a call detail record: ended)."""
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
        for getter, matcher in self.match:
            value = _present(record, root, getter)
            if not isinstance(value, str) or not matcher(value):
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
    retries: Retries | None = attrs.field(default=None, repr=False)
    """The vendor's own retries, from the ``[retries]`` section; None without one."""
    webhook: WebhookTable | None = attrs.field(default=None, repr=False)
    """The compiled ``[webhook]`` section: event names, envelope paths, signature scheme; None without one."""
    api: ApiTable | None = attrs.field(default=None, repr=False)
    """The compiled ``[api]`` section, for the HTTP clients; None without one."""
    zone: tzinfo = attrs.field(default=UTC, repr=False)
    """Where the vendor's timestamps without an offset are read (the table's ``timezone``)."""
    analysis: Mapping[str, tuple[Getter, ...]] = attrs.field(factory=dict, repr=False)
    """Analysis key -> its paths, first present wins (the record's ``analysis``)."""
    region: str | None = attrs.field(default=None, repr=False)
    """Where the vendor's national phone numbers are read (the table's ``default_region``); None: nowhere."""

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
            shape = self._fallback(payload)
            return self.careful(shape, payload, payload, strict=strict, on_unmapped=on_unmapped, fits=False)
        shape, record = found
        return self.careful(shape, record, payload, strict=strict, on_unmapped=on_unmapped)

    def connected(self, payload: Mapping[str, Any]) -> bool | None:
        """Whether the call in a decoded payload connected, by the vendor's own talk or answer time (the
        ``connected`` paths of its table): None when the vendor does not say, or says it unreadably."""
        found = self.locate(payload)
        shape, record = found if found is not None else (self._fallback(payload), payload)
        return shape.extract(record, payload, [])[_CONNECTED]  # type: ignore[no-any-return]

    def _dispatcher(self, keys: tuple[str, ...]) -> Callable[[dict[str, Any]], CallRecord | None]:
        """Compile the hot path for payloads with these keys; past a limit, or for keys too long to keep, one
        generic hot path serves all."""
        if len(self.dispatchers) >= _DISPATCH_LIMIT or sum(map(len, keys)) > _DISPATCH_KEY_CHARS:
            dispatch = self.dispatchers.get(None)
            if dispatch is None:
                dispatch = self.dispatchers[None] = self.compile_dispatch(None)
            return dispatch
        dispatch = self.dispatchers[keys] = self.compile_dispatch(frozenset(keys))
        return dispatch

    def _fallback(self, payload: Mapping[str, Any]) -> Shape:
        """The shape a payload that fits none is read as: the table's record at the root, if it has one."""
        root = next((shape for shape in self.shapes if not shape.at), None)
        if root is None:
            problem, keys = self._unfit(payload)
            raise NormalizationError(problem, vendor=self.id, path="$", value=keys)
        return root

    def _unfit(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        names = ", ".join(shape.name for shape in self.shapes)
        return f"payload fits none of the shapes ({names})", ", ".join(sorted(str(key)[:40] for key in payload)[:20])

    def careful(
        self,
        shape: Shape,
        record: Mapping[str, Any],
        payload: Mapping[str, Any],
        *,
        strict: bool = False,
        on_unmapped: OnUnmapped | None = None,
        fits: bool = True,
    ) -> CallRecord:
        """The record by the careful path, which checks everything and decides every unusual case. ``fits``
        False: the payload fits none of the shapes and is read as ``shape`` anyway, which is reported (strict:
        refused) after everything else."""
        bad: list[tuple[str, str, Any, str]] = []
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
            connected,
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
        for field, path, value, problem in bad:
            self._unmapped(field, path, value, strict, on_unmapped, problem)

        status_meaning: StatusMeaning | None = None
        if raw_status is not None:
            status_meaning = self.statuses[status_vocabulary].meaning(raw_status)
            if status_meaning is None:
                self._unmapped("status", status_path, raw_status, strict, on_unmapped, "unknown status")
        elif shape.status is not None:
            status_meaning = shape.status
        elif strict:
            raise NormalizationError("no status", vendor=self.id, path=self._status_paths(), value=None)

        if duration is None and started_at is not None and ended_at is not None and ended_at >= started_at:
            duration = (ended_at - started_at).total_seconds()

        reason_meaning: ReasonMeaning | None = None
        if raw_reason is not None:
            if reason_vocabulary >= 0:
                reason_meaning = self.reasons[reason_vocabulary].meaning(raw_reason)
                problem = "unknown reason"
            else:
                problem = "expected a string"
            if reason_meaning is None:
                self._unmapped("end_reason", reason_path, raw_reason, strict, on_unmapped, problem)

        status, reason, ended_by, answered_by, vendor_may_retry = CallStatus.UNKNOWN, None, None, None, None
        if status_meaning is not None:
            outcome = decide(status_meaning, reason_meaning, connected, unmapped=raw_reason is not None)
            status, reason = outcome.status, outcome.reason
            ended_by, answered_by, vendor_may_retry = outcome.ended_by, outcome.answered_by, outcome.vendor_may_retry
        explicit = self._enum("ended_by", ended_by_raw, ended_by_path, strict, on_unmapped)
        if explicit is not None:
            ended_by = explicit if status.is_over else None
        explicit = self._enum("answered_by", answered_by_raw, answered_by_path, strict, on_unmapped)
        if explicit is not None:
            answered_by = explicit
        if vendor_may_retry and self.retries is not None:
            fields = {"campaign_id": campaign_id, "agent_id": agent_id, "contact_id": contact_id}
            if any(fields[name] is None for name in self.retries.requires):
                vendor_may_retry = None
            elif self.retries.max_attempts is not None and attempt is not None and attempt >= self.retries.max_attempts:
                vendor_may_retry = False
        direction = self._enum("direction", direction_raw, direction_path, strict, on_unmapped)
        if not fits:  # the least specific problem, reported after the values that may explain it
            problem, keys = self._unfit(payload)
            self._unmapped("shape", "$", keys, strict, on_unmapped, problem)
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
                "vendor_may_retry": vendor_may_retry,
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

    def _enum(self, field: str, raw: Any, path: str | None, strict: bool, on_unmapped: OnUnmapped | None) -> Any:
        if raw is None:
            return None
        vocabulary = self.enums.get(field)
        if not isinstance(raw, str):
            self._unmapped(field, path or field, raw, strict, on_unmapped, "expected a string")
            return _ENUM_UNKNOWN[field]
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
        """Report a value the table cannot map: raise in strict mode; otherwise tell ``on_unmapped`` and warn once
        per distinct value (remembered by hash: no value is kept, however large)."""
        if strict:
            raise NormalizationError(what, vendor=self.id, path=path, value=raw)
        text = raw if isinstance(raw, str) else show(raw)
        if on_unmapped is not None:
            on_unmapped(Unmapped(vendor=self.id, field=field, path=path, value=text, problem=what))
        phone = field.endswith("_number")
        key = (self.id, path, 0 if phone else hash(text))
        if key not in _warned and len(_warned) < _WARNED_LIMIT:
            _warned.add(key)
            shown = "(number not logged)" if phone else show(raw)
            logger.warning("callstatus: %s: %s %s at %s; raw value kept", self.id, what, shown, path)


_ENUM_UNKNOWN: dict[str, Any] = {
    "direction": Direction.UNKNOWN,
    "ended_by": EndedBy.UNKNOWN,
    "answered_by": AnsweredBy.UNKNOWN,
}
