"""normalize_many over a large NDJSON export: throughput and peak memory.

Writes N records (default 1,000,000) to a temporary NDJSON file, then reads them back in a fresh child process
with ``normalize_many`` and prints records/s and the child's peak RSS. By default the export interleaves the
three vendors and each record's vendor is detected; ``--vendor V`` writes and reads one vendor's export.
Budget: peak RSS under 200 MB, whatever N is (constant memory).

    python benchmarks/ndjson_memory.py [--records N] [--vendor V]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

TEMPLATES = {
    "dialnexa": {
        "id": "call_{i}",
        "agent_id": "agt_abc123",
        "to_phone_number": "+9198765{n:05d}",
        "from_phone_number": "+912234567890",
        "status": "completed",
        "duration_seconds": 145,
        "created_at": "2024-03-01T10:00:00.000Z",
        "ended_at": "2024-03-01T10:02:25.000Z",
    },
    "dialgen": {
        "callId": "call_{i}",
        "status": "MISSED",
        "startTime": "2025-11-15T14:30:01.123Z",
        "phoneNumber": "+1555{n:07d}",
        "contactId": "contact_{i}",
        "batchId": "batch_9",
        "error": "NO_ANSWER",
        "duration": 0,
    },
    "atoms": {
        "callId": "CALL-{i}",
        "status": "completed",
        "duration": 185,
        "from": "+15551234567",
        "to": "+1555{n:07d}",
        "type": "telephony_outbound",
        "agentId": "60d0fe4f5311236168a109cb",
        "disconnectionReason": "user_hangup",
        "createdAt": "2025-01-15T10:30:00.000Z",
    },
}


def export_lines(vendor: str | None) -> Iterator[bytes]:
    """Endless NDJSON lines of an export, the vendors interleaved unless one is given."""
    vendors = [vendor] if vendor else list(TEMPLATES)
    for i in itertools.count():
        template = TEMPLATES[vendors[i % len(vendors)]]
        row = {
            key: value.format(i=i, n=i % 100_000) if isinstance(value, str) else value
            for key, value in template.items()
        }
        yield orjson.dumps(row) + b"\n"


def write_export(path: Path, records: int, vendor: str | None) -> dict[str, int]:
    """Write an NDJSON export, the vendors interleaved unless one is given; returns records per vendor."""
    vendors = [vendor] if vendor else list(TEMPLATES)
    counts = dict.fromkeys(vendors, 0)
    with path.open("wb", buffering=1 << 20) as out:
        for i, line in enumerate(itertools.islice(export_lines(vendor), records)):
            out.write(line)
            counts[vendors[i % len(vendors)]] += 1
    return counts


def read_export(path: Path, vendor: str | None) -> None:
    """The child: normalize every record, print count, seconds and peak RSS."""
    import callstatus

    start = time.perf_counter()
    count = 0
    with path.open("rb") as stream:
        for _ in callstatus.normalize_many(stream, vendor):
            count += 1
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"{count} {seconds:.3f} {peak_mb:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--vendor", choices=sorted(TEMPLATES), help="one vendor's export (default: all three)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        read_export(args.child, args.vendor)
        return 0

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.ndjson"
        counts = write_export(path, args.records, args.vendor)
        size_mb = path.stat().st_size / 1e6
        child = [sys.executable, __file__, "--child", str(path)] + (["--vendor", args.vendor] if args.vendor else [])
        baseline = [sys.executable, "-c", "import callstatus, resource; callstatus.vendors();"
                    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"]  # fmt: skip
        idle_mb = float(subprocess.run(baseline, capture_output=True, text=True, check=True).stdout)
        output = subprocess.run(child, capture_output=True, text=True, check=True, env=dict(os.environ)).stdout
        count, seconds, peak_mb = output.split()
    mode = f"normalize_many(file, {args.vendor!r})" if args.vendor else "normalize_many(file), vendor detected"
    print(f"export: {args.records:,} NDJSON records, {size_mb:.0f} MB, {counts}")
    print(f"{mode}: {int(count):,} records in {float(seconds):.1f} s = {int(count) / float(seconds):,.0f} records/s")
    print(f"peak RSS {float(peak_mb):.1f} MB (interpreter with callstatus imported: {idle_mb:.1f} MB; budget 200 MB)")
    return 0 if int(count) == args.records and float(peak_mb) < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
