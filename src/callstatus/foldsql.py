"""``merge`` written as SQL for the bulk path's ``fold``: each call's observations merged into one row where SQL
decides exactly as ``merge`` does, and flagged ``careful`` where it cannot (two distinct values that ``merge``
orders by their content, decisive observations tying on their key but differing), for ``merge`` to decide."""

from __future__ import annotations

from collections.abc import Sequence

from .canonical import COLUMNS
from .lifecycle import STATUS_PRECEDENCE, field_joins
from .sqlplan import DUCKDB
from .vocabulary import CallStatus

__all__ = ["merged", "ranked"]

_FLOATS = frozenset(column.name for column in COLUMNS if column.kind == "number")

_EXACT_MICROS = 2**53
"""Below this many microseconds from the epoch a start time is the same double in SQL and in Python
(``datetime.timestamp``): past it, ``merge`` may see two attempts where SQL sees one."""


def ranked(source: str, same_call_id: Sequence[str]) -> str:
    """The rows of ``source`` (observations of calls seen more than once) with ``ra`` (1: of the call's decisive
    attempt), ``rd`` (1: its key ties the decisive observation's) and ``far`` (a start time SQL cannot order as
    Python does), ranked by ``merge``'s attempt key
    (``lifecycle.attempt_key``: the start time counts for ``same_call_id`` vendors) and status precedence."""
    quote = DUCKDB.quote
    start, far = "0", "false"
    if same_call_id:
        over = ", ".join(quote(status.value) for status in CallStatus if status.is_over)
        retrying = f"vendor IN ({', '.join(map(quote, same_call_id))})"
        start = (
            f"CASE WHEN {retrying} THEN coalesce(CAST(epoch_us(started_at) AS DOUBLE) / 1e6, CASE WHEN status IN "
            f"({over}) THEN 'inf'::DOUBLE ELSE '-inf'::DOUBLE END) ELSE 0 END"
        )
        far = f"coalesce({retrying} AND abs(epoch_us(started_at)) >= {_EXACT_MICROS}, false)"
    precedence = " ".join(f"WHEN {quote(status.value)} THEN {rank}" for status, rank in STATUS_PRECEDENCE.items())
    attempt = f"coalesce(attempt, 1) DESC, {start} DESC"
    return (
        f"SELECT *, dense_rank() OVER (PARTITION BY vendor, call_id ORDER BY {attempt}) AS ra, rank() OVER "
        f"(PARTITION BY vendor, call_id ORDER BY {attempt}, CASE status {precedence} END DESC, "
        f"raw_reason IS NOT NULL DESC) AS rd, {far} AS far FROM {source}"
    )


def _both(where: str, condition: str) -> str:
    return f"{where} AND {condition}" if where else condition


def merged(source: str, position: bool) -> str:
    """One row per call of ``source`` (``ranked``): the layout's columns as ``merge`` joins them
    (``lifecycle.field_joins``), ``careful``, and with ``position`` the file and place of the first decisive row."""
    scopes = {"call": "", "attempt": "ra = 1", "decisive": "rd = 1"}
    decisive = [name for name, scope, _ in field_joins() if scope == "decisive" and name not in ("vendor", "call_id")]
    doubts = [
        f"count(DISTINCT ({', '.join(decisive)})) FILTER (WHERE rd = 1) > 1",
        "bool_or(far)",
    ]
    columns = []
    for name, scope, kind in field_joins():
        where = scopes[scope]
        rows = f" FILTER (WHERE {where})" if where else ""
        if name in ("vendor", "call_id"):
            columns.append(name)
            continue
        if kind == "enum":
            known = _both(where, f"{name} <> 'unknown'")
            expression = f"coalesce(max({name}) FILTER (WHERE {known}), max({name}){rows})"
        elif kind == "earliest":
            expression = f"min({name}){rows}"
        elif kind in ("latest", "largest") and name in _FLOATS:  # of 0.0 and -0.0, merge keeps 0.0
            zero = _both(where, f"{name} = 0 AND NOT signbit({name})")
            expression = f"CASE WHEN bool_or(true) FILTER (WHERE {zero}) AND max({name}){rows} = 0 THEN 0.0 "
            expression += f"ELSE max({name}){rows} END"
        elif kind in ("latest", "largest"):
            expression = f"max({name}){rows}"
        else:  # one value, or the decisive rows' one: several go to merge
            expression = f"min({name}){rows}"
            if kind is not None:
                doubts.append(f"count(DISTINCT {name}){rows} > 1")
        columns.append(f"{expression} AS {name}")
    if position:
        columns += [f"first({name} ORDER BY source, position) FILTER (WHERE rd = 1) AS {name}" for name in
                    ("source", "position")]  # fmt: skip
    return f"SELECT {', '.join(columns)}, {' OR '.join(doubts)} AS careful FROM ({source}) GROUP BY vendor, call_id"
