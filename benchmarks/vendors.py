"""normalize() on every vendor table, from each vendor's documented fixtures, against orjson.loads of the same bytes.

The hand-written baselines of ``benchmarks/normalize.py`` cover the first three vendors; this one covers every
table in ``adapters/``, with and without detection, so a new table shows what it costs (and what it costs the
others' detection).

    python benchmarks/vendors.py [--quick]

Prints µs/record per vendor (the mean over its fixtures) and the ratio to ``orjson.loads`` in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import orjson
from normalize import per_call  # the same best-of-rounds timer as the hand-written baselines

import callstatus

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


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
