"""A vendor table compiled into one SQL select over raw JSON text: the hot path of ``normalize()``, as a query.

Every row the select can decide exactly as ``normalize()`` would gets its canonical columns; every other row (a
value in another spelling, a number that needs ``phonenumbers``, a timestamp with an offset, a wrong type, a
shape it cannot tell, detection between tables) is flagged ``careful`` and left to ``normalize()``. The outcome
of each (status, reason, connected) combination is not re-derived in SQL: it is a lookup table computed by the
library itself (``outcome_rows``), so the two paths cannot disagree on the laws. Dialects: DuckDB (``bulk``) and
Spark SQL (``spark``), from the same plan; only the few functions in ``Dialect`` differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

import attrs
import orjson

from ._codegen import FieldPlan, Getter
from .adapter import Adapter, Shape
from .canonical import COLUMNS
from .convert import UNITS
from .meanings import CONNECTED_STATES, ReasonMeaning

__all__ = [
    "DUCKDB", "OUTCOME_COLUMNS", "SPARK", "Dialect", "SqlPlan", "compile_select", "outcome_rows", "typed_columns",
]  # fmt: skip

OUTCOME_COLUMNS = (
    "vendor", "sv", "s", "rv", "r", "c", "o_status", "o_reason", "o_ended_by", "o_answered_by", "o_retry", "o_over",
    "needs", "key",
)  # fmt: skip
"""The lookup table's columns: vendor, status vocabulary and raw spelling, reason vocabulary (-1: none) and raw
spelling ('' for none), connected state (0 unknown, 1 no, 2 yes), the outcome, and whether it depends on the
connected state (then a talk time the fast path cannot read sends the row to the careful path), and the row's key
(the first six joined by U+001F, as the select builds it)."""

_E164 = r"\+[1-9][0-9]{1,14}"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"  # no hour 24, no leap second: Python refuses both
_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]" + _CLOCK + r"(\.[0-9]{1,6})?"
_OFFSET = r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_RFC2822 = (
    r"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    + _CLOCK
    + r" [+-]([01][0-9]|2[0-3])[0-5][0-9]"
)
_NUMERIC = r"-?[0-9]{1,15}(\.[0-9]{1,15})?"  # a numeric string float() and DuckDB read alike
_LAST_MILLISECOND = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: later epochs are not a datetime in Python
_MS_ABOVE = 99_999_999_999  # convert.timestamp reads 1e11 and more as milliseconds
_STAGES = (
    "parsed", "texts", "qtyped", "qmarked", "shaped", "scored", "ranked", "located", "sliced", "typed", "marked",
    "fielded", "narrow",
)  # fmt: skip
_NUMBER_STARTS = "('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


class Dialect:
    """The SQL engine the select is written for: DuckDB. ``Spark`` overrides what Spark SQL spells otherwise."""

    text = "VARCHAR"
    timestamp = "TIMESTAMPTZ"
    wide = "HUGEINT"  # an integer wider than BIGINT, to range-check one

    def quote(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def parse(self, texts: _Texts) -> list[tuple[str, str]]:
        """The parsed row ``q`` (NULL for text that is not a JSON object), and ``qa``, the paths set apart."""
        spec = self.quote(texts.spec())
        q = f"CASE WHEN starts_with(ltrim(raw), '{{') THEN try(json_transform(raw, {spec})) END"
        listed = ", ".join(self.quote(_json_path(keys)) for keys in texts.apart) or "'$'"
        return [(q, "q"), (f"CASE WHEN q IS NOT NULL THEN json_extract(raw, [{listed}]) END", "qa")]

    def value(self, texts: _Texts, keys: tuple[str, ...]) -> str:
        """The JSON text of the value at ``keys`` (NULL when absent or null)."""
        if keys in texts.apart:
            return f"nullif(CAST(qa[{texts.apart.index(keys) + 1}] AS VARCHAR), 'null')"
        return "CAST(q" + "".join(f"[{self.quote(key)}]" for key in keys) + " AS VARCHAR)"

    def step(self, keep: str, new: Sequence[tuple[str, str]], source: str) -> str:
        """A select of ``source`` keeping the columns ``keep`` and adding each (expression, name) of ``new``."""
        added = "".join(f", {expression} AS {name}" for expression, name in new)
        return f"SELECT {keep}{added} FROM {source}"

    def unescape(self, x: str) -> str:
        """The text of a JSON string literal with escapes."""
        return f"json_extract_string({x}, '$')"

    def full_match(self, s: str, pattern: str) -> str:
        return f"regexp_full_match({s}, {self.quote(pattern)})"

    def ends_with(self, s: str, suffix: str) -> str:
        return f"ends_with({s}, {self.quote(suffix)})"

    def iso(self, s: str) -> str:
        """An ISO 8601 text (with an offset, or naive and read as UTC) as a timestamp."""
        return f"TRY_CAST({s} AS TIMESTAMPTZ)"

    def rfc2822(self, s: str) -> str:
        return f"try_strptime(regexp_replace({s}, '^[A-Za-z]{{3}}, ', ''), '%d %b %Y %H:%M:%S %z')"

    def micros(self, timestamp: str) -> str:
        return f"epoch_us({timestamp})"

    def from_micros(self, number: str) -> str:
        return f"CAST(make_timestamp({number}) AS TIMESTAMPTZ)"


class Spark(Dialect):
    """Spark SQL (4.0 and later: the row is parsed once into a VARIANT)."""

    text = "STRING"
    timestamp = "TIMESTAMP"
    wide = "DECIMAL(38, 0)"

    def quote(self, text: str) -> str:  # a backslash escapes in Spark's literals
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def parse(self, texts: _Texts) -> list[tuple[str, str]]:
        return [
            ("CASE WHEN startswith(ltrim(raw), '{') THEN try_parse_json(raw) END", "q"),
            ("CAST(NULL AS STRING)", "qa"),
        ]

    def value(self, texts: _Texts, keys: tuple[str, ...]) -> str:
        path = "$" + "".join(f'["{key}"]' if "'" in key else f"['{key}']" for key in keys)
        return f"nullif(to_json(try_variant_get(q, {self.quote(path)})), 'null')"

    def step(self, keep: str, new: Sequence[tuple[str, str]], source: str) -> str:
        """The new columns come out of a generator: Spark's optimizer cannot inline them into the next step (it
        would, into one expression too large to compile)."""
        if not new:
            return f"SELECT {keep} FROM {source}"
        fields = ", ".join(f"{self.quote(name)}, {expression}" for expression, name in new)
        names = "" if keep == "*" else "".join(f", {name}" for _, name in new)
        return f"SELECT {keep}{names} FROM {source} LATERAL VIEW inline(array(named_struct({fields}))) added"

    def unescape(self, x: str) -> str:
        return f"variant_get(parse_json({x}), '$', 'string')"

    def full_match(self, s: str, pattern: str) -> str:
        anchored = "^(?:" + pattern + r")\z"  # \z: $ would allow a final newline
        return f"({s} RLIKE {self.quote(anchored)})"

    def ends_with(self, s: str, suffix: str) -> str:
        return f"endswith({s}, {self.quote(suffix)})"

    def iso(self, s: str) -> str:  # a naive text is read as UTC whatever the session's zone
        offset = f"({s} RLIKE {self.quote('(Z|[+-][0-9]{2}:[0-9]{2})$')})"
        return f"TRY_CAST(CASE WHEN {offset} THEN {s} ELSE concat({s}, 'Z') END AS TIMESTAMP)"

    def rfc2822(self, s: str) -> str:
        return f"try_to_timestamp(regexp_replace({s}, '^[A-Za-z]{{3}}, ', ''), 'd MMM yyyy HH:mm:ss Z')"

    def micros(self, timestamp: str) -> str:
        return f"unix_micros({timestamp})"

    def from_micros(self, number: str) -> str:
        return f"timestamp_micros({number})"


DUCKDB = Dialect()
SPARK = Spark()


def _json_path(keys: Sequence[str]) -> str:
    return "$" + "".join('."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys)


def _value(item: Any) -> Any:
    return None if item is None else getattr(item, "value", item)


def outcome_rows(adapter: Adapter) -> Iterator[tuple[Any, ...]]:
    """Every documented (status spelling, reason spelling or none, connected state) of the table and what
    ``normalize()`` resolves it to, read from the compiled meanings themselves."""
    reasons: list[tuple[int, str, ReasonMeaning | None]] = [(-1, "", None)]
    for index, reason_vocabulary in enumerate(adapter.reasons):
        for raw in reason_vocabulary.values:
            meaning = reason_vocabulary.meaning(raw)
            if meaning is not None:
                reasons.append((index, raw, meaning))
    for sv, vocabulary in enumerate(adapter.statuses):
        for raw in vocabulary.values:
            status = vocabulary.meaning(raw)
            if status is None:
                continue
            for rv, reason_raw, reason in reasons:
                fixed = status.alone if reason is None else status.outcomes[reason.index]
                for state in range(len(CONNECTED_STATES)):
                    outcome = fixed or status.by_connected[0 if reason is None else reason.index + 1][state]
                    yield (
                        adapter.id, sv, raw, rv, reason_raw, state, _value(outcome.status), _value(outcome.reason),
                        _value(outcome.ended_by), _value(outcome.answered_by), outcome.vendor_may_retry,
                        bool(outcome.over), fixed is None,
                    )  # fmt: skip


@attrs.define
class _Paths:
    """JSON paths a stage reads, numbered: the shapes' paths from the payload (prefix ``q``), or a table's slots
    (its getters, whatever shape holds them; no prefix). Each is read once per row (``_Texts``)."""

    prefix: str = ""
    index: dict[Any, int] = attrs.field(factory=dict)

    def of(self, key: Any) -> int:
        return self.index.setdefault(key, len(self.index) + 1)

    def t(self, key: Any) -> str:
        return f"{self.prefix}t{self.of(key)}"

    def s(self, key: Any) -> str:
        return f"{self.prefix}s{self.of(key)}"

    def present(self, key: Any) -> str:
        return f"{self.prefix}p{self.of(key)}"


class _Texts:
    """Every payload path the select reads, parsed once per row by one ``json_transform`` into a struct; each
    path's value is its JSON text (NULL when absent or null). A path that is also the parent of another, or that
    differs from another only in case, is read with ``json_extract`` instead (a struct field cannot be both)."""

    def __init__(self, paths: Sequence[tuple[str, ...]]) -> None:
        prefixes = {keys[:end] for keys in paths for end in range(1, len(keys) + 1)}
        spellings: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for prefix in prefixes:  # struct field names ignore case: keys differing only in case cannot share one
            spellings.setdefault(tuple(key.lower() for key in prefix), set()).add(prefix)
        parents = {keys[:end] for keys in paths for end in range(1, len(keys))}
        apart = parents | {
            keys
            for keys in paths
            if any(len(spellings[tuple(key.lower() for key in keys[:end])]) > 1 for end in range(1, len(keys) + 1))
        }
        self.apart = sorted(apart & set(paths))
        self.leaves = sorted(set(paths) - apart)

    def spec(self) -> str:
        tree: dict[str, Any] = {}
        for keys in self.leaves:
            node = tree
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = "JSON"
        return orjson.dumps(tree or {"": "JSON"}).decode()


def _type(x: str) -> str:
    """A value's JSON type, told by the first character of its JSON text (see ``_is_string`` and the others)."""
    return f"left({x}, 1)"


