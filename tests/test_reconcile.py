"""Reconcile: a vendor's calls in a window merged into the tracker, with a report; a second run changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import callstatus
from callstatus import CallTracker, ReconcileReport, UsageError
from callstatus.testing import AtomsServer, DialNexaServer

KEY = "test-api-key"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_reconcile_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    with DialNexaServer(calls=250, now=NOW, api_key=KEY) as server, CallTracker(tmp_path / "calls.db") as tracker:
        with callstatus.client("dialnexa", KEY, base_url=server.url) as client:
            first = callstatus.reconcile(client, tracker, since=NOW - timedelta(days=30), until=NOW)
            again = callstatus.reconcile(client, tracker, since=NOW - timedelta(days=30), until=NOW)
        stored = list(tracker.records())
    assert first.listed == first.new == first.changed == len(stored) > 0
    assert first.became_terminal == sum(record.is_terminal for record in stored)
    assert first.still_open == sum(not record.is_terminal for record in stored)
    assert (again.listed, again.new, again.changed, again.became_terminal) == (first.listed, 0, 0, 0)
    assert again.still_open == first.still_open and again.failed == 0 and first.pages >= 3
    assert "became terminal" in str(first)


def test_async_reconcile_reports_the_same(tmp_path: Path) -> None:
    async def run(url: str, tracker: CallTracker) -> ReconcileReport:
        async with callstatus.async_client("atoms", KEY, base_url=url) as client:
            return await callstatus.areconcile(client, tracker, status=["completed", "no_answer"])

    with AtomsServer(calls=120, now=NOW, api_key=KEY) as server, CallTracker() as tracker:
        report = asyncio.run(run(server.url, tracker))
        with callstatus.client("atoms", KEY, base_url=server.url) as client:
            same = callstatus.reconcile(client, tracker, status=["completed", "no_answer"])
    assert report.new == report.listed > 0 and same.changed == 0
    assert {record.status.value for record in tracker.records()} <= {"completed", "no_answer"}


def test_wrong_arguments_are_usage_errors() -> None:
    with DialNexaServer(calls=5, now=NOW, api_key=KEY) as server, CallTracker() as tracker:
        with pytest.raises(UsageError):
            callstatus.reconcile(callstatus.async_client("dialnexa", KEY, base_url=server.url), tracker)  # type: ignore[arg-type]
        with callstatus.client("dialnexa", KEY, base_url=server.url) as client, pytest.raises(UsageError):
            callstatus.reconcile(client, tracker, vendor="dialnexa")  # type: ignore[call-arg]


def test_callstatus_reconcile_prints_the_report(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    with DialNexaServer(calls=60, now=NOW, api_key=KEY) as server:
        env = {**os.environ, "CALLSTATUS_DIALNEXA_API_KEY": KEY}
        command = [sys.executable, "-m", "callstatus", "reconcile", "dialnexa", "--base-url", server.url,
                   "--db", str(db), "--until", NOW.isoformat()]  # fmt: skip
        runs = [subprocess.run(command, capture_output=True, text=True, timeout=120, env=env) for _ in range(2)]
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert KEY not in done.stdout + done.stderr
    first, second = (json.loads(done.stdout) for done in runs)
    assert first["new"] == first["listed"] == 60 and second["new"] == second["changed"] == 0
    assert first["until"] == NOW.isoformat()
