"""The Spark path (``callstatus.spark``) against ``normalize()`` on documented payloads, in Spark's local mode."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import callstatus
from callstatus import Error
from callstatus.canonical import to_row

pyspark = pytest.importorskip("pyspark", reason="the Spark path needs pyspark (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (java on PATH)", allow_module_level=True)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("callstatus-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "America/New_York")  # the path must not depend on it
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _comparable(row: dict[str, Any]) -> str:
    out = {}
    for key, value in row.items():
        if key in ("raw", "analysis") and isinstance(value, str):
            value = json.loads(value)
        elif isinstance(value, datetime):
            value = value.isoformat().replace("+00:00", "Z")
        out[key] = value
    return json.dumps(out, sort_keys=True)


def _expected(payloads: list[str], vendor: str | None) -> list[str]:
    out = []
    for payload in payloads:
        try:
            out.append(_comparable(to_row(callstatus.normalize(payload.encode(), vendor))))
        except Error:
            continue
    return sorted(out)


@pytest.mark.parametrize("vendor", ["dialnexa", "twilio"])
def test_the_spark_path_gives_normalizes_records_for_documented_payloads(spark: Any, vendor: str) -> None:
    from callstatus.spark import normalize

    payloads = [
        json.dumps(json.loads(path.read_text(encoding="utf-8"))["payload"])
        for path in sorted((FIXTURES / vendor).glob("*.json"))
    ]
    frame = spark.createDataFrame([(text,) for text in [*payloads, "{broken json", "  "]], "raw string")
    result = normalize(frame, vendor).toArrow().to_pylist()
    errors = [row for row in result if row["error"] is not None]
    assert [row["raw"] for row in errors] == ["{broken json"]
    assert "dialnexa" in errors[0]["error"] or vendor in errors[0]["error"]
    got = sorted(_comparable({k: v for k, v in row.items() if k != "error"}) for row in result if not row["error"])
    assert got == _expected(payloads, vendor)


def test_parsed_columns_are_read_as_the_json_object_of_each_row(spark: Any) -> None:
    from callstatus.spark import normalize

    rows = [("c1", "completed", 12), ("c2", "no-answer", None)]
    frame = spark.createDataFrame(rows, "CallSid string, CallStatus string, CallDuration int")
    result = normalize(frame, "twilio").toArrow().to_pylist()
    assert sorted((row["call_id"], row["status"]) for row in result) == [("c1", "completed"), ("c2", "no_answer")]
