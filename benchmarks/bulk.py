"""The DuckDB bulk path against normalize_many over the same NDJSON file, in one run.

Writes N generated records (default 1,000,000) of one vendor, of three vendors interleaved, of three vendors
whose records lack some optional keys or carry one no table reads (many key sets), and of DialNexa webhooks whose
numbers lack the '+' (``WEBHOOK``), then times ``callstatus.bulk.normalize_file`` to Parquet (the raw JSON kept
beside the canonical columns) and ``normalize_many`` over the same file, each in a fresh child process that reports
its own peak RSS. A third child times DuckDB alone over the same file (``floor``): every line read, parsed once
into its top-level fields and written to Parquet beside its text, with no mapping and no checks; the bulk path's
share of that pace is what the library's own work leaves.
Budget: the bulk path at least 5x ``normalize_many`` and at least 600,000 records/s for one vendor.

With ``--fold`` it writes N Twilio status callbacks (ringing, in-progress, completed: three per call) and times
``normalize_file(..., fold=True)`` (one row per call) against ``normalize_many`` folded with ``report.fold``.

With ``--size-gb G`` it streams generated records (one vendor, or three interleaved with ``--mixed``) into a
file of G gigabytes under ``--folder`` (default: a temporary directory), runs only the bulk path over it and
checks the Parquet output has a row per record. Budget: memory bounded on files larger than RAM, the child's
peak RSS near ``--memory-limit`` whatever G is.

    python benchmarks/bulk.py [--records N] [--memory-limit 2GB]
    python benchmarks/bulk.py --fold [--records N]
    python benchmarks/bulk.py --size-gb 5 --memory-limit 1GB [--mixed] [--folder DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from ndjson_memory import TEMPLATES, export_lines, write_export

OPTIONAL = {
    "dialnexa": ("agent_id", "duration_seconds", "ended_at"),
    "dialgen": ("contactId", "batchId", "error"),
    "atoms": ("agentId", "disconnectionReason", "createdAt"),
}
"""Keys a record of the varied export may lack (each one in ten records lacks each)."""
WEBHOOK = {
    "id": "call_{i}",
    "direction": "outbound",
    "type": "phone_call",
    "status": "completed",
    "category": "batch",
    "category_id": "batch_001",
    "from_number": "12137771234",
    "to_number": "1646555{n:04d}",
    "agent_id": "agent_987654321",
    "initiated_at": "2025-05-02T10:21:15.945Z",
    "duration": 95,
    "transcript": "Agent: Hello! Am I speaking with Sam?\nUser: Yes.",
    "summary": "Sam confirmed the appointment.",
    "recording_url": "https://recordings.dialnexa.com/call_done001.mp3",
    "post_call_analysis": {"appointment_confirmed": True},
    "hangup_reason": "agent_disconnected",
}
"""The call of a DialNexa ``call_ended`` webhook as its docs show it: numbers in international form without the
'+', which only ``phonenumbers`` reads (10,000 distinct callees)."""


def child(kind: str, path: Path, vendor: str | None, memory_limit: str | None) -> None:
    """Run one path in this process and print records, seconds, peak RSS (MB), and the seconds it took to start
    (loading the vendor tables; for bulk, importing DuckDB too), which are not counted in the rate."""
    begin = time.perf_counter()
    import callstatus
    from callstatus.bulk import normalize_file

    callstatus.default_registry()
    if kind in ("bulk", "bulkfold", "floor"):
        import duckdb

        duckdb.connect().close()
    start = time.perf_counter()
    if kind in ("bulk", "bulkfold"):
        out = path.with_suffix(".parquet")
        summary = normalize_file(path, vendor, out=out, memory_limit=memory_limit, fold=kind == "bulkfold")
        count = summary.rows
        detail = f"sql={summary.by_sql} careful={summary.by_normalize} rejected={summary.rejected}"
        detail += "" if summary.calls is None else f" calls={summary.calls}"
    elif kind == "floor":
        count, detail = floor(path, memory_limit), ""
    elif kind == "manyfold":
        from callstatus.report import fold

        with path.open("rb") as stream:
            calls, count = fold(callstatus.normalize_many(stream, vendor))
        detail = f"calls={len(calls)}"
    else:
        with path.open("rb") as stream:
            count = sum(1 for _ in callstatus.normalize_many(stream, vendor))
        detail = ""
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {seconds:.3f} {peak:.1f} {start - begin:.3f} {detail}")


def floor(path: Path, memory_limit: str | None) -> int:
    """DuckDB alone: each line of ``path`` read as text (as the bulk path reads NDJSON), parsed once into the
    top-level fields of the file's first 1,000 records, and written with its text to Parquet (zstd)."""
    import duckdb

    with path.open("rb") as stream:
        keys = sorted({key for _, line in zip(range(1000), stream, strict=False) for key in orjson.loads(line)})
    spec = orjson.dumps(dict.fromkeys(keys, "VARCHAR")).decode()
    lines = (
        f"read_csv('{path}', columns = {{'raw': 'VARCHAR'}}, header = false, delim = chr(31), quote = '', "
        "escape = '', auto_detect = false, strict_mode = false, new_line = '\\n')"
    )
    connection = duckdb.connect()
    connection.execute("SET preserve_insertion_order = false")
    if memory_limit:
        connection.execute("SET memory_limit = ?", [memory_limit])
    out = path.with_suffix(".floor.parquet")
    parsed = f"SELECT raw, json_transform(raw, '{spec}') AS q FROM {lines}"
    connection.execute(f"COPY (SELECT q.*, raw FROM ({parsed})) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    count = connection.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchall()[0][0]
    connection.close()
    out.unlink()
    return int(count)


def write_varied(path: Path, records: int) -> None:
    """Three vendors interleaved, each record lacking some optional keys and some carrying a key no table reads:
    many key sets, as a real export has (seeded, so every run writes the same file)."""
    chance = random.Random(2026)
    vendors = list(OPTIONAL)
    with path.open("wb", buffering=1 << 20) as out:
        for i in range(records):
            vendor = vendors[i % len(vendors)]
            row = {k: v.format(i=i, n=i % 100_000) if isinstance(v, str) else v for k, v in TEMPLATES[vendor].items()}
            for key in OPTIONAL[vendor]:
                if chance.random() < 0.1:
                    del row[key]
            if chance.random() < 0.1:
                row[f"custom_{chance.randrange(3)}"] = "x"
            out.write(orjson.dumps(row) + b"\n")


def write_webhooks(path: Path, records: int) -> None:
    """DialNexa ``call_ended`` webhooks of ``WEBHOOK`` calls."""
    with path.open("wb", buffering=1 << 20) as out:
        for i in range(records):
            call = {k: v.format(i=i, n=i % 10_000) if isinstance(v, str) else v for k, v in WEBHOOK.items()}
            out.write(orjson.dumps({"event_type": "call_ended", "payload": {"call": call}}) + b"\n")


def exports(folder: Path, records: int) -> Iterator[tuple[Path, str | None, str]]:
    """The exports every bulk benchmark times, written under ``folder``: (file, vendor to name, label)."""
    for vendor, label in (
        ("dialnexa", "dialnexa"),
        (None, "three vendors, detected"),
        ("varied", "varied keys, detected"),
        ("webhooks", "webhooks, bare numbers"),
    ):
        path = folder / f"{vendor or 'mixed'}.ndjson"
        if vendor == "varied":
            write_varied(path, records)
            vendor = None
        elif vendor == "webhooks":
            write_webhooks(path, records)
            vendor = "dialnexa"
        else:
            write_export(path, records, vendor)
        yield path, vendor, label


def run(kind: str, path: Path, vendor: str | None, memory_limit: str | None) -> tuple[int, float, float, float, str]:
    command = [sys.executable, __file__, "--child", kind, "--file", str(path)]
    command += ["--vendor", vendor] if vendor else []
    command += ["--memory-limit", memory_limit] if memory_limit else []
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"the {kind} child failed (exit {result.returncode}):\n{result.stderr}")
    output = result.stdout.split(maxsplit=4)
    detail = output[4].strip() if len(output) > 4 else ""
    return int(output[0]), float(output[1]), float(output[2]), float(output[3]), detail


