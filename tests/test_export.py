"""Export (CSV, NDJSON, Parquet in one flat layout) and canonical records read back by normalize and the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, CallTracker, NormalizationError, UsageError
from callstatus.canonical import COLUMNS, from_row, to_row
from callstatus.export import write
from callstatus.testing import call_records

ROOT = Path(__file__).resolve().parents[1]
ROW_SCHEMA = json.loads((ROOT / "schemas" / "export-row.schema.json").read_text(encoding="utf-8"))
NAMES = [column.name for column in COLUMNS]


def test_the_layout_is_the_record_field_for_field() -> None:
    assert list(CallRecord.model_fields) == NAMES
    kinds = {column.name: column.kind for column in COLUMNS}
    assert (kinds["raw"], kinds["analysis"], kinds["started_at"], kinds["attempt"]) == (
        "json",
        "json",
        "timestamp",
        "integer",
    )
    assert (kinds["duration_seconds"], kinds["vendor_may_retry"], kinds["status"]) == ("number", "boolean", "string")
    status = next(column for column in COLUMNS if column.name == "status")
    assert status.values is not None and set(status.values) == {member.value for member in callstatus.CallStatus}
    assert ROW_SCHEMA["required"] == NAMES


@given(call_records())
def test_a_flat_row_reads_back_as_the_record(record: CallRecord) -> None:
    row = to_row(record)
    assert list(row) == NAMES
    assert isinstance(row["raw"], str) and not any(hasattr(value, "value") for value in row.values())
    assert from_row(row) == record
    line = orjson.loads(orjson.dumps(row, option=orjson.OPT_UTC_Z))
    jsonschema.validate(line, ROW_SCHEMA)
    assert callstatus.normalize(orjson.dumps(line)) == record


@settings(max_examples=25)
@given(st.lists(call_records(), max_size=12))
def test_every_format_holds_every_record(records: list[CallRecord]) -> None:
    ndjson, text, parquet = io.BytesIO(), io.BytesIO(), io.BytesIO()
    assert write(records, ndjson, "ndjson") == len(records)
    assert list(callstatus.normalize_many(ndjson.getvalue())) == records if records else ndjson.getvalue() == b""
    assert write(records, text, "csv") == len(records)
    rows = list(csv.DictReader(io.StringIO(text.getvalue().decode("utf-8"))))
    assert [(row["vendor"], row["call_id"], row["status"]) for row in rows] == [
        (record.vendor, record.call_id, record.status.value) for record in records
    ]
    assert [json.loads(row["raw"]) for row in rows] == [record.raw for record in records]
    assert write(records, parquet, "parquet") == len(records)
    table = pq.read_table(io.BytesIO(parquet.getvalue()))
    assert table.column_names == NAMES
    read = [from_row({**row, **_naive_to_utc(row)}) for row in table.to_pylist()]
    assert read == records


def _naive_to_utc(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if isinstance(value, datetime)}


def test_parquet_columns_have_real_types(tmp_path: Path) -> None:
    record = callstatus.normalize(
        {"id": "c1", "status": "completed", "duration": 95, "initiated_at": "2025-05-02T10:21:15Z"}, "dialnexa"
    )
    path = tmp_path / "calls.parquet"
    assert write([record], path) == 1
    schema = pq.read_schema(path)
    assert schema.field("started_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("duration_seconds").type == pa.float64()
    assert schema.field("attempt").type == pa.int64()
    assert schema.field("vendor_may_retry").type == pa.bool_()
    assert schema.field("raw").metadata[b"format"] == b"json"
    row = pq.read_table(path).to_pylist()[0]
    assert row["started_at"] == datetime(2025, 5, 2, 10, 21, 15, tzinfo=UTC)
    assert row["status"] == "completed" and json.loads(row["raw"])["id"] == "c1"


def test_csv_writes_utc_text_and_json_text(tmp_path: Path) -> None:
    record = callstatus.normalize(
        {"id": "c1", "status": "completed", "duration": 95, "initiated_at": "2025-05-02T12:21:15+02:00"}, "dialnexa"
    )
    path = tmp_path / "calls.csv"
    write([record], path)
    with path.open(encoding="utf-8", newline="") as stream:
        row = next(csv.DictReader(stream))
    assert row["started_at"] == "2025-05-02T10:21:15Z"
    assert row["duration_seconds"] == "95.0" and row["end_reason"] == "normal_clearing" and row["attempt"] == ""
    assert json.loads(row["raw"])["initiated_at"] == "2025-05-02T12:21:15+02:00"


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> Any:
        yield callstatus.normalize({"id": "c1", "status": "completed"}, "dialnexa")
        raise RuntimeError("the store went away")

    path = tmp_path / "calls.ndjson"
    path.write_text("the previous export\n")
    for name in ("calls.ndjson", "calls.parquet"):
        with pytest.raises(RuntimeError):
            write(broken(), tmp_path / name)
    assert path.read_text() == "the previous export\n"
    assert sorted(item.name for item in tmp_path.iterdir()) == ["calls.ndjson"]


def test_the_format_comes_from_the_suffix_or_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="format"):
        write([], tmp_path / "calls.txt")
    with pytest.raises(UsageError, match="xlsx"):
        write([], tmp_path / "calls.csv", "xlsx")  # type: ignore[arg-type]
    assert write([], tmp_path / "calls.jsonl") == 0


# --- canonical records as input ------------------------------------------------------------------------------


def test_a_canonical_record_never_passes_through_a_vendor_table() -> None:
    record = CallRecord(vendor="dialnexa", call_id="c9", status="no_answer", raw_status="retries_exhausted", raw={})
    text = record.model_dump_json()
    assert callstatus.normalize(text) == record
    assert callstatus.normalize(text.encode(), "dialnexa") == record
    assert callstatus.normalize(json.loads(text), "dialnexa", strict=True) == record
    assert list(callstatus.normalize_many([text, to_row(record)], "dialnexa")) == [record, record]
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize(text, "atoms")
    assert (info.value.vendor, info.value.path, info.value.value) == ("atoms", "vendor", "dialnexa")


def test_a_broken_canonical_record_names_the_field() -> None:
    row = to_row(CallRecord(vendor="dialnexa", call_id="c9", status="completed", raw={}))
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize({**row, "status": "finished"})
    assert (info.value.vendor, info.value.path) == ("dialnexa", "status")
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize({**row, "raw": "{not json"})
    assert info.value.path == "raw"


def _cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "callstatus", *args], input=stdin, capture_output=True, timeout=120, env=env
    )


@settings(max_examples=5, deadline=None)
@given(st.lists(call_records(), min_size=1, max_size=5))
def test_normalize_reads_fetched_ndjson_back_exactly(records: list[CallRecord]) -> None:
    fetched = b"".join(record.model_dump_json().encode() + b"\n" for record in records)
    done = _cli("normalize", "-", stdin=fetched)
    assert done.returncode == 0, done.stderr
    assert done.stdout == fetched


def _seeded(tracker: CallTracker) -> list[CallRecord]:
    records = [
        callstatus.normalize(
            {
                "id": f"c{i}",
                "status": status,
                "category_id": f"b{i % 2}",
                "initiated_at": f"2025-05-0{i + 1}T10:00:00Z",
            },
            "dialnexa",
        )
        for i, status in enumerate(["completed", "busy", "in_progress", "completed"])
    ]
    tracker.observe_many(records)
    return records


def test_callstatus_export_applies_the_query_filters(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    with CallTracker(db) as tracker:
        records = _seeded(tracker)
    out = tmp_path / "done.ndjson"
    done = _cli(
        "export", "--db", str(db), "-o", str(out), "--terminal", "--since", "2025-05-02", "--status", "busy,completed"
    )
    assert done.returncode == 0, done.stderr
    assert list(callstatus.normalize_many(out)) == [records[1], records[3]]
    every = _cli("export", "--db", str(db), "-o", "-", "--campaign-id", "b0")
    assert [row["call_id"] for row in map(json.loads, every.stdout.splitlines())] == ["c0", "c2"]
    missing = _cli("export", "--db", str(tmp_path / "nope.db"), "-o", str(out))
    assert missing.returncode == 2 and b"no tracker database" in missing.stderr


def test_callstatus_export_reads_postgres_from_the_environment(postgres_url: str, tmp_path: Path) -> None:
    with CallTracker(postgres_url) as tracker:
        records = _seeded(tracker)
    out = tmp_path / "calls.parquet"
    env = {**os.environ, "CALLSTATUS_DATABASE_URL": postgres_url}
    done = _cli("export", "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert pq.read_table(out).column("call_id").to_pylist() == [record.call_id for record in records]
    password = postgres_url.split("//", 1)[1].split("@", 1)[0].partition(":")[2]
    assert not password or password.encode() not in done.stderr
