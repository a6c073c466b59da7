"""Call histories normalised in bulk with DuckDB: the vendor tables compiled to SQL (``sqlplan``), the rows SQL
cannot decide exactly handed to ``normalize()``, failures kept in a reject file. Needs the ``bulk`` extra.

    from callstatus.bulk import normalize_file
    summary = normalize_file("calls.ndjson.gz", vendor="twilio", out="calls.parquet")
    summary = normalize_file("exports/2024-*.ndjson.gz", out="2024.parquet")  # many files into one
    summary = normalize_file("exports/*.ndjson.gz", out="lake", partition_by=("vendor", "year", "month"))
    summary = normalize_file("2024-06-02.ndjson.gz", out="lake", partition_by=("vendor", "year"), batch="2024-06-02")
    summary = normalize_file("webhooks/*.ndjson.gz", out="calls.parquet", fold=True)  # one row per call
"""

from __future__ import annotations

import bisect
import glob
import gzip
import importlib
import operator
import os
import re
import shutil
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import orjson

from . import foldsql, sqlplan
from .adapter import Adapter
from .canonical import COLUMNS, from_row, to_row
from .convert import e164
from .errors import Error, NormalizationError, UsageError
from .lifecycle import merge_all
from .normalize import normalize, normalize_row
from .registry import Registry, default_registry
from .sqlplan import DUCKDB, Dialect, careful_select, column_types, compile_select, outcome_columns, outcome_table

__all__ = ["BulkSummary", "normalize_file"]

Input = Literal["ndjson", "json", "csv", "parquet"]
Output = Literal["parquet", "ndjson"]
_CHUNK = 50_000
_LONGEST_LINE = 64 << 20
"""The longest NDJSON line DuckDB cannot read (past its 2 MB) that is read in Python: a longer one is refused."""
_GLOB = frozenset("*?[")
_BATCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""A batch's name: it is part of its files' names (``batch-<name>_0.parquet``)."""
_DATE_PARTS = ("year", "month", "day")
"""Partition columns taken from the call's time (each the DuckDB function giving it)."""
_KEY_HASH = "CASE WHEN starts_with(ltrim(raw), '{') THEN try(hash(json_keys(raw))) END"
"""A row's key set, as one number: rows are grouped by it (a 64-bit hash, so two key lists sharing one is a
2^-64 chance)."""
_E164_FUNCTION, _SPELLING_FUNCTION = "callstatus_e164", "callstatus_spelling"
_FUNCTIONS = Dialect(phones=_E164_FUNCTION, spellings=_SPELLING_FUNCTION)
"""DuckDB, reading numbers not written in E.164 with ``_e164`` and enum values in other spellings with
``_spelling``: such rows stay on the SQL path."""
SECOND_ROUND = 1_000
"""Careful rows from which a run tries ``_respell``'s second round: below, ``normalize()`` takes less time than
planning the selects again."""
_TWICE = "len(json_keys(raw)) <> len(list_distinct(json_keys(raw)))"
"""A row giving a top-level key twice: SQL would read the first, ``normalize()`` reads the last (as JSON
decoders do). Key sets ``key_groups`` sees are checked once per set; the rest, row by row."""


def _needs(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"bulk normalisation needs {module!r}: pip install 'callstatus[bulk]'") from None


@attrs.frozen
class BulkSummary:
    """What a bulk run did: rows read, decided by SQL, by ``normalize()``, and rejected (see ``rejects``)."""

    rows: int
    by_sql: int
    by_normalize: int
    rejected: int
    out: str
    rejects: str | None
    files: int = 1
    calls: int | None = None
    """With ``fold=True``: the rows written, one per call (``rows`` counts the records read)."""


@attrs.frozen
class _Sources:
    """The files read into ``lines``, in order, the ``rowid`` each one's first row took, and whether DuckDB left
    out lines it could not read (table ``unreadable``: not UTF-8, longer than 2 MB), which shift the positions of
    the lines after them (table ``gaps``)."""

    names: tuple[str, ...]
    starts: tuple[int, ...]
    gapped: bool = False

    def file_of(self, pos: int) -> str:
        """The file a row of ``lines`` came from (its position there: ``_placed``)."""
        return self.names[bisect.bisect_right(self.starts, pos) - 1]


def _e164(value: str | None, region: str) -> str | None:
    """``convert.e164`` of a number the select finds not written in E.164 (``region`` '' for none): what
    ``normalize()`` reads it as, None where it reads none."""
    return None if value is None else e164(value, "", "", region or None)


def _spelling(adapters: Sequence[Adapter]) -> Callable[[str, str, str | None], str | None]:
    """The canonical value of an enum field's value in a spelling the select's table does not list, as
    ``normalize()`` reads it (``Vocabulary.meaning``); None where the table does not know it."""
    enums = {adapter.id: adapter.enums for adapter in adapters}

    def spelling(vendor: str, field: str, raw: str | None) -> str | None:
        vocabulary = enums[vendor].get(field)
        meaning = None if raw is None or vocabulary is None else vocabulary.meaning(raw)
        return None if meaning is None else str(getattr(meaning, "value", meaning))

    return spelling


