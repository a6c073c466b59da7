"""The DuckDB report gives the Python report's figures: on any records in export-layout Parquet (several
observations of a call folded with merge), on generated payloads of every vendor with broken rows, and through
``callstatus report --engine duckdb``."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import attrs
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, bulkreport
from callstatus.bulk import normalize_file
from callstatus.bulkreport import summarize_files
from callstatus.canonical import from_row
from callstatus.cli import main
from callstatus.errors import UsageError
from callstatus.export import write
from callstatus.report import Report, summarize
from callstatus.testing import call_records, payloads

SLOW = settings(deadline=None, max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
few_calls = st.builds(
    lambda record, vendor, call_id, agent: record.model_copy(
        update={"vendor": vendor, "call_id": call_id, "agent_id": agent}
    ),
    call_records(),
    st.sampled_from(["dialnexa", "acme"]),
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from([None, "agt_1", "agt_2"]),
)


def _same(got: Report, expected: Report) -> None:
    """The two reports hold the same figures; percentiles to the last bit or two (DuckDB interpolates them in
    extended precision, Python in doubles)."""

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, float) and isinstance(b, float):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), where
        elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
            assert len(a) == len(b), where
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{index}]")
        elif isinstance(a, dict) and isinstance(b, dict):
            assert a.keys() == b.keys(), where
            for key in a:
                walk(a[key], b[key], f"{where}.{key}")
        else:
            assert a == b, where

    walk(attrs.asdict(got), attrs.asdict(expected), "report")


def _exported(records: list[CallRecord]) -> list[CallRecord]:
    """The records as an export row gives them back (what the Python report reads from the same Parquet)."""
    return [from_row(row) for row in (record.model_dump(mode="json") for record in records)]


@SLOW
@given(records=st.lists(few_calls, min_size=1, max_size=14), copies=st.integers(1, 3), top=st.integers(1, 4))
def test_records_in_export_parquet_give_the_python_reports_figures(
    tmp_path: Path, records: list[CallRecord], copies: int, top: int
) -> None:
    observations = [*records * copies, *records[::2]]  # the same observation again, and calls seen several times
    source = tmp_path / "calls.parquet"
    write(observations, source)
    saved = bulkreport._PAGE
    bulkreport._PAGE = 2  # calls are folded and rows fetched in pages: several pages here
    try:
        got = summarize_files([source], top=top)
    finally:
        bulkreport._PAGE = saved
    expected = summarize(_exported(observations), top=top, sources=[str(source)])
    _same(got, expected)


@SLOW
@given(data=st.data(), vendors=st.lists(st.sampled_from(callstatus.vendors()), min_size=1, max_size=3, unique=True))
def test_payload_exports_give_the_python_reports_figures(
    tmp_path: Path, data: st.DataObject, vendors: list[str]
) -> None:
    items = data.draw(st.lists(st.sampled_from(vendors).flatmap(payloads), min_size=1, max_size=20))
    items += data.draw(st.lists(st.sampled_from(items), max_size=5))  # a call observed again
    lines = [orjson.dumps(item) for item in items] + [b"{broken json", b"7"]
    cut = data.draw(st.integers(0, len(lines)))  # two files, one bulk run: a call's observations may straddle them
    sources = [tmp_path / "calls.ndjson", tmp_path / "more.ndjson"]
    for source, part in zip(sources, (lines[:cut], lines[cut:]), strict=True):
        source.write_bytes(b"".join(line + b"\n" for line in part))
    vendor = vendors[0] if len(vendors) == 1 else None
    refused: list[str] = []
    got = summarize_files(sources, vendor, on_reject=refused.append)
    results = list(callstatus.normalize_each(b"\n".join(lines), vendor))
    records = [result for result in results if isinstance(result, CallRecord)]
    expected = summarize(records, rejected=len(results) - len(records), sources=[str(name) for name in sources])
    _same(got, expected)
    broken = [(sources[0], at) if at < cut else (sources[1], at - cut) for at in range(len(items), len(lines))]
    assert [message.split(": ")[:2] for message in refused] == [[str(name), f"record {at}"] for name, at in broken]


@SLOW
@given(
    data=st.data(),
    partitions=st.lists(st.sampled_from(["vendor", "status", "agent_id", "year", "day"]), min_size=1, unique=True),
)
def test_a_partitioned_bulk_output_gives_the_figures_of_its_payloads(
    tmp_path: Path, data: st.DataObject, partitions: list[str]
) -> None:
    items = data.draw(st.lists(st.sampled_from(callstatus.vendors()).flatmap(payloads), min_size=1, max_size=20))
    items += data.draw(st.lists(st.sampled_from(items), max_size=5))  # a call observed again
    run = Path(tempfile.mkdtemp(dir=tmp_path))
    source = run / "calls.ndjson"
    source.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    written = normalize_file(source, out=run / "lake", partition_by=partitions)
    expected = summarize_files([source])
    assert written.rejected == expected.rejected  # refused payloads went to the reject file, not the lake
    _same(summarize_files([run / "lake"]), attrs.evolve(expected, sources=(str(run / "lake"),), rejected=0))


def test_a_directory_is_read_only_as_partitioned_export_layout_parquet(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no partitioned Parquet output"):
        summarize_files([tmp_path / "empty"])
    (tmp_path / "other" / "vendor=x").mkdir(parents=True)
    pq.write_table(pa.table({"status": ["completed"]}), tmp_path / "other" / "vendor=x" / "data_0.parquet")
    with pytest.raises(UsageError, match="not in the export layout"):
        summarize_files([tmp_path / "other"])
    calls = [CallRecord(vendor="dialnexa", call_id=name, status="completed", raw={}) for name in ("c1", "c2")]
    file = tmp_path / "lake" / "vendor=dialnexa" / "data_0.parquet"
    file.parent.mkdir(parents=True)
    write(calls, file)
    table = pq.read_table(file).drop_columns(["vendor"])  # in the path only, as bulk writes it
    status = table.schema.get_field_index("status")
    pq.write_table(table.set_column(status, table.schema.field(status), pa.array(["completed", "teleported"])), file)
    refused: list[str] = []
    report = summarize_files([tmp_path / "lake"], on_reject=refused.append)
    assert (report.records, report.rejected, [row.key for row in report.vendor]) == (1, 1, ["dialnexa"])
    assert [message.split(": ")[:2] for message in refused] == [[str(file), "row 1"]]


def test_export_rows_of_another_vendor_or_outside_the_vocabulary_are_refused(tmp_path: Path) -> None:
    calls = [
        CallRecord(vendor="dialnexa", call_id="c1", status="completed", duration_seconds=10, raw={}),
        CallRecord(vendor="dialnexa", call_id="c2", status="busy", end_reason="busy", raw={}),
        CallRecord(vendor="twilio", call_id="c3", status="failed", raw={}),
    ]
    source = tmp_path / "calls.parquet"
    write(calls, source)
    table = pq.read_table(source)
    status = table.schema.get_field_index("status")
    odd = table.slice(0, 1).set_column(status, table.schema.field(status), pa.array(["teleported"]))
    pq.write_table(pa.concat_tables([table, odd]), source)
    refused: list[str] = []
    report = summarize_files([source], "dialnexa", on_reject=refused.append)
    assert (report.records, report.calls, report.rejected) == (2, 2, 2)
    assert [message.split(":")[1] for message in refused] == [" row 2", " row 3"]
    everything = summarize_files([source])
    assert (everything.records, everything.rejected, [row.key for row in everything.vendor]) == (
        3,
        1,
        ["dialnexa", "twilio"],
    )


def test_nothing_to_count_is_an_empty_report(tmp_path: Path) -> None:
    source = tmp_path / "empty.ndjson"
    source.write_bytes(b"\n{broken\n")
    report = summarize_files([source])
    assert (report.records, report.calls, report.rejected, report.vendor) == (0, 0, 1, ())
    assert report.total.median_seconds is None and report.total.rate("reached_person") is None
    with pytest.raises(UsageError, match="no such file"):
        summarize_files([tmp_path / "missing.ndjson"])
    with pytest.raises(UsageError, match="top must be at least 1"):
        summarize_files([source], top=0)


def test_the_command_prints_what_the_python_engine_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    examples = sorted((Path(__file__).resolve().parents[1] / "examples" / "payloads").glob("*.ndjson"))
    source = tmp_path / "all.ndjson"
    source.write_bytes(b"".join(path.read_bytes() for path in examples) + b"{broken\n")
    printed = {}
    for engine, limit in (("python", []), ("duckdb", ["--memory-limit", "256MB"])):
        assert main(["report", "--engine", engine, *limit, str(source)]) == 1  # one record failed
        out, err = capsys.readouterr()
        printed[engine] = out
        assert "record " in err
    assert printed["duckdb"] == printed["python"] and "all calls" in printed["python"]
    lake = tmp_path / "lake"
    assert main(["normalize", "--engine", "duckdb", str(source), "-o", str(lake), "--partition-by", "vendor"]) == 1
    capsys.readouterr()
    assert main(["report", "--engine", "duckdb", str(lake)]) == 0  # the broken record stayed in the reject file
    expected = (
        printed["python"].replace(str(source), str(lake)).replace(" 1 failed to normalise", " 0 failed to normalise")
    )
    assert capsys.readouterr().out == expected
    assert main(["report", str(lake)]) == 2
    assert "--engine duckdb reads partitioned" in capsys.readouterr().err
    assert main(["report", "--engine", "duckdb", "--db", str(tmp_path / "t.db")]) == 2
    assert "not a tracker" in capsys.readouterr().err
    assert main(["report", "--memory-limit", "1GB", str(source)]) == 2
    assert "goes with --engine duckdb" in capsys.readouterr().err
