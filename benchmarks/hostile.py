"""Hostile values: every field of every example payload given a 10 MB value, timed through normalize().

For each vendor's example payloads (``examples/payloads``) and each field path in them, the value is replaced
by 10 MB of each kind below, and ``normalize`` is timed on the JSON bytes (vendor named), on the bytes with
detection, and on the decoded mapping. Beside it, in the same run, the time ``orjson.loads`` alone takes on the
same bytes: what any JSON-reading code pays.

    python benchmarks/hostile.py [--quick]

Budget: every 10 MB value answered (a record or a NormalizationError) in under 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

import callstatus
from callstatus import NormalizationError, UnknownVendorError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "payloads"
SIZE = 10 * (1 << 20)
KINDS: dict[str, Callable[[], Any]] = {
    "camelCase text": lambda: "aB" * (SIZE // 2),
    "digits": lambda: "1" * SIZE,
    "spaces and dashes": lambda: "- " * (SIZE // 2),
    "object": lambda: {"code": "x" * SIZE, "message": "y"},
}


def samples() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(EXAMPLES.iterdir()):
        for record in callstatus.normalize_many(path):
            yield path.name, record.raw
            break


def leaves(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*prefix, key))
    elif prefix:
        yield prefix


def replaced(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(payload)
    holder = copied
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return copied


def timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    with contextlib.suppress(NormalizationError, UnknownVendorError):  # an answer too: a clear refusal
        func()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one kind of value only (a smoke run)")
    args = parser.parse_args()
    logging.getLogger("callstatus").setLevel(logging.ERROR)
    kinds = dict(list(KINDS.items())[:1]) if args.quick else KINDS
    print(f"callstatus {callstatus.__version__}: every field given a 10 MB value; milliseconds per normalize()")
    print(f"{'example':<38} {'field':<32} {'kind':<18} {'loads':>7} {'bytes':>7} {'detect':>7} {'mapping':>8}")
    worst = 0.0
    count = 0
    for name, payload in samples():
        vendor = callstatus.detect_vendor(payload)
        for path in leaves(payload):
            for kind, make in kinds.items():
                data = replaced(payload, path, make())
                body = orjson.dumps(data)
                row = [
                    timed(lambda body=body: orjson.loads(body)),
                    timed(lambda body=body, vendor=vendor: callstatus.normalize(body, vendor)),
                    timed(lambda body=body: callstatus.normalize(body)),
                    timed(lambda data=data, vendor=vendor: callstatus.normalize(data, vendor)),
                ]
                worst = max(worst, *row[1:])
                count += 1
                figures = " ".join(f"{seconds * 1000:>7.1f}" for seconds in row)
                print(f"{name[:38]:<38} {'.'.join(path)[:32]:<32} {kind:<18} {figures}")
    print(f"{count} hostile payloads; slowest normalize(): {worst * 1000:.1f} ms (budget 100 ms)")
    return 0 if worst < 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
