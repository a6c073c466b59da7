"""Compiles a table's field paths into one straight-line Python function per record shape.

``normalize()`` runs per webhook and per row of a million-row export, so the per-record work is plain
``dict.get`` calls and converter calls with every path, unit and format baked in as constants: nothing in a
table is looked up again per record. The generated source is kept on the adapter for inspection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from . import convert

__all__ = ["FieldPlan", "Getter", "OUTPUT", "generate"]

# What a generated function returns, in order.
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


def _dig(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


class _Writer:
    def __init__(self, prefix: str, namespace: dict[str, Any]) -> None:
        self.prefix = prefix
        self.namespace = namespace
        self.lines: list[str] = []

    def const(self, value: Any) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def lookup(self, depth: int, getter: Getter) -> None:
        base = "root_get" if getter.from_root else "rec_get"
        self.emit(depth, f"v = {base}({getter.keys[0]!r})")
        for key in getter.keys[1:]:
            self.emit(depth, f"v = v.get({key!r}) if v.__class__ is dict else _dig(v, {key!r})")

    def first_present(self, depth: int, getters: Sequence[Getter], found: Callable[[int, Getter], None],
                      missing: Callable[[int], None]) -> None:
        """Nested if/else over the getters: the first one holding a value other than null or '' wins."""
        for index, getter in enumerate(getters):
            d = depth + index
            self.lookup(d, getter)
            self.emit(d, "if v is not None and v != '':")
            found(d + 1, getter)
            self.emit(d, "else:")
        missing(depth + len(getters))


def _conversion(plan: FieldPlan, getter: Getter, where: str, w: _Writer) -> str:
    path = repr(where)
    if plan.kind == "text" or plan.kind == "raw":
        return f"v if v.__class__ is str else _text(v, V, {path})"
    if plan.kind == "phone":
        return f"_e164(v, V, {path})"
    if plan.kind == "time":
        fmt = getter.format or plan.format or "iso8601"
        return f"_timestamp(v, {fmt!r}, ZONE, V, {path})"
    if plan.kind == "duration":
        factor = convert.UNITS[getter.unit or plan.unit or "s"]
        return f"_seconds(v, {factor!r}, V, {path})"
    if plan.kind == "number":
        return f"_number(v, V, {path})"
    if plan.kind == "integer":
        return f"_integer(v, {plan.offset!r}, V, {path})"
    raise AssertionError(plan.kind)


def _field(w: _Writer, plan: FieldPlan) -> None:
    target = plan.name

    def found(depth: int, getter: Getter) -> None:
        where = getter.where(w.prefix)
        w.emit(depth, f"{target} = {_conversion(plan, getter, where, w)}")
        if plan.kind == "phone":
            w.emit(depth, f"if {target} is None: bad.append(({plan.name!r}, {where!r}, v))")
        if plan.kind == "raw":
            w.emit(depth, f"{target}_path = {where!r}")

    def missing(depth: int) -> None:
        w.emit(depth, f"{target} = None")
        if plan.kind == "raw":
            w.emit(depth, f"{target}_path = None")

    if not plan.getters:
        missing(1)
        return
    w.first_present(1, plan.getters, found, missing)


def _vocabularies(w: _Writer, target: str, vocabularies: Sequence[Sequence[Getter]]) -> None:
    """First present value across several vocabularies, each with its paths: value, path and vocabulary index."""
    flat = [(index, getter) for index, getters in enumerate(vocabularies) for getter in getters]

    def found(depth: int, getter: Getter) -> None:
        index = next(i for i, g in flat if g is getter)
        where = getter.where(w.prefix)
        w.emit(depth, f"{target} = v if v.__class__ is str else _text(v, V, {where!r})")
        w.emit(depth, f"{target}_path = {where!r}")
        w.emit(depth, f"{target}_vocabulary = {index}")

    def missing(depth: int) -> None:
        w.emit(depth, f"{target} = {target}_path = {target}_vocabulary = None")

    w.first_present(1, [getter for _, getter in flat], found, missing)


def _analysis(w: _Writer, analysis: Mapping[str, Sequence[Getter]]) -> None:
    w.emit(1, "analysis = {}")
    for key, getters in analysis.items():

        def found(depth: int, getter: Getter, key: str = key) -> None:
            w.emit(depth, f"analysis[{key!r}] = v")

        w.first_present(1, getters, found, lambda depth: w.emit(depth, "pass"))
    w.emit(1, "analysis = analysis or None")


def generate(
    *,
    vendor: str,
    prefix: str,
    zone: Any,
    fields: Sequence[FieldPlan],
    statuses: Sequence[Sequence[Getter]],
    reasons: Sequence[Sequence[Getter]],
    analysis: Mapping[str, Sequence[Getter]],
) -> tuple[Callable[..., tuple[Any, ...]], str]:
    """The extraction function for one shape (records found under ``prefix``), and its source."""
    namespace: dict[str, Any] = {
        "V": vendor,
        "ZONE": zone,
        "_dig": _dig,
        "_text": convert.text,
        "_e164": convert.e164,
        "_timestamp": convert.timestamp,
        "_seconds": convert.seconds,
        "_number": convert.number,
        "_integer": convert.integer,
    }
    w = _Writer(prefix, namespace)
    w.emit(0, "def extract(rec, root, bad):")
    w.emit(1, "rec_get = rec.get")
    w.emit(1, "root_get = root.get")
    by_name = {plan.name: plan for plan in fields}
    for name in OUTPUT:
        if name in ("status", "reason", "analysis") or name.endswith(("_path", "_vocabulary")):
            continue
        _field(w, by_name.get(name) or FieldPlan(name, "text", ()))
    _vocabularies(w, "status", statuses)
    _vocabularies(w, "reason", reasons)
    _analysis(w, analysis)
    w.emit(1, "return (" + ", ".join(OUTPUT) + ")")
    source = "\n".join(w.lines) + "\n"
    code = compile(source, f"<callstatus adapter {vendor} shape {prefix or '$'}>", "exec")
    exec(code, namespace)
    return namespace["extract"], source
