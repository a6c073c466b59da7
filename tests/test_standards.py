"""Shared reason vocabularies (Q.850, SIP) used by tables by name, and the Asterisk CDR table that uses Q.850."""

from __future__ import annotations

from typing import Any

import pytest

import callstatus
from callstatus import CallStatus, EndReason, TableError
from callstatus.standards import standard
from callstatus.tables import compile_table, parse_table
from callstatus.tokens import token

TABLE = """
[vendor]
id = "pbx"
name = "A PBX"
docs = ["https://example.com/docs"]
checked = 2026-11-30

[[shapes]]
name = "cdr"
all = ["cid", "state"]

[fields]
call_id = ["cid"]

[status.state]
paths = ["state"]
docs = "https://example.com/docs#states"
values = ["done", "fail"]
map = { done = "completed", fail = "failed" }

[reason.cause]
paths = ["cause"]
docs = "https://example.com/docs#causes"
standard = "{standard}"
values = ["17", "OWN_CAUSE"]
map = { "17" = "unknown", OWN_CAUSE = "platform_error" }
"""


def _table(name: str = "q850") -> Any:
    return compile_table(parse_table(TABLE.replace("{standard}", name), "pbx.toml"), "pbx.toml")


@pytest.mark.parametrize("name", ["q850", "q850_names", "sip"])
def test_every_value_of_a_standard_means_something(name: str) -> None:
    shared = standard(name)
    mapped = {token(raw) for raw in shared.map}
    assert all(token(value) in mapped for value in shared.values)


def test_a_table_takes_a_standards_values_and_its_own_win() -> None:
    record = _table("q850_names").normalize({"cid": "1", "state": "fail", "cause": "USER_BUSY"})
    assert (record.status, record.end_reason) == (CallStatus.BUSY, EndReason.BUSY)  # the reason names the status
    adapter = _table()
    assert adapter.normalize({"cid": "2", "state": "fail", "cause": "21"}).end_reason is EndReason.REJECTED
    own = adapter.normalize({"cid": "3", "state": "fail", "cause": "17"})  # the table's own mapping of 17 wins
    assert own.end_reason is EndReason.UNKNOWN and own.raw_reason == "17"
    assert adapter.normalize({"cid": "4", "state": "fail", "cause": "OWN_CAUSE"}).end_reason is EndReason.PLATFORM_ERROR


def test_sip_codes_through_the_sip_standard() -> None:
    adapter = _table("sip")
    assert adapter.normalize({"cid": "1", "state": "fail", "cause": "486"}).status is CallStatus.BUSY
    assert adapter.normalize({"cid": "2", "state": "fail", "cause": "404"}).end_reason is EndReason.INVALID_NUMBER


def test_an_unknown_standard_is_a_table_error() -> None:
    with pytest.raises(TableError, match="no such shared vocabulary"):
        _table("q931")


# Documented CDR rows of both PBX tables are fixtures: tests/fixtures/{asterisk,freeswitch}/ (test_seed_payloads).


def test_asterisk_unknown_cause_is_kept_raw() -> None:
    row = {"uniqueid": "9.9", "dst": "+14155550129", "disposition": "FAILED", "hangupcause": "999", "billsec": "0"}
    record = callstatus.normalize(row, "asterisk")
    assert record.end_reason is EndReason.UNKNOWN and record.raw_reason == "999"
    with pytest.raises(callstatus.NormalizationError):
        callstatus.normalize(row, "asterisk", strict=True)