def _is_string(t: str) -> str:
    return f"{t} = '\"'"


def _is_boolean(t: str) -> str:
    return f"{t} IN ('t', 'f')"


def _is_number(t: str) -> str:
    return f"{t} IN {_NUMBER_STARTS}"


def _is_integer(t: str, s: str) -> str:
    """A JSON number written without a fraction or an exponent (``s`` holds its JSON text)."""
    return f"({_is_number(t)} AND NOT (contains({s}, '.') OR contains({s}, 'e') OR contains({s}, 'E')))"


def _string(d: Dialect, x: str) -> str:
    """A value's text as ``json_extract_string`` gives it: a string unquoted (unescaped where it needs), else the
    JSON text."""
    return (
        f"CASE WHEN left({x}, 1) <> '\"' THEN {x} WHEN contains({x}, {d.quote(chr(92))}) THEN {d.unescape(x)} "
        f"ELSE substring({x}, 2, length({x}) - 2) END"
    )


def _present(x: str) -> str:
    """Present as the fast path reads it: not absent, not null, not an empty string."""
    return f"({x} IS NOT NULL AND {x} <> '\"\"')"


@attrs.frozen
class SqlPlan:
    """The select, and the outcome rows it joins: run ``sql`` where its source and outcome tables exist."""

    sql: str
    outcomes: list[tuple[Any, ...]]
    stages: tuple[tuple[str, str], ...] = ()
    """The same select as named steps, each reading the one before (the last is the whole select's result)."""


