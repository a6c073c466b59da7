"""The DuckDB path gives, row for row, the record normalize() gives: generated payloads of every vendor, named and
detected, the documented fixtures, every input and output format; rows normalize() refuses go to the reject file."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import attrs
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_cases import (
    comparable,
    expected_row,
    expected_rows,
    other_codes,
    other_numbers,
    other_spellings,
    payload_of,
    restatus,
    same_calls,
    table,
    unknown_statuses,
)

import callstatus
from callstatus import Registry, bulk, export, sqlplan
from callstatus.bulk import BulkSummary, normalize_file, rows
from callstatus.canonical import to_row
from callstatus.report import fold
from callstatus.tables import compile_table, parse_table
from callstatus.testing import payloads

VENDORS = callstatus.vendors()
FIXTURES = Path(__file__).parent / "fixtures"
FULL = (1, 0)  # sqlplan.KEYED: no select apart
EACH = (1, 64)  # a select for each set of the keys the tables read
KEYED = st.sampled_from([None, FULL, EACH, (3, 64)])
SLOW = settings(deadline=None, max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _text(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)


def _write_ndjson(path: Path, items: Sequence[Any]) -> None:
    """Each item a line: its JSON, or itself where it is bytes."""
    text = b"".join((item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n" for item in items)
    path.write_bytes(gzip.compress(text) if path.suffix == ".gz" else text)


def _check(
    tmp: Path,
    items: Sequence[Any],
    vendor: str | None,
    name: str = "in.ndjson",
    keyed: tuple[int, int] | None = None,
    sets: int | None = None,
    cuts: Sequence[int] = (),
    registry: Registry | None = None,
    respell: bool = False,
) -> BulkSummary:
    """``keyed``: ``sqlplan.KEYED`` for the run, which key sets get a lighter select (``FULL``: none, every row
    through the full select; by default, in files this small, one select per set of tables the rows may fit).
    ``sets``: ``sqlplan.KEY_SETS``, how many of the most frequent key sets are looked at (the rest: the full one).
    ``cuts``: where ``items`` are split into files of their own (every other one gzipped), read in one run.
    ``registry``: the tables both paths read (the library's by default). ``respell``: the second round for careful
    rows, however few (``bulk.SECOND_ROUND``)."""
    bounds = [0, *cuts, len(items)]
    starts = {}
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        source = tmp / (f"{index}-{name}" + (".gz" if index % 2 else ""))
        _write_ndjson(source, items[start:end])
        starts[str(source)] = start
    out = tmp / "out.parquet"
    saved = sqlplan.KEYED, sqlplan.KEY_SETS, bulk.SECOND_ROUND
    sqlplan.KEYED = keyed or saved[0]
    sqlplan.KEY_SETS = saved[1] if sets is None else sets
    bulk.SECOND_ROUND = 0 if respell else saved[2]
    try:
        summary = normalize_file(list(starts) if cuts else source, vendor, out=out, position=True, registry=registry)
    finally:
        sqlplan.KEYED, sqlplan.KEY_SETS, bulk.SECOND_ROUND = saved
    got: dict[int, list[str]] = {}
    for row in rows(out):
        at = starts[row.pop("source")] + row.pop("position")
        got.setdefault(at, []).append(_text(comparable(row)))
    expected = [expected_rows(item, vendor, registry) for item in items]  # normalize_many's reading of each line
    assert summary.rows == sum(len(results) for results in expected)
    assert summary.rejected == sum(result is None for results in expected for result in results)
    assert summary.by_sql + summary.by_normalize == sum(len(found) for found in got.values())
    for index, results in enumerate(expected):
        assert sorted(got.get(index, [])) == sorted(_text(result) for result in results if result is not None), index
    rejected = [orjson.loads(line) for line in (tmp / "out.parquet.rejects.ndjson").read_bytes().splitlines()] if (
        summary.rejects
    ) else []  # fmt: skip
    where = sorted(starts[item["source"]] + item["position"] for item in rejected)
    assert where == [index for index, results in enumerate(expected) for result in results if result is None]
    assert summary.files == len(starts)
    return summary


@pytest.mark.parametrize("vendor", VENDORS)
@SLOW
@given(batch=st.data())
def test_the_duckdb_path_gives_normalizes_record_for_every_row(
    tmp_path: Path, vendor: str, batch: st.DataObject
) -> None:
    items = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=12))
    _check(tmp_path, items, vendor, keyed=batch.draw(KEYED))


@pytest.mark.parametrize("vendor", VENDORS)
@SLOW
@given(batch=st.data())
def test_unknown_values_take_the_careful_path_and_stay_raw(tmp_path: Path, vendor: str, batch: st.DataObject) -> None:
    items = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=6))
    unknown_statuses(items, vendor, batch)
    _check(tmp_path, items, vendor, keyed=batch.draw(KEYED), respell=batch.draw(st.booleans()))


@SLOW
@given(batch=st.data())
def test_detection_per_row_matches_normalize_on_mixed_vendors(tmp_path: Path, batch: st.DataObject) -> None:
    items = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=16))
    _check(tmp_path, items, None, keyed=batch.draw(KEYED))


@settings(SLOW, max_examples=20)
@given(batch=st.data())
def test_numbers_not_written_in_e164_read_as_normalize_reads_them(tmp_path: Path, batch: st.DataObject) -> None:
    """Without the '+', national (in the table's region), spaced, or no number at all: each row's record is
    normalize()'s, whichever path decides it."""
    vendor = batch.draw(st.sampled_from([None, *VENDORS]))
    named = st.sampled_from(VENDORS) if vendor is None else st.just(vendor)
    drawn = batch.draw(st.lists(named.flatmap(lambda name: st.tuples(st.just(name), payloads(name))), max_size=12))
    for name, item in drawn:
        other_numbers([item], name, batch)
    _check(tmp_path, [item for _, item in drawn] or [{}], vendor, keyed=batch.draw(KEYED))


@settings(SLOW, max_examples=20)
@given(batch=st.data())
def test_epoch_times_and_reason_codes_in_any_form_read_as_normalize_reads_them(
    tmp_path: Path, batch: st.DataObject
) -> None:
    """FreeSWITCH writes epoch seconds as strings, Plivo and Bolna reason codes as JSON integers: digits either way,
    other numbers and odd text give normalize()'s record, whichever path decides each row."""
    vendor = batch.draw(st.sampled_from(VENDORS))
    items = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=10))
    other_codes(items, vendor, batch)
    _check(tmp_path, items, batch.draw(st.sampled_from([vendor, None])), keyed=batch.draw(KEYED))


