"""normalize_many: every container a backend holds, read lazily, with failures placed."""

from __future__ import annotations

import io
import json
import types
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import callstatus
from callstatus import NormalizationError
from callstatus.testing import strategies

ROWS = [
    {"id": f"call_{i}", "status": status, "agent_id": "agt_1", "to_phone_number": "+919876543210", "duration_sec": i}
    for i, status in enumerate(["completed", "no-answer", "busy", "did_not_pick", "in-progress"])
]
STATUSES = ["completed", "no_answer", "busy", "no_answer", "in_progress"]
NDJSON = b"".join(orjson.dumps(row) + b"\n" for row in ROWS)


def _statuses(records: object) -> list[str]:
    return [record.status.value for record in records]  # type: ignore[attr-defined]


def test_an_iterable_of_payloads() -> None:
    assert _statuses(callstatus.normalize_many(ROWS)) == STATUSES
    assert _statuses(callstatus.normalize_many(iter(ROWS), "dialnexa")) == STATUSES


def test_json_text_of_payloads() -> None:
    assert _statuses(callstatus.normalize_many([json.dumps(row) for row in ROWS])) == STATUSES


def test_ndjson_bytes_with_blank_lines() -> None:
    assert _statuses(callstatus.normalize_many(b"\n" + NDJSON.replace(b"\n", b"\n\n"))) == STATUSES


def test_ndjson_binary_and_text_streams() -> None:
    assert _statuses(callstatus.normalize_many(io.BytesIO(NDJSON), "dialnexa")) == STATUSES
    assert _statuses(callstatus.normalize_many(io.StringIO(NDJSON.decode()))) == STATUSES


def test_a_path_to_an_ndjson_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.ndjson"
    path.write_bytes(NDJSON)
    assert _statuses(callstatus.normalize_many(path)) == STATUSES


def test_a_pretty_printed_list_response_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"data": ROWS, "meta": {"page": 1}}, indent=2), encoding="utf-8")
    assert _statuses(callstatus.normalize_many(path)) == STATUSES
    with path.open("rb") as stream:
        assert _statuses(callstatus.normalize_many(stream, "dialnexa")) == STATUSES


def test_a_single_payload_is_one_record() -> None:
    assert [r.call_id for r in callstatus.normalize_many(ROWS[0])] == ["call_0"]


def test_it_is_lazy() -> None:
    consumed: list[int] = []

    def rows() -> object:
        for index, row in enumerate(ROWS):
            consumed.append(index)
            yield row

    records = callstatus.normalize_many(rows(), "dialnexa")  # type: ignore[arg-type]
    assert isinstance(records, types.GeneratorType) and consumed == []
    next(records)
    assert consumed == [0]


def test_a_failing_record_says_where_it_was() -> None:
    rows = [*ROWS[:2], {"status": "completed", "agent_id": "x"}, *ROWS[2:]]
    records = callstatus.normalize_many(rows, "dialnexa")
    assert next(records).call_id == "call_0"
    next(records)
    with pytest.raises(NormalizationError) as info:
        next(records)
    assert "record 2 of the input" in info.value.__notes__


def test_an_unknown_vendor_fails_at_once() -> None:
    with pytest.raises(callstatus.UnknownVendorError):
        callstatus.normalize_many(ROWS, "acme")


def test_something_that_is_not_payloads() -> None:
    with pytest.raises(NormalizationError, match="expected payloads"):
        list(callstatus.normalize_many(42))  # type: ignore[arg-type]


def test_ndjson_with_a_broken_line() -> None:
    broken = NDJSON + b'{"id": "call_9", "status":\n'
    with pytest.raises(NormalizationError, match="not valid JSON") as info:
        list(callstatus.normalize_many(io.BytesIO(broken), "dialnexa"))
    assert "record 5 of the input" in info.value.__notes__


def test_a_record_holding_a_list_under_an_envelope_key_is_still_a_record() -> None:
    record = {**ROWS[0], "items": [], "data": [{"note": "a list field of the call"}]}
    assert [r.call_id for r in callstatus.normalize_many([record])] == ["call_0"]
    assert [r.call_id for r in callstatus.normalize_many(record, "dialnexa")] == ["call_0"]


def _line(item: object) -> bytes:
    return item if isinstance(item, bytes) else orjson.dumps(item)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    vendor=strategies.vendors(),
    data=st.data(),
    broken=st.lists(st.sampled_from([b"{", b"[1,", b'{"id": }', b"42", b'"text"', b"{}"]), max_size=4),
    detect=st.booleans(),
)
def test_normalize_each_places_every_payload_and_goes_on(
    vendor: str, data: st.DataObject, broken: list[bytes], detect: bool
) -> None:
    good = data.draw(st.lists(strategies.payloads(vendor), min_size=1, max_size=5))
    items = data.draw(st.permutations([*good, *broken]))
    named = None if detect else vendor
    results = list(callstatus.normalize_each(io.BytesIO(b"\n".join(_line(item) for item in items)), named))
    assert len(results) == len(items)
    for index, (item, result) in enumerate(zip(items, results, strict=True)):
        try:
            expected: object = callstatus.normalize(_line(item), named)
        except NormalizationError as exc:
            expected = exc
        if isinstance(expected, NormalizationError):
            assert isinstance(result, NormalizationError)
            assert (result.vendor, result.path) == (expected.vendor, expected.path)
            assert f"record {index} of the input" in result.__notes__
        else:
            assert result == expected


def test_normalize_each_yields_a_broken_container_once() -> None:
    results = list(callstatus.normalize_each(b'[{"id": "call_1"', "dialnexa"))
    assert len(results) == 1 and isinstance(results[0], NormalizationError)
