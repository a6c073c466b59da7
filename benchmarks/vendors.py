"""normalize() on every vendor table, from each vendor's documented fixtures, against orjson.loads of the same bytes.

The hand-written baselines of ``benchmarks/normalize.py`` cover the first three vendors; this one covers every
table in ``adapters/``, with and without detection, so a new table shows what it costs (and what it costs the
others' detection).

    python benchmarks/vendors.py [--quick]

Prints µs/record per vendor (the mean over its fixtures) and the ratio to ``orjson.loads`` in the same run, and
first the cold start a CLI run or a serverless webhook pays: importing callstatus and loading every table, in fresh
processes (the median of five), beside starting Python alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
from normalize import per_call  # the same best-of-rounds timer as the hand-written baselines

import callstatus

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


_COLD = (
    "import time; start = time.perf_counter(); import callstatus; imported = time.perf_counter(); "
    "callstatus.default_registry(); print(imported - start, time.perf_counter() - imported)"
)


def cold_start() -> None:
    """Import and table-loading seconds in fresh processes, beside an empty interpreter's start."""
    runs, bare = [], []
    for _ in range(5):
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - begin)
        result = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, check=True)
        runs.append([float(value) for value in result.stdout.split()])
    imported, loaded = (statistics.median(column) for column in zip(*runs, strict=True))
    print(f"cold start: python {statistics.median(bare):.3f} s, import {imported:.3f} s, tables {loaded:.3f} s")


def bodies(vendor: str) -> list[bytes]:
    """The vendor's documented call payloads (those normalize() reads without a warning about their shape)."""
    found = []
    for path in sorted((FIXTURES / vendor).glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8")).get("payload")
        if isinstance(payload, dict) and callstatus.get_adapter(vendor).locate(payload) is not None:
            found.append(orjson.dumps(payload))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args()
    number, rounds = (300, 2) if args.quick else (3_000, 5)
    cold_start()
    head = f"{'vendor':<11} {'fixtures':>8} {'loads µs':>9} {'normalize µs':>13} {'x loads':>8}"
    print(f"{head} {'detected µs':>12} {'x loads':>8}")
    for vendor in callstatus.vendors():
        payloads = bodies(vendor)
        if not payloads:
            print(f"{vendor:<11} {'no call fixtures':>8}")
            continue
        loads = sum(per_call(lambda b=body: orjson.loads(b), number, rounds) for body in payloads) / len(payloads)
        named = sum(per_call(lambda b=body, v=vendor: callstatus.normalize(b, v), number, rounds) for body in payloads)
        named /= len(payloads)
        detected = 0.0
        for body in payloads:
            try:
                callstatus.normalize(body)
            except callstatus.UnknownVendorError:  # a payload two tables share the shape of: named only
                detected = float("nan")
                break
            detected += per_call(lambda b=body: callstatus.normalize(b), number, rounds)
        detected /= len(payloads)
        print(
            f"{vendor:<11} {len(payloads):>8} {loads * 1e6:>9.2f} {named * 1e6:>13.2f} {named / loads:>7.1f}x"
            f" {detected * 1e6:>12.2f} {detected / loads:>7.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