@settings(SLOW, max_examples=20)
@given(batch=st.data())
def test_values_in_other_spellings_read_as_normalize_reads_them(tmp_path: Path, batch: st.DataObject) -> None:
    """Atoms' webhooks write ``telephonyOutbound`` where its API writes ``telephony_outbound``; Vapi's reasons are
    read by patterns: any spelling the table reads, or text it does not, gives normalize()'s record."""
    vendor = batch.draw(st.sampled_from(VENDORS))
    items = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=10))
    other_spellings(items, vendor, batch)
    _check(tmp_path, items, batch.draw(st.sampled_from([vendor, None])), keyed=batch.draw(KEYED), respell=True)


def test_statuses_and_reasons_the_tables_read_but_do_not_list_are_decided_by_sql(tmp_path: Path) -> None:
    """A second round, from ``bulk.SECOND_ROUND`` careful rows: the outcome table learns the keys of such rows, and
    their selects read them again."""
    webhook = payload_of("dialnexa", "webhook_call_ended_completed")
    call = webhook["payload"]["call"]
    vapi = payload_of("vapi", "webhook_end_of_call_report")
    assert vapi["message"]["endedReason"] == "assistant-ended-call"
    items = [
        {**webhook, "payload": {"call": {**call, "status": "COMPLETED"}}},
        {**vapi, "message": {**vapi["message"], "endedReason": "pipeline-error-some-new-provider-failed"}},
        {**vapi, "message": {**vapi["message"], "endedReason": "no-such-reason"}},  # unknown: normalize() says so
    ]
    assert _check(tmp_path, items, None).by_normalize == 3  # too few careful rows for a second round
    summary = _check(tmp_path, items, None, respell=True)
    assert (summary.by_sql, summary.by_normalize) == (2, 1)


def test_epochs_too_large_for_microseconds_go_to_normalize_not_stop_the_run(tmp_path: Path) -> None:
    """An epoch past 9999 is no datetime in Python; in SQL, its microseconds would overflow 64 bits. Past 2^33
    seconds, Python's milliseconds divided by 1000.0 lose microseconds."""
    cdr = payload_of("freeswitch", "cdr_user_busy")
    retell = payload_of("retell", "get_call_ended_call_transfer")
    assert "start_timestamp" in retell
    huge = [10**13, "9223372036855", 10**19, "99999999999999999999", 99999999999999, "8589934592001", 8589934591999]
    items = [{**cdr, "variables": {**cdr["variables"], "start_epoch": value}} for value in huge]
    items += [{**retell, "start_timestamp": value} for value in huge]
    summary = _check(tmp_path, items, None)
    assert summary.by_sql + summary.by_normalize + summary.rejected == len(items)


def test_epoch_strings_reason_codes_spellings_and_a_shapes_status_keep_rows_on_the_sql_path(tmp_path: Path) -> None:
    """FreeSWITCH's CDRs (epoch seconds as strings), Plivo's CDRs (no status: the shape says ended; the reason a
    JSON integer), Bolna's webhooks (an integer hangup code) and Atoms' (a camelCase direction) are decided by the
    select."""
    names = [
        ("freeswitch", "cdr_user_busy"),
        ("plivo", "cdr_end_of_xml"),
        ("bolna", "webhook_failed_invalid_number_code"),
        ("atoms", "webhook_pre_conversation"),  # conversationType: telephonyOutbound
    ]
    items = [payload_of(vendor, name) for vendor, name in names]
    assert items[0]["variables"]["start_epoch"] == "1732960000" and isinstance(items[1]["hangup_cause_code"], int)
    summary = _check(tmp_path, items, None)
    assert (summary.by_sql, summary.by_normalize) == (4, 0)


def test_numbers_phonenumbers_reads_keep_their_rows_on_the_sql_path(tmp_path: Path) -> None:
    """DialNexa's webhooks write numbers without the '+', Bland's docs bare US digits: SQL reads them through the
    same ``convert.e164`` (in the table's region), so no row goes to normalize(); a number it cannot read sends its
    row there."""
    webhook = payload_of("dialnexa", "webhook_call_ended_completed")
    bland = dict(payload_of("bland", "call_details_completed"), to="2015550123")  # +20 without the US region
    assert webhook["payload"]["call"]["from_number"] == "12137771234"
    summary = _check(tmp_path, [webhook, bland], None)
    assert (summary.by_sql, summary.by_normalize) == (2, 0)
    assert sorted(row["to_number"] for row in rows(tmp_path / "out.parquet")) == ["+12015550123", "+12137771235"]
    unreadable = dict(bland, to="anonymous")  # no number: normalize() logs it (or raises, strict)
    summary = _check(tmp_path, [webhook, bland, unreadable], None)
    assert (summary.by_sql, summary.by_normalize) == (2, 1)


