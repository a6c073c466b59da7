"""One test body for every vendor: ``callstatus.client(vendor)`` and ``async_client(vendor)`` list and get calls the
same way, with a window, a status and a direction filter, whether or not the fake server applies filters itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import callstatus
from callstatus import CallRecord, CallStatus, Direction, UnsupportedError, UsageError, VendorResponseError
from callstatus.clients.engine import Page
from callstatus.testing import AtomsServer, DialgenServer, DialNexaServer, FakeVendorServer

KEY = "test-api-key"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
SERVERS: dict[str, Callable[..., FakeVendorServer]] = {
    "dialnexa": DialNexaServer,
    "atoms": AtomsServer,
    "dialgen": DialgenServer,
}
OPTIONS: dict[str, dict[str, Any]] = {"dialgen": {"user_id": "test-user"}}


def _client(vendor: str, server: FakeVendorServer, *, asynchronous: bool = False) -> Any:
    make = callstatus.async_client if asynchronous else callstatus.client
    retry = callstatus.HttpRetry(retries=1, backoff=0.01, max_backoff=0.02)
    return make(vendor, KEY, base_url=server.url, retry=retry, **OPTIONS.get(vendor, {}))


def _every_call(vendor: str, server: FakeVendorServer) -> list[CallRecord]:
    with _client(vendor, server) as client:
        return list(client.list_calls())


def _expected(records: list[CallRecord], filters: dict[str, Any]) -> list[str]:
    def keep(record: CallRecord) -> bool:
        moment = record.started_at or record.created_at
        return (
            record.status in filters["status"]
            and ("direction" not in filters or record.direction is filters["direction"])
            and moment is not None
            and filters["since"] <= moment < filters["until"]
        )

    return sorted(record.call_id for record in records if keep(record))


def _listed(vendor: str, server: FakeVendorServer, asynchronous: bool, filters: dict[str, Any]) -> list[CallRecord]:
    pages: list[Page] = []
    if not asynchronous:
        with _client(vendor, server) as client:
            return list(client.list_calls(on_page=pages.append, **filters))

    async def run() -> list[CallRecord]:
        async with _client(vendor, server, asynchronous=True) as client:
            return [record async for record in client.list_calls(on_page=pages.append, **filters)]

    found = asyncio.run(run())
    assert pages and sum(len(page.records) for page in pages) == len(found)
    return found


@pytest.fixture(params=[True, False], ids=["server filters", "server ignores filters"])
def server_filters(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("vendor", sorted(SERVERS))
def test_every_vendor_lists_and_gets_calls_alike(vendor: str, asynchronous: bool, server_filters: bool) -> None:
    with SERVERS[vendor](calls=300, seed=11, now=NOW, api_key=KEY, server_filters=server_filters) as server:
        everything = _every_call(vendor, server)
        assert len(everything) == len({record.call_id for record in everything}) == len(server.call_ids)
        times = sorted(record.started_at or record.created_at for record in everything if record.created_at)
        window = {"since": times[len(times) // 4], "until": times[3 * len(times) // 4]}
        over = [CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED]
        directions = {record.direction for record in everything} - {None}
        cases = [{**window, "status": over}]
        cases += [{**window, "status": over, "direction": direction} for direction in sorted(directions)]
        for filters in cases:
            found = _listed(vendor, server, asynchronous, filters)
            assert sorted(record.call_id for record in found) == _expected(everything, filters), filters
            assert found, filters  # the seeded history has calls in every case
        one = everything[len(everything) // 2]
        with _client(vendor, server) as client:
            fetched = client.get_call(one.call_id)
        assert (fetched.vendor, fetched.call_id, fetched.status) == (vendor, one.call_id, one.status)


def test_direction_reaches_atoms_as_its_call_type() -> None:
    with AtomsServer(calls=50, now=NOW, api_key=KEY) as server, _client("atoms", server) as client:
        list(client.list_calls(direction=Direction.INBOUND))
        list(client.get_calls(call_type="webcall"))
        sent = [request.query.get("callTypes") for request in server.seen("/conversation")]
    assert sent == ["telephony_inbound", "webcall"]


def test_an_unknown_vendor_or_filter_says_what_to_use_instead() -> None:
    with pytest.raises(UnsupportedError, match="a vendor of atoms, dialgen, dialnexa"):
        callstatus.client("acme", KEY)
    nexa = DialNexaServer(calls=5, now=NOW, api_key=KEY)
    with nexa, _client("dialnexa", nexa) as client, pytest.raises(UsageError, match="direction"):
        list(client.list_calls(direction="sideways"))
    dialgen = DialgenServer(calls=5, now=NOW, api_key=KEY)
    with dialgen, _client("dialgen", dialgen) as other, pytest.raises(UnsupportedError, match="page_size"):
        list(other.list_calls(page_size=10))


def test_fetch_batch_keeps_the_window(tmp_path: Any) -> None:
    import subprocess
    import sys

    with DialgenServer(calls=60, now=NOW, api_key=KEY) as server:
        calls = _every_call("dialgen", server)
        batch = calls[0].campaign_id
        assert batch is not None
        since = NOW - timedelta(days=3)
        env = {"CALLSTATUS_DIALGEN_API_KEY": KEY, "CALLSTATUS_DIALGEN_USER_ID": "test-user", "PATH": ""}
        done = subprocess.run(
            [sys.executable, "-m", "callstatus", "fetch", "dialgen", "--base-url", server.url, "--batch-id", batch,
             "--since", since.isoformat()],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = sorted(CallRecord.model_validate_json(line).call_id for line in done.stdout.splitlines())
    expected = sorted(
        record.call_id
        for record in calls
        if record.campaign_id == batch and (record.started_at or record.created_at or NOW - timedelta(days=99)) >= since
    )
    assert got == expected


# --- limits ----------------------------------------------------------------------------------------------------


def test_a_response_over_the_limit_is_refused_while_it_streams_and_not_asked_again() -> None:
    with DialNexaServer(calls=400, now=NOW, api_key=KEY) as server:
        client = callstatus.client("dialnexa", KEY, base_url=server.url, max_response_bytes=20_000)
        with client, pytest.raises(VendorResponseError, match="max_response_bytes"):
            list(client.list_calls(page_size=100))
        assert len(server.seen("/calls")) == 1


@pytest.mark.parametrize("body", [b"{}", b"", b"[]", b'{"data": null}'])
def test_an_empty_or_malformed_success_is_a_response_error(body: bytes) -> None:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with callstatus.client("dialnexa", KEY, client=http) as client, pytest.raises(VendorResponseError):
        client.get_call("c1")
    http.close()


def test_plain_http_is_for_loopback_only() -> None:
    with pytest.raises(UsageError, match="allow_insecure"):
        callstatus.client("dialnexa", KEY, base_url="http://api.example.com/v1")
    client = callstatus.client("dialnexa", KEY, base_url="http://api.example.com/v1", allow_insecure=True)
    client.close()
    callstatus.client("dialnexa", KEY, base_url="http://127.0.0.1:9/v1").close()


def test_repr_never_raises() -> None:
    class Broken(callstatus.DialNexaClient):
        def __init__(self) -> None:
            raise RuntimeError("before the engine exists")

    with pytest.raises(RuntimeError):
        Broken()
    shell = object.__new__(callstatus.DialNexaClient)
    assert "DialNexaClient" in repr(shell)


def test_a_vendor_that_ignores_the_page_with_a_broken_item_does_not_loop() -> None:
    import httpx

    page = [{"id": "c1", "status": "completed"}, {"id": "c2", "status": "busy"}, {"status": "busy"}]

    def same_page_always(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page)

    http = httpx.Client(transport=httpx.MockTransport(same_page_always))
    with callstatus.client("dialnexa", KEY, client=http) as client, pytest.raises(VendorResponseError, match="ignored"):
        list(client.list_calls(page_size=3))
    http.close()