def normalize_file(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    vendor: str | None = None,
    *,
    out: str | os.PathLike[str],
    input_format: Input | None = None,
    output_format: Output | None = None,
    registry: Registry | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    position: bool = False,
    partition_by: str | Sequence[str] = (),
    batch: str | None = None,
    fold: bool = False,
) -> BulkSummary:
    """Normalise every record of an export file, or of several, into ``out`` (Parquet or NDJSON, the export layout).

    ``path`` is a file, a glob pattern (``exports/*.ndjson.gz``, in name order) or a list of files; each is read
    as its name says, or as ``input_format``: NDJSON or a JSON array (plain or gzip), CSV (each row an object of
    its columns, as text) or Parquet (a ``raw`` JSON text column, else each row an object of its columns).
    ``vendor=None`` detects each row's vendor. A row ``normalize()`` refuses goes to ``<out>.rejects.ndjson``
    (source file, position, row, error) and is counted; the run goes on. ``memory_limit`` (e.g. ``'2GB'``)
    bounds DuckDB; ``position=True`` adds each row's file (``source``, as named) and its 0-based position there
    (``position``). Output rows are in no particular order.

    ``partition_by`` (e.g. ``("vendor", "year", "month")``) makes ``out`` a new or empty directory of files laid
    out Hive-style (``out/vendor=twilio/year=2024/month=3/data_0.parquet``), as data lakes, Spark and DuckDB read
    them: each partition column is in the paths, not the files. Any text column of the layout may be one, and
    ``year``, ``month`` and ``day`` of the call's time (``created_at``, else ``started_at``, else ``ended_at``).

    ``batch`` (with ``partition_by``; letters, digits, ``.``, ``_``, ``-``) adds this run's files to ``out`` instead,
    a directory partitioned by the same columns or none yet: each file is named after the batch
    (``out/vendor=twilio/year=2024/batch-2024-06-02_0.parquet``), and the files an earlier run of the same batch
    left are removed once the new ones are in place, so a day's export can be run again without doubling its rows.
    Its rejects go to ``<out>.<batch>.rejects.ndjson``.

    ``fold=True`` writes one row per call (vendor and call id) instead of one per record: the records of a call seen
    several times in the run's files (a webhook per state, then a poll) are merged with ``merge``, as the tracker
    merges them, keeping the raw JSON (and with ``position``, the file and position) of the record whose payload
    the call keeps; ``BulkSummary.calls`` counts the rows written.
    """
    duckdb = _needs("duckdb")
    paths = _paths(path)
    kinds = [input_format or _input(source) for source in paths]
    registry = registry or default_registry()
    adapters = [registry.get(vendor)] if vendor is not None else [registry.get(name) for name in registry.vendors()]
    target = Path(out)
    chosen_out = output_format or ("ndjson" if target.suffix in (".ndjson", ".jsonl") else "parquet")
    partitions = _partitions(partition_by, target, batch, chosen_out)
    stem = target.name if batch is None else f"{target.name}.{batch}"  # a batch's scratch and rejects are its own
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        if memory_limit is not None:
            connection.execute("SET memory_limit = ?", [memory_limit])
        connection.execute("SET temp_directory = ?", [str(target.with_name(stem + ".tmp"))])
        if threads is not None:
            connection.execute(f"SET threads = {int(threads)}")
        show_progress = sys.stderr.isatty() if progress is None else progress
        connection.execute(f"SET enable_progress_bar = {'true' if show_progress else 'false'}")
        functions = [(_E164_FUNCTION, _e164, 2), (_SPELLING_FUNCTION, _spelling(adapters), 3)]
        for name, function, arguments in functions:  # an exception (none known) gives NULL: normalize() decides
            connection.create_function(
                name,
                function,
                ["VARCHAR"] * arguments,
                "VARCHAR",
                null_handling="special",
                exception_handling="return_null",
            )
        _load(connection, "CREATE TEMP TABLE outcomes AS", outcome_columns(DUCKDB), outcome_table(adapters))
        sources = _read(connection, paths, kinds)
        connection.execute("SET preserve_insertion_order = false")  # each row carries its position from here
        selects = list(_selects(connection, adapters, detect=vendor is None))
        for index, (where, plan) in enumerate(selects):
            connection.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT rowid AS pos, raw FROM lines WHERE {where}")
            connection.execute(f"{'INSERT INTO normalized' if index else 'CREATE TEMP TABLE normalized AS'} {plan.sql}")
        _respell(connection, adapters, selects)
        connection.execute("DROP VIEW src")
        connection.execute("DROP TABLE lines")
        rejects_path = target.with_name(stem + ".rejects.ndjson")
        by_normalize, rejected, gained, late = _careful(connection, vendor, registry, rejects_path, sources, position)
        rows = connection.execute("SELECT count(*) FROM normalized").fetchall()[0][0] + gained
        fast = _decided(sources, position) + (" UNION ALL SELECT * FROM late" if late else "")
        calls = None
        if fold:
            fast, merged = _fold(connection, fast, registry, position)
            calls = rows - rejected - merged
        _write(connection, _final(fast, chosen_out, position, partitions), target, chosen_out, partitions, batch)
    finally:
        connection.close()
    return BulkSummary(
        rows=rows,
        by_sql=rows - by_normalize - rejected,
        by_normalize=by_normalize,
        rejected=rejected,
        out=str(target),
        rejects=str(rejects_path) if rejected else None,
        files=len(paths),
        calls=calls,
    )


