"""Bad input gets a NormalizationError naming vendor, path and value; the raw payload is never altered."""

from __future__ import annotations

from typing import Any

import pytest

import callstatus
from callstatus import NormalizationError, UnknownVendorError


def _error(payload: Any, vendor: str | None = "dialnexa", **options: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as info:
        callstatus.normalize(payload, vendor, **options)
    return info.value


def test_not_json() -> None:
    exc = _error(b'{"id": "call_1", "status": ')
    assert exc.vendor == "dialnexa" and exc.path == "$"
    assert "not valid JSON" in str(exc) and "call_1" in str(exc)


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"text"', b"42", b"null", [1, 2], "3"])
def test_not_an_object(payload: Any) -> None:
    exc = _error(payload)
    assert "expected a JSON object" in str(exc) and exc.path == "$"


def test_no_call_id_names_every_path_tried() -> None:
    exc = _error({"status": "completed", "to_phone_number": "+15551234567"})
    assert exc.path == "call_id | id | session_id"
    assert "no call id" in str(exc)


def test_number_where_a_string_belongs() -> None:
    exc = _error({"id": 12345, "status": "completed", "agent_id": "a"})
    assert (exc.vendor, exc.path, exc.value) == ("dialnexa", "id", 12345)


def test_status_of_the_wrong_type() -> None:
    exc = _error({"event_type": "call_ended", "payload": {"call": {"id": "c1", "status": ["completed"]}}})
    assert exc.path == "payload.call.status" and exc.value == ["completed"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_seconds", -3, "negative"),
        ("duration_seconds", "soon", "expected a number"),
        ("duration_seconds", True, "expected a number"),
        ("created_at", "yesterday", "timestamp"),
        ("created_at", 1700000000, "ISO 8601"),
        ("to_phone_number", 15551234567, "phone number string"),
    ],
)
def test_bad_field_values_are_errors_in_strict_mode(field: str, value: Any, message: str) -> None:
    exc = _error({"id": "c1", "status": "completed", "agent_id": "a", field: value}, strict=True)
    assert exc.path == field and exc.value == value and message in str(exc)


@pytest.mark.parametrize(
    ("field", "value", "canonical"),
    [
        ("duration_seconds", -3, "duration_seconds"),
        ("duration_seconds", "soon", "duration_seconds"),
        ("created_at", "yesterday", "created_at"),
        ("created_at", 1700000000, "created_at"),
        ("to_phone_number", 15551234567, "to_number"),
        ("batch_id", 42, "campaign_id"),
        ("direction", ["outbound"], "direction"),
    ],
)
def test_bad_field_values_leave_the_field_empty_and_lose_nothing(field: str, value: Any, canonical: str) -> None:
    seen: list[callstatus.Unmapped] = []
    payload = {"id": "c1", "status": "completed", "agent_id": "a", field: value}
    record = callstatus.normalize(payload, "dialnexa", on_unmapped=seen.append)
    assert record.raw[field] == value
    assert getattr(record, canonical) in (None, "unknown")
    assert seen and {(item.vendor, item.path) for item in seen} == {("dialnexa", field)}


def test_strict_rejects_a_missing_status_that_lenient_mode_calls_unknown() -> None:
    payload = {"event_type": "call_initiated", "payload": {"call": {"id": "c1", "direction": "outbound"}}}
    assert callstatus.normalize(payload, "dialnexa").status == "unknown"
    assert "no status" in str(_error(payload, strict=True))


def test_unparseable_phone_number_is_dropped_leniently_and_an_error_strictly() -> None:
    payload = {"id": "c1", "status": "completed", "to_phone_number": "call me maybe"}
    record = callstatus.normalize(payload, "dialnexa")
    assert record.to_number is None and record.raw["to_phone_number"] == "call me maybe"
    assert _error(payload, strict=True).path == "to_phone_number"


def test_unknown_vendor_name() -> None:
    with pytest.raises(UnknownVendorError) as info:
        callstatus.normalize({"id": "x"}, "acme")
    assert info.value.value == "acme" and "dialnexa" in str(info.value)


def test_no_vendor_matches() -> None:
    with pytest.raises(UnknownVendorError) as info:
        callstatus.normalize({"hello": "world"})
    assert "no vendor" in str(info.value) and info.value.value == ["hello"]


def test_errors_are_value_errors_and_carry_no_huge_values() -> None:
    exc = _error({"id": "c" * 10_000, "status": 5})
    assert isinstance(exc, ValueError)
    assert len(str(exc)) < 400


def test_payload_is_not_mutated() -> None:
    payload = {"callId": "c1", "status": "MISSED", "error": "BUSY", "phoneNumber": "15551234567", "contactId": "k"}
    snapshot = repr(payload)
    record = callstatus.normalize(payload, "dialgen")
    assert repr(payload) == snapshot
    assert record.raw == payload and record.to_number == "+15551234567"


@pytest.mark.parametrize(
    ("field", "value"),
    [("duration_seconds", 10**400), ("cost", -(10**400)), ("created_at", "0001-01-01T00:00:00+01:00")],
)
def test_out_of_range_values_are_normalization_errors(field: str, value: Any) -> None:
    exc = _error({"id": "c1", "status": "completed", "agent_id": "a", field: value}, strict=True)
    assert exc.path in (field, "$")  # integers past 64 bits are not JSON data at all


def test_a_huge_number_in_json_bytes() -> None:
    body = b'{"id": "c1", "status": "completed", "agent_id": "a", "duration_seconds": 1' + b"0" * 400 + b"}"
    with pytest.raises(NormalizationError):
        callstatus.normalize(body, "dialnexa")


@pytest.mark.parametrize("extra", [{1: "int key"}, {"x": object()}, {"x": {1, 2}}])
def test_mappings_that_are_not_json_data(extra: dict[Any, Any]) -> None:
    assert "not JSON data" in str(_error({"id": "c1", "status": "completed", **extra}))


def test_a_vendor_that_is_not_a_name() -> None:
    with pytest.raises(UnknownVendorError):
        callstatus.normalize(b"{}", ["dialnexa"])  # type: ignore[arg-type]