ZONES = ["Asia/Kolkata", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Sao_Paulo"]
"""Zones for Exotel's table: its own (no change since 1945), and zones whose clocks change (by an hour, by half an
hour, or no longer)."""


def _exotel_in(zone: str) -> Registry:
    text = table("exotel").read_text().replace('timezone = "Asia/Kolkata"', f"timezone = {zone!r}")
    return Registry({"exotel": compile_table(parse_table(text, "exotel.toml"), "exotel.toml")})


@settings(SLOW, max_examples=12)
@given(batch=st.data())
def test_naive_times_are_read_in_the_tables_zone_as_normalize_reads_them(tmp_path: Path, batch: st.DataObject) -> None:
    """Exotel writes local times without an offset: SQL reads them in the table's zone, as Python does, around
    each change of the clocks (a skipped or repeated hour included) and outside the years it reads them in."""
    zone = batch.draw(st.sampled_from(ZONES))
    registry = _exotel_in(zone)
    changes = [datetime(1970, 1, 1) + timedelta(microseconds=at) for at in sqlplan._local_offsets(ZoneInfo(zone))[0]]
    seconds = st.sampled_from([0, -1]) | st.integers(-7200, 7200)  # on a change, just before, within two hours
    near = st.tuples(st.sampled_from(changes), seconds).map(lambda a: a[0] + timedelta(seconds=a[1]))
    moments = near | st.datetimes(datetime(1960, 1, 1), datetime(2110, 1, 1))
    written = st.tuples(moments, st.sampled_from([" ", "T"]), st.sampled_from(["seconds", "milliseconds", "auto"]))
    texts = written.map(lambda a: a[0].isoformat(sep=a[1], timespec=a[2])) | st.sampled_from(["2024-01-01 10:00:00Z"])
    texts |= st.sampled_from(ODD_ISO)
    call = payload_of("exotel", "details_busy")["Call"]
    items = [
        {"Call": dict(call, Sid=f"c{i}", DateCreated=batch.draw(texts), StartTime=batch.draw(texts),
                      EndTime=batch.draw(texts))}
        for i in range(batch.draw(st.integers(1, 8)))
    ]  # fmt: skip
    _check(tmp_path, items, "exotel", registry=registry)


def test_exotels_local_times_keep_its_rows_on_the_sql_path(tmp_path: Path) -> None:
    """Exotel's documented rows give local times in India: the select reads them, none goes to normalize()."""
    items = [payload_of("exotel", name) for name in ("details_busy", "details_completed_outbound_api")]
    assert items[0]["Call"]["DateCreated"] == "2024-01-01 10:00:00"
    summary = _check(tmp_path, items, "exotel")
    assert (summary.by_sql, summary.by_normalize) == (2, 0)
    assert "2024-01-01 04:30:00+00:00" in {str(row["created_at"]) for row in rows(tmp_path / "out.parquet")}


@SLOW
@given(batch=st.data())
def test_several_files_are_read_in_one_run_and_each_row_keeps_its_file_and_place(
    tmp_path: Path, batch: st.DataObject
) -> None:
    items = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=16))
    items += batch.draw(st.lists(st.sampled_from([[1, 2], "text", {"nothing": "known"}]), max_size=3))
    items = batch.draw(st.permutations(items))
    cuts = sorted(batch.draw(st.lists(st.integers(0, len(items)), min_size=1, max_size=4)))  # empty files too
    _check(tmp_path, items, batch.draw(st.sampled_from([None, *VENDORS])), keyed=batch.draw(KEYED), cuts=cuts)


def _written(out: Path, kind: str) -> list[dict[str, Any]]:
    """The rows of an output file, or of a partitioned output directory with each file's partition values (read
    from its path) added, as the files hold them."""
    found = []
    for file in sorted(out.rglob("*.parquet" if kind == "parquet" else "*.json")) if out.is_dir() else [out]:
        parts = dict(part.split("=", 1) for part in file.relative_to(out).parts[:-1]) if out.is_dir() else {}
        values = {
            key: None if value == "__HIVE_DEFAULT_PARTITION__" else unquote(value) for key, value in parts.items()
        }
        lines = file.read_bytes().splitlines() if kind == "ndjson" else []
        found += [
            row | values for row in (pq.read_table(file).to_pylist() if kind == "parquet" else map(orjson.loads, lines))
        ]
    return found


@SLOW
@given(batch=st.data())
def test_partitioned_output_holds_every_row_under_its_own_values(tmp_path: Path, batch: st.DataObject) -> None:
    items = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=12))
    items += batch.draw(st.lists(st.sampled_from([[1, 2], "text", {"nothing": "known"}]), max_size=2))
    names = ["vendor", "status", "agent_id", "year", "month", "day"]
    partitions = batch.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    kind = batch.draw(st.sampled_from(["parquet", "ndjson"]))
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))  # a folder of its own for each example
    source = tmp_path / "in.ndjson"
    _write_ndjson(source, items)
    whole = normalize_file(source, out=tmp_path / f"whole.{kind}", position=True)
    split = normalize_file(source, out=tmp_path / "split", output_format=kind, position=True, partition_by=partitions)
    assert attrs.evolve(split, out=whole.out, rejects=whole.rejects) == whole
    assert _as_whole(tmp_path / "split", kind, partitions) == _as_whole(tmp_path / f"whole.{kind}", kind, [])


def _as_whole(out: Path, kind: str, partitions: Sequence[str]) -> list[str]:
    """The rows of an output file or partitioned directory, each as sorted JSON text, as one file holds them:
    the date parts partitioned by checked against the call's time and dropped."""
    got = _written(out, kind)
    for row in got:
        when = row["created_at"] or row["started_at"] or row["ended_at"]
        when = datetime.fromisoformat(when) if isinstance(when, str) else when
        for part in {"year", "month", "day"} & set(partitions):
            assert row.pop(part) == (None if when is None else str(getattr(when, part)))
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in got)


@SLOW
@given(batch=st.data())
def test_batches_add_to_a_lake_and_a_batch_run_again_replaces_only_its_own_files(
    tmp_path: Path, batch: st.DataObject
) -> None:
    exports = [
        batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=8)) for _ in range(3)
    ]
    names = ["vendor", "status", "year", "month"]
    partitions = batch.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    kind = batch.draw(st.sampled_from(["parquet", "ndjson"]))
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    lake = tmp_path / "lake"
    whole = []
    for index, items in enumerate(exports):
        _write_ndjson(source := tmp_path / f"{index}.ndjson", items)
        whole.append(normalize_file(source, out=tmp_path / f"whole-{index}.{kind}", position=True))
    runs = [("day", 0), ("day_1", 1), ("day", 2)]  # a batch whose name starts another's, then run again
    for name, index in runs:
        summary = normalize_file(
            tmp_path / f"{index}.ndjson", out=lake, output_format=kind, position=True, partition_by=partitions,
            batch=name,
        )  # fmt: skip
        assert attrs.evolve(summary, out=whole[index].out, rejects=whole[index].rejects) == whole[index]
        assert summary.rejects == (
            None if whole[index].rejects is None else str(tmp_path / f"lake.{name}.rejects.ndjson")
        )
    expected = sorted(row for i in (1, 2) for row in _as_whole(tmp_path / f"whole-{i}.{kind}", kind, []))
    assert _as_whole(lake, kind, partitions) == expected
    files = [file for file in lake.rglob("*") if file.is_file()]
    assert {file.name.rsplit("_", 1)[0] for file in files} <= {"batch-day", "batch-day_1"}
    assert all(any(folder.iterdir()) for folder in lake.rglob("*") if folder.is_dir())  # none left empty
    left = [path.name for path in tmp_path.iterdir() if path.name.startswith("lake") and "rejects" not in path.name]
    assert left == ["lake"]  # no partial directory, no scratch