def _paths(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files to read, in order: each path given, or the files a glob pattern among them matches (by name)."""
    items = [path] if isinstance(path, (str, os.PathLike)) else path
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise UsageError(f"path: a file name, a glob pattern or a list of them, not {type(path).__name__}")
    paths = []
    for item in items:
        name = os.fspath(item) if isinstance(item, (str, os.PathLike)) else None
        if not isinstance(name, str):
            raise UsageError(f"path: a file name or a glob pattern, not {type(item).__name__}")
        if Path(name).is_file():
            paths.append(Path(name))
        elif _GLOB & set(name) and not Path(name).exists():
            matched = sorted(found for found in glob.glob(name) if Path(found).is_file())
            if not matched:
                raise UsageError(f"cannot read {name}: no file matches")
            paths += map(Path, matched)
        else:
            raise UsageError(f"cannot read {name}: no such file")
    if not paths:
        raise UsageError("no file to read")
    return paths


def _read(connection: Any, paths: list[Path], kinds: list[Input]) -> _Sources:
    """Table ``lines``: every file's records in order, each row's ``rowid`` its place in the whole run, with its
    key hash (``_KEY_HASH``); table ``sources``: where each file starts."""
    starts, failure, scans = [], _needs("duckdb").Error, 0
    connection.execute("CREATE TEMP TABLE unreadable (file INTEGER, line BIGINT)")
    for index, (source, kind) in enumerate(zip(paths, kinds, strict=True)):
        into = "INSERT INTO lines" if index else "CREATE TEMP TABLE lines AS"
        starts.append(connection.execute("SELECT count(*) FROM lines").fetchall()[0][0] if index else 0)
        try:  # a file that is not what its name says: rows are refused one by one, a broken container is not
            raw_column = _raw_column(connection, source) if kind == "parquet" else None
            connection.execute(f"{into} SELECT raw, {_KEY_HASH} AS keyed FROM ({_source(source, kind, raw_column)})")
        except failure as exc:
            raise UsageError(f"cannot read {source} as {kind}: {str(exc).splitlines()[0]}") from None
        if kind == "ndjson":  # the lines its reader left out (store_rejects), by their 1-based line number
            connection.execute(
                "INSERT INTO unreadable SELECT DISTINCT ?, line FROM reject_errors WHERE scan_id > ?", [index, scans]
            )
            scans = connection.execute("SELECT coalesce(max(scan_id), 0) FROM reject_scans").fetchall()[0][0]
    names = tuple(str(source) for source in paths)
    stops = [*starts[1:], connection.execute("SELECT count(*) FROM lines").fetchall()[0][0]]
    held = [(start, name) for start, stop, name in zip(starts, stops, names, strict=True) if stop > start]
    connection.execute("CREATE TEMP TABLE sources (start BIGINT, source VARCHAR)")  # for an ASOF join: one per start
    if held:
        connection.executemany("INSERT INTO sources VALUES (?, ?)", held)
    if not connection.execute("SELECT count(*) FROM unreadable").fetchall()[0][0]:
        return _Sources(names, tuple(starts))
    connection.execute("CREATE TEMP TABLE files (file INTEGER, start BIGINT, stop BIGINT)")
    spans = [(file, start, stop) for file, (start, stop) in enumerate(zip(starts, stops, strict=True))]
    connection.executemany("INSERT INTO files VALUES (?, ?, ?)", spans)
    connection.execute(  # the j-th line left out of a file comes after line - j of its kept rows: those after it
        "CREATE TEMP TABLE gaps AS SELECT first, max(shift) AS shift FROM ("  # are j lines further down
        "SELECT files.start + line - j AS first, j AS shift, files.stop FROM (SELECT file, line, row_number() OVER "
        "(PARTITION BY file ORDER BY line) AS j FROM unreadable) JOIN files USING (file) "
        "UNION ALL SELECT start, 0, stop FROM files) WHERE first < stop OR shift = 0 GROUP BY first"
    )
    return _Sources(names, tuple(starts), gapped=True)


def _selects(connection: Any, adapters: list[Any], *, detect: bool) -> Iterator[tuple[str, sqlplan.SqlPlan]]:
    """(which rows of ``lines``, the select for them): one per group of key sets (``sqlplan.key_groups``), one
    flagging careful the rows no table fits or that are no JSON object, and the full select for every other row."""
    if not sqlplan.KEYED[1]:
        yield "true", compile_select(adapters, detect=detect, dialect=_FUNCTIONS)
        return
    found = connection.execute(
        "SELECT keyed, n, json_keys(sample) FROM (SELECT keyed, count(*) AS n, any_value(raw) AS sample FROM lines "
        "WHERE keyed IS NOT NULL GROUP BY keyed) ORDER BY n DESC, keyed LIMIT ?",
        [sqlplan.KEY_SETS],
    ).fetchall()
    groups, careful = sqlplan.key_groups(adapters, found)
    for hashes, keys in groups:
        yield (
            f"keyed IN ({sqlplan.in_list(hashes)})",
            compile_select(adapters, detect=detect, dialect=_FUNCTIONS, keys=keys),
        )
    rest = sqlplan.outside([keyed for hashes, _ in groups for keyed in hashes] + careful)
    yield f"keyed IS NULL OR keyed IN ({sqlplan.in_list(careful)}) OR ({rest} AND {_TWICE})", careful_select()
    rest += f" AND NOT {_TWICE}"
    if connection.execute(f"SELECT count(*) FROM lines WHERE {rest}").fetchall()[0][0]:
        yield rest, compile_select(adapters, detect=detect, dialect=_FUNCTIONS)


def _respell(connection: Any, adapters: list[Any], run: Sequence[tuple[str, sqlplan.SqlPlan]]) -> None:
    """A second round for the careful rows whose status or reason is in a spelling the tables read but do not list
    (another spelling, a pattern's), when there are ``SECOND_ROUND`` careful rows or more: the outcome table learns
    their keys (``sqlplan.spelled_outcomes``) and the selects of ``run`` (the first round's) read them again."""
    connection.execute("CREATE OR REPLACE TEMP TABLE retried AS SELECT pos FROM normalized WHERE careful")
    if connection.execute("SELECT count(*) FROM retried").fetchall()[0][0] < max(SECOND_ROUND, 1):
        return
    selects = [(where, plan) for where, plan in run if len(plan.stages) > 1]  # not careful_select's
    view = "CREATE OR REPLACE TEMP VIEW src AS SELECT rowid AS pos, raw FROM lines WHERE ({}) AND rowid IN ({})"
    retried = "SELECT pos FROM retried"
    keys: set[str] = set()
    for where, plan in selects:  # the keys each row's select builds, from the stages before the outcome join
        connection.execute(view.format(where, retried))
        stages = "WITH " + ",\n".join(f"{name} AS ({select})" for name, select in plan.stages[:-1])
        found = f"{stages} SELECT DISTINCT okey FROM {plan.stages[-2][0]} WHERE okey IS NOT NULL"
        keys.update(
            key for (key,) in connection.execute(f"{found} AND okey NOT IN (SELECT key FROM outcomes)").fetchall()
        )
    rows = sqlplan.spelled_outcomes(adapters, sorted(keys))
    if not rows:
        return
    _load(connection, "INSERT INTO outcomes", outcome_columns(DUCKDB), rows)
    connection.execute("CREATE TEMP TABLE decided AS SELECT * FROM normalized LIMIT 0")
    for where, plan in selects:
        connection.execute(view.format(where, retried))
        connection.execute(f"INSERT INTO decided SELECT * FROM ({plan.sql}) WHERE NOT careful")
    connection.execute("DELETE FROM normalized WHERE pos IN (SELECT pos FROM decided)")
    connection.execute("INSERT INTO normalized SELECT * FROM decided")
    connection.execute("DROP TABLE decided")


def _input(path: Path) -> Input:
    name = path.name.lower().removesuffix(".gz")
    for suffix, kind in ((".ndjson", "ndjson"), (".jsonl", "ndjson"), (".json", "json"), (".csv", "csv")):
        if name.endswith(suffix):
            return kind  # type: ignore[return-value]
    if name.endswith(".parquet"):
        return "parquet"
    raise UsageError(f"cannot tell the format of {path.name}: pass input_format= (ndjson, json, csv, parquet)")


def _literal(path: Path) -> str:
    return DUCKDB.quote(str(path))


def _source(path: Path, kind: Input, raw_column: str | None = None) -> str:
    """``raw``: each record's JSON text, in input order (an NDJSON file's lines, blank ones too)."""
    file = _literal(path)
    if kind == "ndjson":  # each line as text, JSON or not: a broken line is rejected, not the file
        return (  # an empty line reads as NULL: made blank, as normalize_many skips it; a line not UTF-8 or past
            # 2 MB is left out and noted in reject_errors (_read), then read in Python (_careful)
            f"SELECT coalesce(raw, '') AS raw FROM read_csv({file}, columns = {{'raw': 'VARCHAR'}}, header = false, "
            "delim = chr(31), quote = '', escape = '', auto_detect = false, strict_mode = false, "
            f"new_line = {_newline(path)}, ignore_errors = true, store_rejects = true)"
        )
    if kind == "json":
        return f"SELECT CAST(json AS VARCHAR) AS raw FROM read_json_objects({file}, format = 'auto')"
    if kind == "csv":
        return f"SELECT CAST(to_json(t) AS VARCHAR) AS raw FROM read_csv({file}, all_varchar = true) AS t"
    if raw_column is not None:  # the vendor's JSON text, one record per row
        return f'SELECT CAST("{raw_column}" AS VARCHAR) AS raw FROM read_parquet({file})'
    return f"SELECT CAST(to_json(t) AS VARCHAR) AS raw FROM read_parquet({file}) AS t"


def _newline(path: Path) -> str:
    """How an NDJSON file ends its lines, from its first 64 KiB: ``'\\r\\n'`` or ``'\\n'``. Told ``'\\n'``, DuckDB's
    reader ends a line at a carriage return too, so a Windows file's lines would each be followed by a blank one."""
    try:
        with (gzip.open if path.name.endswith(".gz") else open)(path, "rb") as stream:
            head = stream.read(1 << 16)
    except (OSError, EOFError, zlib.error):  # a broken file: DuckDB's reader says how
        head = b""
    return "'\\r\\n'" if b"\r\n" in head else "'\\n'"


def _raw_column(connection: Any, path: Path) -> str | None:
    """The column of a Parquet file that holds each record's JSON text: its only text column named raw, json
    or payload."""
    described = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()
    if len(described) == 1 and described[0][0] in ("raw", "json", "payload") and described[0][1] in ("VARCHAR", "JSON"):
        return str(described[0][0])
    return None


def _load(connection: Any, into: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
    """Put ``rows`` (values in the order of ``columns``: name, SQL type) into a table; ``into`` is the statement's
    head (``CREATE TEMP TABLE t AS`` or ``INSERT INTO t``). Each column goes in as one list: no pyarrow (which
    imports pandas where installed, a third of a second a run)."""
    lists = [list(values) for values in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    unnested = ", ".join(f"unnest(CAST(${i} AS {kind}[])) AS {name}" for i, (name, kind) in enumerate(columns, 1))
    connection.execute(f"{into} SELECT {unnested}", lists)


def _decided(sources: _Sources, position: bool) -> str:
    """The rows SQL decided, with their file and place there if asked (``_placed``)."""
    columns, joined = [column.name for column in COLUMNS], ""
    if position:
        source, at, joined = _placed(sources)
        columns += [f"{source} AS source", f"{at} AS position"]
    return f"SELECT {', '.join(columns)} FROM normalized{joined} WHERE NOT careful"


def _placed(sources: _Sources) -> tuple[str, str, str]:
    """A row's file and its place there, and the joins they need (``normalized.pos`` the row): of several files,
    the last one starting at or before the row, with the lines left out before it (``gaps``) added."""
    if len(sources.names) == 1 and not sources.gapped:
        return DUCKDB.quote(sources.names[0]), "pos", ""
    joined = " ASOF JOIN sources ON normalized.pos >= sources.start"
    if not sources.gapped:
        return "sources.source", "pos - sources.start", joined
    joined += " ASOF JOIN gaps ON normalized.pos >= gaps.first"
    return "sources.source", "pos - sources.start + gaps.shift", joined


def _partitions(partition_by: str | Sequence[str], target: Path, batch: str | None, kind: Output) -> list[str]:
    """The partition columns asked for, checked before any work: known, each once, and a directory to write (a
    new or empty one; for a batch, one holding files of this layout only)."""
    names = [partition_by] if isinstance(partition_by, str) else list(partition_by)
    allowed = [column.name for column in COLUMNS if column.kind == "string"] + [*_DATE_PARTS]
    for name in names:
        if name not in allowed:
            raise UsageError(f"partition_by: cannot partition by {name!r} (one of {', '.join(allowed)})")
    if len(set(names)) < len(names):
        raise UsageError(f"partition_by: a column given twice in {', '.join(names)}")
    if batch is not None:
        if not names:
            raise UsageError("batch: goes with partition_by (a batch adds its files to a partitioned directory)")
        if not isinstance(batch, str) or not _BATCH.fullmatch(batch):
            raise UsageError(
                f"batch: {batch!r} is not a batch name (1 to 100 letters, digits, '.', '_' or '-'; "
                "the first a letter or digit)"
            )
        _layout(target, names, kind)
    elif names and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"cannot write {target}: partitioned output goes into a new or empty directory (or name a batch)"
        )
    return names


def _layout(target: Path, names: list[str], kind: Output) -> None:
    """Refuse to add a batch to ``target`` unless it is a directory (or none yet) whose data files are all of
    ``kind`` and partitioned by ``names``, in that order: a lake mixing layouts reads wrongly or not at all."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"cannot write {target}: a batch goes into a directory, and this is a file")
    suffix = ".parquet" if kind == "parquet" else ".json"
    for file in target.rglob("*") if target.is_dir() else ():
        if file.suffix not in (".parquet", ".json") or not file.is_file():
            continue
        keys = [part.split("=", 1)[0] for part in file.relative_to(target).parts[:-1]]
        if file.suffix != suffix or keys != names:
            held = f"{', '.join(keys) or 'nothing'} as {file.suffix[1:]}"
            raise UsageError(
                f"cannot add to {target}: it holds {file.relative_to(target)} (partitioned by {held}); this batch "
                f"is partitioned by {', '.join(names)} as {kind}"
            )


def _final(query: str, kind: Output, position: bool, partitions: list[str]) -> str:
    """What is written: the export layout (in NDJSON, timestamps as the export writes them: ISO 8601 with a Z),
    ``source`` and ``position`` if asked, and the date parts partitioned by."""
    dated = [f"{name}(coalesce(created_at, started_at, ended_at)) AS {name}" for name in partitions
             if name in _DATE_PARTS]  # fmt: skip
    if dated:
        query = f"SELECT *, {', '.join(dated)} FROM ({query})"
    if kind == "parquet":
        return query
    columns = []
    for column in COLUMNS:
        name = column.name
        if column.kind == "timestamp":
            columns.append(
                f"CASE WHEN epoch_us({name}) % 1000000 = 0 THEN strftime({name}, '%Y-%m-%dT%H:%M:%SZ') "
                f"ELSE strftime({name}, '%Y-%m-%dT%H:%M:%S.%fZ') END AS {name}"
            )
        else:
            columns.append(name)
    extra = (["source", "position"] if position else []) + [name for name in partitions if name in _DATE_PARTS]
    return f"SELECT {', '.join(columns + extra)} FROM ({query})"


def _fold(connection: Any, query: str, registry: Registry, position: bool) -> tuple[str, int]:
    """The rows of ``query`` folded to one per call, and how many rows that removed: the rows of calls seen once
    as they are; the others merged by SQL (``foldsql``, table ``merged_calls``), and those it cannot merge exactly
    (``careful``) merged by ``merge`` in Python (``_merge_in_python``)."""
    connection.execute(
        f"CREATE TEMP TABLE multi AS SELECT vendor, call_id, count(*) AS n FROM ({query}) GROUP BY vendor, call_id "
        "HAVING count(*) > 1"
    )
    calls, seen_rows = connection.execute("SELECT count(*), coalesce(sum(n), 0) FROM multi").fetchall()[0]
    if not calls:
        return query, 0
    retrying = [name for name in registry.vendors() if (table := registry.get(name).retries) and table.same_call_id]
    seen = f"SELECT * FROM ({query}) AS seen SEMI JOIN multi USING (vendor, call_id)"
    merged = foldsql.merged(foldsql.ranked(f"({seen})", retrying), position)
    connection.execute(f"CREATE TEMP TABLE merged_calls AS {merged}")
    place = ", source, position" if position else ""
    single = f"SELECT * FROM ({query}) AS seen ANTI JOIN multi USING (vendor, call_id)"
    folded = f"{single} UNION ALL SELECT {', '.join(_NAMES)}{place} FROM merged_calls WHERE NOT careful"
    doubted = "(SELECT vendor, call_id FROM merged_calls WHERE careful)"
    careful = f"SELECT * FROM ({query}) AS seen SEMI JOIN {doubted} USING (vendor, call_id)"
    if _merge_in_python(connection, careful, registry, position):
        folded += " UNION ALL SELECT * FROM folded"
    return folded, int(seen_rows - calls)


def _merge_in_python(connection: Any, careful: str, registry: Registry, position: bool) -> bool:
    """Merge the calls of the rows of ``careful`` with ``merge`` into table ``folded``, a page at a time in vendor
    and call id order (``_merged``); whether there were any."""
    place = ", source, position" if position else ""
    connection.execute(
        f"CREATE TEMP TABLE doubted AS SELECT row_number() OVER (ORDER BY vendor, call_id{place}) AS k, * "
        f"FROM ({careful})"
    )
    left: int = connection.execute("SELECT count(*) FROM doubted").fetchall()[0][0]
    page = "SELECT * EXCLUDE (k) FROM doubted WHERE k > ? AND k <= ? ORDER BY k"
    merged: list[list[Any]] = []
    call: list[tuple[Any, ...]] = []
    into = "CREATE TEMP TABLE folded AS"
    for start in range(0, left, _CHUNK):
        for values in connection.execute(page, [start, start + _CHUNK]).fetchall():
            if call and _CALL(values) != _CALL(call[0]):
                merged.append(_merged(call, registry))
                call = []
            call.append(values)
        last = start + _CHUNK >= left
        if last:
            merged.append(_merged(call, registry))
        if len(merged) >= _CHUNK or last:
            _load(connection, into, _layout_columns(position), merged)
            into, merged = "INSERT INTO folded", []
    connection.execute("DROP TABLE doubted")
    return left > 0


_NAMES = [column.name for column in COLUMNS]
_RAW = _NAMES.index("raw")
_CALL = operator.itemgetter(_NAMES.index("vendor"), _NAMES.index("call_id"))


def _merged(call: list[tuple[Any, ...]], registry: Registry) -> list[Any]:
    """One call's rows (the layout, then file and position if asked) merged by ``merge`` into one: the merged
    record, with the raw JSON text and the place of the first row whose payload it keeps."""
    records = [from_row(dict(zip(_NAMES, values, strict=False))) for values in call]
    record = merge_all(records, registry=registry)
    pairs = list(zip(call, records, strict=True))
    kept = next((values for values, seen in pairs if seen.raw is record.raw), None)  # merge keeps one whole
    kept = kept or next(values for values, seen in pairs if seen.raw == record.raw)
    row = to_row(record)
    return [kept[_RAW] if name == "raw" else row[name] for name in _NAMES] + list(kept[len(_NAMES) :])


_Results = list[tuple[int | None, str | None, Any]]
"""A row's records, as ``normalize_row`` gives them: (index in the row, JSON text, record or error)."""


@attrs.define
class _Late:
    """Where ``_careful`` puts what ``normalize()`` made of rows: records into table ``late`` (a page at a time,
    which DuckDB may spill), refusals into the reject file (opened on the first)."""

    connection: Any
    columns: list[tuple[str, str]]
    rejects: Path
    position: bool
    done: int = 0
    failed: int = 0
    gained: int = 0
    rows: list[list[Any]] = attrs.field(factory=list)
    stream: Any = None

    def add(self, name: str, at: int, results: _Results) -> None:
        for index, text, result in results:
            if isinstance(result, Error):
                if self.stream is None:
                    self.stream = self.rejects.open("wb")
                where = {"source": name, "position": at} | ({} if index is None else {"item": index})
                self.stream.write(orjson.dumps(where | {"row": text, "error": str(result)}) + b"\n")
                self.failed += 1
                continue
            row = to_row(result)
            values = [row[column.name] for column in COLUMNS]
            self.rows.append([*values, name, at] if self.position else values)
        if len(self.rows) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            into = "INSERT INTO late" if self.done else "CREATE TEMP TABLE late AS"
            _load(self.connection, into, self.columns, self.rows)
            self.done += len(self.rows)
            self.rows = []


def _layout_columns(position: bool) -> list[tuple[str, str]]:
    """The output's columns (name, SQL type): the export layout, then the file and position if asked."""
    columns = list(zip(_NAMES, column_types(DUCKDB), strict=True))
    return columns + ([("source", "VARCHAR"), ("position", "BIGINT")] if position else [])


def _careful(
    connection: Any, vendor: str | None, registry: Registry, rejects: Path, sources: _Sources, position: bool
) -> tuple[int, int, int, bool]:
    """Run ``normalize()`` on the rows SQL left, a page at a time, and on the lines DuckDB could not read
    (``_left_out``): how many records it normalised (into table ``late``) and refused (written to ``rejects``), how
    many more records than rows it found (a row holding a list of records gives each; a blank row none), and whether
    ``late`` exists."""
    late = _Late(connection, _layout_columns(position), rejects, position)
    try:
        _, at, joined = _placed(sources)
        connection.execute(
            f"CREATE TEMP TABLE careful_rows AS SELECT pos, raw, {at} AS place FROM normalized{joined} WHERE careful"
        )
        page = "SELECT pos, raw, place FROM careful_rows WHERE pos > ? ORDER BY pos LIMIT ?"
        last = -1
        while chunk := connection.execute(page, [last, _CHUNK]).fetchall():
            last = chunk[-1][0]
            for pos, raw, place in chunk:
                results = [] if raw is not None and not raw.strip() else normalize_row(raw, vendor, registry=registry)
                late.gained += len(results) - 1
                late.add(sources.file_of(pos), place, results)
            late.flush()
        if sources.gapped:
            for name, place, results in _left_out(connection, sources, vendor, registry):
                late.gained += len(results)
                late.add(name, place, results)
            late.flush()
    finally:
        if late.stream is not None:
            late.stream.close()
    if not late.failed and rejects.exists():
        rejects.unlink()
    return late.done, late.failed, late.gained, late.done > 0


def _left_out(
    connection: Any, sources: _Sources, vendor: str | None, registry: Registry
) -> Iterator[tuple[str, int, _Results]]:
    """The lines of NDJSON files that DuckDB's reader left out (table ``unreadable``), read again from their files
    as ``normalize_many`` reads a line: each line's file, its 0-based line number and its results."""
    for file, name in enumerate(sources.names):
        wanted = _unreadable(connection, file)
        if (target := next(wanted, None)) is None:
            continue
        with (gzip.open if name.endswith(".gz") else open)(name, "rb") as stream:
            for number, (data, whole) in enumerate(_lines(stream), 1):
                if target is None:
                    break
                if number == target:
                    yield name, number - 1, _line_results(data, whole, vendor, registry)
                    target = next(wanted, None)
        while target is not None:  # none known, but nothing vanishes
            failure = NormalizationError(
                "a line DuckDB could not read and Python did not find (a carriage return ends a line for DuckDB)",
                vendor=vendor, path="$", value=None,
            )  # fmt: skip
            yield name, target - 1, [(None, None, failure)]
            target = next(wanted, None)


def _unreadable(connection: Any, file: int) -> Iterator[int]:
    """The 1-based numbers of a file's lines DuckDB left out, in order, a page at a time."""
    page, last = "SELECT line FROM unreadable WHERE file = ? AND line > ? ORDER BY line LIMIT ?", 0
    while found := [line for (line,) in connection.execute(page, [file, last, _CHUNK]).fetchall()]:
        yield from found
        last = found[-1]


def _lines(stream: Any) -> Iterator[tuple[bytes, bool]]:
    """Each line of a binary stream, without its newline, and whether it is whole: of a line longer than
    ``_LONGEST_LINE``, only the start is read (and held)."""
    while chunk := stream.readline(_LONGEST_LINE + 1):
        whole = len(chunk) <= _LONGEST_LINE or chunk.endswith(b"\n")
        line = chunk.removesuffix(b"\n")
        while not chunk.endswith(b"\n") and chunk:  # the rest of a long line, skipped
            chunk = stream.readline(_LONGEST_LINE + 1)
        yield line, whole


def _line_results(data: bytes, whole: bool, vendor: str | None, registry: Registry) -> _Results:
    """What ``normalize_many`` makes of one NDJSON line: its records, or its error (a line that is not UTF-8 text
    kept with its bytes escaped); a line past ``_LONGEST_LINE`` is refused."""
    if not whole:
        failure = NormalizationError(
            f"a line longer than {_LONGEST_LINE:,} bytes: the bulk path does not read it", vendor=vendor, path="$",
            value=None,
        )  # fmt: skip
        return [(None, data[:1000].decode(errors="backslashreplace") + "...", failure)]
    try:
        text = data.decode()
    except UnicodeDecodeError:
        result: Any
        try:
            result = normalize(data, vendor, registry=registry)
        except NormalizationError as exc:
            result = exc
        return [(None, data.decode(errors="backslashreplace"), result)]
    return [] if not text.strip() else normalize_row(text, vendor, registry=registry)


def _write(connection: Any, query: str, target: Path, kind: Output, partitions: list[str], batch: str | None) -> None:
    """Write ``query`` to ``target`` whole or not at all: into a partial file (or directory) renamed when done; a
    batch's files are moved into ``target`` (``_add_batch``)."""
    partial = target.with_name(target.name + ("" if batch is None else f".{batch}") + ".partial")
    options = "FORMAT parquet, COMPRESSION zstd" if kind == "parquet" else "FORMAT json"
    if partitions:
        options += f", PARTITION_BY ({', '.join(partitions)})"
        if batch is not None:
            options += f", FILENAME_PATTERN {DUCKDB.quote(f'batch-{batch}_{{i}}')}"
        if partial.is_dir():  # left by a run that was killed: DuckDB writes into no directory holding files
            shutil.rmtree(partial)
    try:
        connection.execute(f"COPY ({query}) TO {_literal(partial)} ({options})")
        if batch is not None:
            _add_batch(partial, target, batch)
            return
        if partitions and target.is_dir():
            target.rmdir()  # empty: _partitions saw to it
        os.replace(partial, target)
    finally:
        if partial.is_dir():
            shutil.rmtree(partial)
        elif partial.exists():
            partial.unlink()


def _add_batch(partial: Path, target: Path, batch: str) -> None:
    """Move a batch's new files from ``partial`` into ``target`` (made if missing), then remove the files an
    earlier run of the same batch left there, and the partition directories that leaves empty. Each file is
    replaced whole; while the files move, a reader may see both runs' files of the batch."""
    mine = re.compile(rf"batch-{re.escape(batch)}_[0-9]+\.(parquet|json)")
    earlier = [file for file in target.rglob("batch-*") if mine.fullmatch(file.name) and file.is_file()]
    target.mkdir(exist_ok=True)
    placed = set()
    for new in sorted(file for file in partial.rglob("*") if file.is_file()):
        placed.add(destination := target / new.relative_to(partial))
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new, destination)
    for old in earlier:
        if old not in placed:
            old.unlink()
            folder = old.parent
            while folder != target and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent


def rows(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The rows of a bulk output file (Parquet or NDJSON), or of a partitioned output directory (the partition
    columns read from the paths, as text; date parts as numbers), as export-layout dicts: for tests and spot
    checks."""
    duckdb = _needs("duckdb")
    target = Path(path)
    parquet = any(target.rglob("*.parquet")) if target.is_dir() else target.suffix == ".parquet"
    files, options = _literal(target), ""
    if target.is_dir():
        if not parquet and not any(target.rglob("*.json")):
            return  # every row was rejected: the directory is empty
        files = _literal(target / "**" / ("*.parquet" if parquet else "*.json"))
        options = ", hive_partitioning = true, hive_types_autocast = false"
    scan = f"{'read_parquet' if parquet else 'read_ndjson_auto'}({files}{options})"
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        present = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
        dates = ", ".join(f"CAST({name} AS INTEGER) AS {name}" for name in _DATE_PARTS if name in present)
        result = connection.execute(f"SELECT * {f'REPLACE ({dates})' if dates else ''} FROM {scan}")
        names = [item[0] for item in result.description]
        while chunk := result.fetchmany(_CHUNK):
            for values in chunk:
                yield dict(zip(names, values, strict=True))
    finally:
        connection.close()