def typed_columns(d: Dialect) -> list[str]:
    """The canonical columns of the select, each cast to its export-layout type."""
    types = {"timestamp": d.timestamp, "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
    return [f"CAST({column.name} AS {types.get(column.kind, d.text)}) AS {column.name}" for column in COLUMNS]


def compile_select(
    adapters: Sequence[Adapter],
    *,
    detect: bool,
    dialect: Dialect = DUCKDB,
    source: str = "src",
    outcomes: str = "outcomes",
    prefix: str = "",
) -> SqlPlan:
    """One select over ``source(pos BIGINT, raw VARCHAR)`` giving ``pos``, ``careful`` and the canonical columns,
    joined to the ``outcomes`` table (``SqlPlan.outcomes``). ``detect``: each row's vendor is the one table whose
    shapes fit (else careful); otherwise ``adapters`` holds the one named vendor."""
    d = dialect
    paths = _Paths("q")
    blocks = [_Vendor(adapter, paths, index, d) for index, adapter in enumerate(adapters)]
    shape_indexes = [(block.shape_index(), block.si) for block in blocks]
    scores: list[tuple[str, str]] = []
    ranks: list[tuple[str, str]] = []
    if detect:  # Registry.match: the one table whose fitting shape scores highest; a tie is ambiguous
        scores = [(f"coalesce({block.shape_score()}, -1)", f"sc{block.k}") for block in blocks]
        best = f"greatest({', '.join(f'sc{block.k}' for block in blocks)})" if len(blocks) > 1 else f"sc{blocks[0].k}"
        ranks = [(best, "best")]
        count = " + ".join(f"CAST(sc{block.k} = best AS INTEGER)" for block in blocks)
        which = "CASE " + " ".join(f"WHEN sc{block.k} = best THEN {block.k}" for block in blocks) + " END"
        vendor_index = f"CASE WHEN best >= 0 AND ({count}) = 1 THEN {which} END"
    else:
        vendor_index = f"CASE WHEN {blocks[0].si} IS NOT NULL THEN 0 END"
    reads = [item for block in blocks for item in block.reads()]
    per_vendor = [block.columns() for block in blocks]
    # a canonical record (a CallRecord's JSON, an export row) is returned as it is by normalize(): careful
    canonical = f"({paths.t(('raw',))} IS NOT NULL AND {paths.t(('call_id',))} IS NOT NULL)"

    def by_vendor(name: str) -> str:
        return "CASE vi " + " ".join(f"WHEN {i} THEN {columns[name]}" for i, columns in enumerate(per_vendor)) + " END"

    decided = [name for name in per_vendor[0] if name not in ("bad",)]
    narrow = [(by_vendor(name), name) for name in decided]
    okey = "CASE vi " + " ".join(f"WHEN {block.k} THEN {block.key()}" for block in blocks) + " END"
    order = sorted(paths.index.items(), key=lambda item: item[1])
    texts = _Texts([keys for keys, _ in order] + [keys for block in blocks for keys in block.slot_keys()])
    qtexts = [(d.value(texts, keys), f"qx{i}") for keys, i in order]
    qtyped = [pair for _, i in order for pair in ((_type(f"qx{i}"), f"qt{i}"), (_string(d, f"qx{i}"), f"qs{i}"))]
    qpresence = [(_present(f"qx{i}"), f"qp{i}") for _, i in order]
    slots = max(len(block.slots.index) for block in blocks)
    sliced = []
    for i in range(1, slots + 1):
        cases = " ".join(
            f"WHEN vi = {block.k} AND {block.si} = {number} THEN {d.value(texts, block.slot_keys(shape)[i - 1])}"
            for block in blocks
            for number, shape in enumerate(block.adapter.shapes)
            if i <= len(block.slots.index)
        )
        sliced.append((f"CASE {cases} END", f"x{i}"))
    typed = [pair for i in range(1, slots + 1) for pair in ((_type(f"x{i}"), f"t{i}"), (_string(d, f"x{i}"), f"s{i}"))]
    presence = [(_present(f"x{i}"), f"p{i}") for i in range(1, slots + 1)]
    final = []
    for column in COLUMNS:
        name = column.name
        if name == "status":
            final.append("o.o_status AS status")
        elif name == "end_reason":
            final.append("o.o_reason AS end_reason")
        elif name == "ended_by":
            final.append("CASE WHEN eb IS NOT NULL AND o.o_over THEN eb ELSE o.o_ended_by END AS ended_by")
        elif name == "answered_by":
            final.append("coalesce(ab, o.o_answered_by) AS answered_by")
        elif name == "vendor_may_retry":
            final.append(
                "CASE WHEN o.o_retry THEN (CASE WHEN rnull THEN NULL WHEN rfalse THEN false ELSE true END) "
                "ELSE o.o_retry END AS vendor_may_retry"
            )
        else:
            final.append(f"narrow.{name}")
    n = {name: prefix + name for name in _STAGES}
    bad = f"coalesce(q IS NULL OR vi IS NULL OR {canonical} OR {by_vendor('bad')}, true)"
    kept = ", ".join(["pos, raw, q, vi", *(b.si for b in blocks), *(f"qt{i}" for _, i in order)])
    steps = [
        d.step("pos, raw", d.parse(texts), source),
        d.step("pos, raw, q, qa", qtexts, n["parsed"]),
        d.step("*", qtyped, n["texts"]),
        d.step("*", qpresence, n["qtyped"]),
        d.step("*", shape_indexes, n["qmarked"]),
        d.step("*", scores, n["shaped"]),
        d.step("*", ranks, n["scored"]),
        d.step("*", [(vendor_index, "vi")], n["ranked"]),
        d.step(kept, sliced, n["located"]),
        d.step("*", typed, n["sliced"]),
        d.step("*", presence, n["typed"]),
        d.step("*", reads, n["marked"]),
        d.step(
            "pos, raw",
            [(bad, "bad"), (okey, "okey"), *narrow],
            n["fielded"],
        ),
    ]
    last = (
        f"SELECT pos, coalesce(bad OR o.o_status IS NULL OR (o.needs AND cbad), true) AS careful, {', '.join(final)} "
        f"FROM {n['narrow']} AS narrow LEFT JOIN {outcomes} AS o ON o.key = narrow.okey"
    )
    stages = tuple(zip(n.values(), steps, strict=True))
    sql = "WITH " + ",\n".join(f"{name} AS ({select})" for name, select in stages) + "\n" + last
    rows = [
        (*row, "\x1f".join(str(part) for part in row[:6])) for block in blocks for row in outcome_rows(block.adapter)
    ]
    return SqlPlan(sql=sql, outcomes=rows, stages=(*stages, (prefix + "normalized", last)))


class _Vendor:
    """The SQL of one vendor table: its shapes' fit, each field read by the fast path's rules, the outcome join."""

    def __init__(self, adapter: Adapter, paths: _Paths, index: int, dialect: Dialect) -> None:
        self.adapter = adapter
        self.d = dialect
        self.paths = paths
        self.k = index
        self.si = f"si{index}"
        self.alias = f"o{index}"
        self.fields = {plan.name: plan for plan in adapter.fields}
        self.slots = _Paths()
        self._reads: list[tuple[str, str]] | None = None
        self.reads()  # every slot is known once the reads are built

    def slot_keys(self, shape: Shape | None = None) -> list[tuple[str, ...]]:
        """The payload paths of this table's slots in a record of ``shape`` (every shape's when None), in slot
        order."""
        ordered = sorted(self.slots.index.items(), key=lambda item: item[1])
        shapes = self.adapter.shapes if shape is None else [shape]
        return [keys if root else (*each.at, *keys) for each in shapes for (root, keys), _ in ordered]

    @staticmethod
    def _slot(getter: Getter) -> tuple[bool, tuple[str, ...]]:
        return getter.from_root, getter.keys

    def _keys(self, shape: Shape, getter: Getter) -> tuple[str, ...]:
        return getter.keys if getter.from_root else (*shape.at, *getter.keys)

    def _shape_fit(self, shape: Shape) -> str:
        p = self.paths
        inside = any(not g.from_root for g in shape.all) or (shape.any and all(not g.from_root for g in shape.any))
        tests = [f"{p.t(shape.at)} = '{{'"] if shape.at and not inside else []  # a key present inside says so
        tests += [p.present(self._keys(shape, g)) for g in shape.all]
        if shape.any:
            tests.append("(" + " OR ".join(p.present(self._keys(shape, g)) for g in shape.any) + ")")
        tests += [f"NOT {p.present(self._keys(shape, g))}" for g in shape.none]
        for getter, matcher in shape.match:
            keys = self._keys(shape, getter)
            tests.append(f"({_is_string(p.t(keys))} AND {self.d.full_match(p.s(keys), matcher.pattern.pattern)})")
        return "(" + " AND ".join(tests or ["true"]) + ")"

    def shape_score(self) -> str:
        """``Shape.score`` of the fitting shape: how much of the payload it accounts for; NULL when none fits."""
        p = self.paths
        cases = []
        for i, shape in enumerate(self.adapter.shapes):
            fixed = len(shape.at) + len(shape.all) + len(shape.none) + 2 * len(shape.match)
            hits = "".join(f" + CAST({p.present(self._keys(shape, g))} AS INTEGER)" for g in shape.any)
            cases.append(f"WHEN {i} THEN {fixed}{hits}")
        return f"(CASE {self.si} {' '.join(cases)} END)"

    def shape_index(self) -> str:
        """The index of the first shape of the table that fits the row, NULL when none does."""
        cases = " ".join(f"WHEN {self._shape_fit(shape)} THEN {i}" for i, shape in enumerate(self.adapter.shapes))
        return f"(CASE {cases} END)"

    def _first(self, getters: Sequence[Getter], value: Any, ok: Any) -> tuple[str, str]:
        """The first present getter's converted value, and whether it passed the fast path's test."""
        if not getters:
            return "NULL", "true"
        p = self.slots
        values = " ".join(f"WHEN {p.present(self._slot(g))} THEN {value(self._slot(g), g)}" for g in getters)
        oks = " ".join(f"WHEN {p.present(self._slot(g))} THEN {ok(self._slot(g), g)}" for g in getters)
        return f"(CASE {values} END)", f"(CASE {oks} ELSE true END)"

    def _field(self, plan: FieldPlan) -> tuple[str, str]:
        p = self.slots
        if plan.kind == "raw" and plan.name not in self.adapter.enums:
            return "NULL", "true"  # an enum field without a map is never read

        def value(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            return _convert(self.d, plan, getter, p.t(keys), p.s(keys), self.adapter)

        def ok(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            return _accepts(self.d, plan, getter, p.t(keys), p.s(keys), self.adapter)

        return self._first(plan.getters, value, ok)

    def _vocabulary(self, vocabularies: Sequence[Sequence[Getter]]) -> tuple[str, str, str]:
        """(vocabulary index or -1, raw string or '', ok): the first present path of any vocabulary."""
        p = self.slots
        present = [(index, self._slot(getter)) for index, getters in enumerate(vocabularies) for getter in getters]
        if not present:
            return "-1", "''", "true"
        index = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN {i}" for i, k in present) + " ELSE -1 END)"
        raw = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN {p.s(k)}" for _, k in present) + " ELSE '' END)"
        ok = (
            "(CASE "
            + " ".join(f"WHEN {p.present(k)} THEN {_is_string(p.t(k))}" for _, k in present)
            + " ELSE true END)"
        )
        return index, raw, ok

    def _read(self) -> list[str]:
        return [name for name, plan in self.fields.items() if plan.kind != "connected" and plan.getters]

    def reads(self) -> list[tuple[str, str]]:
        """The row's values this table reads, each computed once: (expression, column name)."""
        if self._reads is not None:
            return self._reads
        k = self.k
        out = []
        for name in self._read():
            value, ok = self._field(self.fields[name])
            out += [(value, f"f{k}_{name}"), (ok, f"a{k}_{name}")]
        connected = self.fields.get("connected")
        if connected is not None and connected.getters:
            out += [(self._field(connected)[1], f"a{k}_connected"), (self._connected_state(), f"c{k}")]
        for prefix, vocabularies in (("s", self.adapter.statuses), ("r", self.adapter.reasons)):
            index, raw, ok = self._vocabulary([v.getters for v in vocabularies])
            out += [(index, f"{prefix}v{k}"), (raw, f"{prefix}r{k}"), (ok, f"{prefix}ok{k}")]
        self._reads = out
        return out

    def columns(self) -> dict[str, str]:
        """Each canonical column this table decides without the outcome, and the flags the outcome is combined
        with: ``bad`` (careful whatever the outcome), ``cbad`` (careful if the outcome needs the talk time),
        ``eb``/``ab`` (ended_by/answered_by the payload gives), ``rnull``/``rfalse`` (a vendor retry the record
        cannot claim, or that the attempts rule out)."""
        k = self.k
        read = self._read()

        def get(name: str) -> str:
            return f"f{k}_{name}" if name in read else "NULL"

        call_id = get("call_id")
        bad = [f"NOT a{k}_{name}" for name in read] + [f"{call_id} IS NULL"]
        has_connected = f"a{k}_connected" in {name for _, name in self.reads()}
        out: dict[str, str] = {"vendor": self.d.quote(self.adapter.id), "call_id": call_id}
        out["bad"] = "(" + " OR ".join(bad) + ")"
        out["cbad"] = f"NOT a{k}_connected" if has_connected else "false"
        out["eb"], out["ab"] = get("ended_by"), get("answered_by")
        out["raw_status"] = f"nullif(sr{k}, '')"
        out["raw_reason"] = f"nullif(rr{k}, '')"
        out["direction"] = get("direction")
        contact = get("contact_number")
        inbound = f"({get('direction')} = 'inbound')"
        from_number, to_number = get("from_number"), get("to_number")
        if contact != "NULL":
            from_number = f"CASE WHEN {inbound} THEN coalesce({from_number}, {contact}) ELSE {from_number} END"
            to_number = f"CASE WHEN {inbound} THEN {to_number} ELSE coalesce({to_number}, {contact}) END"
        out["from_number"], out["to_number"] = from_number, to_number
        for name in ("agent_id", "campaign_id", "contact_id", "attempt", "created_at", "started_at", "ended_at"):
            out[name] = get(name)
        out["rnull"], out["rfalse"] = self._retry(get)
        duration, started, ended = get("duration_seconds"), get("started_at"), get("ended_at")
        if started != "NULL" and ended != "NULL":
            spent = f"CAST({self.d.micros(ended)} - {self.d.micros(started)} AS DOUBLE) / 1000000.0"
            derived = f"CASE WHEN {ended} >= {started} THEN {spent} END"
            duration = f"coalesce({duration}, {derived})" if duration != "NULL" else derived
        out["duration_seconds"] = duration
        out["recording_url"] = get("recording_url")
        out["cost"] = get("cost")
        out["analysis"] = self._analysis()
        return out

    def _retry(self, get: Any) -> tuple[str, str]:
        """Whether a vendor retry cannot be claimed (a field it needs is missing), and whether the attempts rule
        it out, for the fast path's vendor_may_retry rule."""
        retries = self.adapter.retries
        if retries is None:
            return "false", "false"
        required = [get(name) for name in retries.requires]
        null = "(" + " OR ".join(f"{value} IS NULL" for value in required) + ")" if required else "false"
        attempt = get("attempt")
        ruled_out = "false"
        if retries.max_attempts is not None and attempt != "NULL":
            ruled_out = f"coalesce({attempt} >= {retries.max_attempts}, false)"
        return null, ruled_out

    def _analysis(self) -> str:
        analysis = self.adapter.analysis
        if not any(analysis.values()):
            return "NULL"
        p = self.slots
        entries = []
        for key, getters in analysis.items():
            if not getters:
                continue
            slots = [self._slot(g) for g in getters]
            value = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN x{p.of(k)}" for k in slots) + " END)"
            entries.append(f"{self.d.quote(orjson.dumps(key).decode() + ':')} || {value}")  # NULL when absent
        return f"nullif(concat('{{', concat_ws(',', {', '.join(entries)}), '}}'), '{{}}')"  # a JSON object's text

    def key(self) -> str:
        """The row's key into the outcome table, for a row of this table (NULL where a vocabulary value is of
        the wrong type)."""
        k = self.k
        connected = f"c{k}" if f"a{k}_connected" in {name for _, name in self.reads()} else "0"
        vendor = self.d.quote(self.adapter.id)
        text = self.d.text
        parts = f"{vendor}, CAST(sv{k} AS {text}), sr{k}, CAST(rv{k} AS {text}), rr{k}, CAST({connected} AS {text})"
        return f"CASE WHEN sok{k} AND rok{k} THEN concat_ws(chr(31), {parts}) END"

    def _connected_state(self) -> str:
        fields = {plan.name: plan for plan in self.adapter.fields}
        plan = fields.get("connected")
        if plan is None or not plan.getters:
            return "0"
        p = self.slots

        def state(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            t, s = p.t(keys), p.s(keys)
            if getter.format is not None:
                return "2"
            boolean = f"(CASE WHEN {s} = 'true' THEN 1.0 ELSE 0.0 END)"
            number = f"CASE WHEN {_is_boolean(t)} THEN {boolean} ELSE {_number(self.d, t, s)} END"
            return f"(CASE WHEN {number} > 0 THEN 2 WHEN {number} = 0 THEN 1 ELSE 0 END)"

        value = self._first(plan.getters, state, lambda k, g: "true")[0]
        return f"coalesce({value}, 0)"


def _accepts(d: Dialect, plan: FieldPlan, getter: Getter, t: str, s: str, adapter: Adapter) -> str:
    """Whether the present value passes the fast path's type test and converts there (else: careful)."""
    kind = plan.kind
    if kind == "connected":
        if getter.format is not None:
            return _is_string(t)
        return f"({_is_boolean(t)} OR {_number(d, t, s)} >= 0)"
    if kind == "text":
        return _is_string(t)
    if kind == "phone":
        return f"({_is_string(t)} AND {d.full_match(s, _E164)})"
    if kind == "raw":
        return f"({_is_string(t)} AND {_enum(d, plan.name, s, adapter)} IS NOT NULL)"
    if kind == "time":
        fmt = getter.format or plan.format or "iso8601"
        if fmt == "iso8601":
            offset = f"{_OFFSET}?" if adapter.zone is UTC else _OFFSET  # naive: read in the vendor's zone
            return f"({_is_string(t)} AND {d.full_match(s, _ISO + offset)} AND {d.iso(s)} IS NOT NULL)"
        if fmt == "rfc2822":
            return (  # '-0000', an unknown offset, is read in the vendor's zone: the careful path
                f"({_is_string(t)} AND {d.full_match(s, _RFC2822)} AND NOT {d.ends_with(s, '-0000')} "
                f"AND {d.rfc2822(s)} IS NOT NULL)"
            )
        if fmt in ("epoch", "epoch_ms", "auto"):
            return f"({_is_integer(t, s)} AND TRY_CAST({s} AS {d.wide}) BETWEEN 0 AND {_epoch_limit(fmt)})"
        return "false"  # any other format: the careful path reads it
    if kind in ("duration", "number"):
        low = "0.0" if kind == "duration" else "-1e308"
        return f"({_scaled(d, plan, getter, t, s)} BETWEEN {low} AND 1e308)"
    if kind == "integer":
        whole = f"({_is_integer(t, s)} OR ({_is_string(t)} AND {d.full_match(s, '[0-9]{1,15}')}))"
        return f"({whole} AND TRY_CAST({s} AS {d.wide}) + {plan.offset} BETWEEN 1 AND 9223372036854775807)"
    raise AssertionError(kind)


def _epoch_limit(fmt: str) -> int:
    return _LAST_MILLISECOND if fmt == "epoch_ms" else _MS_ABOVE  # epoch, auto: whole seconds below 1e11


def _convert(d: Dialect, plan: FieldPlan, getter: Getter, t: str, s: str, adapter: Adapter) -> str:
    kind = plan.kind
    if kind in ("text", "phone"):
        return s
    if kind == "raw":
        return _enum(d, plan.name, s, adapter)
    if kind == "time":
        fmt = getter.format or plan.format or "iso8601"
        if fmt == "iso8601":
            return d.iso(s)
        if fmt == "rfc2822":
            return d.rfc2822(s)
        if fmt == "epoch_ms":
            return d.from_micros(f"TRY_CAST({s} AS BIGINT) * 1000")
        if fmt in ("epoch", "auto"):
            return d.from_micros(f"TRY_CAST({s} AS BIGINT) * 1000000")
        return f"CAST(NULL AS {d.timestamp})"
    if kind in ("duration", "number"):
        return _scaled(d, plan, getter, t, s)
    if kind == "integer":
        return f"TRY_CAST(TRY_CAST({s} AS {d.wide}) + {plan.offset} AS BIGINT)"
    return "NULL"


def _number(d: Dialect, t: str, s: str) -> str:
    """A JSON number, or a plain numeric string (``convert.number`` reads both), as DOUBLE; else NULL."""
    return (
        f"(CASE WHEN {_is_number(t)} OR ({_is_string(t)} AND {d.full_match(s, _NUMERIC)}) "
        f"THEN TRY_CAST({s} AS DOUBLE) END)"
    )


def _scaled(d: Dialect, plan: FieldPlan, getter: Getter, t: str, s: str) -> str:
    if plan.kind != "duration":
        return _number(d, t, s)
    multiplier, divisor = UNITS[getter.unit or plan.unit or "s"]
    if divisor == 1.0:
        return f"({_number(d, t, s)} * {multiplier!r})"
    return f"({_number(d, t, s)} / {divisor!r})"


def _enum(d: Dialect, name: str, s: str, adapter: Adapter) -> str:
    vocabulary = adapter.enums.get(name)
    if vocabulary is None:
        return f"CAST(NULL AS {d.text})"
    cases = []
    for raw in vocabulary.values:
        meaning = vocabulary.meaning(raw)
        if meaning is not None:
            cases.append(f"WHEN {d.quote(raw)} THEN {d.quote(str(_value(meaning)))}")
    return f"(CASE {s} {' '.join(cases)} END)" if cases else f"CAST(NULL AS {d.text})"
