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


ASTERISK: list[tuple[dict[str, Any], CallStatus, EndReason, float | None]] = [
    ({"uniqueid": "1732960000.1", "src": "+14155550100", "dst": "+14155550123", "start": "2026-11-30 10:00:00",
      "answer": "2026-11-30 10:00:05", "end": "2026-11-30 10:01:05", "duration": "65", "billsec": "60",
      "disposition": "ANSWERED", "hangupcause": "16"}, CallStatus.COMPLETED, EndReason.NORMAL_CLEARING, 60.0),
    ({"uniqueid": "1732960000.2", "src": "+14155550100", "dst": "+14155550124", "start": "2026-11-30 10:02:00",
      "end": "2026-11-30 10:02:30", "duration": "30", "billsec": "0", "disposition": "NO ANSWER",
      "hangupcause": "19"}, CallStatus.NO_ANSWER, EndReason.NO_ANSWER, 0.0),
    ({"uniqueid": "1732960000.3", "src": "+14155550100", "dst": "+14155550125", "billsec": "0", "disposition": "BUSY",
      "hangupcause": "17"}, CallStatus.BUSY, EndReason.BUSY, 0.0),
    ({"uniqueid": "1732960000.4", "src": "+14155550100", "dst": "+14155550126", "billsec": "0",
      "disposition": "CONGESTION"}, CallStatus.FAILED, EndReason.TELEPHONY_ERROR, 0.0),
    ({"uniqueid": "1732960000.5", "dst": "+14155550127", "billsec": "0", "disposition": "2"},
     CallStatus.BUSY, EndReason.BUSY, 0.0),
    ({"uniqueid": "1732960000.6", "dst": "+14155550128", "billsec": "0", "disposition": "FAILED",
      "hangupcause": "1"}, CallStatus.FAILED, EndReason.INVALID_NUMBER, 0.0),
]  # fmt: skip


@pytest.mark.parametrize(("row", "status", "reason", "duration"), ASTERISK)
def test_asterisk_cdr_rows(row: dict[str, Any], status: CallStatus, reason: EndReason, duration: float) -> None:
    record = callstatus.normalize(row)  # detected by its CDR columns
    assert (record.vendor, record.status, record.end_reason, record.duration_seconds) == (
        "asterisk",
        status,
        reason,
        duration,
    )
    if "start" in row:
        assert (
            record.started_at is not None and record.started_at.isoformat() == row["start"].replace(" ", "T") + "+00:00"
        )


def test_asterisk_unknown_cause_is_kept_raw() -> None:
    row = {"uniqueid": "9.9", "dst": "+14155550129", "disposition": "FAILED", "hangupcause": "999", "billsec": "0"}
    record = callstatus.normalize(row, "asterisk")
    assert record.end_reason is EndReason.UNKNOWN and record.raw_reason == "999"
    with pytest.raises(callstatus.NormalizationError):
        callstatus.normalize(row, "asterisk", strict=True)


def _cdr(**variables: str) -> dict[str, Any]:
    base = {"uuid": "6f1c2a4e-0000-4000-8000-000000000001", "direction": "outbound",
            "caller_id_number": "+14155550100", "destination_number": "+14155550123", "start_epoch": "1732960000",
            "answer_epoch": "0", "end_epoch": "1732960030", "billsec": "0"}  # fmt: skip
    return {"core-uuid": "c0re", "switchname": "fs1", "channel_data": {"direction": "outbound"},
            "variables": base | variables, "callflow": []}  # fmt: skip


FREESWITCH = [
    (_cdr(hangup_cause="NORMAL_CLEARING", hangup_cause_q850="16", billsec="42", sip_term_status="200",
          sip_hangup_disposition="recv_bye"), CallStatus.COMPLETED, EndReason.NORMAL_CLEARING, "customer"),
    (_cdr(hangup_cause="NO_ANSWER", hangup_cause_q850="19", sip_term_status="480",
          sip_hangup_disposition="send_cancel"), CallStatus.NO_ANSWER, EndReason.NO_ANSWER, "system"),
    (_cdr(hangup_cause="USER_BUSY", hangup_cause_q850="17", sip_term_status="486",
          sip_hangup_disposition="recv_refuse"), CallStatus.BUSY, EndReason.BUSY, "customer"),
    (_cdr(hangup_cause="ORIGINATOR_CANCEL", hangup_cause_q850="487"), CallStatus.CANCELED, EndReason.CANCELED, None),
    (_cdr(hangup_cause="UNALLOCATED_NUMBER", hangup_cause_q850="1", sip_term_status="404"),
     CallStatus.FAILED, EndReason.INVALID_NUMBER, None),
    (_cdr(hangup_cause="NORMAL_TEMPORARY_FAILURE", hangup_cause_q850="41", billsec="12"),
     CallStatus.FAILED, EndReason.TELEPHONY_ERROR, None),
]  # fmt: skip


@pytest.mark.parametrize(("cdr", "status", "reason", "ended_by"), FREESWITCH)
def test_freeswitch_json_cdrs(cdr: dict[str, Any], status: CallStatus, reason: EndReason, ended_by: str | None) -> None:
    record = callstatus.normalize(cdr)  # detected by the CDR's envelope
    assert (record.vendor, record.status, record.end_reason) == ("freeswitch", status, reason)
    assert (record.ended_by.value if record.ended_by else None) == ended_by
    assert record.started_at is not None and record.started_at.timestamp() == 1732960000
    assert record.duration_seconds == float(cdr["variables"]["billsec"])
