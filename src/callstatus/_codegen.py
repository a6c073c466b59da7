"""Compiles a table into straight-line Python functions, once, so that per-record work is plain dict lookups.

Per record shape it writes two functions over the same paths:

- ``extract`` (the careful path): reads every field with the checking converters of ``convert`` and hands
  raw status, reason and enum values back to ``Adapter.careful``, which resolves them with full error and
  unknown-value handling. This is the specification.
- ``fast`` (the hot path): the same reading with inline conversions and cached lookups, resolving statuses
  and building the record itself. On anything unusual (an unknown or unseen value, a non-E.164 number, a
  timestamp with an offset, a wrong type, a missing status) it returns None and the careful path runs. A
  property test checks that both give the same record wherever ``fast`` answers.

Per adapter it writes ``locate``, which finds the first shape a payload fits. The sources are kept on the
adapter for inspection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from . import convert
from . import record as record_module
from .errors import NormalizationError
from .vocabulary import CallStatus, Direction, EndReason

__all__ = [
    "OUTPUT",
    "FieldPlan",
    "Getter",
    "ReadPlan",
    "ShapePlan",
    "generate_dispatch",
    "generate_extract",
    "generate_fast",
    "generate_locate",
]

# What an extract function returns, in order.
OUTPUT = (
    "call_id",
    "from_number",
    "to_number",
    "contact_number",
    "agent_id",
    "campaign_id",
    "contact_id",
    "attempt",
    "created_at",
    "started_at",
    "ended_at",
    "duration_seconds",
    "recording_url",
    "cost",
    "direction",
    "direction_path",
    "ended_by",
    "ended_by_path",
    "answered_by",
    "answered_by_path",
    "status",
    "status_path",
    "status_vocabulary",
    "reason",
    "reason_path",
    "reason_vocabulary",
    "analysis",
)


@attrs.frozen
class Getter:
    """One vendor path of a field: keys from the record object, or from the payload root."""

    keys: tuple[str, ...]
    from_root: bool = False
    unit: str | None = None
    format: str | None = None
    known: bool = False
    """The first key is known to be in the object read (a key-set specialised body): subscript, no ``get``."""

    def where(self, prefix: str) -> str:
        """The path as a user reads it, from the payload root."""
        dotted = ".".join(self.keys)
        return dotted if self.from_root else prefix + dotted


@attrs.frozen
class FieldPlan:
    """How to read one canonical field: its kind, its paths in order, and the options of its kind."""

    name: str
    kind: str  # text, phone, time, duration, number, integer, raw
    getters: tuple[Getter, ...]
    unit: str | None = None
    format: str | None = None
    offset: int = 0


@attrs.frozen
class ShapePlan:
    """What the locator checks for one shape."""

    at: tuple[str, ...]
    all: tuple[Getter, ...]
    any: tuple[Getter, ...]
    none: tuple[Getter, ...]
    match: tuple[tuple[Getter, re.Pattern[str]], ...]


def _dig(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


class _Writer:
    def __init__(self, prefix: str, namespace: dict[str, Any]) -> None:
        self.prefix = prefix
        self.namespace = namespace
        self.lines: list[str] = []
        self.indent = 0

    def const(self, value: Any) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * (depth + self.indent) + line)

    def lookup(self, depth: int, getter: Getter) -> None:
        if getter.known:
            self.emit(depth, f"v = {'root' if getter.from_root else 'rec'}[{getter.keys[0]!r}]")
        else:
            self.emit(depth, f"v = {'root_get' if getter.from_root else 'rec_get'}({getter.keys[0]!r})")
        for key in getter.keys[1:]:
            self.emit(depth, f"v = v.get({key!r}) if v.__class__ is dict else _dig(v, {key!r})")

    def first_present(
        self,
        depth: int,
        getters: Sequence[Getter],
        found: Callable[[int, Getter], None],
        missing: Callable[[int], None],
    ) -> None:
        """Nested if/else over the getters: the first one holding a value other than null or '' wins."""
        for index, getter in enumerate(getters):
            d = depth + index
            self.lookup(d, getter)
            self.emit(d, "if v is not None and v != '':")
            found(d + 1, getter)
            self.emit(d, "else:")
        missing(depth + len(getters))

    def first_typed(
        self,
        depth: int,
        getters: Sequence[Getter],
        test: Callable[[Getter], str],
        found: Callable[[int, Getter], None],
        missing: Callable[[int], None],
    ) -> None:
        """Like ``first_present``, for the hot path: a value passing ``test`` wins; absent values (null, '')
        fall through to the next path; any other value returns None, for the careful path to judge."""
        for index, getter in enumerate(getters):
            d = depth + index
            self.lookup(d, getter)
            self.emit(d, f"if {test(getter)}:")
            found(d + 1, getter)
            self.emit(d, "else:")
            self.emit(d + 1, "if v is not None and v != '': return None")
        missing(depth + len(getters))

    def source(self, name: str) -> tuple[Callable[..., Any], str]:
        text = "\n".join(self.lines) + "\n"
        exec(compile(text, f"<callstatus {name}>", "exec"), self.namespace)
        return self.namespace[name.split()[0]], text


def _namespace(vendor: str, zone: Any) -> dict[str, Any]:
    return {
        "V": vendor,
        "ZONE": zone,
        "UTC": UTC,
        "INF": math.inf,
        "_dig": _dig,
        "_text": convert.text,
        "_e164": convert.e164,
        "_is_e164": convert.E164_SYNTAX,
        "_timestamp": convert.timestamp,
        "_fromiso": datetime.fromisoformat,
        "_seconds": convert.seconds,
        "_number": convert.number,
        "_integer": convert.integer,
        "_new": record_module._new,
        "_CallRecord": record_module.CallRecord,
        "_set_dict": record_module._set_dict,
        "_set_fields_set": record_module._set_fields_set,
        "_set_extra": record_module._set_extra,
        "_set_private": record_module._set_private,
        "_ALL_SET": record_module._ALL_SET,
        "_NormalizationError": NormalizationError,
    }


# --- the careful path -------------------------------------------------------------------------------------


def _careful_conversion(plan: FieldPlan, getter: Getter, where: str) -> str:
    path = repr(where)
    if plan.kind in ("text", "raw"):
        return f"v if v.__class__ is str else _text(v, V, {path})"
    if plan.kind == "phone":
        return f"_e164(v, V, {path})"
    if plan.kind == "time":
        return f"_timestamp(v, {getter.format or plan.format or 'iso8601'!r}, ZONE, V, {path})"
    if plan.kind == "duration":
        return f"_seconds(v, {convert.UNITS[getter.unit or plan.unit or 's']!r}, V, {path})"
    if plan.kind == "number":
        return f"_number(v, V, {path})"
    if plan.kind == "integer":
        return f"_integer(v, {plan.offset!r}, V, {path})"
    raise AssertionError(plan.kind)


def _careful_field(w: _Writer, plan: FieldPlan) -> None:
    target = plan.name

    def found(depth: int, getter: Getter) -> None:
        where = getter.where(w.prefix)
        w.emit(depth, f"{target} = {_careful_conversion(plan, getter, where)}")
        if plan.kind == "phone":
            w.emit(depth, f"if {target} is None: bad.append(({plan.name!r}, {where!r}, v))")
        if plan.kind == "raw":
            w.emit(depth, f"{target}_path = {where!r}")

    def missing(depth: int) -> None:
        w.emit(depth, f"{target} = None")
        if plan.kind == "raw":
            w.emit(depth, f"{target}_path = None")

    w.first_present(1, plan.getters, found, missing)


def _flat(vocabularies: Sequence[Sequence[Getter]]) -> list[tuple[int, Getter]]:
    return [(index, getter) for index, getters in enumerate(vocabularies) for getter in getters]


def _careful_vocabularies(w: _Writer, target: str, vocabularies: Sequence[Sequence[Getter]]) -> None:
    flat = _flat(vocabularies)

    def found(depth: int, getter: Getter) -> None:
        index = next(i for i, g in flat if g is getter)
        where = getter.where(w.prefix)
        w.emit(depth, f"{target} = v if v.__class__ is str else _text(v, V, {where!r})")
        w.emit(depth, f"{target}_path = {where!r}")
        w.emit(depth, f"{target}_vocabulary = {index}")

    w.first_present(
        1, [g for _, g in flat], found, lambda d: w.emit(d, f"{target} = {target}_path = {target}_vocabulary = None")
    )


def _analysis(w: _Writer, analysis: Mapping[str, Sequence[Getter]]) -> None:
    if not any(analysis.values()):
        w.emit(1, "analysis = None")
        return
    w.emit(1, "analysis = {}")
    for key, getters in analysis.items():

        def found(depth: int, getter: Getter, line: str = f"analysis[{key!r}] = v") -> None:
            w.emit(depth, line)

        w.first_present(1, getters, found, lambda depth: w.emit(depth, "pass"))
    w.emit(1, "analysis = analysis or None")


def generate_extract(plan: ReadPlan, prefix: str, zone: Any) -> tuple[Callable[..., tuple[Any, ...]], str]:
    """The careful extraction function for records found under ``prefix``, and its source."""
    w = _Writer(prefix, _namespace(plan.vendor, zone))
    w.emit(0, "def extract(rec, root, bad):")
    w.emit(1, "rec_get = rec.get")
    w.emit(1, "root_get = root.get")
    for field in plan.fields:
        _careful_field(w, field)
    _careful_vocabularies(w, "status", plan.statuses)
    _careful_vocabularies(w, "reason", plan.reasons)
    _analysis(w, plan.analysis)
    w.emit(1, "return (" + ", ".join(OUTPUT) + ")")
    return w.source(f"extract {plan.vendor} {prefix or '$'}")


# --- the hot path -----------------------------------------------------------------------------------------


_STR = "v.__class__ is str and v"
_NUMBER = "v.__class__ is int or v.__class__ is float"


def _fast_test(plan: FieldPlan, getter: Getter) -> str:
    if plan.kind in ("duration", "number"):
        return _NUMBER
    if plan.kind in ("text", "phone", "raw") or (getter.format or plan.format or "iso8601") == "iso8601":
        return _STR
    return "v is not None and v != ''"


def _fast_conversion(w: _Writer, depth: int, plan: FieldPlan, getter: Getter) -> None:
    """Inline conversion of ``v`` (already of the right type) into the field's variable; ``return None``
    wherever the careful path must decide."""
    target = plan.name
    emit = w.emit
    if plan.kind == "text":
        emit(depth, f"{target} = v")
    elif plan.kind == "phone":
        emit(depth, "if _is_e164(v) is None: return None")
        emit(depth, f"{target} = v")
    elif plan.kind == "raw":
        emit(depth, f"{target} = _enum_{target}.get(v)")
        emit(depth, f"if {target} is None: return None")
    elif plan.kind == "time" and (getter.format or plan.format or "iso8601") == "iso8601":
        emit(depth, "try:")
        emit(depth + 1, f"{target} = _fromiso(v)")
        emit(depth, "except ValueError:")
        emit(depth + 1, "return None")
        emit(depth, f"if {target}.tzinfo is not UTC: return None")
    elif plan.kind in ("duration", "number"):
        factor = convert.UNITS[getter.unit or plan.unit or "s"] if plan.kind == "duration" else 1.0
        low = "0.0 <=" if plan.kind == "duration" else "-INF <"
        emit(depth, "try:")
        emit(depth + 1, f"{target} = v * {factor!r}")
        emit(depth, "except OverflowError:")
        emit(depth + 1, "return None")
        emit(depth, f"if not ({low} {target} < INF): return None")
    else:  # integers and other time formats: the careful converter, bailing out where it would raise
        emit(depth, "try:")
        emit(depth + 1, f"{target} = {_careful_conversion(plan, getter, '')}")
        emit(depth, "except _NormalizationError:")
        emit(depth + 1, "return None")
        if plan.kind == "integer":
            emit(depth, f"if {target} < 1: return None")


def _fast_field(w: _Writer, plan: FieldPlan, *, required: bool = False) -> None:
    w.first_typed(
        1,
        plan.getters,
        lambda g: _fast_test(plan, g),
        lambda d, g: _fast_conversion(w, d, plan, g),
        lambda d: w.emit(d, "return None" if required else f"{plan.name} = None"),
    )


def _all_getters(body: ReadPlan) -> list[Getter]:
    found = [g for plan in body.fields for g in plan.getters]
    found += [g for getters in (*body.statuses, *body.reasons, *body.analysis.values()) for g in getters]
    return found


def _fast_vocabularies(
    w: _Writer, target: str, vocabularies: Sequence[Sequence[Getter]], caches: Sequence[str], required: bool = False
) -> None:
    flat = _flat(vocabularies)

    def found(depth: int, getter: Getter) -> None:
        index = next(i for i, g in flat if g is getter)
        w.emit(depth, f"raw_{target} = v")
        w.emit(depth, f"m_{target} = {caches[index]}.get(v)")
        w.emit(depth, f"if m_{target} is None: return None")

    missing = "return None" if required else f"raw_{target} = m_{target} = None"
    w.first_typed(1, [g for _, g in flat], lambda g: _STR, found, lambda d: w.emit(d, missing))


def generate_fast(plan: ReadPlan, prefix: str, zone: Any) -> tuple[Callable[..., Any], str]:
    """The hot-path function for records found under ``prefix``: a ``CallRecord``, or None to take the careful path."""
    w = _Writer(prefix, _namespace(plan.vendor, zone))
    w.emit(0, "def fast(rec, root):")
    plan.emit(w)
    return w.source(f"fast {plan.vendor} {prefix or '$'}")


@attrs.frozen
class ReadPlan:
    """How a table reads a record: its field plans, vocabularies and caches. Emits the hot-path body, into a
    function of its own or inlined in a dispatcher."""

    vendor: str
    fields: Sequence[FieldPlan]
    statuses: Sequence[Sequence[Getter]]
    reasons: Sequence[Sequence[Getter]]
    analysis: Mapping[str, Sequence[Getter]]
    status_caches: Sequence[Mapping[str, Any]]
    reason_caches: Sequence[Mapping[str, Any]]
    enum_caches: Mapping[str, Mapping[str, Any]]

    def only(self, present: frozenset[str]) -> ReadPlan:
        """The same body for payloads whose record is the payload itself, with exactly these keys: paths
        whose first key is absent are not looked up at all."""

        def keep(getters: Sequence[Getter]) -> tuple[Getter, ...]:
            return tuple(attrs.evolve(getter, known=True) for getter in getters if getter.keys[0] in present)

        return attrs.evolve(
            self,
            fields=[attrs.evolve(plan, getters=keep(plan.getters)) for plan in self.fields],
            statuses=[keep(getters) for getters in self.statuses],
            reasons=[keep(getters) for getters in self.reasons],
            analysis={key: keep(getters) for key, getters in self.analysis.items()},
        )

    def emit(self, w: _Writer) -> None:
        """Write the body at depth 1 of ``w``, reading ``rec`` and ``root``."""
        namespace = w.namespace
        status_names = [w.const(cache) for cache in self.status_caches]
        reason_names = [w.const(cache) for cache in self.reason_caches]
        for name, cache in self.enum_caches.items():
            namespace[f"_enum_{name}"] = cache
        namespace["_INBOUND"] = Direction.INBOUND
        namespace["_UNKNOWN_REASON"] = EndReason.UNKNOWN
        namespace["_OVER"] = frozenset(status for status in CallStatus if status.is_over)
        getters_used = _all_getters(self)
        if any(not g.from_root and not g.known for g in getters_used):
            w.emit(1, "rec_get = rec.get")
        if any(g.from_root and not g.known for g in getters_used):
            w.emit(1, "root_get = root.get")
        _fast_vocabularies(w, "status", self.statuses, status_names, required=True)
        for plan in self.fields:
            if plan.kind == "raw" and plan.name not in self.enum_caches:
                w.emit(1, f"{plan.name} = None")
            else:
                _fast_field(w, plan, required=plan.name == "call_id")
        _fast_vocabularies(w, "reason", self.reasons, reason_names)
        _analysis(w, self.analysis)
        getters = {plan.name: plan.getters for plan in self.fields}
        for line in _resolve(getters, any(self.reasons)):
            w.emit(1, line)
        # Copying a template dict is far cheaper than building a 23-key dict; fields this shape can never
        # fill stay as the template's None.
        never = {name for name, found in getters.items() if not found} - {"ended_by", "answered_by"}
        if getters.get("contact_number"):
            never -= {"from_number", "to_number"}
        if getters.get("started_at") and getters.get("ended_at"):
            never.discard("duration_seconds")
        if not any(self.analysis.values()):
            never.add("analysis")
        namespace["_TEMPLATE"] = dict.fromkeys(_RECORD_FIELDS)
        namespace["_TEMPLATE"]["vendor"] = self.vendor
        w.emit(1, "d = _TEMPLATE.copy()")
        for name in _RECORD_FIELDS:
            if name != "vendor" and name not in never:
                w.emit(1, f"d[{name!r}] = {_RECORD_SOURCES.get(name, name)}")
        for line in _BUILD:
            w.emit(1, line)


# record.build_record, inlined.
_BUILD = (
    "record = _new(_CallRecord)",
    "_set_dict(record, d)",
    "_set_fields_set(record, _ALL_SET)",
    "_set_extra(record, None)",
    "_set_private(record, None)",
    "return record",
)


def _resolve(getters: Mapping[str, Sequence[Getter]], has_reason: bool) -> list[str]:
    """The joint (status, reason) resolution of ``Adapter.careful``, for values known to be mapped: only the
    steps this shape's fields can need."""
    lines = []
    if getters.get("started_at") and getters.get("ended_at"):
        lines += [
            "if duration_seconds is None and started_at is not None and ended_at is not None "
            "and ended_at >= started_at:",
            "    duration_seconds = (ended_at - started_at).total_seconds()",
        ]
    lines.append("status = m_status.status")
    if has_reason:
        lines += [
            "if m_reason is not None:",
            "    reason = m_reason.reason",
            "    if m_reason.if_connected is not None and duration_seconds:",
            "        reason = m_reason.if_connected",
            "    if m_status.reason_wins:",
            "        reason = m_status.implied_reason",
            "    else:",
            "        if m_status.by_reason:",
            "            status = m_status.by_reason.get(reason, status)",
            "        if reason is _UNKNOWN_REASON:",
            "            reason = m_status.reason_for(status)",
            "    if status not in _OVER:",
            "        reason = status.default_reason",
            "    if ended_by is None: ended_by = m_reason.ended_by",
            "    if answered_by is None: answered_by = m_reason.answered_by",
            "else:",
            "    reason = m_status.implied_reason",
        ]
    else:
        lines.append("reason = m_status.implied_reason")
    lines += [
        "if ended_by is None: ended_by = m_status.ended_by",
        "if answered_by is None: answered_by = m_status.answered_by",
    ]
    if getters.get("contact_number"):
        lines += [
            "if contact_number is not None:",
            "    if direction is _INBOUND:",
            "        if from_number is None: from_number = contact_number",
            "    elif to_number is None: to_number = contact_number",
        ]
    return lines