def test_a_batch_needs_partitions_a_name_and_a_lake_of_its_own_layout(tmp_path: Path) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    source = tmp_path / "calls.ndjson"
    _write_ndjson(source, [nexa])
    lake = tmp_path / "lake"
    with pytest.raises(callstatus.UsageError, match="batch: goes with partition_by"):
        normalize_file(source, out=lake, batch="day")
    for wrong in ("", "../up", "a/b", ".hidden", "x" * 101, "a b", 5):
        with pytest.raises(callstatus.UsageError, match="not a batch name"):
            normalize_file(source, out=lake, partition_by="vendor", batch=wrong)  # type: ignore[arg-type]
    with pytest.raises(callstatus.UsageError, match="a batch goes into a directory"):
        normalize_file(source, out=source, partition_by="vendor", batch="day")
    normalize_file(source, out=lake, partition_by="vendor", batch="one")
    for partitions, kind in ((["vendor", "year"], "parquet"), (["year"], "parquet"), (["vendor"], "ndjson")):
        with pytest.raises(callstatus.UsageError, match=r"cannot add to .*partitioned by vendor as parquet"):
            normalize_file(source, out=lake, partition_by=partitions, output_format=kind, batch="two")  # type: ignore[arg-type]
    with pytest.raises(callstatus.UsageError, match="or name a batch"):
        normalize_file(source, out=lake, partition_by="vendor")
    (lake / "_SUCCESS").write_text("")  # what Spark leaves: not a data file
    (tmp_path / "lake.two.partial" / "vendor=x").mkdir(parents=True)  # as a killed run of the batch leaves it
    (tmp_path / "lake.two.partial" / "vendor=x" / "batch-two_0.parquet").write_text("half")
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(orjson.dumps(nexa) + b"\nnot json\n")
    summary = normalize_file(broken, out=lake, partition_by="vendor", batch="two")
    assert (summary.rows, summary.rejected, summary.rejects) == (2, 1, str(tmp_path / "lake.two.rejects.ndjson"))
    assert sorted(file.relative_to(lake).as_posix() for file in lake.rglob("*.parquet")) == [
        "vendor=dialnexa/batch-one_0.parquet",
        "vendor=dialnexa/batch-two_0.parquet",
    ]
    assert [row["vendor"] for row in rows(lake)] == ["dialnexa", "dialnexa"]
    summary = normalize_file(source, out=lake, partition_by="vendor", batch="two")  # run again: no reject now
    assert summary.rejects is None and not (tmp_path / "lake.two.rejects.ndjson").exists()
    assert not (tmp_path / "lake.two.partial").exists() and len(list(rows(lake))) == 2


def test_partitioned_output_needs_known_columns_and_a_new_or_empty_directory(tmp_path: Path) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    source = tmp_path / "calls.ndjson"
    _write_ndjson(source, [nexa])
    for wrong, message in ((["raw"], "cannot partition by 'raw'"), (["vendor", "vendor"], "twice"), ("week", "week")):
        with pytest.raises(callstatus.UsageError, match=message):
            normalize_file(source, out=tmp_path / "out", partition_by=wrong)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("kept")
    for taken in (tmp_path / "full", source):
        with pytest.raises(callstatus.UsageError, match="new or empty directory"):
            normalize_file(source, out=taken, partition_by="vendor")
    assert (tmp_path / "full" / "mine.txt").read_text() == "kept"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.partial" / "vendor=x").mkdir(parents=True)  # as a killed run leaves it
    (tmp_path / "empty.partial" / "vendor=x" / "data_0.parquet").write_text("half")
    summary = normalize_file(source, out=tmp_path / "empty", partition_by=["vendor", "year"])
    assert summary.rows == 1 and [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []
    assert [(row["vendor"], row["year"]) for row in rows(tmp_path / "empty")] == [("dialnexa", 2024)]
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(b"not json\n")
    summary = normalize_file(broken, out=tmp_path / "nothing", partition_by="vendor")
    assert (summary.rejected, list(rows(tmp_path / "nothing"))) == (1, [])


def test_a_glob_reads_its_files_in_name_order_whatever_their_formats(tmp_path: Path) -> None:
    items = [json.loads(path.read_text())["payload"] for path in sorted((FIXTURES / "retell").glob("*.json"))]
    _write_ndjson(tmp_path / "calls-1.ndjson.gz", items[:2])
    (tmp_path / "calls-2.json").write_bytes(orjson.dumps(items[2:]) + b"  ")
    pq.write_table(
        pa.table({"raw": [orjson.dumps(item).decode() for item in items] + ["{"]}), tmp_path / "calls-3.parquet"
    )
    (tmp_path / "other.ndjson").write_bytes(b"not a call\n")
    out = tmp_path / "out.ndjson"
    summary = normalize_file(tmp_path / "calls-*", "retell", out=out, position=True)
    assert (summary.files, summary.rows, summary.rejected) == (3, 2 * len(items) + 1, 1)
    got = sorted((row["source"], row["position"], row["call_id"]) for row in rows(out))
    ids = [callstatus.normalize(item, "retell").call_id for item in items]
    names = [str(tmp_path / name) for name in ("calls-1.ndjson.gz", "calls-2.json", "calls-3.parquet")]
    placed = [(names[0], i, ids[i]) for i in range(2)] + [(names[1], i - 2, ids[i]) for i in range(2, len(items))]
    assert got == sorted(placed + [(names[2], i, call) for i, call in enumerate(ids)])
    (refused,) = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert (refused["source"], refused["position"], refused["row"]) == (names[2], len(items), "{")
    with pytest.raises(callstatus.UsageError, match="no file matches"):
        normalize_file(tmp_path / "none-*.ndjson", out=out)
    with pytest.raises(callstatus.UsageError, match="no such file"):
        normalize_file([names[0], tmp_path / "gone.ndjson"], out=out)
    quoted = normalize_file([str(tmp_path / "calls-[12]*"), names[2]], "retell", out=out)  # a pattern in a list too
    assert (quoted.files, quoted.rows) == (3, summary.rows)
    for wrong in (None, 7, [b"calls.ndjson"], []):
        with pytest.raises(callstatus.UsageError, match=r"path: |no file to read"):
            normalize_file(wrong, out=out)  # type: ignore[arg-type]


def test_every_documented_payload_of_every_table_named_and_detected(tmp_path: Path) -> None:
    everything = []
    for vendor in VENDORS:
        items = [
            json.loads(path.read_text(encoding="utf-8"))["payload"]
            for path in sorted((FIXTURES / vendor).glob("*.json"))
        ]
        _check(tmp_path, items, vendor)
        _check(tmp_path, items, vendor, keyed=FULL)
        _check(tmp_path, items, vendor, keyed=EACH)
        everything += items
    _check(tmp_path, everything, None)  # one file of every vendor's payloads, each row's vendor detected
    _check(tmp_path, everything, None, keyed=FULL)
    _check(tmp_path, everything, None, keyed=EACH)


@SLOW
@given(batch=st.data())
def test_frequent_key_sets_get_their_own_select_and_the_rest_the_full_one(tmp_path: Path, batch: st.DataObject) -> None:
    common = batch.draw(payloads("dialnexa"))
    others = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=8))
    items = [common] * 3 + others + [[1, 2], 7, "text", {**common, "status": "a status no table has"}]
    _check(tmp_path, items, None, keyed=(2, 1))  # the most frequent key set alone is compiled apart
    _check(tmp_path, items, None, keyed=(2, 64))  # the rare ones too, in groups of the tables they may fit
    _check(tmp_path, items, None, keyed=(2, 64), sets=1)  # only the most frequent set is looked at
    _check(tmp_path, items, None, keyed=(2, 64), sets=0)  # none: every row through the full select