CALLBACK = {
    "AccountSid": "AC3f0b6d1c8a5e4f2b9d7c6a1e0f3b2d4c",
    "ApiVersion": "2010-04-01",
    "Direction": "outbound-api",
    "From": "+14155550100",
    "To": "+1415555{n:04d}",
    "Timestamp": "Tue, 31 Aug 2010 20:36:44 +0000",
}
"""A Twilio status callback as its docs show it (form fields as JSON); ``CallSid`` and ``CallStatus`` are added."""


def write_callbacks(path: Path, records: int) -> None:
    """``records`` status callbacks, three per call: ringing, in-progress, completed (with its duration)."""
    with path.open("wb", buffering=1 << 20) as out:
        for i in range(records):
            call, step = divmod(i, 3)
            row = {k: v.format(n=call % 10_000) for k, v in CALLBACK.items()} | {"CallSid": f"CA{call:032x}"}
            row["CallStatus"] = ("ringing", "in-progress", "completed")[step]
            if step == 2:
                row["CallDuration"] = "42"
            out.write(orjson.dumps(row) + b"\n")


def folded(records: int) -> int:
    """Time the bulk path folding status callbacks into calls against ``normalize_many`` and ``report.fold``."""
    print(f"{'path':<28} {'records/s':>10} {'seconds':>14} {'peak RSS MB':>12}  ratio")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "callbacks.ndjson"
        write_callbacks(path, records)
        base = 0.0
        for kind, label in (("manyfold", "normalize_many + fold"), ("bulkfold", "bulk (duckdb), fold=True")):
            count, seconds, peak, start, detail = run(kind, path, "twilio", None)
            rate = count / seconds
            base = base or rate
            timing = f"{seconds:.2f} (+{start:.2f})"
            print(f"{label:<28} {rate:>10,.0f} {timing:>14} {peak:>12.1f}  {rate / base:.2f}x {detail}")
    return 0