_RECORD_FIELDS = (
    "vendor", "call_id", "status", "end_reason", "ended_by", "answered_by", "raw_status", "raw_reason", "direction",
    "from_number", "to_number", "agent_id", "campaign_id", "contact_id", "attempt", "created_at", "started_at",
    "ended_at", "duration_seconds", "recording_url", "cost", "analysis", "raw",
)  # fmt: skip
_RECORD_SOURCES = {"vendor": "V", "end_reason": "reason", "raw_status": "raw_status", "raw_reason": "raw_reason",
                   "raw": "root"}  # fmt: skip


# --- the locator ------------------------------------------------------------------------------------------


def _condition(w: _Writer, getter: Getter, test: str) -> str:
    """An inline expression reading one path from ``r`` (or ``root``) into ``x`` and testing it."""
    base = "root" if getter.from_root else "r"
    if len(getter.keys) == 1:
        return f"((x := {base}.get({getter.keys[0]!r})) {test})"
    return f"((x := _present({base}, {getter.keys!r})) {test})"


def generate_locate(vendor: str, shapes: Sequence[ShapePlan]) -> tuple[Callable[..., Any], str]:
    """The function that finds the first fitting shape of a dict payload: ``(index, record)`` or None."""
    namespace = _namespace(vendor, UTC)
    namespace["_present"] = _present_path
    w = _Writer("", namespace)
    w.emit(0, "def locate(root):")
    present = "is not None and x != ''"
    for index, shape in enumerate(shapes):
        w.emit(1, "r = root")
        for key in shape.at:
            w.emit(1, f"r = r.get({key!r}) if r.__class__ is dict else None")
        tests = ["r.__class__ is dict"]
        tests += [_condition(w, g, present) for g in shape.all]
        if shape.any:
            tests.append("(" + " or ".join(_condition(w, g, present) for g in shape.any) + ")")
        tests += [_condition(w, g, "is None or x == ''") for g in shape.none]
        for getter, pattern in shape.match:
            name = w.const(pattern.search)
            tests.append(f"{_condition(w, getter, '.__class__ is str')} and {name}(x) is not None")
        w.emit(1, "if " + " and ".join(tests) + ":")
        w.emit(2, f"return {index}, r")
    w.emit(1, "return None")
    return w.source(f"locate {vendor}")