@SLOW
@given(batch=st.data())
def test_lines_duckdb_cannot_read_are_read_in_their_place_as_normalize_many_reads_them(
    tmp_path: Path, batch: st.DataObject
) -> None:
    """DuckDB's reader leaves out a line that is not UTF-8 text or is longer than 2 MB: it is read in Python
    instead, keeping its place and the places of the lines after it, and the run goes on."""
    vendor = batch.draw(st.sampled_from([None, *VENDORS]))
    items: list[Any] = batch.draw(st.lists(st.sampled_from(VENDORS).flatmap(payloads), min_size=1, max_size=10))
    for index in batch.draw(st.lists(st.integers(0, len(items) - 1), min_size=1, max_size=3, unique=True)):
        line = orjson.dumps(items[index])
        if batch.draw(st.booleans()) and isinstance(items[index], dict):  # valid, past DuckDB's longest line
            items[index] = orjson.dumps({**items[index], "padding": "x" * 2_100_000})
        else:  # a byte no UTF-8 text holds, anywhere in the line
            at = batch.draw(st.integers(0, len(line)))
            items[index] = line[:at] + batch.draw(st.sampled_from([b"\xff", b"\xc3", b"\xe9t\xe9"])) + line[at:]
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    _check(tmp_path, items, vendor, cuts=sorted(batch.draw(st.lists(st.integers(0, len(items)), max_size=2))))


def test_a_line_too_long_or_lost_to_a_carriage_return_is_refused_and_windows_lines_keep_their_place(
    tmp_path: Path,
) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    source = tmp_path / "calls.ndjson"
    long = orjson.dumps({**nexa, "padding": "x" * 3_000_000})
    source.write_bytes(b"\n".join([orjson.dumps(nexa), long, b'{"id": "\xff"}', orjson.dumps(nexa)]) + b"\n")
    saved = bulk._LONGEST_LINE
    bulk._LONGEST_LINE = 2_500_000
    try:
        summary = normalize_file(source, "dialnexa", out=tmp_path / "out.parquet", position=True)
    finally:
        bulk._LONGEST_LINE = saved
    assert (summary.rows, summary.by_sql, summary.rejected) == (4, 2, 2)
    assert sorted(row["position"] for row in rows(tmp_path / "out.parquet")) == [0, 3]
    rejected = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert [(item["position"], item["row"][:9]) for item in rejected] == [(1, long[:9].decode()), (2, '{"id": "\\')]
    assert "longer than 2,500,000 bytes" in rejected[0]["error"] and len(rejected[0]["row"]) < 1100
    assert "not valid JSON" in rejected[1]["error"] and rejected[1]["row"] == '{"id": "\\xff"}'
    crlf = tmp_path / "crlf.ndjson"  # Windows line ends: each line in its place
    crlf.write_bytes(orjson.dumps(nexa) + b"\r\n" + orjson.dumps(nexa) + b"\r\n\r\n" + b'{"id": "\xff"}\r\n')
    summary = normalize_file(crlf, "dialnexa", out=tmp_path / "crlf.parquet", position=True)
    assert (summary.rows, summary.by_sql, summary.rejected) == (3, 2, 1)
    assert sorted(row["position"] for row in rows(tmp_path / "crlf.parquet")) == [0, 1]
    rejected = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert [(item["position"], item["row"]) for item in rejected] == [(3, '{"id": "\\xff"}\r')]
    late = tmp_path / "late.ndjson"  # Windows line ends only past the first 64 KiB: DuckDB's line 4 is Python's 3
    padded = orjson.dumps({**nexa, "padding": "x" * 70_000})
    late.write_bytes(padded + b"\n" + orjson.dumps(nexa) + b"\r\n" + b'{"id": "\xff"}\n')
    summary = normalize_file(late, "dialnexa", out=tmp_path / "late.parquet", position=True)
    assert (summary.rows, summary.by_sql, summary.rejected) == (3, 2, 1)
    rejected = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert rejected[0]["position"] == 3 and "carriage return" in rejected[0]["error"]


