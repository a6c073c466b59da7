"""Compiles a table into straight-line Python functions, once, so that per-record work is plain dict lookups.

Per record shape it writes two functions over the same paths:

- ``extract`` (the careful path): reads every field with the checking converters of ``convert`` and hands
  raw status, reason and enum values back to ``Adapter.careful``, which resolves them with full error and
  unknown-value handling. A value a converter refuses is left empty and listed in ``bad``. This is the
  specification.
- ``fast`` (the hot path): the same reading with inline conversions and cached lookups, looking the outcome
  up in the status's precomputed matrix and building the record itself. On anything unusual (an unknown or
  unseen value, a non-E.164 number, a timestamp with an offset, a wrong type, a missing status) it returns
  None and the careful path runs. A property test checks that both give the same record wherever ``fast``
  answers.

Per adapter it writes ``locate``, which finds the first shape a payload fits, and per payload key set a
dispatcher. Alternatives are written as flat ``while True`` blocks, so any number of paths or vocabularies
compiles. The sources are kept on the adapter for inspection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import orjson

from . import convert
from . import record as record_module
from .errors import NormalizationError
from .tokens import MAX_TOKEN_CHARS
from .vocabulary import Direction

__all__ = [
    "OUTPUT",
    "FieldPlan",
    "Getter",
    "Matcher",
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
    "connected",
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
    kind: str  # text, phone, time, duration, number, integer, connected, raw
    getters: tuple[Getter, ...]
    unit: str | None = None
    format: str | None = None
    offset: int = 0


_MEMO_LIMIT = 1024


@attrs.frozen
class Matcher:
    """A shape's regular expression: full-matches a string no longer than a token, remembering (in a bounded memo)
    the strings that matched, so the hot path pays a dict lookup instead of a regex."""

    pattern: re.Pattern[str]
    memo: dict[str, bool] = attrs.field(factory=dict, eq=False, repr=False)

    def __call__(self, text: str) -> bool:
        if len(text) > MAX_TOKEN_CHARS or self.pattern.fullmatch(text) is None:
            return False
        if len(self.memo) < _MEMO_LIMIT:
            self.memo[text] = True
        return True


@attrs.frozen
class ShapePlan:
    """What the locator checks for one shape."""

    at: tuple[str, ...]
    all: tuple[Getter, ...]
    any: tuple[Getter, ...]
    none: tuple[Getter, ...]
    match: tuple[tuple[Getter, Matcher], ...]


def _dig(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


class _Writer:
    def __init__(self, prefix: str, namespace: dict[str, Any], *, json_only: bool = False) -> None:
        self.prefix = prefix
        self.namespace = namespace
        self.json_only = json_only
        """The function reads JSON data only (the hot path): nested objects are dicts, nothing else has keys."""
        self.lines: list[str] = []
        self.indent = 0
        self.counter = 0

    def const(self, value: Any) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * (depth + self.indent) + line)

    @staticmethod
    def _first(getter: Getter) -> str:
        """The expression reading a getter's first key."""
        base = "root" if getter.from_root else "rec"
        return f"{base}[{getter.keys[0]!r}]" if getter.known else f"{base}_get({getter.keys[0]!r})"

    def lookup_base(self, depth: int, getter: Getter, bases: dict[tuple[bool, str], str]) -> str:
        """Read a getter's first key into a local the getters of one chain share, once; returns its name."""
        name = bases.get((getter.from_root, getter.keys[0]))
        if name is None:
            name = bases[(getter.from_root, getter.keys[0])] = f"b{self.counter}"
            self.counter += 1
            self.emit(depth, f"{name} = {self._first(getter)}")
        return name

    def lookup(
        self, depth: int, getter: Getter, bases: dict[tuple[bool, str], str] | None = None, guarded: bool = False
    ) -> None:
        """``v`` = the getter's value. With ``bases``, the first key's value is read once into a local shared by
        the getters of one chain that start with it (Dialgen's ``error.code``, ``error.message``, ``error``);
        ``guarded``: that local is known to be a dict."""
        first = self._first(getter) if bases is None else self.lookup_base(depth, getter, bases)
        keys = getter.keys[1:]
        if guarded:
            self.emit(depth, f"v = {first}.get({keys[0]!r})")
            keys = keys[1:]
        else:
            self.emit(depth, f"v = {first}")
        for key in keys:
            if self.json_only:
                self.emit(depth, f"v = v.get({key!r}) if v.__class__ is dict else None")
            else:  # any Mapping; a string or a number holds no key: no call for them
                self.emit(
                    depth,
                    f"v = v.get({key!r}) if v.__class__ is dict else None if v.__class__ is str or v is None "
                    f"else _dig(v, {key!r})",
                )

    def chain(
        self,
        depth: int,
        getters: Sequence[Getter],
        test: Callable[[Getter], str],
        found: Callable[[int, Getter], None],
        other: str | None,
        missing: Callable[[int], None],
    ) -> None:
        """The first getter whose value passes ``test`` wins (``found``); a value that fails it and is not absent
        (null or '') runs ``other`` (e.g. ``return None``) when given, else counts as absent; with no winner,
        ``missing``. One getter is an if/else; several are a flat ``while True`` block, whatever their number."""
        if not getters:
            missing(depth)
            return
        if len(getters) == 1:
            self.lookup(depth, getters[0])
            self.emit(depth, f"if {test(getters[0])}:")
            found(depth + 1, getters[0])
            self.emit(depth, "else:")
            start = len(self.lines)
            missing(depth + 1)
            if other is not None and self.lines[start:] != ["    " * (depth + 1 + self.indent) + other]:
                self.lines.insert(start, "    " * (depth + 1 + self.indent) + f"if v is not None and v != '': {other}")
            return
        self.emit(depth, "while True:")
        firsts = [(getter.from_root, getter.keys[0]) for getter in getters]
        bases: dict[tuple[bool, str], str] = {}
        guarded: str | None = None  # in JSON data, paths into a shared base are read only when it is an object
        for getter, first in zip(getters, firsts, strict=True):
            shared = firsts.count(first) > 1
            inner = depth + 1
            nested = self.json_only and shared and len(getter.keys) > 1
            if nested:
                name = self.lookup_base(depth + 1, getter, bases)
                if guarded != name:
                    guarded = name
                    self.emit(depth + 1, f"if {name}.__class__ is dict:")
                inner = depth + 2
            else:
                guarded = None
            self.lookup(inner, getter, bases if shared else None, guarded=nested)
            self.emit(inner, f"if {test(getter)}:")
            found(inner + 1, getter)
            self.emit(inner + 1, "break")
            if other is not None:
                self.emit(inner, f"if v is not None and v != '': {other}")
        missing(depth + 1)
        self.emit(depth + 1, "break")

    def first_present(
        self,
        depth: int,
        getters: Sequence[Getter],
        found: Callable[[int, Getter], None],
        missing: Callable[[int], None],
    ) -> None:
        """The first getter holding a value other than null or '' wins."""
        self.chain(depth, getters, lambda getter: "v is not None and v != ''", found, None, missing)

    def source(self, name: str) -> tuple[Callable[..., Any], str]:
        text = "\n".join(self.lines) + "\n"
        exec(compile(text, f"<callstatus {name}>", "exec"), self.namespace)
        return self.namespace[name.split()[0]], text