def generate_dispatch(
    plan: ReadPlan,
    zone: Any,
    shapes: Sequence[ShapePlan],
    fasts: Sequence[Callable[..., Any]],
    present: frozenset[str] | None,
) -> tuple[Callable[[dict[str, Any]], Any], str]:
    """The hot-path entry for dict payloads: locate the shape and build the record, in one call.

    Nested shapes call their own fast function (``fasts[i]``); shapes at the payload root get the plan's body
    inlined. With ``present`` (the payload's keys), conditions on keys the payload lacks are decided when
    compiling, not per record, and the body reads only keys the payload has. Returns a ``CallRecord``, or
    None when no shape fits or the careful path must decide.
    """
    namespace = _namespace(plan.vendor, zone)
    namespace["_present"] = _present_path
    w = _Writer("", namespace)
    w.emit(0, "def dispatch(root):")
    presence = "is not None and x != ''"
    inline = plan.only(present) if present is not None else plan
    for index, shape in enumerate(shapes):
        if not shape.at and not any(later.at for later in shapes[index + 1 :]):
            # Every shape at the root reads the same fields, and a payload no shape fits is read as one at
            # the root: with no nested shape left to try, this shape's conditions cannot change the result.
            w.emit(1, "rec = root")
            inline.emit(w)
            break
        # With the payload's keys known, a condition on a root key the payload lacks is decided here.
        absent = (lambda getter: getter.keys[0] not in present) if present is not None and not shape.at else None
        if present is not None and shape.at and shape.at[0] not in present:
            continue
        if absent and any(absent(g) for g in shape.all + tuple(g for g, _ in shape.match)):
            continue
        any_of = [g for g in shape.any if not (absent and absent(g))]
        if shape.any and not any_of:
            continue
        none_of = [g for g in shape.none if not (absent and absent(g))]
        w.emit(1, "r = root")
        for key in shape.at:
            w.emit(1, f"r = r.get({key!r}) if r.__class__ is dict else None")
        tests = ["r.__class__ is dict"] if shape.at else []
        tests += [_condition(w, g, presence) for g in shape.all]
        if any_of:
            tests.append("(" + " or ".join(_condition(w, g, presence) for g in any_of) + ")")
        tests += [_condition(w, g, "is None or x == ''") for g in none_of]
        for getter, pattern in shape.match:
            tests.append(f"{_condition(w, getter, '.__class__ is str')} and {w.const(pattern.search)}(x) is not None")
        w.emit(1, "if " + (" and ".join(tests) or "True") + ":")
        if shape.at:
            w.emit(2, f"return {w.const(fasts[index])}(r, root)")
        else:
            w.emit(2, "rec = root")
            w.indent = 1
            inline.emit(w)
            w.indent = 0
    else:
        w.emit(1, "return None")
    return w.source(f"dispatch {plan.vendor}")


def _present_path(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value
