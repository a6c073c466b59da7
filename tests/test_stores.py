"""What is particular to each store: upgrading a file written by the last release, opening a new file from many
processes at once, failures as TrackerError, and PostgreSQL passwords kept out of sight."""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest

import callstatus
from callstatus import CallRecord, CallTracker, SQLiteStore, TrackerError

RELEASE_DB = Path(__file__).parent / "fixtures" / "tracker" / "release-0.1.0.db"


def test_a_database_written_by_the_last_release_is_upgraded_in_place_and_every_call_found(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    shutil.copy(RELEASE_DB, path)
    with sqlite3.connect(path) as raw:  # what release 0.1.0 wrote, read without callstatus
        written = {(v, c): CallRecord.model_validate_json(text) for v, c, text in raw.execute(
            "SELECT vendor, call_id, record FROM calls")}  # fmt: skip
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
    assert len(written) == 36
    with CallTracker(path) as tracker:
        for (vendor, call_id), record in written.items():
            assert tracker.get(vendor, call_id) == record
        assert {(r.vendor, r.call_id) for r in tracker.records()} == set(written)
        assert sum(tracker.counts(by="vendor").values()) == 36
        assert {r.call_id for r in tracker.records(terminal=False)} == {
            c for (_v, c), r in written.items() if not r.is_terminal}  # fmt: skip
        seen_again = tracker.observe(next(iter(written.values())))
        assert not seen_again.changed
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    with CallTracker(path) as reopened:  # a second opening finds nothing left to do
        assert sum(reopened.counts(by="vendor").values()) == 36


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(TrackerError, match="newer callstatus") as info:
        SQLiteStore(path)
    assert str(path) in str(info.value)


def _open_at_once(path: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        with CallTracker(path) as tracker:
            tracker.observe(callstatus.normalize({"id": "c", "status": "busy", "agent_id": "a"}, "dialnexa"))
        results.put("ok")  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))  # type: ignore[attr-defined]


def test_many_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    path = str(tmp_path / "new.db")
    context = multiprocessing.get_context("spawn")
    count = 12
    barrier, results = context.Barrier(count), context.Queue()
    workers = [context.Process(target=_open_at_once, args=(path, barrier, results)) for _ in range(count)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == ["ok"] * count
    with CallTracker(path) as tracker:
        assert tracker.get("dialnexa", "c") is not None


def test_store_failures_are_tracker_errors_naming_the_store(tmp_path: Path) -> None:
    with pytest.raises(TrackerError) as info:
        SQLiteStore(tmp_path / "missing" / "folder" / "calls.db")
    assert "SQLiteStore(" in str(info.value) and "cannot open" in str(info.value)
    path = tmp_path / "calls.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TrackerError, match="SQLiteStore"):
        CallTracker(path)


def test_every_exception_derives_from_callstatus_error() -> None:
    for exc in (callstatus.NormalizationError, callstatus.UnknownVendorError, callstatus.TableError,
                callstatus.WebhookError, callstatus.WebhookAuthError, callstatus.VendorAPIError, callstatus.AuthError,
                callstatus.TrackerError, callstatus.UsageError):  # fmt: skip
        assert issubclass(exc, callstatus.Error), exc
    assert issubclass(callstatus.NormalizationError, ValueError) and issubclass(callstatus.UsageError, TypeError)
    with pytest.raises(callstatus.Error):
        callstatus.merge(callstatus.normalize({"id": "a", "status": "busy", "agent_id": "x"}, "dialnexa"),
                         callstatus.normalize({"id": "b", "status": "busy", "agent_id": "x"}, "dialnexa"))  # fmt: skip


def test_a_postgres_password_never_shows(postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    password = postgres_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    with caplog.at_level(logging.DEBUG), CallTracker(postgres_url) as tracker:
        tracker.observe(callstatus.normalize({"id": "c", "status": "busy", "agent_id": "a"}, "dialnexa"))
        assert password not in repr(tracker) and "postgres@127.0.0.1" in repr(tracker)
    assert password not in caplog.text
    wrong = postgres_url.replace(password, password[::-1])
    with pytest.raises(TrackerError) as info:
        CallTracker(wrong)
    assert password[::-1] not in str(info.value) and "password authentication failed" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__ in (True, False)
    assert info.value.__context__ is None  # raised outside the driver's handler: no frame holding the URL


def test_postgres_store_reads_a_schema_newer_than_it_knows_as_an_error(postgres_url: str) -> None:
    import psycopg

    CallTracker(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("UPDATE callstatus_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(TrackerError, match="newer callstatus"):
        CallTracker(postgres_url)


def test_postgres_reconnects_after_the_server_dropped_the_session(postgres_url: str) -> None:
    import psycopg

    tracker = CallTracker(postgres_url)
    try:
        first = callstatus.normalize({"id": "c1", "status": "initiated"}, "dialnexa")
        tracker.observe(first)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        later = callstatus.normalize({"id": "c1", "status": "completed", "duration": 5}, "dialnexa")
        try:
            tracker.observe(later)  # may meet the dropped session: fails whole, as a TrackerError
        except callstatus.TrackerError:
            tracker.observe(later)
        assert tracker.get("dialnexa", "c1").status.value == "completed"  # type: ignore[union-attr]
    finally:
        tracker.close()


def test_postgres_takes_batches_past_the_parameter_limit(postgres_url: str) -> None:
    records = [callstatus.normalize({"id": f"c{i}", "status": "busy"}, "dialnexa") for i in range(6000)]
    with CallTracker(postgres_url) as tracker:
        done = tracker.observe_many(records, batch_size=6000)
        assert sum(observation.changed for observation in done) == 6000
        assert tracker.counts(by="status") == {("busy",): 6000}


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgres"])
def test_an_empty_status_filter_selects_nothing_on_every_store(store: str, tmp_path: Path, request: Any) -> None:
    where = {"memory": None, "sqlite": tmp_path / "calls.db"}.get(store)
    if store == "postgres":
        where = request.getfixturevalue("postgres_url")
    with CallTracker(where) as tracker:
        tracker.observe(callstatus.normalize({"id": "c1", "status": "busy"}, "dialnexa"))
        assert list(tracker.records(status=[])) == [] and tracker.counts(status=[]) == {}


def test_a_bad_postgres_url_is_a_usage_error_without_the_password() -> None:
    with pytest.raises(callstatus.UsageError) as info:
        CallTracker("postgresql://user:hunter2@127.0.0.1:99999/calls")
    assert "hunter2" not in str(info.value)
    for frame, _line in traceback.walk_tb(info.value.__traceback__):
        if frame.f_code.co_filename != __file__:
            assert not any("hunter2" in repr(value) for value in frame.f_locals.values())
