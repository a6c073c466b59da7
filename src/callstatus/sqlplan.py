"""A vendor table compiled into one SQL select over raw JSON text: the hot path of ``normalize()``, as a query.

Every row the select can decide exactly as ``normalize()`` would gets its canonical columns; every other row (a
value in another spelling, a number that needs ``phonenumbers`` unless the dialect names a function reading it,
a timestamp in an odd form, a wrong type, a shape it cannot tell, detection between tables) is flagged ``careful``
and left to ``normalize()``. The outcome
of each (status, reason, connected) combination is not re-derived in SQL: it is a lookup table computed by the
library itself (``outcome_rows``), so the two paths cannot disagree on the laws. Dialects: DuckDB (``bulk``) and
Spark SQL (``spark``), from the same plan; only the few functions in ``Dialect`` differ.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import attrs
import orjson

from ._codegen import FieldPlan, Getter
from .adapter import Adapter, Shape
from .canonical import COLUMNS
from .convert import UNITS
from .meanings import CONNECTED_STATES, ReasonMeaning, StatusMeaning

__all__ = [
    "DUCKDB", "KEYED", "KEY_SETS", "OUTCOME_COLUMNS", "SPARK", "Dialect", "SqlPlan", "careful_select",
    "column_types", "compile_select", "in_list", "key_groups", "outcome_columns", "outcome_rows", "outcome_table",
    "outside", "spelled_outcomes",
]  # fmt: skip

OUTCOME_COLUMNS = (
    ("vendor", "text"), ("sv", "INT"), ("s", "text"), ("rv", "INT"), ("r", "text"), ("c", "INT"), ("o_status", "text"),
    ("o_reason", "text"), ("o_ended_by", "text"), ("o_answered_by", "text"), ("o_retry", "BOOLEAN"),
    ("o_over", "BOOLEAN"), ("needs", "BOOLEAN"), ("key", "text"),
)  # fmt: skip
"""The lookup table's columns and types ("text": the dialect's): vendor, status vocabulary and raw spelling (for a
record without one, -2 minus the index of its shape, which gives the status, and ''), reason vocabulary (-1: none)
and raw spelling ('' for none), connected state (0 unknown, 1 no, 2 yes), the outcome, and
whether it depends on the connected state (then a talk time the fast path cannot read sends the row to the careful
path), and the row's key (the first six joined by U+001F, as the select builds it)."""

_E164 = r"\+[1-9][0-9]{1,14}"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"  # no hour 24, no leap second: Python refuses both
_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]" + _CLOCK + r"(\.[0-9]{1,6})?"
_OFFSET = r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_RFC2822 = (
    r"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    + _CLOCK
    + r" [+-]([01][0-9]|2[0-3])[0-5][0-9]"
)
_INTEGER = r"0|-?[1-9][0-9]{0,17}"
_NUMERIC = r"-?[0-9]{1,15}(\.[0-9]{1,15})?"  # a numeric string float() and DuckDB read alike
_LAST_MILLISECOND = 2**33 * 1000 - 1
"""The last epoch in milliseconds the select reads (in 2242): ``convert.timestamp`` divides by 1000.0, which gives
the microseconds exactly only below 2^33 seconds (half a float's step there is under half a microsecond)."""
_INSTANTS = (-62_135_596_800_000_000, 253_402_300_799_999_999)
"""The first and last microseconds Python's datetime holds in UTC (0001-01-01, 9999-12-31T23:59:59.999999Z): a time
whose offset takes it past them is no time to ``normalize()``."""
_LAST_SECOND = 253_402_300_799
_MS_ABOVE = 99_999_999_999  # convert.timestamp reads 1e11 and more as milliseconds
_STAGES = (
    "parsed", "texts", "qtyped", "qmarked", "shaped", "scored", "ranked", "located", "sliced", "typed", "marked",
    "derived", "fielded", "narrow",
)  # fmt: skip
KEYED = (1_000_000, 64)
"""Rows sharing one set of top-level keys get a select of their own (``compile_select(keys=...)``, much lighter)
when there are at least this many of them, else one per set of tables they may fit; at most this many selects.
The other rows take the full select. Each select costs a plan and a scan: on an export of 96 key sets, a select
per set of 10,000 rows or more took 12.5 s for 1M rows, one per set of tables 6.7 to 7.4 s, and no other export
measured was slower for it."""
KEY_SETS = 1_000
"""How many of an input's most frequent key sets ``key_groups`` is given."""
_LOCAL_YEARS = (1970, 2100)
"""A naive timestamp of a table whose zone is not UTC is read by the select between these years (local time);
the careful path reads any other."""
_NUMBER_STARTS = "('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