def test_rows_normalize_refuses_go_to_the_reject_file_and_the_run_goes_on(tmp_path: Path) -> None:
    good = {"call_id": "c1", "status": "completed", "queue_status": "complete"}
    source = tmp_path / "mixed.ndjson"
    source.write_bytes(orjson.dumps(good) + b"\n{broken json\n[1, 2]\n" + orjson.dumps({"nothing": "known"}) + b"\n")
    out = tmp_path / "out.parquet"
    summary = normalize_file(source, out=out, position=True)
    assert (summary.rows, summary.rejected) == (5, 4)  # the array's two elements are two records, both refused
    assert [row["call_id"] for row in rows(out)] == ["c1"]
    rejected = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert [(item["position"], item.get("item"), item["row"]) for item in rejected[:3]] == [
        (1, None, "{broken json"),
        (2, 0, "1"),
        (2, 1, "2"),
    ]
    assert rejected[3]["position"] == 3 and all(item["error"] for item in rejected)


def test_list_responses_and_arrays_give_each_record_they_hold_as_normalize_many_does(tmp_path: Path) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    other = dict(nexa, id="call_other", status="a status no table has")
    page = {"data": [nexa, other, {"id": 7}], "total": 3}  # DialNexa's list response, as its API pages it
    for vendor in ("dialnexa", None):
        lines = tmp_path / "pages.ndjson"
        _write_ndjson(lines, [page, [nexa], {"data": []}, nexa])
        whole = tmp_path / "page.json"  # one saved API response
        whole.write_bytes(orjson.dumps(page, option=orjson.OPT_INDENT_2))
        for source in (lines, whole):
            out = tmp_path / "out.parquet"
            summary = normalize_file(source, vendor, out=out, position=True)
            expected = list(callstatus.normalize_each(source, vendor))
            records = [to_row(record) for record in expected if isinstance(record, callstatus.CallRecord)]
            assert summary.rows == len(expected) and summary.rejected == len(expected) - len(records)
            placed = [{k: v for k, v in row.items() if k not in ("source", "position")} for row in rows(out)]
            assert sorted(_text(comparable(row)) for row in placed) == sorted(_text(comparable(r)) for r in records)
            (refused,) = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
            assert (refused["position"], refused["item"], orjson.loads(refused["row"])) == (0, 2, {"id": 7})
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'[{"id": 1},\n {"id":')
    with pytest.raises(callstatus.UsageError, match=r"cannot read .*broken.json as json"):
        normalize_file(broken, out=tmp_path / "out.parquet")


def test_gzip_json_array_csv_and_parquet_inputs_and_ndjson_output(tmp_path: Path) -> None:
    items = [json.loads(path.read_text())["payload"] for path in sorted((FIXTURES / "asterisk").glob("*.json"))]
    expected = sorted(json.dumps(expected_row(item, "asterisk"), sort_keys=True) for item in items)
    gz = tmp_path / "cdr.ndjson.gz"
    gz.write_bytes(gzip.compress(b"".join(orjson.dumps(item) + b"\n" for item in items)))
    array = tmp_path / "cdr.json"
    array.write_bytes(orjson.dumps(items))
    csv_path = tmp_path / "cdr.csv"
    names = sorted({key for item in items for key in item})
    csv_path.write_text(
        ",".join(names) + "\n" + "".join(",".join(str(item.get(n, "")) for n in names) + "\n" for item in items)
    )
    parquet = tmp_path / "raw.parquet"
    pq.write_table(pa.table({"raw": [orjson.dumps(item).decode() for item in items]}), parquet)
    for source in (gz, array, parquet):
        out = tmp_path / (source.name + ".out.parquet")
        normalize_file(source, "asterisk", out=out)
        assert sorted(json.dumps(comparable(row), sort_keys=True) for row in rows(out)) == expected, source.name
    out = tmp_path / "csv.ndjson"
    normalize_file(csv_path, "asterisk", out=out)  # CSV cells are text: empty cells are empty strings, as in a CDR
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(record["call_id"] for record in records) == sorted(item["uniqueid"] for item in items)
    assert all(record["started_at"] is None or record["started_at"].endswith("Z") for record in records)


def test_ndjson_output_is_the_export_layout(tmp_path: Path) -> None:
    items = [json.loads(path.read_text())["payload"] for path in sorted((FIXTURES / "retell").glob("*.json"))]
    source = tmp_path / "in.ndjson"
    _write_ndjson(source, items)
    out = tmp_path / "out.ndjson"
    normalize_file(source, "retell", out=out)
    exported = tmp_path / "exported.ndjson"
    export.write((callstatus.normalize(item, "retell") for item in items), exported)
    mine = sorted(out.read_bytes().splitlines())
    theirs = sorted(exported.read_bytes().splitlines())
    assert [comparable(orjson.loads(a)) for a in mine] == [comparable(orjson.loads(b)) for b in theirs]
    assert [set(orjson.loads(a)) for a in mine] == [set(orjson.loads(b)) for b in theirs]


def test_a_missing_file_and_an_unknown_format_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(callstatus.UsageError, match="no such file"):
        normalize_file(tmp_path / "nope.ndjson", out=tmp_path / "o.parquet")
    odd = tmp_path / "calls.xml"
    odd.write_text("<calls/>")
    with pytest.raises(callstatus.UsageError, match="input_format"):
        normalize_file(odd, out=tmp_path / "o.parquet")