def _json_text(value: Any) -> str:
    """A raw value of an unexpected type as the JSON text it was received as."""
    return orjson.dumps(value).decode()


def _namespace(vendor: str, zone: Any, region: str | None = None) -> dict[str, Any]:
    return {
        "V": vendor,
        "ZONE": zone,
        "REGION": region,
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
        "_connected": convert.connected,
        "_dumps": _json_text,
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
    if plan.kind == "text":
        return f"v if v.__class__ is str else _text(v, V, {path})"
    if plan.kind == "phone":
        return f"_e164(v, V, {path}, REGION)"
    if plan.kind == "time":
        return f"_timestamp(v, {getter.format or plan.format or 'iso8601'!r}, ZONE, V, {path})"
    if plan.kind == "duration":
        return f"_seconds(v, {convert.UNITS[getter.unit or plan.unit or 's']!r}, V, {path})"
    if plan.kind == "number":
        return f"_number(v, V, {path})"
    if plan.kind == "integer":
        return f"_integer(v, {plan.offset!r}, V, {path})"
    if plan.kind == "connected":
        return f"_connected(v, {getter.format is not None!r}, V, {path})"
    raise AssertionError(plan.kind)


def _careful_field(w: _Writer, plan: FieldPlan) -> None:
    """Read one field; the call id's problems raise (it is the record's structure), any other field's leave it
    empty and are listed in ``bad`` for ``Adapter.careful`` to report. Enum fields hand their raw value over."""
    target = plan.name

    def found(depth: int, getter: Getter) -> None:
        where = getter.where(w.prefix)
        if plan.kind == "raw":
            w.emit(depth, f"{target} = v")
            w.emit(depth, f"{target}_path = {where!r}")
            return
        if plan.name == "call_id":
            w.emit(depth, f"{target} = {_careful_conversion(plan, getter, where)}")
            return
        w.emit(depth, "try:")
        w.emit(depth + 1, f"{target} = {_careful_conversion(plan, getter, where)}")
        w.emit(depth, "except _NormalizationError as exc:")
        w.emit(depth + 1, f"{target} = None")
        w.emit(depth + 1, f"bad.append(({plan.name!r}, {where!r}, v, exc.reason))")
        if plan.kind == "phone":
            w.emit(depth, f"if {target} is None and v.__class__ is str:")
            w.emit(depth + 1, f"bad.append(({plan.name!r}, {where!r}, v, 'not a phone number in international form'))")

    def missing(depth: int) -> None:
        w.emit(depth, f"{target} = None")
        if plan.kind == "raw":
            w.emit(depth, f"{target}_path = None")

    w.first_present(1, plan.getters, found, missing)


def _flat(vocabularies: Sequence[Sequence[Getter]]) -> list[tuple[int, Getter]]:
    return [(index, getter) for index, getters in enumerate(vocabularies) for getter in getters]


def _careful_vocabularies(
    w: _Writer, target: str, vocabularies: Sequence[Sequence[Getter]], *, structural: bool
) -> None:
    """The raw value of the first vocabulary present, its path and the vocabulary's index. A status of a wrong
    type raises (the record's structure); a reason given as an integer is read as its digits, and any other type
    is kept as its JSON text with index -1 (unmapped)."""
    flat = _flat(vocabularies)

    def found(depth: int, getter: Getter) -> None:
        index = next(i for i, g in flat if g is getter)
        where = getter.where(w.prefix)
        w.emit(depth, f"{target}_path = {where!r}")
        if structural:
            w.emit(depth, f"{target} = v if v.__class__ is str else _text(v, V, {where!r})")
            w.emit(depth, f"{target}_vocabulary = {index}")
            return
        w.emit(depth, "if v.__class__ is str or v.__class__ is int:")
        w.emit(depth + 1, f"{target} = v if v.__class__ is str else str(v)")
        w.emit(depth + 1, f"{target}_vocabulary = {index}")
        w.emit(depth, "else:")
        w.emit(depth + 1, f"{target} = _dumps(v)")
        w.emit(depth + 1, f"{target}_vocabulary = -1")

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
    w = _Writer(prefix, _namespace(plan.vendor, zone, plan.region))
    w.emit(0, "def extract(rec, root, bad):")
    w.emit(1, "rec_get = rec.get")
    w.emit(1, "root_get = root.get")
    for field in plan.fields:
        _careful_field(w, field)
    _careful_vocabularies(w, "status", plan.statuses, structural=True)
    _careful_vocabularies(w, "reason", plan.reasons, structural=False)
    _analysis(w, plan.analysis)
    w.emit(1, "return (" + ", ".join(OUTPUT) + ")")
    return w.source(f"extract {plan.vendor} {prefix or '$'}")


# --- the hot path -----------------------------------------------------------------------------------------


_STR = "v.__class__ is str and v"
_NUMBER = "v.__class__ is int or v.__class__ is float"


def _fast_test(plan: FieldPlan, getter: Getter) -> str:
    if plan.kind == "connected":
        return _STR if getter.format is not None else _NUMBER + " or v.__class__ is bool"
    if plan.kind in ("duration", "number"):
        return _NUMBER
    if plan.kind in ("text", "phone", "raw"):
        return _STR
    if (getter.format or plan.format or "iso8601") == "iso8601":  # longer is no timestamp: not worth parsing
        return f"v.__class__ is str and v and len(v) <= {convert.MAX_SCALAR_CHARS}"
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
    elif plan.kind == "connected":  # an index into the outcome triple: 0 not known, 1 not connected, 2 connected
        if getter.format is not None:
            emit(depth, f"{target} = 2")
        else:
            emit(depth, f"if v > 0: {target} = 2")
            emit(depth, f"elif v == 0: {target} = 1")
            emit(depth, "else: return None")
    elif plan.kind in ("duration", "number"):
        multiplier, divisor = convert.UNITS[getter.unit or plan.unit or "s"] if plan.kind == "duration" else (1.0, 1.0)
        low = "0.0 <=" if plan.kind == "duration" else "-INF <"
        scaled = f"v * {multiplier!r}" if divisor == 1.0 else f"v / {divisor!r}"
        emit(depth, "try:")
        emit(depth + 1, f"{target} = {scaled}")
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


def _fast_field(w: _Writer, plan: FieldPlan, *, required: bool = False, depth: int = 1) -> None:
    absent = "0" if plan.kind == "connected" else "None"
    w.chain(
        depth,
        plan.getters,
        lambda g: _fast_test(plan, g),
        lambda d, g: _fast_conversion(w, d, plan, g),
        "return None",
        lambda d: w.emit(d, "return None" if required else f"{plan.name} = {absent}"),
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
    w.chain(1, [g for _, g in flat], lambda g: _STR, found, "return None", lambda d: w.emit(d, missing))


def generate_fast(plan: ReadPlan, prefix: str, zone: Any) -> tuple[Callable[..., Any], str]:
    """The hot-path function for records found under ``prefix``: a ``CallRecord``, or None to take the careful path."""
    w = _Writer(prefix, _namespace(plan.vendor, zone, plan.region), json_only=True)
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
    max_attempts: int | None = None
    """The vendor's documented attempts in all: it retries nothing past them."""
    retry_requires: tuple[str, ...] = ()
    """Record fields without which the vendor retries nothing (a batch's campaign_id)."""
    region: str | None = None
    """Where the vendor's national numbers are from (ISO 3166 alpha-2), or None: digits are international."""

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

    def _resolve(self, w: _Writer, getters: Mapping[str, Sequence[Getter]]) -> list[str]:
        """The outcome of ``Adapter.careful``, for values known to be mapped: one lookup in the status's matrix
        (the talk time is read only where the pair's outcome depends on it), then only the steps this shape's
        fields can need."""
        lines = []
        if getters.get("started_at") and getters.get("ended_at"):
            lines += [
                "if duration_seconds is None and started_at is not None and ended_at is not None "
                "and ended_at >= started_at:",
                "    duration_seconds = (ended_at - started_at).total_seconds()",
            ]
        if any(self.reasons):
            lines.append("o = m_status.alone if m_reason is None else m_status.outcomes[m_reason.index]")
        else:
            lines.append("o = m_status.alone")
        for line in lines:
            w.emit(1, line)
        lines = []
        w.emit(1, "if o is None:")  # the outcome depends on whether the call connected: read the talk time
        connected = next(plan for plan in self.fields if plan.name == "connected")
        _fast_field(w, connected, depth=2)
        pair = "0 if m_reason is None else m_reason.index + 1" if any(self.reasons) else "0"
        w.emit(2, f"o = m_status.by_connected[{pair}][connected]")
        lines += ["status = o.status", "reason = o.reason"]
        if getters.get("ended_by"):
            lines += ["if ended_by is None or not o.over: ended_by = o.ended_by"]
        else:
            lines.append("ended_by = o.ended_by")
        if getters.get("answered_by"):
            lines.append("if answered_by is None: answered_by = o.answered_by")
        else:
            lines.append("answered_by = o.answered_by")
        required = [name for name in self.retry_requires if getters.get(name)]
        if len(required) < len(self.retry_requires):  # the shape never holds what a vendor retry needs: no 'true'
            lines.append("vendor_may_retry = None if o.vendor_may_retry else o.vendor_may_retry")
            return lines + self._contact_lines(getters)
        lines.append("vendor_may_retry = o.vendor_may_retry")
        if required or (self.max_attempts is not None and getters.get("attempt")):
            lines.append("if vendor_may_retry:")
            if required:
                lines.append("    if " + " or ".join(f"{name} is None" for name in required) + ":")
                lines.append("        vendor_may_retry = None")
            if self.max_attempts is not None and getters.get("attempt"):
                lines.append(
                    f"    {'el' if required else ''}if attempt is not None and attempt >= {self.max_attempts}:"
                )
                lines.append("        vendor_may_retry = False")
        return lines + self._contact_lines(getters)

    @staticmethod
    def _contact_lines(getters: Mapping[str, Sequence[Getter]]) -> list[str]:
        if not getters.get("contact_number"):
            return []
        return [
            "if contact_number is not None:",
            "    if direction is _INBOUND:",
            "        if from_number is None: from_number = contact_number",
            "    elif to_number is None: to_number = contact_number",
        ]

    def emit(self, w: _Writer, guard: str | None = None) -> None:
        """Write the body at depth 1 of ``w``, reading ``rec`` and ``root``; ``guard``, a condition on the fields
        read, sends the payload to the careful path when false."""
        namespace = w.namespace
        status_names = [w.const(cache) for cache in self.status_caches]
        reason_names = [w.const(cache) for cache in self.reason_caches]
        for name, cache in self.enum_caches.items():
            namespace[f"_enum_{name}"] = cache
        namespace["_INBOUND"] = Direction.INBOUND
        getters_used = _all_getters(self)
        if any(not g.from_root and not g.known for g in getters_used):
            w.emit(1, "rec_get = rec.get")
        if any(g.from_root and not g.known for g in getters_used):
            w.emit(1, "root_get = root.get")
        _fast_vocabularies(w, "status", self.statuses, status_names, required=True)
        for plan in self.fields:
            if plan.kind == "raw" and plan.name not in self.enum_caches:
                w.emit(1, f"{plan.name} = None")
            elif plan.kind != "connected":  # read only where the outcome depends on it
                _fast_field(w, plan, required=plan.name == "call_id")
        _fast_vocabularies(w, "reason", self.reasons, reason_names)
        _analysis(w, self.analysis)
        if guard is not None:
            w.emit(1, "r = root")
            w.emit(1, f"if not ({guard}): return None")
        getters = {plan.name: plan.getters for plan in self.fields}
        for line in self._resolve(w, getters):
            w.emit(1, line)
        # Copying a template dict is far cheaper than building a 23-key dict; fields this shape can never
        # fill stay as the template's None.
        never = {name for name, found in getters.items() if not found} - {"ended_by", "answered_by", "vendor_may_retry"}
        if not any(self.reasons):
            never.add("raw_reason")
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


_RECORD_FIELDS = (
    "vendor", "call_id", "status", "end_reason", "ended_by", "answered_by", "raw_status", "raw_reason", "direction",
    "from_number", "to_number", "agent_id", "campaign_id", "contact_id", "attempt", "vendor_may_retry", "created_at",
    "started_at", "ended_at", "duration_seconds", "recording_url", "cost", "analysis", "raw",
)  # fmt: skip
_RECORD_SOURCES = {"vendor": "V", "end_reason": "reason", "raw_status": "raw_status", "raw_reason": "raw_reason",
                   "raw": "root"}  # fmt: skip


# --- the locator ------------------------------------------------------------------------------------------


def _condition(
    w: _Writer, getter: Getter, test: str, known: frozenset[str] = frozenset(), local: str | None = None
) -> str:
    """An inline expression reading one path from ``r`` (or ``root``) into ``x`` and testing it; a key in
    ``known`` is known to be there and is subscripted; ``local`` names a variable of the body that already holds
    the path's value (or None where the path holds none), for a test after the body has read it."""
    if local is not None:  # never '': the body holds None where the path holds no value
        return (
            f"((x := {local}) {'is None' if test.startswith('is None') else 'is not None'})"
            if test.startswith("is")
            else f"((x := {local}) {test})"
        )
    base = "root" if getter.from_root else "r"
    if len(getter.keys) == 1:
        if getter.keys[0] in known:
            return f"((x := {base}[{getter.keys[0]!r}]) {test})"
        return f"((x := {base}.get({getter.keys[0]!r})) {test})"
    return f"((x := _present({base}, {getter.keys!r})) {test})"


def _match(
    w: _Writer, getter: Getter, matcher: Matcher, known: frozenset[str] = frozenset(), local: str | None = None
) -> str:
    """A shape's pattern condition: a string remembered as matching, else matched (and remembered) now."""
    text = _condition(w, getter, ".__class__ is str", known, local)
    return f"{text} and ({w.const(matcher.memo)}.get(x) or {w.const(matcher)}(x))"


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
        tests += [_match(w, getter, matcher) for getter, matcher in shape.match]
        w.emit(1, "if " + " and ".join(tests) + ":")
        w.emit(2, f"return {index}, r")
    w.emit(1, "return None")
    return w.source(f"locate {vendor}")


def _required(plan: ReadPlan) -> frozenset[tuple[str, ...]]:
    """Record paths the hot-path body cannot do without: the call id's and the status's, where each has a single
    path. A shape's condition that such a path holds a value needs no test of its own: without one the body bails
    out to the careful path just as a failed condition would."""
    call_id = next(field for field in plan.fields if field.name == "call_id").getters
    statuses = [getter for getters in plan.statuses for getter in getters]
    return frozenset(
        getters[0].keys for getters in (call_id, statuses) if len(getters) == 1 and not getters[0].from_root
    )


def _locals(plan: ReadPlan) -> dict[tuple[str, ...], str]:
    """Root paths whose value a key-set specialised body holds in a variable once it has read its fields: the
    variable is None exactly where the path holds no value (anything else the body does not accept, it bails
    out on). A field read from one path only qualifies; the talk time, read lazily, does not."""
    found: dict[tuple[str, ...], str] = {}
    single = [(field.getters, field.name) for field in plan.fields if field.kind not in ("connected", "raw")]
    single += [(field.getters, field.name) for field in plan.fields if field.name in plan.enum_caches]
    single.append((tuple(g for getters in plan.statuses for g in getters), "raw_status"))
    single.append((tuple(g for getters in plan.reasons for g in getters), "raw_reason"))
    for getters, name in single:
        if len(getters) == 1 and not getters[0].from_root and len(getters[0].keys) == 1:
            found.setdefault(getters[0].keys, name)
    return found


def _shape_tests(
    w: _Writer,
    shape: ShapePlan,
    present: frozenset[str] | None,
    required: frozenset[tuple[str, ...]] = frozenset(),
    locals_: Mapping[tuple[str, ...], str] | None = None,
) -> list[str] | None:
    """The conditions of one shape on ``r`` and ``root``; None when the payload's key set already rules it out.
    With the keys known, a condition on a root key the payload lacks is decided here, not per record, and so is
    one on a path the inlined body requires anyway (``required``). ``locals_``: test a root shape after the body,
    on the variables holding its paths (see ``_locals``)."""
    presence = "is not None and x != ''"
    absent = (lambda getter: getter.keys[0] not in present) if present is not None and not shape.at else None
    if present is not None and shape.at and shape.at[0] not in present:
        return None
    if absent and any(absent(g) for g in shape.all + tuple(g for g, _ in shape.match)):
        return None
    any_of = [g for g in shape.any if not (absent and absent(g))]
    if shape.any and not any_of:
        return None
    none_of = [g for g in shape.none if not (absent and absent(g))]

    def known(getter: Getter) -> frozenset[str]:
        return present if present is not None and (getter.from_root or not shape.at) else frozenset()

    def local(getter: Getter) -> str | None:
        return None if locals_ is None or shape.at or getter.from_root else locals_.get(getter.keys)

    tests = ["r.__class__ is dict"] if shape.at else []
    tests += [
        _condition(w, g, presence, known(g), local(g))
        for g in shape.all
        if shape.at or g.from_root or g.keys not in required
    ]
    if any_of:
        any_of.sort(key=lambda g: local(g) is None)  # the variables first: cheapest, and one is enough
        tests.append("(" + " or ".join(_condition(w, g, presence, known(g), local(g)) for g in any_of) + ")")
    tests += [_condition(w, g, "is None or x == ''", known(g), local(g)) for g in none_of]
    tests += [_match(w, getter, matcher, known(getter), local(getter)) for getter, matcher in shape.match]
    return tests


def generate_dispatch(
    plan: ReadPlan,
    zone: Any,
    shapes: Sequence[ShapePlan],
    fasts: Sequence[Callable[..., Any]],
    present: frozenset[str] | None,
) -> tuple[Callable[[dict[str, Any]], Any], str]:
    """The hot-path entry for dict payloads: locate the shape and build the record, in one call.

    Nested shapes call their own fast function (``fasts[i]``); a run of shapes at the payload root shares one
    inlined body, entered when any of them fits. With ``present`` (the payload's keys), conditions on keys the
    payload lacks are decided when compiling, and the body reads only keys the payload has. Returns a
    ``CallRecord``, or None when no shape fits (the careful path reports it) or the careful path must decide.
    """
    namespace = _namespace(plan.vendor, zone, plan.region)
    namespace["_present"] = _present_path
    w = _Writer("", namespace, json_only=True)
    w.emit(0, "def dispatch(root):")
    inline = plan.only(present) if present is not None else plan
    index = 0
    while index < len(shapes):
        shape = shapes[index]
        if shape.at:
            tests = _shape_tests(w, shape, present)
            if tests is not None:
                w.emit(1, "r = root")
                for key in shape.at:
                    w.emit(1, f"r = r.get({key!r}) if r.__class__ is dict else None")
                w.emit(1, "if " + " and ".join(tests) + ":")
                w.emit(2, f"return {w.const(fasts[index])}(r, root)")
            index += 1
            continue
        start = index
        while index < len(shapes) and not shapes[index].at:
            index += 1
        # With nothing after this run that could fit, test it after the body, on the body's own variables.
        last = all(_shape_tests(w, shape, present) is None for shape in shapes[index:])
        locals_ = _locals(inline) if present is not None and last else None
        required = _required(inline) if present is not None else frozenset()
        run = [_shape_tests(w, shape, present, required, locals_) for shape in shapes[start:index]]
        fitting = [tests for tests in run if tests is not None]
        if not fitting:
            continue
        condition = " or ".join("(" + (" and ".join(tests) or "True") + ")" for tests in fitting)
        if locals_ is not None:
            w.emit(1, "rec = root")
            inline.emit(w, guard=None if condition == "(True)" else condition)
            return w.source(f"dispatch {plan.vendor}")
        w.emit(1, "r = root")
        w.emit(1, f"if {condition}:")
        w.emit(2, "rec = root")
        w.indent = 1
        inline.emit(w)
        w.indent = 0
    w.emit(1, "return None")
    return w.source(f"dispatch {plan.vendor}")


def _present_path(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value
