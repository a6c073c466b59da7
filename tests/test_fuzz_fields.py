"""Typed fuzzing: documented payloads with one field's value replaced by arbitrary JSON.

Only NormalizationError may escape; otherwise the hot path and the careful path must agree and the record must
round-trip. This reaches the converters' and the hot path's fallback branches, which well-formed payloads don't.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, NormalizationError
from callstatus.testing import payloads

VENDORS = callstatus.vendors()
NASTY = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["", " ", "+", "+0123", "00442071838750", "2024-02-30T00:00:00Z", "1e999", "-1", "\u202e"])
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(_paths(child, (*prefix, key)))
    return found


@pytest.mark.parametrize("vendor", VENDORS)
@given(data=st.data())
def test_any_value_in_any_field(vendor: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(vendor))
    path = data.draw(st.sampled_from(_paths(payload)))
    holder = payload
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = data.draw(NASTY)
    try:
        body = orjson.dumps(payload)
    except orjson.JSONEncodeError:  # integers past 64 bits: the mapping path must refuse them cleanly
        with pytest.raises(NormalizationError):
            callstatus.normalize(payload, vendor)
        return
    try:
        record = callstatus.normalize(body, vendor)
    except NormalizationError:
        with pytest.raises(NormalizationError):
            callstatus.normalize(payload, vendor)
        return
    assert callstatus.normalize(payload, vendor) == record
    adapter = callstatus.get_adapter(vendor)
    found = adapter.locate(payload)
    if found is not None:
        assert adapter.careful(found[0], found[1], payload) == record
    assert CallRecord.model_validate_json(record.model_dump_json()) == record