@settings(SLOW, max_examples=25)
@given(batch=st.data())
def test_folded_output_holds_each_call_once_merged_as_the_tracker_merges_it(
    tmp_path: Path, batch: st.DataObject
) -> None:
    vendors = batch.draw(st.lists(st.sampled_from(VENDORS), min_size=1, max_size=3, unique=True))
    items: list[Any] = []
    for vendor in vendors:
        mine = batch.draw(st.lists(payloads(vendor), min_size=1, max_size=6))
        same_calls(mine, vendor, batch, ["call-a", "call-b", "call-c"])
        mine += [restatus(item, vendor, batch) for item in batch.draw(st.lists(st.sampled_from(mine), max_size=4))]
        for item in batch.draw(st.lists(st.sampled_from(mine), max_size=2)):  # a record exported, then read again
            agent = batch.draw(st.sampled_from(["agent-1", "agent-2"]))
            mine.append(
                callstatus.normalize(item, vendor).model_copy(update={"agent_id": agent}).model_dump(mode="json")
            )
        items += mine
    items += batch.draw(st.lists(st.sampled_from(items), max_size=3))  # the same delivery again
    items = [*batch.draw(st.permutations(items)), b"{broken"]
    position = batch.draw(st.booleans())
    partitions = batch.draw(st.sampled_from([(), ("vendor",), ("status", "year")]))
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    _write_ndjson(source := tmp_path / "in.ndjson", items)
    out = tmp_path / ("calls" if partitions else "calls.parquet")
    vendor = vendors[0] if len(vendors) == 1 else None
    chunk, bulk._CHUNK = bulk._CHUNK, batch.draw(st.sampled_from([bulk._CHUNK, 2, 3]))  # a call across pages
    try:
        summary = normalize_file(source, vendor, out=out, fold=True, position=position, partition_by=partitions)
    finally:
        bulk._CHUNK = chunk
    results = list(callstatus.normalize_each(source.read_bytes(), vendor))
    calls, _ = fold(result for result in results if isinstance(result, callstatus.CallRecord))
    got = list(rows(out))
    assert (summary.rows, summary.calls, len(got)) == (len(results), len(calls), len(calls))
    assert summary.rejected == sum(isinstance(result, callstatus.Error) for result in results) >= 1
    lines = source.read_bytes().splitlines()
    for row in got:
        for name in set(partitions) & {"year"}:
            row.pop(name)
        if position:  # the file and line of the record whose payload the call keeps, its text as it was
            assert row.pop("source") == str(source)
            line = lines[row.pop("position")]
            if b'"raw":' in line and orjson.loads(line).keys() >= {"vendor", "call_id", "raw"}:  # a record read again
                assert orjson.loads(row["raw"]) == orjson.loads(line)["raw"]
            else:
                assert row["raw"] == line.decode()
    assert sorted(_text(comparable(row)) for row in got) == sorted(_text(comparable(to_row(call))) for call in calls)
    assert [path.name for path in tmp_path.iterdir() if "folded" in path.name] == []


def test_twilios_documented_callbacks_of_a_call_fold_in_sql_into_the_call_the_tracker_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    callbacks = [json.loads(path.read_text())["payload"] for path in sorted((FIXTURES / "twilio").glob("callback_*"))]
    history = [item for item in callbacks if item["CallSid"] == "CA00000000000000000000000000000009"]
    assert [item["CallStatus"] for item in history] == ["in-progress", "completed", "initiated", "ringing"]
    items = [*callbacks, *history[::-1]]  # delivered again, in another order
    _write_ndjson(source := tmp_path / "callbacks.ndjson", items)

    def refuse(*_: Any) -> None:
        raise AssertionError("a call left to merge in Python")

    monkeypatch.setattr(bulk, "_merged", refuse)
    summary = normalize_file(source, "twilio", out=tmp_path / "calls.parquet", fold=True, position=True)
    got = {row["call_id"]: row for row in rows(tmp_path / "calls.parquet")}
    calls, _ = fold(callstatus.normalize(item, "twilio") for item in items)
    assert (summary.rows, summary.calls) == (len(items), len(calls)) == (len(callbacks) + 4, len(callbacks) - 3)
    call = got["CA00000000000000000000000000000009"]
    assert (call["status"], call["answered_by"], call["duration_seconds"]) == ("completed", "human", 27.0)
    assert call["raw"] == orjson.dumps(history[1]).decode() and call["position"] == items.index(history[1])
    for row in got.values():
        row.pop("source"), row.pop("position")
    expected = {call.call_id: comparable(to_row(call)) for call in calls}
    assert {key: comparable(row) for key, row in got.items()} == expected


def test_the_command_line_runs_the_duckdb_engine_and_counts_rejects(tmp_path: Path) -> None:
    items = [json.loads(path.read_text())["payload"] for path in sorted((FIXTURES / "vapi").glob("*.json"))]
    source = tmp_path / "calls.ndjson"
    source.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items) + b"not json\n")
    out = tmp_path / "calls.parquet"
    command = [sys.executable, "-m", "callstatus", "normalize", "--engine", "duckdb", str(source), "-o", str(out)]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr  # one row rejected
    assert f"1 file, {len(items) + 1} rows" in result.stderr.decode() and "1 rejected" in result.stderr.decode()
    assert sorted(row["call_id"] for row in rows(out)) == sorted(callstatus.normalize(item).call_id for item in items)
    again = tmp_path / "again.ndjson"
    again.write_bytes(orjson.dumps(items[0]) + b"\n")
    both = subprocess.run([*command[:-2], str(again), "-o", str(out)], capture_output=True, timeout=120, check=False)
    assert f"2 files, {len(items) + 2} rows" in both.stderr.decode() and both.returncode == 1, both.stderr
    assert len(list(rows(out))) == len(items) + 1
    wrong = subprocess.run([*command[:-2], "--strict", "-o", str(out)], capture_output=True, timeout=120, check=False)
    assert wrong.returncode == 2 and b"--strict" in wrong.stderr
    lake = tmp_path / "lake"
    split = [*command[:-2], "-o", str(lake), "--partition-by", "vendor, year"]
    assert subprocess.run(split, capture_output=True, timeout=120, check=False).returncode == 1
    assert sorted((row["vendor"], row["call_id"]) for row in rows(lake)) == sorted(
        ("vapi", callstatus.normalize(item).call_id) for item in items
    )
    python = [sys.executable, "-m", "callstatus", "normalize", str(source), "--partition-by", "vendor"]
    assert b"--partition-by" in subprocess.run(python, capture_output=True, timeout=120, check=False).stderr
    for name in ("first", "second"):  # a batch adds to the lake
        added = subprocess.run([*split, "--batch", name], capture_output=True, timeout=120, check=False)
        assert added.returncode == 1 and (tmp_path / f"lake.{name}.rejects.ndjson").exists(), added.stderr
    assert len(list(rows(lake))) == 3 * len(items)
    calls = sorted({callstatus.normalize(item).call_id for item in items})
    folded = subprocess.run([*command, "--fold"], capture_output=True, timeout=120, check=False)
    assert (
        f"{len(items) + 1} rows" in folded.stderr.decode() and f"; {len(calls)} calls written" in folded.stderr.decode()
    )
    assert sorted(row["call_id"] for row in rows(out)) == calls
    python = [sys.executable, "-m", "callstatus", "normalize", str(source), str(source), "--fold"]
    printed = subprocess.run(python, capture_output=True, timeout=120, check=False).stdout.splitlines()
    assert sorted(callstatus.CallRecord.model_validate_json(line).call_id for line in printed) == calls


