"""Properties of normalize() over generated vendor payloads, for every vendor table.

The generators draw documented values and documented shapes from the compiled tables, so a value or shape
added to a table is exercised here at once. Expected values are never read from the tables: the properties
compare the library with itself (fast path against careful path, a record against its JSON) or with laws.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, CallStatus, EndReason, NormalizationError, UnknownVendorError, Unmapped
from callstatus.schemas import SCHEMAS
from callstatus.testing import json_values, payloads, raw_reasons, raw_statuses, spelling_variants, unknown_tokens

VENDORS = callstatus.vendors()
RECORD_SCHEMA = jsonschema.Draft202012Validator(SCHEMAS["call-record.schema.json"]())


def _status_path(vendor: str, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The object and key that hold the payload's raw status (the first status vocabulary present)."""
    adapter = callstatus.get_adapter(vendor)
    _shape, record = adapter.locate(payload)  # type: ignore[misc]
    for vocabulary in adapter.statuses:
        for getter in vocabulary.getters:
            holder: Any = payload if getter.from_root else record
            for key in getter.keys[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and holder.get(getter.keys[-1]) not in (None, ""):
                return holder, getter.keys[-1]
    raise AssertionError("generated payload has no status")


def test_every_table_was_loaded() -> None:
    tables = sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "adapters").glob("*.toml"))
    assert tables == VENDORS and {"atoms", "dialgen", "dialnexa", "asterisk"} <= set(VENDORS)


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_generated_payloads_normalize_strictly(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    record = callstatus.normalize(payload, vendor, strict=True)
    assert record.vendor == vendor
    assert record.raw == payload
    assert record.status is not CallStatus.UNKNOWN


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_hot_path_agrees_with_careful_path(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    adapter = callstatus.get_adapter(vendor)
    shape, record = adapter.locate(payload)  # type: ignore[misc]
    assert callstatus.normalize(payload, vendor) == adapter.careful(shape, record, payload)
    assert callstatus.normalize(orjson.dumps(payload), vendor) == adapter.careful(shape, record, payload)


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_same_input_same_record(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    body = orjson.dumps(payload)
    assert (
        callstatus.normalize(body, vendor)
        == callstatus.normalize(body, vendor)
        == callstatus.normalize(payload, vendor)
    )


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_json_round_trip_is_identity(vendor: str, data: st.DataObject) -> None:
    record = callstatus.normalize(data.draw(payloads(vendor)), vendor)
    text = record.model_dump_json()
    assert CallRecord.model_validate_json(text) == record
    assert CallRecord.model_validate(record.model_dump()) == record
    RECORD_SCHEMA.validate(orjson.loads(text))


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_detection_never_names_another_vendor(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    try:
        assert callstatus.detect_vendor(payload) == vendor
    except UnknownVendorError as exc:  # genuinely ambiguous: it must say so, never guess
        assert "ambiguous" in str(exc) and vendor in str(exc)


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_unknown_status_is_unknown_and_kept(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    raw = data.draw(unknown_tokens(vendor))
    holder, key = _status_path(vendor, payload)
    holder[key] = raw
    seen: list[Unmapped] = []
    record = callstatus.normalize(payload, vendor, on_unmapped=seen.append)
    assert record.status is CallStatus.UNKNOWN
    assert not record.is_terminal
    assert record.raw_status == raw
    assert any(item.field == "status" and item.value == raw for item in seen)
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize(payload, vendor, strict=True)
    assert info.value.vendor == vendor and info.value.value == raw and info.value.path


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_unknown_reason_never_unmakes_a_terminal_status(vendor: str, data: st.DataObject) -> None:
    adapter = callstatus.get_adapter(vendor)
    if not adapter.reasons:
        return
    payload = data.draw(payloads(vendor, reason=False))
    before = callstatus.normalize(payload, vendor)
    _shape, record = adapter.locate(payload)  # type: ignore[misc]
    getter = adapter.reasons[0].getters[0]
    holder: Any = payload if getter.from_root else record
    for key in getter.keys[:-1]:
        holder = holder.setdefault(key, {})
    raw = data.draw(unknown_tokens(vendor))
    holder[getter.keys[-1]] = raw
    after = callstatus.normalize(payload, vendor)
    assert after.raw_reason == raw
    # unknown, unless the status carries a reason that beats any payload reason (DialNexa retry_expired)
    assert after.end_reason in (EndReason.UNKNOWN, before.end_reason)
    assert after.status == before.status


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_spelling_variants_map_alike(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor, status=data.draw(raw_statuses(vendor)), reason=False))
    variant_payload = copy.deepcopy(payload)
    holder, key = _status_path(vendor, variant_payload)
    holder[key] = data.draw(spelling_variants(holder[key]))
    assert callstatus.normalize(variant_payload, vendor).status == callstatus.normalize(payload, vendor).status


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_documented_reasons_are_mapped(vendor: str, data: st.DataObject) -> None:
    reason = data.draw(raw_reasons(vendor))
    payload = data.draw(payloads(vendor, reason=reason))
    record = callstatus.normalize(payload, vendor, strict=True)
    assert record.raw_reason is not None
    assert (record.end_reason is not None) == record.status.is_over  # a call not over has no end reason


@given(json_values())
def test_arbitrary_json_raises_only_normalization_errors(value: Any) -> None:
    for vendor in [None, *VENDORS]:
        for form in (value, orjson.dumps(value)):
            with contextlib.suppress(NormalizationError):
                callstatus.normalize(form, vendor)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_normalization_errors(body: bytes) -> None:
    try:
        callstatus.normalize(body, "dialnexa")
    except NormalizationError as exc:
        assert exc.vendor == "dialnexa"


def test_unknown_values_warn_once_per_distinct_value(caplog: pytest.LogCaptureFixture) -> None:
    payload = {"id": "call_1", "status": "teleported_away", "to_phone_number": "+15551234567"}
    with caplog.at_level(logging.WARNING, logger="callstatus"):
        for _ in range(5):
            record = callstatus.normalize(payload, "dialnexa")
    assert record.status is CallStatus.UNKNOWN and record.raw_status == "teleported_away"
    lines = [r.getMessage() for r in caplog.records if "teleported_away" in r.getMessage()]
    assert len(lines) == 1
    assert "dialnexa" in lines[0] and "status" in lines[0]
