"""Call histories normalised on Spark: the vendor tables compiled to Spark SQL (``sqlplan``, the same plan as the
DuckDB path), the rows SQL cannot decide exactly handed to ``normalize()`` on the executors. Needs the ``spark``
extra (pyspark 4, Java 17).

    from callstatus.spark import normalize
    records = normalize(spark.read.text("calls/*.ndjson").withColumnRenamed("value", "raw"), "twilio")
    records.where("error IS NULL").drop("error").write.parquet("normalized/")
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

from .canonical import COLUMNS, to_row
from .errors import Error, UsageError
from .normalize import normalize as normalize_record
from .registry import default_registry
from .sqlplan import SPARK, compile_select

__all__ = ["normalize"]

_OUTCOMES = (
    "vendor string, sv int, s string, rv int, r string, c int, o_status string, o_reason string, o_ended_by string, "
    "o_answered_by string, o_retry boolean, o_over boolean, needs boolean, key string"
)
_TYPES = {"timestamp": "timestamp", "integer": "bigint", "number": "double", "boolean": "boolean"}
_SCHEMA = ", ".join(f"{column.name} {_TYPES.get(column.kind, 'string')}" for column in COLUMNS) + ", error string"


def _needs(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"Spark normalisation needs {module!r}: pip install 'callstatus[spark]'") from None


def normalize(df: Any, vendor: str | None = None, *, column: str | None = None) -> Any:
    """A DataFrame in the export layout, one row per input row, plus ``error``: NULL, or why ``normalize()``
    refused the row (then only ``raw`` is set).

    ``df`` holds each record's JSON text (``column``, or its only string column), or parsed columns (each row is
    read as the JSON object of its columns). ``vendor=None`` detects each row's vendor. Lazy, like any DataFrame:
    nothing runs until an action. Blank rows are dropped.
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
    source, outcomes = f"callstatus_src_{tag}", f"callstatus_outcomes_{tag}"
    plan = compile_select(
        adapters, detect=vendor is None, dialect=SPARK, source=source, outcomes=outcomes, prefix=f"callstatus_{tag}_"
    )
    df.select(functions.monotonically_increasing_id().alias("pos"), raw.alias("raw")).createOrReplaceTempView(source)
    session.createDataFrame(plan.outcomes, _OUTCOMES).createOrReplaceTempView(outcomes)
    views = [source, outcomes]
    try:
        for name, select in plan.stages:  # a view a step: each analysed alone, fast
            selected = session.sql(select)
            selected.createOrReplaceTempView(name)
            views.append(name)
    finally:  # the analysed plan holds what the views stood for
        for view in views:
            session.catalog.dropTempView(view)
    decided = selected.where("NOT careful").selectExpr(
        *(column.name for column in COLUMNS), "CAST(NULL AS STRING) AS error"
    )
    careful = functions.udf(_careful(vendor), _SCHEMA, useArrow=False)
    late = selected.where("careful AND trim(raw) <> ''").select(careful("raw").alias("row")).select("row.*")
    return decided.unionByName(late)


def _careful(vendor: str | None) -> Any:
    """The executors' side: ``normalize()`` on one row, a refusal kept as the row's error."""
    names = [column.name for column in COLUMNS]

    def run(raw: str) -> tuple[Any, ...]:
        try:
            row = to_row(normalize_record(raw.encode(), vendor))
        except Error as exc:
            return (*(raw if name == "raw" else None for name in names), str(exc))
        return (*(row[name] for name in names), None)

    return run
