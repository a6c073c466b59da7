"""``callstatus fetch`` in a subprocess against the fake vendor servers: canonical NDJSON out, the key from the
environment only, clear failures."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from callstatus import AtomsClient, CallRecord, CallStatus
from callstatus.testing import AtomsServer, DialgenServer, DialNexaServer

KEY = "test-api-key"


def fetch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CALLSTATUS_")}
    return subprocess.run(
        [sys.executable, "-m", "callstatus", "fetch", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fetch_lists_every_call_with_a_canonical_status_filter() -> None:
    with AtomsServer(calls=4000, seed=4) as server:
        result = fetch("atoms", "--base-url", server.url, "--status", "no_answer,completed",
                       env={"CALLSTATUS_ATOMS_API_KEY": KEY})  # fmt: skip
        with AtomsClient(KEY, base_url=server.url) as client:
            expected = list(client.get_calls(status=[CallStatus.NO_ANSWER, CallStatus.COMPLETED]))
    assert result.returncode == 0, result.stderr
    records = [CallRecord.model_validate_json(line) for line in result.stdout.splitlines()]
    assert records == expected and len(records) > 1000
    assert re.search(r"callstatus: atoms: 1,\d{3} calls so far", result.stderr)
    assert result.stderr.rstrip().splitlines()[-1].startswith(f"callstatus: atoms: {len(records):,} calls in ")
    assert KEY not in result.stderr


def test_fetch_single_calls_and_a_batch() -> None:
    with DialgenServer(calls=40) as server:
        env = {"CALLSTATUS_DIALGEN_API_KEY": KEY, "CALLSTATUS_DIALGEN_USER_ID": "test-user"}
        one = fetch("dialgen", "--base-url", server.url, "--call-id", server.call_ids[0],
                    "--call-id", server.call_ids[-1], env=env)  # fmt: skip
        batch = fetch("dialgen", "--base-url", server.url, "--batch-id", "batch_2", env=env)
        listing = fetch("dialgen", "--base-url", server.url, env=env)
    assert one.returncode == 0, one.stderr
    assert [CallRecord.model_validate_json(line).call_id for line in one.stdout.splitlines()] == [
        server.call_ids[0], server.call_ids[-1]
    ]  # fmt: skip
    assert batch.returncode == 0 and len(batch.stdout.splitlines()) >= 5
    assert listing.returncode == 0, listing.stderr  # no call listing: the batches are walked
    assert sorted(CallRecord.model_validate_json(line).call_id for line in listing.stdout.splitlines()) == sorted(
        server.call_ids
    )


def test_fetch_failures_are_one_clear_line() -> None:
    with DialNexaServer(calls=10) as server:
        no_key = fetch("dialnexa", "--base-url", server.url, env={})
        wrong = fetch("dialnexa", "--base-url", server.url, env={"CALLSTATUS_DIALNEXA_API_KEY": "wrong-key-xyz"})
        missing = fetch("dialnexa", "--base-url", server.url, "--call-id", "nope",
                        env={"CALLSTATUS_DIALNEXA_API_KEY": KEY})  # fmt: skip
        bad = fetch("dialnexa", "--base-url", server.url, "--status", "picked",
                    env={"CALLSTATUS_DIALNEXA_API_KEY": KEY})  # fmt: skip
        seen = len(server.seen())
    assert no_key.returncode == 2 and "set CALLSTATUS_DIALNEXA_API_KEY" in no_key.stderr
    assert wrong.returncode == 1 and "answered 401" in wrong.stderr and "wrong-key-xyz" not in wrong.stderr
    assert missing.returncode == 1 and "Call log nope not found" in missing.stderr
    assert bad.returncode == 2 and "not a canonical status" in bad.stderr
    assert seen == 2  # the wrong key and the missing call; usage errors never reach the vendor
