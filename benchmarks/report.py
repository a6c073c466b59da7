"""``callstatus report`` on one export: the Python engine against ``--engine duckdb``, in one run.

Writes N generated records (default 500,000) of three vendors interleaved, one in ten delivered twice (as a
retried webhook is), and computes the report over it with ``report.summarize(normalize_each(...))`` and with
``bulkreport.summarize_files``, each in a fresh child process that reports its own peak RSS; then checks both
gave the same figures. No budget in the issue: the figures say what the DuckDB engine buys on large files.

    python benchmarks/report.py [--records N] [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import orjson
from ndjson_memory import export_lines


def child(engine: str, path: Path, memory_limit: str | None) -> None:
    """Print records, calls, seconds, peak RSS (MB), start seconds (not counted), then the figures as JSON."""
    begin = time.perf_counter()
    import callstatus
    from callstatus.bulkreport import summarize_files
    from callstatus.report import summarize

    callstatus.default_registry()
    if engine == "duckdb":
        import duckdb
        import pyarrow

        duckdb.connect().close()
        pyarrow.array([0])
    start = time.perf_counter()
    if engine == "duckdb":
        report = summarize_files([path], memory_limit=memory_limit)
    else:
        results = callstatus.normalize_each(path)
        records = (result for result in results if isinstance(result, callstatus.CallRecord))
        report = summarize(records, sources=[str(path)])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {key: value for key, value in attrs.asdict(report).items() if key not in ("rejected", "sources")}
    print(f"{report.records} {report.calls} {seconds:.3f} {peak:.1f} {start - begin:.3f}")
    print(orjson.dumps(figures, default=lambda value: round(value, 6) if isinstance(value, float) else str(value)))


def write(path: Path, records: int) -> int:
    """Three vendors interleaved, one record in ten delivered again a little later; returns the lines written."""
    chance = random.Random(2026)
    later: list[bytes] = []
    lines = 0
    with path.open("wb", buffering=1 << 20) as out:
        for count, line in enumerate(export_lines(None)):
            if count == records:
                break
            out.write(line)
            lines += 1
            if chance.random() < 0.1:
                later.append(line)
            if len(later) > 50 or (later and chance.random() < 0.05):
                out.write(later.pop(0))
                lines += 1
        for line in later:
            out.write(line)
            lines += 1
    return lines


def run(engine: str, path: Path, memory_limit: str | None) -> tuple[list[str], bytes]:
    command = [sys.executable, __file__, "--child", engine, "--file", str(path)]
    command += ["--memory-limit", memory_limit] if memory_limit else []
    result = subprocess.run(command, capture_output=True)
    if result.returncode:
        sys.exit(f"the {engine} child failed (exit {result.returncode}):\n{result.stderr.decode()}")
    head, figures = result.stdout.split(b"\n", 1)
    return head.decode().split(), figures.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit, e.g. 1GB")
    parser.add_argument("--child", choices=["python", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.memory_limit)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.ndjson"
        lines = write(path, args.records)
        print(f"{lines:,} records of {args.records:,} calls, three vendors, detected; start left out of the rates")
        print(f"{'engine':<8} {'records/s':>10} {'seconds':>14} {'peak RSS MB':>12}  ratio")
        results = {engine: run(engine, path, args.memory_limit) for engine in ("python", "duckdb")}
        base = int(results["python"][0][0]) / float(results["python"][0][2])
        for engine, ((records, _calls, seconds, peak, start), _) in results.items():
            rate = int(records) / float(seconds)
            print(f"{engine:<8} {rate:>10,.0f} {float(seconds):>8.2f} (+{float(start):.2f}) {float(peak):>12.1f}  "
                  f"{rate / base:.2f}x")  # fmt: skip
        same = results["python"][1] == results["duckdb"][1]
        print(f"calls: {results['duckdb'][0][1]}; same figures from both engines: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
