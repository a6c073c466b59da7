"""Typed fuzzing: documented payloads with one field's value replaced by arbitrary JSON.

Only NormalizationError may escape; otherwise the hot path and the careful path must agree and the record must
round-trip. This reaches the converters' and the hot path's fallback branches, which well-formed payloads don't.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import CallRecord, NormalizationError
from callstatus.convert import timestamp
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


@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30)),
    offset=st.integers(-14 * 60, 14 * 60),
    weekday=st.booleans(),
)
def test_rfc2822_timestamps_read_as_the_standard_library_reads_them(
    moment: datetime, offset: int, weekday: bool
) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset)))
    text = format_datetime(aware)  # 'Tue, 31 Aug 2010 20:36:44 +0000'
    text = text if weekday else text.split(", ", 1)[1]
    read = timestamp(text, "rfc2822", UTC, "acme", "t")
    assert read == parsedate_to_datetime(text) == aware
    assert read.tzinfo is UTC


def test_an_unknown_rfc2822_offset_is_read_in_the_vendors_zone() -> None:
    zone = timezone(timedelta(hours=5, minutes=30))
    read = timestamp("Tue, 31 Aug 2010 20:36:44 -0000", "rfc2822", zone, "acme", "t")
    assert read == datetime(2010, 8, 31, 20, 36, 44, tzinfo=zone)
    with pytest.raises(NormalizationError):
        timestamp("Tue, 31 Feb 2010 20:36:44 +0000", "rfc2822", UTC, "acme", "t")
