"""Listing through the clients against a hand-written paging loop, over the same fake server, in one process.

The baseline is what a backend would write for one vendor by hand with httpx: ask page after page, read the
body, ``callstatus.get_adapter(vendor).normalize`` each item, stop on a short page. The clients add typed
errors, retries, the rate limiter, the reverse status map and the each-call-once check on top. Also shown:
the async twin, and a listing with one 502 mid-way (retried after a 10 ms backoff).

    python benchmarks/clients.py [--calls N] [--rounds R]

Prints seconds per listing, calls/s and the ratio to the baseline (the issue names no budget).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

import callstatus
from callstatus import AsyncDialNexaClient, DialNexaClient, HttpRetry
from callstatus.testing import DialNexaServer

KEY = "bench-key"


def baseline(server: DialNexaServer) -> int:
    adapter = callstatus.get_adapter("dialnexa")
    count, page = 0, 1
    with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as http:
        while True:
            response = http.get(f"{server.url}/calls", params={"page": page, "limit": 100})
            items = orjson.loads(response.content)["data"]
            count += sum(1 for item in items if adapter.normalize(item))
            if len(items) < 100:
                return count
            page += 1


def client(server: DialNexaServer) -> int:
    with DialNexaClient(KEY, base_url=server.url) as polling:
        return sum(1 for _ in polling.list_calls())


def async_client(server: DialNexaServer) -> int:
    async def run() -> int:
        async with AsyncDialNexaClient(KEY, base_url=server.url) as polling:
            return sum([1 async for _ in polling.list_calls()])

    return asyncio.run(run())


def with_a_fault(server: DialNexaServer) -> int:
    server.fail(502, path="/calls", after=len(server.history) // 200)
    with DialNexaClient(KEY, base_url=server.url, retry=HttpRetry(backoff=0.01, max_backoff=0.01)) as polling:
        return sum(1 for _ in polling.list_calls())


def best(run: Callable[[DialNexaServer], int], server: DialNexaServer, rounds: int, calls: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert run(server) == calls
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"callstatus {callstatus.__version__}, Python {platform.python_version()}, httpx {httpx.__version__}")
    print(f"listing {args.calls:,} DialNexa calls, 100 per page, from a fake server on 127.0.0.1", end="; ")
    print(f"best of {args.rounds}")
    with DialNexaServer(calls=args.calls, api_key=KEY) as server:
        runs: list[tuple[str, Callable[[DialNexaServer], Any]]] = [
            ("hand-written httpx loop (baseline)", baseline),
            ("DialNexaClient.list_calls", client),
            ("AsyncDialNexaClient.list_calls", async_client),
            ("DialNexaClient, one 502 retried", with_a_fault),
        ]
        base = None
        for name, run in runs:
            seconds = best(run, server, args.rounds, args.calls)
            base = base or seconds
            print(f"{name:<36} {seconds:>8.3f} s {args.calls / seconds:>10,.0f} calls/s {seconds / base:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
