"""The command line, run as users run it: a real process, real files, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import orjson
import pytest

import callstatus
from callstatus import CallRecord

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "payloads").iterdir())


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "callstatus", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_normalize_the_examples_to_ndjson() -> None:
    result = run("normalize", *map(str, EXAMPLES))
    assert result.returncode == 0, result.stderr
    records = [CallRecord.model_validate_json(line) for line in result.stdout.splitlines()]
    expected = [record for path in EXAMPLES for record in callstatus.normalize_many(path)]
    assert records == expected and len(records) >= len(EXAMPLES)
    assert {record.vendor for record in records} == {"atoms", "dialgen", "dialnexa"}


def test_normalize_reads_stdin_with_a_vendor() -> None:
    payload = {"callId": "c1", "status": "MISSED", "error": "BUSY", "phoneNumber": "+15551234567", "contactId": "k1"}
    result = run("normalize", "--vendor", "dialgen", "-", stdin=orjson.dumps(payload))
    assert result.returncode == 0
    assert json.loads(result.stdout)["status"] == "busy"


def test_a_bad_record_is_one_line_and_exit_1_and_the_rest_still_comes_out(tmp_path: Path) -> None:
    path = tmp_path / "calls.ndjson"
    path.write_bytes(
        b'{"id": "a", "status": "completed", "agent_id": "x"}\n{"status": "busy", "agent_id": "x"}\n'
        b'{"id": "b", "status": "busy", "agent_id": "x"}\n'
    )
    result = run("normalize", "--vendor", "dialnexa", str(path))
    assert result.returncode == 1
    assert [json.loads(line)["call_id"] for line in result.stdout.splitlines()] == ["a", "b"]
    errors = result.stderr.decode().strip().splitlines()
    assert len(errors) == 1 and "record 1" in errors[0] and "no call id" in errors[0]
    assert "Traceback" not in result.stderr.decode()


def test_strict_normalize_fails_on_an_unknown_status() -> None:
    payload = orjson.dumps({"id": "a", "status": "teleported", "agent_id": "x"})
    assert run("normalize", "--vendor", "dialnexa", "-", stdin=payload).returncode == 0
    strict = run("normalize", "--strict", "--vendor", "dialnexa", "-", stdin=payload)
    assert strict.returncode == 1 and b"teleported" in strict.stderr


def test_check_reports_unmapped_values_with_counts(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "status": "teleported", "agent_id": "x"},
        {"id": "b", "status": "teleported", "agent_id": "x"},
        {"id": "c", "status": "completed", "agent_id": "x", "direction": "sideways"},
    ]
    path = tmp_path / "calls.ndjson"
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    result = run("check", str(path))
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "unmapped: dialnexa status at status: 'teleported' x2" in out
    assert "unmapped: dialnexa direction at direction: 'sideways' x1" in out
    assert b"teleported" not in result.stderr  # reported once, on stdout, not also as a log warning


def test_check_passes_clean_payloads_and_strict_also_fails_payloads_without_status(tmp_path: Path) -> None:
    assert run("check", *map(str, EXAMPLES)).returncode == 0
    path = tmp_path / "calls.json"
    initiated = {"event_type": "call_initiated", "payload": {"call": {"id": "c", "direction": "outbound"}}}
    path.write_text(json.dumps([initiated]))
    assert run("check", "--vendor", "dialnexa", str(path)).returncode == 0
    strict = run("check", "--strict", "--vendor", "dialnexa", str(path))
    assert strict.returncode == 1 and b"no status" in strict.stderr


def test_check_fails_a_payload_that_fits_none_of_the_named_vendors_shapes(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    live = {"callId": "call_123", "status": "ONGOING", "startTime": "2025-11-15T14:30:01.123Z",
            "phoneNumber": "+15551234567", "contactId": "contact_456", "batchId": None}  # fmt: skip
    path.write_text(json.dumps(live))
    assert run("check", str(path)).returncode == 0  # detected: a Dialgen live status
    result = run("check", "--vendor", "atoms", str(path))
    assert result.returncode == 1
    assert "unmapped: atoms shape at $:" in result.stdout.decode()


def test_a_broken_ndjson_line_is_reported_and_the_rest_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "calls.ndjson"
    path.write_bytes(b'{"id": "a", "status": "completed", "agent_id": "x"}\n{broken\n'
                     b'{"id": "b", "status": "weird", "agent_id": "x"}\n')  # fmt: skip
    result = run("check", "--vendor", "dialnexa", str(path))
    assert result.returncode == 1
    assert "unmapped: dialnexa status at status: 'weird' x1" in result.stdout.decode()
    assert b"record 1: not valid JSON" in result.stderr
    normalized = run("normalize", "--vendor", "dialnexa", str(path))
    assert normalized.returncode == 1
    assert [json.loads(line)["call_id"] for line in normalized.stdout.splitlines()] == ["a", "b"]


def test_vendors() -> None:
    result = run("vendors")
    assert result.returncode == 0
    tables = sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "adapters").glob("*.toml"))
    assert [line.split("\t")[0] for line in result.stdout.decode().splitlines()] == tables


def test_schema_writes_the_committed_schemas(tmp_path: Path) -> None:
    assert run("schema", "--out", str(tmp_path)).returncode == 0
    committed = Path(__file__).resolve().parents[1] / "schemas"
    for path in committed.glob("*.json"):
        assert (tmp_path / path.name).read_text() == path.read_text()


@pytest.mark.parametrize(
    "args",
    [
        ("normalize",),
        ("normalize", "--vendor", "acme", "x.json"),
        ("normalize", "/no/such/file.json"),
        ("frobnicate",),
        ("schema",),
        ("schema", "--out", __file__),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("callstatus: error:")


def test_the_console_script_is_installed() -> None:
    script = Path(sysconfig.get_path("scripts")) / "callstatus"
    result = subprocess.run([str(script), "vendors"], capture_output=True, timeout=60, check=False)
    assert result.returncode == 0 and b"dialnexa" in result.stdout


def test_check_passes_dialgen_error_descriptions_and_objects(tmp_path: Path) -> None:
    path = tmp_path / "failed.ndjson"
    failed = {"callId": "call_1", "status": "FAILED", "phoneNumber": "+15551234567", "contactId": "k"}
    lines = [{**failed, "error": "Network connectivity issue"}, {**failed, "error": {"code": "NETWORK_ERROR"}}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = run("check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    out = run("normalize", str(path)).stdout.decode().splitlines()
    assert [json.loads(line)["end_reason"] for line in out] == ["telephony_error", "telephony_error"]