class Dialect:
    """The SQL engine the select is written for: DuckDB. ``Spark`` overrides what Spark SQL spells otherwise."""

    text = "VARCHAR"
    timestamp = "TIMESTAMPTZ"
    wide = "HUGEINT"  # an integer wider than BIGINT, to range-check one

    phones: str | None
    """A SQL function (text, region or '') giving what ``convert.e164`` makes of a number not written in E.164
    (``12137771234``, a national ``09876543210``), NULL for no number: ``bulk`` registers one. None: such a number
    sends its row to the careful path."""

    spellings: str | None
    """A SQL function (vendor, field, text) giving the canonical value of an enum field's value in a spelling its
    table does not list (``telephonyOutbound`` for ``telephony_outbound``: ``Vocabulary.meaning``), NULL where the
    table does not know it: ``bulk`` registers one. None: such a value sends its row to the careful path."""

    def __init__(self, phones: str | None = None, spellings: str | None = None) -> None:
        self.phones = phones
        self.spellings = spellings

    def quote(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def parse(self, texts: _Texts) -> list[tuple[str, str]]:
        """The parsed row ``q`` (NULL for text that is not a JSON object), and ``qa``, the paths set apart. A key
        given twice inside an object is read first here, last by ``normalize()`` (the top level's are sent to it by
        ``bulk``: once per key set; checking every row's objects would cost a tenth of the throughput)."""
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
        """``try_parse_json`` refuses a key given twice in any object (``spark.sql.variant.allowDuplicateKeys``):
        such a row goes to ``normalize()``."""
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
    statuses = [
        (sv, raw, status)
        for sv, vocabulary in enumerate(adapter.statuses)
        for raw in vocabulary.values
        if (status := vocabulary.meaning(raw)) is not None
    ]
    statuses += [(-2 - i, "", shape.status) for i, shape in enumerate(adapter.shapes) if shape.status is not None]
    for sv, raw, status in statuses:
        for rv, reason_raw, reason in reasons:
            yield from _outcomes(adapter.id, sv, raw, status, rv, reason_raw, reason)


def _outcomes(
    vendor: str, sv: int, raw: str, status: StatusMeaning, rv: int, reason_raw: str, reason: ReasonMeaning | None
) -> Iterator[tuple[Any, ...]]:
    """The outcome rows of one (status, reason or none), one per connected state."""
    fixed = status.alone if reason is None else status.outcomes[reason.index]
    for state in range(len(CONNECTED_STATES)):
        outcome = fixed or status.by_connected[0 if reason is None else reason.index + 1][state]
        yield (
            vendor, sv, raw, rv, reason_raw, state, _value(outcome.status), _value(outcome.reason),
            _value(outcome.ended_by), _value(outcome.answered_by), outcome.vendor_may_retry, bool(outcome.over),
            fixed is None,
        )  # fmt: skip


def spelled_outcomes(adapters: Sequence[Adapter], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """Outcome-table rows (``outcome_table``'s) for keys the select built from spellings the tables do not list
    but read (``Vocabulary.meaning``: another spelling, a pattern): the rows of the keys whose status and reason
    (if any) each table knows, as ``normalize()`` reads them."""
    by_id = {adapter.id: adapter for adapter in adapters}
    rows = []
    for key in keys:
        parts = key.split("\x1f")
        if len(parts) != 6 or parts[0] not in by_id or not all(p.lstrip("-").isdigit() for p in parts[1:6:2]):
            continue  # a spelling holding the separator: left to normalize()
        adapter, sv, rv = by_id[parts[0]], int(parts[1]), int(parts[3])
        status: StatusMeaning | None = None
        if 0 <= sv < len(adapter.statuses):
            status = adapter.statuses[sv].meaning(parts[2])
        elif -2 - sv in range(len(adapter.shapes)) and parts[2] == "":
            status = adapter.shapes[-2 - sv].status
        reason = adapter.reasons[rv].meaning(parts[4]) if 0 <= rv < len(adapter.reasons) else None
        if status is None or (reason is None and (rv, parts[4]) != (-1, "")):
            continue
        found = _outcomes(adapter.id, sv, parts[2], status, rv, parts[4], reason)
        rows += [(*row, key) for row in found if str(row[5]) == parts[5]]
    return rows


def key_groups(
    adapters: Sequence[Adapter], found: Sequence[tuple[Any, int, Sequence[str]]]
) -> tuple[list[tuple[list[Any], frozenset[str]]], list[Any]]:
    """Which rows share a select, from the key sets found in the input, most frequent first (each a hash, its
    rows, its keys): (a list of (the hashes, the keys their select is compiled for, see ``compile_select``), the
    hashes of the key sets no table fits or that hold a key twice, whose rows are all careful: ``careful_select``).

    Key sets alike for every table (the same keys any table reads) share one select, if ``KEYED[0]`` rows or more
    have them; rarer ones share one select per set of tables that may fit them, compiled for all their keys. At
    most ``KEYED[1]`` selects (0: none, nor the careful one); every other row takes the full select."""
    least, most = KEYED
    if not most:
        return [], []
    read = frozenset(key for adapter in adapters for key in _top_keys(adapter))
    alike: dict[frozenset[str], list[Any]] = {}
    rows: Counter[frozenset[str]] = Counter()
    careful: list[Any] = []
    for keyed, count, names in found:
        if len(set(names)) < len(names):  # a key twice: the select would read the first, normalize() the last
            careful.append(keyed)
            continue
        relevant = frozenset(names) & read
        alike.setdefault(relevant, []).append(keyed)
        rows[relevant] += count
    groups = []
    rare: dict[tuple[str, ...], list[frozenset[str]]] = {}
    for keys, hashes in alike.items():
        fit = tuple(adapter.id for adapter in adapters if _possible_shapes(adapter, _absent(keys)))
        if not fit:  # no table fits such rows: the full select would flag each one careful
            careful += hashes
        elif rows[keys] >= least:
            groups.append((rows[keys], hashes, keys))
        else:
            rare.setdefault(fit, []).append(keys)
    for sets in rare.values():
        total = sum(rows[keys] for keys in sets)
        groups.append((total, [keyed for keys in sets for keyed in alike[keys]], frozenset().union(*sets)))
    groups.sort(key=lambda group: -group[0])
    return [(hashes, keys) for _, hashes, keys in groups[:most]], careful


def in_list(hashes: Sequence[Any]) -> str:
    """Key set hashes as the items of a SQL ``IN`` list (NULL for none: ``x IN (NULL)`` holds for no row)."""
    return ", ".join(str(int(keyed)) for keyed in hashes) or "NULL"


def outside(hashes: Sequence[Any]) -> str:
    """A condition on column ``keyed`` holding for rows of a key set, none of ``hashes`` (``NOT IN (NULL)`` holds
    for no row, so no hashes is its own case)."""
    return f"keyed NOT IN ({in_list(hashes)})" if hashes else "keyed IS NOT NULL"


def careful_select(dialect: Dialect = DUCKDB, *, source: str = "src", prefix: str = "") -> SqlPlan:
    """A select flagging every row of ``source`` careful (for rows no table fits, or that are no JSON object)."""
    columns = [
        column.name if column.name == "raw" else f"CAST(NULL AS {kind}) AS {column.name}"
        for column, kind in zip(COLUMNS, column_types(dialect), strict=True)
    ]
    sql = f"SELECT pos, true AS careful, {', '.join(columns)} FROM {source}"
    return SqlPlan(sql=sql, stages=((prefix + "normalized", sql),))


def _top_keys(adapter: Adapter) -> set[str]:
    """Every top-level key the table reads, in any shape."""
    shapes = adapter.shapes
    getters = [g for shape in shapes for g in (*shape.all, *shape.any, *shape.none, *(g for g, _ in shape.match))]
    getters += [g for plan in adapter.fields for g in plan.getters]
    getters += [g for vocabulary in adapter.statuses for g in vocabulary.getters]
    getters += [g for vocabulary in adapter.reasons for g in vocabulary.getters]
    getters += [g for found in adapter.analysis.values() for g in found]
    keys = {"raw", "call_id"} | {shape.at[0] for shape in shapes if shape.at}  # raw, call_id: a canonical record
    for getter in getters:
        keys |= {_path(shape, getter.from_root, getter.keys)[0] for shape in shapes}
    return keys


def _absent(keys: frozenset[str] | None) -> Callable[[tuple[str, ...]], bool]:
    """Whether a path is absent from a row whose top-level keys are among ``keys`` (None: any keys)."""

    def absent(path: tuple[str, ...]) -> bool:
        return keys is not None and bool(path) and path[0] not in keys

    return absent


def _never(key: Any) -> bool:
    return False


def outcome_table(adapters: Sequence[Adapter]) -> list[tuple[Any, ...]]:
    """The rows of the outcome table the select joins (``OUTCOME_COLUMNS``), for every table of ``adapters``."""
    return [(*row, "\x1f".join(str(part) for part in row[:6])) for adapter in adapters for row in outcome_rows(adapter)]


@attrs.define
class _Paths:
    """JSON paths a stage reads, numbered: the shapes' paths from the payload (prefix ``q``), or a table's slots
    (its getters, whatever shape holds them; no prefix). Each is read once per row (``_Texts``)."""

    prefix: str = ""
    absent: Callable[[Any], bool] = _never
    """Whether a path is known absent from every row (then its value is NULL and it is not read)."""
    index: dict[Any, int] = attrs.field(factory=dict)

    def of(self, key: Any) -> int:
        return self.index.setdefault(key, len(self.index) + 1)

    def t(self, key: Any) -> str:
        return "NULL" if self.absent(key) else f"{self.prefix}t{self.of(key)}"

    def s(self, key: Any) -> str:
        return "NULL" if self.absent(key) else f"{self.prefix}s{self.of(key)}"

    def present(self, key: Any) -> str:
        return "false" if self.absent(key) else f"{self.prefix}p{self.of(key)}"


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
    """The select: run ``sql`` where its source and outcome (``outcome_table``) tables exist."""

    sql: str
    stages: tuple[tuple[str, str], ...] = ()
    """The same select as named steps, each reading the one before (the last is the whole select's result)."""


def column_types(d: Dialect) -> list[str]:
    """The SQL type of each canonical column in the export layout."""
    types = {"timestamp": d.timestamp, "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
    return [types.get(column.kind, d.text) for column in COLUMNS]


def outcome_columns(d: Dialect) -> list[tuple[str, str]]:
    """The outcome table's columns (``OUTCOME_COLUMNS``) and their SQL types."""
    return [(name, d.text if kind == "text" else kind) for name, kind in OUTCOME_COLUMNS]


def compile_select(
    adapters: Sequence[Adapter],
    *,
    detect: bool,
    dialect: Dialect = DUCKDB,
    source: str = "src",
    outcomes: str = "outcomes",
    prefix: str = "",
    keys: frozenset[str] | None = None,
) -> SqlPlan:
    """One select over ``source(pos BIGINT, raw VARCHAR)`` giving ``pos``, ``careful`` and the canonical columns,
    joined to the ``outcomes`` table (``outcome_table``). ``detect``: each row's vendor is the one table whose
    shapes fit (else careful); otherwise ``adapters`` holds the one named vendor. ``keys``: when the caller knows
    every top-level key of every row of ``source`` is among them: what no row holds is left out of the select (the
    tables and shapes that need it, the paths under it), which makes it much lighter."""
    d = dialect
    absent = _absent(keys)
    live = [adapter for adapter in adapters if _possible_shapes(adapter, absent)]
    if not live:  # no table fits such rows: every row is careful, as the full select would say
        return careful_select(d, source=source, prefix=prefix)
    paths = _Paths("q", absent)
    blocks = [_Vendor(adapter, paths, index, d) for index, adapter in enumerate(live)]
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
    texts = _Texts([path for path, _ in order] + [path for block in blocks for path in block.slot_paths()])
    qtexts = [(d.value(texts, path), f"qx{i}") for path, i in order]
    qtyped = [pair for _, i in order for pair in ((_type(f"qx{i}"), f"qt{i}"), (_string(d, f"qx{i}"), f"qs{i}"))]
    qpresence = [(_present(f"qx{i}"), f"qp{i}") for _, i in order]
    slots = max(len(block.slots.index) for block in blocks)
    sliced = []
    for i in range(1, slots + 1):
        found = [(block, number, path) for block in blocks for number, path in block.slot_at(i)]
        if len(blocks) == 1 and len({path for _, _, path in found}) == 1:  # a row of no shape is careful anyway
            sliced.append((d.value(texts, found[0][2]), f"x{i}"))
            continue
        cases = " ".join(
            f"WHEN vi = {block.k} AND {block.si} = {number} THEN {d.value(texts, path)}"
            for block, number, path in found
        )
        sliced.append((f"CASE {cases} END" if cases else f"CAST(NULL AS {d.text})", f"x{i}"))
    typed = [pair for i in range(1, slots + 1) for pair in ((_type(f"x{i}"), f"t{i}"), (_string(d, f"x{i}"), f"s{i}"))]
    presence = [(_present(f"x{i}"), f"p{i}") for i in range(1, slots + 1)]
    joined = {
        "status": "o.o_status",
        "end_reason": "o.o_reason",
        "ended_by": "CASE WHEN eb IS NOT NULL AND o.o_over THEN eb ELSE o.o_ended_by END",
        "answered_by": "coalesce(ab, o.o_answered_by)",
        "vendor_may_retry": "CASE WHEN o.o_retry THEN (CASE WHEN rnull THEN NULL WHEN rfalse THEN false ELSE true END) "
        "ELSE o.o_retry END",
    }
    final = [  # typed, so that the selects of different keys give the same columns
        f"CAST({joined.get(name, 'narrow.' + name)} AS {kind}) AS {name}"
        for name, kind in zip((column.name for column in COLUMNS), column_types(d), strict=True)
    ]
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
        d.step(
            "*", [(expression, name) for block in blocks for expression, name in block.derived.items()], n["marked"]
        ),
        d.step("*", reads, n["derived"]),
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
    return SqlPlan(sql=sql, stages=(*stages, (prefix + "normalized", last)))


def _path(shape: Shape, from_root: bool, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The payload path of a value read at ``keys`` in a record of ``shape`` (from the payload's root if so)."""
    return keys if from_root else (*shape.at, *keys)


def _possible_shapes(adapter: Adapter, absent: Callable[[tuple[str, ...]], bool]) -> list[tuple[int, Shape]]:
    """The table's shapes (with their index) that may fit a row, given the paths known absent from it."""

    def gone(shape: Shape, getter: Getter) -> bool:
        return absent(_path(shape, getter.from_root, getter.keys))

    return [
        (index, shape)
        for index, shape in enumerate(adapter.shapes)
        if not (shape.at and absent(shape.at))
        and not any(gone(shape, getter) for getter in shape.all)
        and not (shape.any and all(gone(shape, getter) for getter in shape.any))
        and not any(gone(shape, getter) for getter, _ in shape.match)
    ]


class _Vendor:
    """The SQL of one vendor table: its shapes' fit, each field read by the fast path's rules, the outcome join."""

    def __init__(self, adapter: Adapter, paths: _Paths, index: int, dialect: Dialect) -> None:
        self.adapter = adapter
        self.d = dialect
        self.paths = paths
        self.k = index
        self.si = f"si{index}"
        self.fields = {plan.name: plan for plan in adapter.fields}
        self.shapes = _possible_shapes(adapter, paths.absent)
        self.slots = _Paths(absent=self._slot_absent)
        self.derived: dict[str, str] = {}
        self._reads: list[tuple[str, str]] | None = None
        self.reads()  # every slot is known once the reads are built

    def _slot_absent(self, slot: tuple[bool, tuple[str, ...]]) -> bool:
        root, keys = slot
        return all(self.paths.absent(_path(shape, root, keys)) for _, shape in self.shapes)

    def slot_at(self, number: int) -> list[tuple[int, tuple[str, ...]]]:
        """Where slot ``number`` is in a record of each shape that may fit: (shape index, payload path)."""
        slot = next((key for key, i in self.slots.index.items() if i == number), None)
        if slot is None:
            return []
        root, keys = slot
        found = [(index, _path(shape, root, keys)) for index, shape in self.shapes]
        return [(index, path) for index, path in found if not self.paths.absent(path)]

    def slot_paths(self) -> list[tuple[str, ...]]:
        """Every payload path of this table's slots, in the shapes that may fit."""
        return [path for number in range(1, len(self.slots.index) + 1) for _, path in self.slot_at(number)]

    @staticmethod
    def _slot(getter: Getter) -> tuple[bool, tuple[str, ...]]:
        return getter.from_root, getter.keys

    def _keys(self, shape: Shape, getter: Getter) -> tuple[str, ...]:
        return _path(shape, getter.from_root, getter.keys)

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
        for i, shape in self.shapes:
            fixed = len(shape.at) + len(shape.all) + len(shape.none) + 2 * len(shape.match)
            hits = "".join(f" + CAST({p.present(self._keys(shape, g))} AS INTEGER)" for g in shape.any)
            cases.append(f"WHEN {i} THEN {fixed}{hits}")
        return f"(CASE {self.si} {' '.join(cases)} END)"

    def shape_index(self) -> str:
        """The index of the first shape of the table that fits the row, NULL when none does."""
        cases = " ".join(f"WHEN {self._shape_fit(shape)} THEN {i}" for i, shape in self.shapes)
        return f"(CASE {cases} END)"

    def _live(self, getters: Sequence[Getter]) -> list[Getter]:
        """The getters that may find a value (their path is not known absent)."""
        return [getter for getter in getters if not self.slots.absent(self._slot(getter))]

    def _first(self, getters: Sequence[Getter], value: Any, ok: Any) -> tuple[str, str]:
        """The first present getter's converted value, and whether it passed the fast path's test."""
        getters = self._live(getters)
        if not getters:
            return "NULL", "true"
        p = self.slots
        values = " ".join(f"WHEN {p.present(self._slot(g))} THEN {value(self._slot(g), g)}" for g in getters)
        oks = " ".join(f"WHEN {p.present(self._slot(g))} THEN {ok(self._slot(g), g)}" for g in getters)
        return f"(CASE {values} END)", f"(CASE {oks} ELSE true END)"

    def _slot_values(self, keys: tuple[bool, tuple[str, ...]]) -> _Slot:
        return _Slot(self.slots.t(keys), self.slots.s(keys), self._derive)

    def _derive(self, expression: str) -> str:
        """The name of a column holding ``expression``, computed once per row however many reads use it."""
        if expression not in self.derived:
            self.derived[expression] = f"d{self.k}_{len(self.derived) + 1}"
        return self.derived[expression]

    def _field(self, plan: FieldPlan) -> tuple[str, str]:
        if plan.kind == "raw" and plan.name not in self.adapter.enums:
            return "NULL", "true"  # an enum field without a map is never read

        def value(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            return _convert(self.d, plan, getter, self._slot_values(keys), self.adapter)

        def ok(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            return _accepts(self.d, plan, getter, self._slot_values(keys), self.adapter)

        return self._first(plan.getters, value, ok)

    def _vocabulary(self, vocabularies: Sequence[Sequence[Getter]], integers: bool) -> tuple[str, str, str]:
        """(vocabulary index or -1, raw string or '', ok): the first present path of any vocabulary. ``integers``:
        a JSON integer is read as its digits too (a reason code, as ``normalize()`` reads one)."""
        p = self.slots
        present = [
            (index, self._slot(getter)) for index, getters in enumerate(vocabularies) for getter in self._live(getters)
        ]
        if not present:
            return "-1", "''", "true"
        index = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN {i}" for i, k in present) + " ELSE -1 END)"
        raw = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN {p.s(k)}" for _, k in present) + " ELSE '' END)"

        def readable(k: tuple[bool, tuple[str, ...]]) -> str:
            if not integers:
                return _is_string(p.t(k))
            written = self.d.full_match(p.s(k), _INTEGER)  # as Python writes it: no '-0', within 64 bits
            return f"({_is_string(p.t(k))} OR ({_is_integer(p.t(k), p.s(k))} AND {written}))"

        ok = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN {readable(k)}" for _, k in present) + " ELSE true END)"
        return index, raw, ok

    def _read(self) -> list[str]:
        return [name for name, plan in self.fields.items() if plan.kind != "connected" and self._live(plan.getters)]

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
        if connected is not None and self._live(connected.getters):
            out += [(self._field(connected)[1], f"a{k}_connected"), (self._connected_state(), f"c{k}")]
        for prefix, vocabularies in (("s", self.adapter.statuses), ("r", self.adapter.reasons)):
            index, raw, ok = self._vocabulary([v.getters for v in vocabularies], integers=prefix == "r")
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
        for key, all_getters in analysis.items():
            getters = self._live(all_getters)
            if not getters:
                continue
            slots = [self._slot(g) for g in getters]
            value = "(CASE " + " ".join(f"WHEN {p.present(k)} THEN x{p.of(k)}" for k in slots) + " END)"
            entries.append(f"{self.d.quote(orjson.dumps(key).decode() + ':')} || {value}")  # NULL when absent
        if not entries:
            return "NULL"
        return f"nullif(concat('{{', concat_ws(',', {', '.join(entries)}), '}}'), '{{}}')"  # a JSON object's text

    def key(self) -> str:
        """The row's key into the outcome table, for a row of this table (NULL where a vocabulary value is of
        the wrong type)."""
        k = self.k
        connected = f"c{k}" if f"a{k}_connected" in {name for _, name in self.reads()} else "0"
        vendor = self.d.quote(self.adapter.id)
        text = self.d.text
        status = f"CASE WHEN sv{k} = -1 THEN -2 - {self.si} ELSE sv{k} END"  # none: the shape's, if it has one
        parts = f"{vendor}, CAST({status} AS {text}), sr{k}, CAST(rv{k} AS {text}), rr{k}, CAST({connected} AS {text})"
        return f"CASE WHEN sok{k} AND rok{k} THEN concat_ws(chr(31), {parts}) END"

    def _connected_state(self) -> str:
        fields = {plan.name: plan for plan in self.adapter.fields}
        plan = fields.get("connected")
        if plan is None or not plan.getters:
            return "0"

        def state(keys: tuple[bool, tuple[str, ...]], getter: Getter) -> str:
            slot = self._slot_values(keys)
            if getter.format is not None:
                return "2"
            boolean = f"(CASE WHEN {slot.s} = 'true' THEN 1.0 ELSE 0.0 END)"
            number = f"CASE WHEN {_is_boolean(slot.t)} THEN {boolean} ELSE {slot.number(self.d)} END"
            return f"(CASE WHEN {number} > 0 THEN 2 WHEN {number} = 0 THEN 1 ELSE 0 END)"

        value = self._first(plan.getters, state, lambda k, g: "true")[0]
        return f"coalesce({value}, 0)"


@attrs.frozen
class _Slot:
    """One value a table reads: its JSON type's first character, its text, and the columns derived from it (each
    computed once per row, see ``_Vendor._derive``)."""

    t: str
    s: str
    derive: Callable[[str], str]

    def number(self, d: Dialect) -> str:
        return self.derive(_number(d, self.t, self.s))

    def iso(self, d: Dialect) -> str:
        return self.derive(d.iso(self.s))

    def rfc2822(self, d: Dialect) -> str:
        return self.derive(d.rfc2822(self.s))

    def enum(self, d: Dialect, name: str, adapter: Adapter) -> str:
        return self.derive(_enum(d, name, self.s, adapter))

    def phone(self, d: Dialect, region: str | None) -> str:
        """The number in E.164: as written, else read by ``d.phones``; NULL for no number (not a string, or not
        read)."""
        read = f"{d.phones}({self.s}, {d.quote(region or '')})"
        return self.derive(
            f"(CASE WHEN {_is_string(self.t)} THEN (CASE WHEN {d.full_match(self.s, _E164)} THEN {self.s} "
            f"ELSE {read} END) END)"
        )


def _accepts(d: Dialect, plan: FieldPlan, getter: Getter, slot: _Slot, adapter: Adapter) -> str:
    """Whether the present value passes the fast path's type test and converts there (else: careful)."""
    kind = plan.kind
    t, s = slot.t, slot.s
    if kind == "connected":
        if getter.format is not None:
            return _is_string(t)
        return f"({_is_boolean(t)} OR {slot.number(d)} >= 0)"
    if kind == "text":
        return _is_string(t)
    if kind == "phone" and d.phones is not None:
        return f"({slot.phone(d, adapter.region)} IS NOT NULL)"
    if kind == "phone":
        return f"({_is_string(t)} AND {d.full_match(s, _E164)})"
    if kind == "raw":
        return f"({_is_string(t)} AND {slot.enum(d, plan.name, adapter)} IS NOT NULL)"
    if kind == "time":
        fmt = getter.format or plan.format or "iso8601"
        if fmt == "iso8601" and adapter.zone is not UTC:
            return _zoned(d, slot, adapter.zone)[0]
        if fmt == "iso8601":
            iso = slot.iso(d)
            return f"({_is_string(t)} AND {d.full_match(s, _ISO + _OFFSET + '?')} AND {_held(d, iso)})"
        if fmt == "rfc2822":
            return (  # '-0000', an unknown offset, is read in the vendor's zone: the careful path
                f"({_is_string(t)} AND {d.full_match(s, _RFC2822)} AND NOT {d.ends_with(s, '-0000')} "
                f"AND {slot.rfc2822(d)} IS NOT NULL)"
            )
        if fmt in ("epoch_s", "epoch_ms", "auto"):  # auto reads a string as ISO 8601
            whole = _is_integer(t, s) if fmt == "auto" else _whole(d, t, s)
            return f"({whole} AND TRY_CAST({s} AS {d.wide}) BETWEEN 0 AND {_epoch_limit(fmt)})"
        return "false"  # any other format: the careful path reads it
    if kind in ("duration", "number"):
        low = "0.0" if kind == "duration" else "-1e308"
        return f"({_scaled(d, plan, getter, slot)} BETWEEN {low} AND 1e308)"
    if kind == "integer":
        return f"({_whole(d, t, s)} AND TRY_CAST({s} AS {d.wide}) + {plan.offset} BETWEEN 1 AND 9223372036854775807)"
    raise AssertionError(kind)


def _zoned(d: Dialect, slot: _Slot, zone: tzinfo) -> tuple[str, str]:
    """Whether an ISO 8601 text passes, and its timestamp: as its offset says, or naive and read in ``zone`` as
    ``convert.timestamp`` reads it (``_local_offsets``)."""
    t, s, iso = slot.t, slot.s, slot.iso(d)  # a naive text is read as UTC there: its local time
    starts, offsets, end = _local_offsets(zone)
    offset = slot.derive(d.full_match(s, _ISO + _OFFSET))
    local = d.micros(iso)
    window = f"{local} >= {starts[0]} AND {local} < {end}"
    naive = f"({d.full_match(s, _ISO)} AND {window})"
    accepted = f"({_is_string(t)} AND {iso} IS NOT NULL AND (({offset} AND {_held(d, iso)}) OR {naive}))"

    def at(low: int, high: int) -> str:  # the offset of starts[low:high + 1] holding at ``local``
        if low == high:
            return str(offsets[low])
        middle = (low + high + 1) // 2
        return f"(CASE WHEN {local} < {starts[middle]} THEN {at(low, middle - 1)} ELSE {at(middle, high)} END)"

    value = f"(CASE WHEN {offset} THEN {iso} ELSE {d.from_micros(f'{local} - {at(0, len(starts) - 1)}')} END)"
    return accepted, value


def _held(d: Dialect, timestamp: str) -> str:
    """A timestamp (NULL for none) that Python's datetime holds in UTC (``_INSTANTS``)."""
    return f"({d.micros(timestamp)} BETWEEN {_INSTANTS[0]} AND {_INSTANTS[1]})"


@functools.cache
def _local_offsets(zone: tzinfo) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """``zone``'s offsets by local time between ``_LOCAL_YEARS``, as ``convert.timestamp`` reads a naive time
    (``replace(tzinfo=zone)``, fold 0: a time a change skips or repeats takes the offset before it). The local
    times from which each offset holds, the offsets and the window's end, in microseconds (local times read as
    UTC). Offsets are compared a day apart and each change found to the second: no zone changes twice in a day."""
    epoch, micro, second = datetime(1970, 1, 1), timedelta(microseconds=1), timedelta(seconds=1)

    def offset(moment: datetime) -> int:
        found = moment.replace(tzinfo=zone).utcoffset()
        return 0 if found is None else found // micro

    first, end = (datetime(year, 1, 1) for year in _LOCAL_YEARS)
    starts, offsets = [first], [offset(first)]
    day = first
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != offsets[-1]:
            low, high = 0, 86_400  # seconds into ``day``: the old offset at ``low``, the new one at ``high``
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(day + middle * second) == offsets[-1] else (low, middle)
            starts.append(day + high * second)
            offsets.append(offset(starts[-1]))
        day = following
    return tuple((moment - epoch) // micro for moment in starts), tuple(offsets), (end - epoch) // micro


def _whole(d: Dialect, t: str, s: str) -> str:
    """A JSON integer, or a string of digits (``convert.number`` reads both alike)."""
    return f"({_is_integer(t, s)} OR ({_is_string(t)} AND {d.full_match(s, '[0-9]{1,15}')}))"


def _epoch_limit(fmt: str) -> int:
    """The last epoch the select reads: ``auto`` reads larger numbers as milliseconds, seconds give a datetime
    until the end of 9999."""
    return {"epoch_ms": _LAST_MILLISECOND, "epoch_s": _LAST_SECOND}.get(fmt, _MS_ABOVE)


def _convert(d: Dialect, plan: FieldPlan, getter: Getter, slot: _Slot, adapter: Adapter) -> str:
    kind = plan.kind
    s = slot.s
    if kind == "phone" and d.phones is not None:
        return slot.phone(d, adapter.region)
    if kind in ("text", "phone"):
        return s
    if kind == "raw":
        return slot.enum(d, plan.name, adapter)
    if kind == "time":
        fmt = getter.format or plan.format or "iso8601"
        if fmt == "iso8601":
            return slot.iso(d) if adapter.zone is UTC else _zoned(d, slot, adapter.zone)[1]
        if fmt == "rfc2822":
            return slot.rfc2822(d)
        if fmt in ("epoch_s", "epoch_ms", "auto"):  # computed for every row: no overflow past the limit
            whole = f"TRY_CAST({s} AS {d.wide}) BETWEEN 0 AND {_epoch_limit(fmt)}"
            epoch = f"(CASE WHEN {whole} THEN TRY_CAST({s} AS BIGINT) END)"
            return d.from_micros(f"{epoch} * {1000 if fmt == 'epoch_ms' else 1000000}")
        return f"CAST(NULL AS {d.timestamp})"
    if kind in ("duration", "number"):
        return _scaled(d, plan, getter, slot)
    if kind == "integer":
        return f"TRY_CAST(TRY_CAST({s} AS {d.wide}) + {plan.offset} AS BIGINT)"
    return "NULL"


def _number(d: Dialect, t: str, s: str) -> str:
    """A JSON number, or a plain numeric string (``convert.number`` reads both), as DOUBLE; else NULL."""
    return (
        f"(CASE WHEN {_is_number(t)} OR ({_is_string(t)} AND {d.full_match(s, _NUMERIC)}) "
        f"THEN TRY_CAST({s} AS DOUBLE) END)"
    )


def _scaled(d: Dialect, plan: FieldPlan, getter: Getter, slot: _Slot) -> str:
    if plan.kind != "duration":
        return slot.number(d)
    multiplier, divisor = UNITS[getter.unit or plan.unit or "s"]
    if divisor == 1.0:
        return f"({slot.number(d)} * {multiplier!r})"
    return f"({slot.number(d)} / {divisor!r})"


def _enum(d: Dialect, name: str, s: str, adapter: Adapter) -> str:
    vocabulary = adapter.enums.get(name)
    if vocabulary is None:
        return f"CAST(NULL AS {d.text})"
    cases = []
    for raw in vocabulary.values:
        meaning = vocabulary.meaning(raw)
        if meaning is not None:
            cases.append(f"WHEN {d.quote(raw)} THEN {d.quote(str(_value(meaning)))}")
    if d.spellings is not None:  # called only for a spelling the table does not list
        cases.append(f"ELSE {d.spellings}({d.quote(adapter.id)}, {d.quote(name)}, {s})")
    return f"(CASE {s} {' '.join(cases)} END)" if cases else f"CAST(NULL AS {d.text})"