def write_size(path: Path, size: int, vendor: str | None) -> int:
    """Stream generated NDJSON records into ``path`` until it holds ``size`` bytes; return how many."""
    written = records = 0
    with path.open("wb", buffering=1 << 20) as out:
        for line in export_lines(vendor):
            if written >= size:
                break
            out.write(line)
            written += len(line)
            records += 1
    return records


def large(size_gb: float, vendor: str | None, memory_limit: str | None, folder: Path | None) -> int:
    """Time the bulk path alone over a generated file of ``size_gb`` gigabytes; 1 if a record went missing."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        path = Path(scratch) / f"{vendor or 'mixed'}.ndjson"
        start = time.perf_counter()
        records = write_size(path, int(size_gb * 1e9), vendor)
        written = time.perf_counter() - start
        label = vendor or "three vendors, detected"
        print(f"file: {path.stat().st_size / 1e9:.2f} GB, {records:,} records ({label}), written in {written:.0f} s")
        print(f"bulk (duckdb), memory_limit={memory_limit} ...", flush=True)
        count, seconds, peak, _, detail = run("bulk", path, vendor, memory_limit)
        print(f"{count:,} records in {seconds:.1f} s = {count / seconds:,.0f} records/s, child peak RSS {peak:.1f} MB")
        print(f"rows decided: {detail}")
        out = path.with_suffix(".parquet")
        rows = pq.ParquetFile(out).metadata.num_rows
        check = "OK" if rows == records else "MISMATCH"
        print(f"output: {out.stat().st_size / 1e6:,.0f} MB Parquet, {rows:,} rows for {records:,} records: {check}")
    return 0 if rows == records else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit, e.g. 2GB")
    parser.add_argument("--size-gb", type=float, help="time the bulk path alone over a file of this many GB")
    parser.add_argument("--mixed", action="store_true", help="with --size-gb: three vendors, detected")
    parser.add_argument("--folder", type=Path, help="with --size-gb: where the files go (default: a temporary one)")
    parser.add_argument("--fold", action="store_true", help="time folding status callbacks into calls instead")
    parser.add_argument("--child", choices=["bulk", "many", "floor", "bulkfold", "manyfold"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vendor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.vendor, args.memory_limit)
        return 0
    if args.fold:
        return folded(args.records)
    if args.size_gb:
        return large(args.size_gb, None if args.mixed else "dialnexa", args.memory_limit, args.folder)
    print("records/s and seconds leave out each process's start (in brackets: loading the tables, importing)")
    print(f"{'export':<22} {'path':<15} {'records/s':>10} {'seconds':>14} {'peak RSS MB':>12}  ratio")
    with tempfile.TemporaryDirectory() as folder:
        for path, vendor, label in exports(Path(folder), args.records):
            many = run("many", path, vendor, None)
            bulk = run("bulk", path, vendor, args.memory_limit)
            alone = run("floor", path, vendor, args.memory_limit)
            base = many[0] / many[1]
            alone = (*alone[:4], f"bulk at {bulk[0] / bulk[1] / (alone[0] / alone[1]):.0%} of this pace")
            for name, (count, seconds, peak, start, detail) in (
                ("normalize_many", many),
                ("bulk (duckdb)", bulk),
                ("duckdb alone", alone),
            ):
                rate = count / seconds
                timing = f"{seconds:.2f} (+{start:.2f})"
                print(f"{label:<22} {name:<15} {rate:>10,.0f} {timing:>14} {peak:>12.1f}  {rate / base:.2f}x {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
