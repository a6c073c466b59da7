"""The DuckDB bulk path against normalize_many over the same NDJSON file, in one run.

Writes N generated records (default 1,000,000) of one vendor, and of three vendors interleaved, then times
``callstatus.bulk.normalize_file`` to Parquet (the raw JSON kept beside the canonical columns) and
``normalize_many`` over the same file, each in a fresh child process that reports its own peak RSS.
Budget: the bulk path at least 5x ``normalize_many`` and at least 600,000 records/s for one vendor.

    python benchmarks/bulk.py [--records N] [--memory-limit 2GB]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ndjson_memory import write_export


def child(kind: str, path: Path, vendor: str | None, memory_limit: str | None) -> None:
    """Run one path in this process and print records, seconds, peak RSS (MB)."""
    import callstatus
    from callstatus.bulk import normalize_file

    start = time.perf_counter()
    if kind == "bulk":
        summary = normalize_file(path, vendor, out=path.with_suffix(".parquet"), memory_limit=memory_limit)
        count = summary.rows
        detail = f"sql={summary.by_sql} careful={summary.by_normalize} rejected={summary.rejected}"
    else:
        with path.open("rb") as stream:
            count = sum(1 for _ in callstatus.normalize_many(stream, vendor))
        detail = ""
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {seconds:.3f} {peak:.1f} {detail}")


def run(kind: str, path: Path, vendor: str | None, memory_limit: str | None) -> tuple[int, float, float, str]:
    command = [sys.executable, __file__, "--child", kind, "--file", str(path)]
    command += ["--vendor", vendor] if vendor else []
    command += ["--memory-limit", memory_limit] if memory_limit else []
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split(maxsplit=3)
    return int(output[0]), float(output[1]), float(output[2]), output[3].strip() if len(output) > 3 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit, e.g. 2GB")
    parser.add_argument("--child", choices=["bulk", "many"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vendor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.vendor, args.memory_limit)
        return 0
    print(f"{'export':<22} {'path':<15} {'records/s':>10} {'seconds':>8} {'peak RSS MB':>12}  ratio")
    with tempfile.TemporaryDirectory() as folder:
        for vendor in ("dialnexa", None):
            path = Path(folder) / f"{vendor or 'mixed'}.ndjson"
            write_export(path, args.records, vendor)
            label = f"{vendor or 'three vendors, detected'}"
            many = run("many", path, vendor, None)
            bulk = run("bulk", path, vendor, args.memory_limit)
            base = many[0] / many[1]
            for name, (count, seconds, peak, detail) in (("normalize_many", many), ("bulk (duckdb)", bulk)):
                rate = count / seconds
                print(
                    f"{label:<22} {name:<15} {rate:>10,.0f} {seconds:>8.2f} {peak:>12.1f}  {rate / base:.2f}x {detail}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