def test_a_run_imports_neither_pyarrow_nor_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas where it is installed: a third of a second on every command-line run."""
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    source = tmp_path / "calls.ndjson"
    source.write_bytes(orjson.dumps(nexa) + b"\n" + orjson.dumps(dict(nexa, to_phone_number="anonymous")) + b"\n")
    script = (
        "import sys; from callstatus.bulk import normalize_file; "
        f"s = normalize_file({str(source)!r}, out={str(tmp_path / 'o.parquet')!r}); "
        "print(s.by_sql, s.by_normalize, sorted({'pyarrow', 'pandas'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, check=False)
    assert result.stdout.decode().split() == ["1", "1", "[]"], result.stderr


ODD_ISO = ["2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "2024-02-30T10:00:00Z", "2024-01-01T10:00:00.1234567Z",
           "2024-01-01T10:00:00+05:30", "2024-01-01 10:00:00", "2024-01-01T10:00:00-00:00", "2024-01-01T10:00:00+24:00",
           "2024-01-01", "20240101T100000Z", "2024-01-01T10:00:00.5+00:00", "9999-12-31T23:59:59-01:00",
           "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00+00:00",
           "0000-01-01T00:00:00Z"]  # fmt: skip
"""Times Python and DuckDB may read otherwise: past a field's range, with an offset that takes them past year 1
or 9999, or just inside."""
ODD_RFC2822 = ["Tue, 31 Aug 2010 24:36:44 +0000", "Tue, 31 Aug 2010 20:36:60 +0000", "31 Feb 2010 20:36:44 +0000",
               "Tue, 31 Aug 2010 20:36:44 -0000", "Tue, 31 Aug 2010 20:36:44 +9999", "1 Aug 2010 20:36:44 -0530",
               "Tue, 31 Aug 2010 20:36:44 GMT"]  # fmt: skip


def test_odd_timestamps_read_alike_on_both_paths(tmp_path: Path) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    _check(tmp_path, [dict(nexa, created_at=value) for value in ODD_ISO], "dialnexa")
    call = payload_of("exotel", "details_busy")["Call"]  # a table with a zone: a time with an offset read as such
    _check(tmp_path, [{"Call": dict(call, StartTime=value.replace("T", " "))} for value in ODD_ISO], "exotel")
    twilio = json.loads((FIXTURES / "twilio" / "call_completed.json").read_text())["payload"]
    _check(tmp_path, [dict(twilio, date_created=value) for value in ODD_RFC2822], "twilio")


def test_a_top_level_key_given_twice_reads_as_normalize_reads_it(tmp_path: Path) -> None:
    nexa = json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]
    twice = orjson.dumps(nexa)[:-1] + b', "status": "failed"}'  # JSON leaves it to the reader: the last one counts
    source = tmp_path / "twice.ndjson"
    source.write_bytes(twice + b"\n" + orjson.dumps(nexa) + b"\n")
    saved = sqlplan.KEY_SETS
    try:
        for vendor, sets in itertools.product(("dialnexa", None), (saved, 0)):  # 0: every row in the full select
            sqlplan.KEY_SETS = sets
            out = tmp_path / "out.parquet"
            summary = normalize_file(source, vendor, out=out, position=True)
            found = [{k: v for k, v in row.items() if k != "source"} for row in rows(out)]
            got = {row.pop("position"): comparable(row) for row in found}
            assert got == {0: expected_row(twice, vendor), 1: expected_row(nexa, vendor)}
            assert got[0] is not None and got[0]["status"] == "failed" != got[1]["status"]
            assert (summary.by_sql, summary.by_normalize) == (1, 1)
    finally:
        sqlplan.KEY_SETS = saved


def test_empty_lines_are_skipped_like_blank_ones(tmp_path: Path) -> None:
    nexa = orjson.dumps(json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"])
    source = tmp_path / "gaps.ndjson"
    source.write_bytes(b"\n" + nexa + b"\n\n  \n" + nexa.replace(b"call_", b"other_") + b"\n\n")
    for vendor in ("dialnexa", None):
        out = tmp_path / "out.parquet"
        summary = normalize_file(source, vendor, out=out, position=True)
        assert (summary.rows, summary.rejected) == (2, 0)
        assert sorted(row["position"] for row in rows(out)) == [1, 4]


def test_a_null_json_value_in_a_parquet_export_is_refused_not_lost(tmp_path: Path) -> None:
    nexa = orjson.dumps(json.loads((FIXTURES / "dialnexa" / "list_calls_item.json").read_text())["payload"]).decode()
    source = tmp_path / "raw.parquet"
    pq.write_table(pa.table({"raw": [nexa, None, "  ", nexa]}), source)
    out = tmp_path / "out.parquet"
    summary = normalize_file(source, "dialnexa", out=out, position=True)
    assert (summary.rows, summary.by_sql, summary.rejected) == (3, 2, 1)
    assert sorted(row["position"] for row in rows(out)) == [0, 3]
    (refused,) = [orjson.loads(line) for line in Path(str(summary.rejects)).read_bytes().splitlines()]
    assert refused["position"] == 1 and refused["row"] is None and "NULL" in refused["error"]
