"""CallTracker throughput: observations per second into each store, one by one and in batches.

Two shapes of 20,000 DialNexa observations into a fresh store: 20,000 calls seen once each (an import, the shape
of the issue's 8.7 s measurement), and 10,000 calls seen twice each (initiated, then ended, shuffled: every second
observation merges into a stored call). The same into PostgreSQL when ``CALLSTATUS_DATABASE_URL`` names a database.
Then ``records()`` and ``counts()`` over what was stored.

    python benchmarks/tracker.py [--calls N]

Budget: ``observe_many`` into SQLite at least 20,000 observations/s.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import callstatus
from callstatus import CallRecord, CallTracker


def observations(calls: int, *, twice: bool = True) -> list[CallRecord]:
    rng = random.Random(1)
    found = []
    for i in range(calls):
        base = {"id": f"call_{i:06d}", "agent_id": f"agt_{i % 7}", "to_phone_number": "+919876543210",
                "created_at": f"2026-01-{1 + i % 28:02d}T10:00:00Z"}  # fmt: skip
        if twice:
            found.append(callstatus.normalize({**base, "status": "initiated"}, "dialnexa"))
        ended = rng.choice([("completed", "user_disconnected"), ("busy", "user_busy"), ("no_answer", None)])
        done = {**base, "status": ended[0], "duration_seconds": rng.randint(0, 300)}
        if ended[1]:
            done["end_reason"] = ended[1]
        found.append(callstatus.normalize(done, "dialnexa"))
    rng.shuffle(found)
    return found


def baseline(path: str, records: list[CallRecord], runs: int = 5) -> float:
    """Seconds for the least a store must do, best of ``runs``: plain sqlite3, each record's JSON upserted by
    (vendor, call id), one transaction per 1,000 (no merge, no delivery keys, no indexes)."""
    seconds = float("inf")
    for run in range(runs):
        db = sqlite3.connect(f"{path}.{run}", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE calls (vendor TEXT, call_id TEXT, record TEXT, PRIMARY KEY (vendor, call_id))")
        start = time.perf_counter()
        for first in range(0, len(records), 1000):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)",
                [(r.vendor, r.call_id, r.model_dump_json()) for r in records[first : first + 1000]],
            )
            db.execute("COMMIT")
        seconds = min(seconds, time.perf_counter() - start)
        db.close()
    print(f"{'plain sqlite3 upsert (baseline)':<34} {len(records):>7,} in {seconds:6.2f} s = "
          f"{len(records) / seconds:>9,.0f} observations/s")  # fmt: skip
    return seconds


def timed(
    label: str, store: str | None, records: list[CallRecord], batch: bool, runs: int = 5, against: float = 0.0
) -> None:
    """Best of ``runs`` (each into a fresh store): the least disturbed run on a shared, noisy machine."""
    seconds = float("inf")
    for run in range(runs):
        target = None if store is None else f"{store}.{run}" if not store.startswith("postgres") else store
        tracker = CallTracker(target)
        if store is not None and store.startswith("postgres"):
            tracker.forget(timedelta(0), now=datetime(2100, 1, 1, tzinfo=UTC))  # empty it between runs
        start = time.perf_counter()
        if batch:
            tracker.observe_many(records)
        else:
            for record in records:
                tracker.observe(record)
        seconds = min(seconds, time.perf_counter() - start)
        if run < runs - 1:
            tracker.close()
    with tracker:
        ratio = f"  ({seconds / against:.2f}x the baseline)" if against else ""
        print(f"{label:<34} {len(records):>7,} in {seconds:6.2f} s = {len(records) / seconds:>9,.0f} observations/s"
              + ratio)  # fmt: skip
        if batch:
            start = time.perf_counter()
            listed = sum(1 for _ in tracker.records())
            counted = tracker.counts(by=("status", "end_reason"))
            print(f"{'  records() and counts()':<34} {listed:>7,} in {time.perf_counter() - start:6.2f} s"
                  f" ({len(counted)} groups)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    once, twice = observations(2 * args.calls, twice=False), observations(args.calls)
    url = os.environ.get("CALLSTATUS_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        for shape, records in (("calls seen once", once), ("calls seen twice", twice)):
            print(f"-- {len(records):,} observations, {shape}")
            timed("memory, observe_many", None, records, True)
            plain = baseline(str(Path(folder) / f"{shape}-plain.db"), records)
            timed("SQLite, observe_many", str(Path(folder) / f"{shape}.db"), records, True, against=plain)
            timed("SQLite, observe one by one", str(Path(folder) / f"{shape}-1.db"), records[:2000], False)
            if url:
                timed("PostgreSQL, observe_many", url, records, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
