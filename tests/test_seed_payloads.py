"""Every documented vendor payload shape, normalised, against hand-written expectations.

Each file in ``tests/fixtures/<vendor>/`` holds one payload exactly as the vendor's docs show it (or a small
variant of a documented shape), where it comes from, and the canonical fields written by hand from the docs
and the mapping decisions noted in ``adapters/<vendor>.toml``. Nothing here reads the tables.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import callstatus
from callstatus import CallRecord

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(FIXTURES.glob("*/*.json"))
VENDORS = callstatus.vendors()  # every table has documented payloads


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(params=FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def case(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    path: Path = request.param
    data = _load(path)
    return path.parent.name, data["payload"], data["expected"]


def _fields(record: CallRecord, expected: dict[str, Any]) -> dict[str, Any]:
    dumped = record.model_dump(mode="json")
    return {key: dumped[key] for key in expected}


def test_every_vendor_has_fixtures_and_each_fixture_is_well_formed() -> None:
    assert {p.parent.name for p in FILES} == set(VENDORS)
    for path in FILES:
        data = _load(path)
        assert set(data) == {"source", "payload", "expected"}, path.name
        assert data["source"], path.name
        assert isinstance(data["payload"], dict), path.name
        assert set(data["expected"]) <= set(CallRecord.model_fields), path.name
        assert data["expected"]["vendor"] == path.parent.name, path.name


def test_vendor_is_detected_from_the_payload_shape(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    vendor, payload, _ = case
    assert callstatus.detect_vendor(payload) == vendor


def test_detected_vendor_gives_the_documented_record(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    _, payload, expected = case
    assert _fields(callstatus.normalize(payload), expected) == expected


def test_named_vendor_gives_the_documented_record(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    vendor, payload, expected = case
    assert _fields(callstatus.normalize(payload, vendor=vendor), expected) == expected


def test_record_keeps_the_payload_as_raw(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    vendor, payload, _ = case
    original = copy.deepcopy(payload)
    assert callstatus.normalize(payload).raw == original
    assert callstatus.normalize(payload, vendor=vendor).raw == original
    assert payload == original  # normalising does not change the caller's payload


def test_strict_accepts_every_documented_payload(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    vendor, payload, expected = case
    assert _fields(callstatus.normalize(payload, strict=True), expected) == expected
    assert _fields(callstatus.normalize(payload, vendor=vendor, strict=True), expected) == expected


def test_json_bytes_and_read_only_mappings_give_the_same_record(
    case: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    """JSON bytes take the compiled hot path, a non-dict mapping the careful one: both must agree with the docs."""
    vendor, payload, expected = case
    as_bytes = json.dumps(payload).encode()
    assert _fields(callstatus.normalize(as_bytes, vendor=vendor), expected) == expected
    assert _fields(callstatus.normalize(as_bytes), expected) == expected
    assert _fields(callstatus.normalize(MappingProxyType(payload), vendor=vendor), expected) == expected
