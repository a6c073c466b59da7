"""Call histories normalised on Spark: the vendor tables compiled to Spark SQL (``sqlplan``, the same plan as the
DuckDB path), the rows SQL cannot decide exactly handed to ``normalize()`` on the executors. Needs the ``spark``
extra (pyspark 4, Java 17).

    from callstatus.spark import normalize
    records = normalize(spark.read.text("calls/*.ndjson").withColumnRenamed("value", "raw"), "twilio")
    records.where("error IS NULL").drop("error").write.parquet("normalized/")
"""

from __future__ import annotations

import functools
import importlib
import uuid
from collections.abc import Iterator
from typing import Any

from . import sqlplan
from .canonical import COLUMNS, to_row
from .errors import Error, UsageError
from .normalize import normalize_row
from .registry import default_registry
from .sqlplan import SPARK, SqlPlan, careful_select, column_types, compile_select, outcome_columns, outcome_table

__all__ = ["normalize"]

_OUTCOMES = ", ".join(f"{name} {kind}" for name, kind in outcome_columns(SPARK))
_SCHEMA = ", ".join(f"{column.name} {kind}" for column, kind in zip(COLUMNS, column_types(SPARK), strict=True))
_SCHEMA += ", error STRING"


def _needs(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"Spark normalisation needs {module!r}: pip install 'callstatus[spark]'") from None


def normalize(df: Any, vendor: str | None = None, *, column: str | None = None) -> Any:
    """A DataFrame in the export layout, one row per input row, plus ``error``: NULL, or why ``normalize()``
    refused the row (then only ``raw`` is set).

    ``df`` holds each record's JSON text (``column``, or its only string column), or parsed columns (each row is
    read as the JSON object of its columns). ``vendor=None`` detects each row's vendor. One pass over ``df`` finds
    its sets of top-level keys (cache ``df`` if it is costly to compute); rows sharing a frequent one get a select
    compiled for them, much lighter. The result is lazy, like any DataFrame. Blank rows are dropped.
    """
    functions = _needs("pyspark.sql.functions")
    names = [field.name for field in df.schema.fields]
    strings = [field.name for field in df.schema.fields if field.dataType.typeName() == "string"]
    if column is not None and column not in names:
        raise UsageError(f"the DataFrame has no column {column!r} (it has {', '.join(names)})")
    if column is None and len(names) == 1 and strings:
        column = strings[0]
    raw = functions.col(column) if column else functions.to_json(functions.struct(*[functions.col(n) for n in names]))
    registry = default_registry()
    adapters = [registry.get(vendor)] if vendor is not None else [registry.get(name) for name in registry.vendors()]
    session = df.sparkSession
    tag = uuid.uuid4().hex
    outcomes = f"callstatus_outcomes_{tag}"
    keys = functions.json_object_keys(raw)
    source = df.select(
        functions.monotonically_increasing_id().alias("pos"),
        raw.alias("raw"),
        keys.alias("keys"),
        functions.when(keys.isNotNull(), functions.xxhash64(keys)).alias("keyed"),
    )
    session.createDataFrame(outcome_table(adapters), _OUTCOMES).createOrReplaceTempView(outcomes)
    parts = []
    try:
        for number, (where, known, careful) in enumerate(_groups(functions, source, adapters)):
            name = f"callstatus_{tag}_{number}_"
            source.where(where).select("pos", "raw").createOrReplaceTempView(name + "src")
            plan = careful_select(SPARK, source=name + "src", prefix=name) if careful else compile_select(
                adapters, detect=vendor is None, dialect=SPARK, source=name + "src", outcomes=outcomes, prefix=name,
                keys=known,
            )  # fmt: skip
            parts.append(_run(session, plan, name + "src"))
    finally:
        session.catalog.dropTempView(outcomes)
    selected = functools.reduce(lambda one, other: one.unionByName(other), parts)
    kept = selected.where("NOT careful OR raw IS NULL OR trim(raw) <> ''")  # a blank row is no record; NULL, refused
    return kept.select(*(column.name for column in COLUMNS), "careful").mapInArrow(_careful(vendor), _SCHEMA)


def _groups(functions: Any, source: Any, adapters: list[Any]) -> list[tuple[str, frozenset[str] | None, bool]]:
    """(which rows of ``source``, the keys their select is compiled for or None, whether all are careful): one per
    group of key sets (``sqlplan.key_groups``), one for the rows no table fits or that are no JSON object, one for
    every other row. Finding them is one pass over the input."""
    if not sqlplan.KEYED[1]:
        return [("true", None, False)]
    counts = (
        source.where("keyed IS NOT NULL")
        .groupBy("keyed")
        .agg(functions.count("*").alias("n"), functions.first("keys").alias("keys"))
    )
    found = counts.orderBy(functions.desc("n"), "keyed").limit(sqlplan.KEY_SETS + 1).collect()
    sets = [(row["keyed"], row["n"], row["keys"]) for row in found[: sqlplan.KEY_SETS]]
    groups, careful = sqlplan.key_groups(adapters, sets)
    selects: list[tuple[str, frozenset[str] | None, bool]] = [
        (f"keyed IN ({sqlplan.in_list(hashes)})", keys, False) for hashes, keys in groups
    ]
    selects.append((f"keyed IS NULL OR keyed IN ({sqlplan.in_list(careful)})", None, True))
    covered = {keyed for hashes, _ in groups for keyed in hashes} | set(careful)
    if any(row["keyed"] not in covered for row in found):
        selects.append((sqlplan.outside(sorted(covered)), None, False))
    return selects


def _run(session: Any, plan: SqlPlan, source: str) -> Any:
    """The DataFrame of ``plan``'s select, each step a view analysed alone (fast), the views dropped after."""
    views = [source]
    try:
        for name, select in plan.stages:
            selected = session.sql(select)
            selected.createOrReplaceTempView(name)
            views.append(name)
    finally:  # the analysed plan holds what the views stood for
        for view in views:
            session.catalog.dropTempView(view)
    return selected


def _careful(vendor: str | None) -> Any:
    """The executors' side, over Arrow batches of the select's rows: the rows SQL decided pass as they are, the
    careful ones go through ``normalize()`` (a row holding a list of records gives a row for each), a refusal kept
    as the row's error beside the refused payload's JSON. One pass: the select runs once."""
    names = [column.name for column in COLUMNS]

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        for batch in batches:
            careful = batch.column("careful")
            decided = batch.filter(pc.invert(careful)).select(names)
            yield decided.append_column("error", pa.nulls(decided.num_rows, pa.string()))
            late = batch.filter(careful).column("raw").to_pylist()
            if late:
                rows = []
                for raw in late:
                    for _, text, result in normalize_row(raw, vendor):
                        if isinstance(result, Error):
                            rows.append(
                                {name: text if name == "raw" else None for name in names} | {"error": str(result)}
                            )
                        else:
                            rows.append({**to_row(result), "error": None})
                schema = decided.schema.append(pa.field("error", pa.string()))
                yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return run
