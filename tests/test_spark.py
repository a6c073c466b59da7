"""The Spark path (``callstatus.spark``) against ``normalize()`` on documented payloads, in Spark's local mode."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_cases import comparable, expected_rows, nested_twice, other_numbers, unknown_statuses

import callstatus
from callstatus import sqlplan
from callstatus.testing import payloads

pyspark = pytest.importorskip("pyspark", reason="the Spark path needs pyspark (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (java on PATH)", allow_module_level=True)

FIXTURES = Path(__file__).parent / "fixtures"
VENDORS = callstatus.vendors()
# each example is one DataFrame (one Spark job of many rows): few examples, many rows each
BATCHES = settings(deadline=None, max_examples=2, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("callstatus-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "America/New_York")  # the path must not depend on it
        .config("spark.sql.codegen.wholeStage", "false")  # the select is wide: compiling it costs more than it saves
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    from callstatus.spark import normalize

    # a first run outside any test: pyspark raises the recursion limit once when it first pickles a function
    normalize(session.createDataFrame([("{broken",)], "raw string"), "dialnexa").collect()
    yield session
    session.stop()


def _expected(texts: list[str], vendor: str | None) -> tuple[list[str], int]:
    """normalize_many's records of the texts, each one an NDJSON line (blank ones skipped), and how many it refused."""
    rows = [row for text in texts if text.strip() for row in expected_rows(text.encode(), vendor)]
    return sorted(json.dumps(row, sort_keys=True) for row in rows if row is not None), rows.count(None)


def _check(
    spark: Any, texts: list[str], vendor: str | None, keyed: tuple[int, int] | None = None, sets: int | None = None
) -> None:
    """The Spark path over one DataFrame of ``texts`` gives ``normalize()``'s record for every row it accepts, and
    an error for every row it refuses. ``keyed``, ``sets``: ``sqlplan.KEYED`` and ``KEY_SETS`` for the run (which
    key sets get a select, and how many are looked at: the rest take the full select)."""
    from callstatus.spark import normalize

    frame = spark.createDataFrame([(text,) for text in texts], "raw string")
    saved = sqlplan.KEYED, sqlplan.KEY_SETS
    sqlplan.KEYED = keyed or saved[0]
    sqlplan.KEY_SETS = saved[1] if sets is None else sets
    try:
        result = normalize(frame, vendor).toArrow().to_pylist()
    finally:
        sqlplan.KEYED, sqlplan.KEY_SETS = saved
    got = sorted(
        json.dumps(comparable({k: v for k, v in row.items() if k != "error"}), sort_keys=True)
        for row in result
        if not row["error"]
    )
    records, refusals = _expected(texts, vendor)
    assert got == records
    assert sum(1 for row in result if row["error"]) == refusals


def _texts(items: list[Any]) -> list[str]:
    return [orjson.dumps(item).decode() for item in items]


@pytest.mark.parametrize("vendor", VENDORS)
@BATCHES
@given(batch=st.data())
def test_the_spark_path_gives_normalizes_record_for_every_row(spark: Any, vendor: str, batch: st.DataObject) -> None:
    items = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=40))
    unknown_statuses(items[::3], vendor, batch)  # a third of the rows carry a status the table does not know
    other_numbers(items[1::3], vendor, batch)  # and another third numbers not written in E.164 (normalize() reads)
    _check(spark, _texts(items), vendor, keyed=batch.draw(st.sampled_from([None, (1, 0), (2, 1)])))


@BATCHES
@given(batch=st.data())
def test_detection_per_row_on_spark_matches_normalize_on_mixed_vendors(spark: Any, batch: st.DataObject) -> None:
    items = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=60))
    _check(spark, _texts(items), None, keyed=batch.draw(st.sampled_from([None, (1, 0)])))


@BATCHES
@given(batch=st.data())
def test_frequent_key_sets_on_spark_get_their_own_select(spark: Any, batch: st.DataObject) -> None:
    common = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=2, max_size=2))
    others = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), max_size=20))
    texts = _texts(common * 3 + others + [[1, 2], 7, {**common[0], "status": "a status no table has"}])
    sets = batch.draw(st.sampled_from([None, 1, 0]))  # 1, 0: the other key sets take the full select
    _check(spark, [*texts, "{broken json", "  "], None, keyed=(2, 64), sets=sets)


def test_every_documented_payload_named_and_detected_with_broken_rows(spark: Any) -> None:
    everything = []
    for vendor in VENDORS:
        texts = [
            json.dumps(json.loads(path.read_text(encoding="utf-8"))["payload"])
            for path in sorted((FIXTURES / vendor).glob("*.json"))
        ]
        _check(spark, [*texts, "{broken json", "  "], vendor)
        everything += texts
    _check(spark, everything, None)


def test_parsed_columns_are_read_as_the_json_object_of_each_row(spark: Any) -> None:
    from callstatus.spark import normalize

    rows = [("c1", "completed", 12), ("c2", "no-answer", None)]
    frame = spark.createDataFrame(rows, "CallSid string, CallStatus string, CallDuration int")
    result = normalize(frame, "twilio").toArrow().to_pylist()
    assert sorted((row["call_id"], row["status"]) for row in result) == [("c1", "completed"), ("c2", "no_answer")]


def test_a_null_json_value_is_a_refused_row_not_a_lost_one(spark: Any) -> None:
    from callstatus.spark import normalize

    nexa = json.dumps(json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"])
    frame = spark.createDataFrame([(nexa,), (None,), ("  ",)], "raw string")
    result = normalize(frame, "dialnexa").toArrow().to_pylist()
    assert sorted((row["raw"] is None, row["error"] is not None) for row in result) == [(False, False), (True, True)]
    assert "NULL" in next(row["error"] for row in result if row["error"])


def test_a_key_given_twice_inside_a_nested_object_reads_as_normalize_reads_it(spark: Any) -> None:
    texts = [text.decode() for text in nested_twice()]
    for vendor in ("dialnexa", None):
        _check(spark, texts, vendor)
