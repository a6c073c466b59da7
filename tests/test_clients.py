"""The HTTP clients against the fake vendor servers, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from callstatus import (
    AsyncAtomsClient,
    AsyncDialgenClient,
    AsyncDialNexaClient,
    AtomsClient,
    AuthError,
    CallRecord,
    CallStatus,
    DialgenClient,
    DialNexaClient,
    HttpRetry,
    InsufficientCreditsError,
    NotFoundError,
    RateLimitedError,
    VendorConnectionError,
    VendorRequestError,
    VendorResponseError,
    VendorServerError,
    get_adapter,
)
from callstatus.testing import AtomsServer, DialgenServer, DialNexaServer, FakeVendorServer

KEY = "test-api-key"  # what the fake servers and their fixtures expect
FAST = HttpRetry(retries=3, backoff=0.01, max_backoff=0.05)


def dialnexa(server: FakeVendorServer, **options: Any) -> DialNexaClient:
    return DialNexaClient(KEY, base_url=server.url, retry=options.pop("retry", FAST), **options)


def atoms(server: FakeVendorServer, **options: Any) -> AtomsClient:
    return AtomsClient(KEY, base_url=server.url, retry=options.pop("retry", FAST), **options)


def dialgen(server: FakeVendorServer, **options: Any) -> DialgenClient:
    return DialgenClient(KEY, user_id="test-user", base_url=server.url, retry=options.pop("retry", FAST), **options)


LISTINGS: list[tuple[str, Callable[..., FakeVendorServer], Callable[..., Any], str]] = [
    ("dialnexa meta", lambda **kw: DialNexaServer(envelope="meta", **kw), dialnexa, "/calls"),
    ("dialnexa meta without totalPages", lambda **kw: DialNexaServer(envelope="meta-without-total-pages", **kw),
     dialnexa, "/calls"),
    ("dialnexa bare array", lambda **kw: DialNexaServer(envelope="array", **kw), dialnexa, "/calls"),
    ("atoms", AtomsServer, atoms, "/conversation"),
]  # fmt: skip


def listed(client: Any, **filters: Any) -> list[CallRecord]:
    method = client.list_calls if isinstance(client, DialNexaClient) else client.get_calls
    return list(method(**filters))


@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_a_10000_call_history_is_read_page_by_page_each_page_once(
    name: str, make: Callable[..., FakeVendorServer], connect: Callable[..., Any], path: str
) -> None:
    with make(calls=10_000, seed=7, api_key=KEY) as server, connect(server) as client:
        records = listed(client)
        assert [record.call_id for record in records] == server.call_ids
        pages = server.pages_served(path)
        # A bare array says nothing of what follows a full page: one empty page past the end tells.
        last = 101 if name == "dialnexa bare array" else 100
        assert pages == Counter({str(page): 1 for page in range(1, last + 1)})
        assert {seen.query["limit"] for seen in server.seen(path)} == {"100"}
        assert all(seen.authorized for seen in server.seen())
        assert {record.vendor for record in records} == {server.vendor}


@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_listing_is_lazy(
    name: str, make: Callable[..., FakeVendorServer], connect: Callable[..., Any], path: str
) -> None:
    with make(calls=1000, api_key=KEY) as server, connect(server) as client:
        method = client.list_calls if isinstance(client, DialNexaClient) else client.get_calls
        calls = method(page_size=50)
        assert server.seen() == []
        first = [next(calls) for _ in range(60)]
        assert [record.call_id for record in first] == server.call_ids[:60]
        assert set(server.pages_served(path)) == {"1", "2"}


FAULTS: list[tuple[str, Callable[[FakeVendorServer, str], object]]] = [
    ("500", lambda server, path: server.fail(500, path=path, after=3)),
    ("502 twice", lambda server, path: server.fail(502, path=path, after=3, times=2)),
    ("429 with Retry-After", lambda server, path: server.fail(429, path=path, after=3, retry_after="0")),
    ("a response slower than the timeout", lambda server, path: server.slow(3.0, path=path, after=3)),
]


@pytest.mark.parametrize(("fault", "inject"), FAULTS, ids=[row[0] for row in FAULTS])
@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_a_fault_mid_listing_is_retried_and_the_listing_completes(
    name: str,
    make: Callable[..., FakeVendorServer],
    connect: Callable[..., Any],
    path: str,
    fault: str,
    inject: Callable[[FakeVendorServer, str], object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with make(calls=1000, seed=3, api_key=KEY) as server, connect(server, timeout=0.5) as client:
        inject(server, path)
        with caplog.at_level(logging.WARNING, logger="callstatus.clients"):
            records = listed(client)
        assert [record.call_id for record in records] == server.call_ids
        pages = server.pages_served(path)
        assert set(pages) - {"11"} == {str(page) for page in range(1, 11)}  # 11: a bare array's empty last page
        assert pages["4"] >= 2 and all(count == 1 for page, count in pages.items() if page != "4")
        assert any("retry 1 of 3" in message for message in caplog.messages)


@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_a_body_that_is_not_json_is_refused_at_once(
    name: str, make: Callable[..., FakeVendorServer], connect: Callable[..., Any], path: str
) -> None:
    # a body that is not JSON would not be JSON the next time either: asking again only downloads it again
    with make(calls=1000, seed=3, api_key=KEY) as server, connect(server) as client:
        server.malformed(path=path, after=3)
        with pytest.raises(VendorResponseError, match="not JSON"):
            listed(client)
        assert server.pages_served(path)["4"] == 1


def test_retry_after_is_honoured(dialnexa_server: DialNexaServer, caplog: pytest.LogCaptureFixture) -> None:
    dialnexa_server.fail(429, path="/calls", retry_after="1")
    with caplog.at_level(logging.WARNING, logger="callstatus.clients"), dialnexa(dialnexa_server) as client:
        assert len(listed(client)) == len(dialnexa_server.history)
    assert any("answered 429; retry 1 of 3 in 1.00 s" in message for message in caplog.messages)


@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_calls_added_while_listing_are_not_returned_twice(
    name: str,
    make: Callable[..., FakeVendorServer],
    connect: Callable[..., Any],
    path: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with make(calls=1000, seed=5, api_key=KEY) as server, connect(server) as client:
        before = server.call_ids
        server.shift(7, path=path, after=2)
        server.shift(2, path=path, after=5)
        with caplog.at_level(logging.WARNING, logger="callstatus.clients"):
            ids = [record.call_id for record in listed(client)]
        assert len(ids) == len(set(ids))
        assert set(before) <= set(ids)
        assert any("changed while it was listed (9 calls seen twice" in message for message in caplog.messages)


PERMANENT: list[tuple[str, Callable[[FakeVendorServer], object], type[Exception], str]] = [
    ("500", lambda s: s.fail(500, times=-1, message="database is down"), VendorServerError, "database is down"),
    ("429", lambda s: s.fail(429, times=-1, retry_after="0"), RateLimitedError, ""),
    ("429 asking for too long", lambda s: s.fail(429, retry_after="3600"), RateLimitedError, ""),
    ("402", lambda s: s.fail(402, message="Insufficient credits"), InsufficientCreditsError, "Insufficient credits"),
    ("403", lambda s: s.fail(403, message="key lacks calls:read"), AuthError, "key lacks calls:read"),
    ("400", lambda s: s.fail(400, message="bad filter"), VendorRequestError, "bad filter"),
    ("not JSON", lambda s: s.malformed(times=-1), VendorResponseError, "not JSON"),
]


@pytest.mark.parametrize(("fault", "inject", "error", "message"), PERMANENT, ids=[row[0] for row in PERMANENT])
@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS[::3], ids=["dialnexa", "atoms"])
def test_a_permanent_fault_raises_the_typed_error_with_the_vendors_message(
    name: str,
    make: Callable[..., FakeVendorServer],
    connect: Callable[..., Any],
    path: str,
    fault: str,
    inject: Callable[[FakeVendorServer], object],
    error: type[Exception],
    message: str,
) -> None:
    with make(calls=50, api_key=KEY) as server, connect(server) as client:
        inject(server)
        with pytest.raises(error) as caught:
            listed(client)
        exc: Any = caught.value
        assert exc.vendor == server.vendor
        assert message in exc.message
        assert str(exc).startswith(f"{server.vendor}: GET ")
        if exc.status_code != 200:
            assert exc.envelope == server.error_body(exc.status_code, exc.envelope.get("message", message)) or (
                exc.envelope == server.error_body(exc.status_code, message)
            )
        retried = fault in ("500", "429")
        assert len(server.seen()) == (4 if retried else 1)
        if fault == "429 asking for too long":
            assert exc.retry_after == 3600


def test_atoms_rate_limit_body_is_carried(atoms_server: AtomsServer) -> None:
    atoms_server.fail(429, times=-1, retry_after="0")
    with atoms(atoms_server, retry=HttpRetry(retries=0)) as client, pytest.raises(RateLimitedError) as caught:
        client.get_call(atoms_server.call_ids[0])
    assert caught.value.message == "Rate limit exceeded"
    assert caught.value.envelope["rateLimit"]["remaining"] == 0
    assert caught.value.retry_after == 0


def test_a_slow_server_gives_a_connection_error_after_the_retries(dialnexa_server: DialNexaServer) -> None:
    dialnexa_server.slow(3.0, times=-1)
    client = dialnexa(dialnexa_server, timeout=0.2, retry=HttpRetry(retries=1, backoff=0.01))
    with client, pytest.raises(VendorConnectionError, match=r"timed out \(ReadTimeout\) after 2 tries"):
        client.get_call("call_000001")
    assert len(dialnexa_server.seen()) == 2


def test_nothing_listening_gives_a_connection_error() -> None:
    with DialNexaServer(calls=1) as server:
        url = server.url
    client = DialNexaClient(KEY, base_url=url, retry=HttpRetry(retries=1, backoff=0.01))
    with client, pytest.raises(VendorConnectionError, match="connection failed"):
        client.get_call("call_000001")


def test_a_wrong_key_is_an_auth_error_that_never_shows_the_key(
    dialnexa_server: DialNexaServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk-wrong-key-never-shown-42"
    client = DialNexaClient(wrong, base_url=dialnexa_server.url)
    with caplog.at_level(logging.DEBUG), client, pytest.raises(AuthError) as caught:
        client.get_call("call_000001")
    assert caught.value.status_code == 401
    assert caught.value.envelope["statusCode"] == 401
    shown = [str(caught.value), repr(caught.value), repr(client), repr(client._engine), caplog.text]
    shown += [repr(vars(caught.value))]
    assert not any(wrong in text for text in shown)


def test_the_key_is_never_logged_even_while_retrying(
    dialnexa_server: DialNexaServer, caplog: pytest.LogCaptureFixture
) -> None:
    dialnexa_server.fail(503, times=2)
    with caplog.at_level(logging.DEBUG), dialnexa(dialnexa_server) as client:
        client.get_call(dialnexa_server.call_ids[0])
    assert "retry 2 of 3" in caplog.text
    assert KEY not in caplog.text


def test_get_call_and_not_found(dialnexa_server: DialNexaServer) -> None:
    with dialnexa(dialnexa_server) as client:
        call_id = dialnexa_server.call_ids[10]
        record = client.get_call(call_id)
        assert record.call_id == call_id
        assert record.raw == dialnexa_server.history[10]
        with pytest.raises(NotFoundError, match="Call log missing/1 not found") as caught:
            client.get_call("missing/1")
        envelope = {"statusCode": 404, "message": "Call log missing/1 not found", "error": "Not Found"}
        assert caught.value.envelope == envelope


@pytest.mark.parametrize("status", [s for s in CallStatus])
@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS[::3], ids=["dialnexa", "atoms"])
def test_a_canonical_status_filter_returns_exactly_the_calls_with_that_status(
    name: str, make: Callable[..., FakeVendorServer], connect: Callable[..., Any], path: str, status: CallStatus
) -> None:
    with make(calls=400, seed=11, api_key=KEY) as server, connect(server) as client:
        everything = listed(client)
        wanted = [record.call_id for record in everything if record.status is status]
        assert [record.call_id for record in listed(client, status=status)] == wanted
        table = get_adapter(server.vendor).api
        assert table is not None
        reverse = table.filters["status"].reverse or {}
        sent = server.seen(path)[-1].query.get(table.filters["status"].param)
        if reverse.get(status):
            assert sent is not None and set(sent.split(",")) == set(reverse[status])
        else:
            assert sent is None  # the vendor cannot be asked: filtered here instead


def test_dialnexa_no_answer_asks_for_every_raw_value_that_means_it(dialnexa_server: DialNexaServer) -> None:
    with dialnexa(dialnexa_server) as client:
        list(client.list_calls(status=[CallStatus.NO_ANSWER, "busy"]))
    sent = dialnexa_server.seen("/calls")[-1].query["status"].split(",")
    # every spelling of every raw status a no-answer or busy reason can turn into either (outcome law 4), once each
    assert sorted(sent) == sorted(
        ["did_not_pick", "no_answer", "no-answer", "retry_expired", "completed", "busy", "failed", "cancelled"]
    )
    assert len(sent) == len(set(sent))


def test_other_filters_reach_the_vendor_in_its_own_parameters(atoms_server: AtomsServer) -> None:
    since = datetime(2026, 1, 1, 12, tzinfo=UTC)
    with atoms(atoms_server) as client:
        list(client.get_calls(agent_id="agent_1", campaign_id="camp_0", since=since, until=since + timedelta(days=1),
                              search="CALL-"))  # fmt: skip
    query = atoms_server.seen("/conversation")[-1].query
    assert query["agentIds"] == "agent_1" and query["campaignIds"] == "camp_0" and query["search"] == "CALL-"
    # the vendor bounds creation time, the window the call's start: the server's since is a day earlier
    assert query["dateFrom"] == "2025-12-31T12:00:00Z" and query["dateTo"] == "2026-01-02T12:00:00Z"


def test_dialnexa_time_and_agent_filters_select_on_the_server(dialnexa_server: DialNexaServer) -> None:
    middle = datetime.fromisoformat(dialnexa_server.history[50]["created_at"].replace("Z", "+00:00"))
    with dialnexa(dialnexa_server) as client:
        records = list(client.list_calls(agent_id="agt_1", since=middle))
    expected = [c["id"] for c in dialnexa_server.history[:51] if c["agent_id"] == "agt_1"]
    assert [record.call_id for record in records] == expected


def test_bad_arguments_are_clear_errors(dialnexa_server: DialNexaServer) -> None:
    with dialnexa(dialnexa_server) as client:
        with pytest.raises(ValueError, match="page_size 101 is out of range \\(at most 100\\)"):
            list(client.list_calls(page_size=101))
        with pytest.raises(ValueError, match="timezone-aware"):
            list(client.list_calls(since=datetime(2026, 1, 1)))
        with pytest.raises(ValueError, match="not a canonical status"):
            list(client.list_calls(status="picked_up"))
    assert dialnexa_server.seen() == []
    with pytest.raises(ValueError, match="CALLSTATUS_DIALGEN_USER_ID"):
        DialgenClient(KEY)


def test_atoms_search_splits_ids_into_requests_of_100(atoms_server: AtomsServer) -> None:
    with AtomsServer(calls=260, api_key=KEY) as server, atoms(server) as client:
        asked = server.call_ids[::-1] + server.call_ids[:5] + ["CALL-0-missing"]
        records = client.search_calls(asked)
        assert [record.call_id for record in records] == server.call_ids[::-1]
        sizes = [len(seen.body["callIds"]) for seen in server.seen("/conversation/search")]
        assert sizes == [100, 100, 61]


def test_atoms_get_call(atoms_server: AtomsServer) -> None:
    with atoms(atoms_server) as client:
        record = client.get_call(atoms_server.call_ids[3])
        assert record.call_id == atoms_server.call_ids[3]
        with pytest.raises(VendorRequestError, match="Invalid call ID format") as caught:
            client.get_call("65a1b2c3d4e5f60718293a4b")
        assert caught.value.envelope == {"status": False, "errors": ["Invalid call ID format"]}


def test_dialgen_get_call_falls_back_to_the_persistent_store_after_30_days(dialgen_server: DialgenServer) -> None:
    fresh, old = dialgen_server.history[0], dialgen_server.history[-1]
    with dialgen(dialgen_server) as client:
        live = client.get_call(fresh["id"])
        assert [seen.path for seen in dialgen_server.seen()] == ["/api/v1/status/call"]
        persistent = client.get_call(old["id"])
        assert [seen.path for seen in dialgen_server.seen()][1:] == ["/api/v1/status/call", "/api/v1/call/check-status"]
        with pytest.raises(NotFoundError) as caught:
            client.get_call("call_none")
    assert live.call_id == fresh["id"] and persistent.call_id == old["id"]
    assert persistent.raw["success"] is True
    assert caught.value.code == "NOT_FOUND"
    assert all(seen.query["userId"] == "test-user" for seen in dialgen_server.seen())


def test_dialgen_metrics_land_in_analysis(dialgen_server: DialgenServer) -> None:
    call = next(c for c in dialgen_server.history if c["status"] == "COMPLETED")
    with dialgen(dialgen_server) as client:
        record = client.get_metrics(call["id"], agent_id=call["agentId"], contact_id=call["contactId"])
    assert record.status is CallStatus.COMPLETED
    assert record.analysis is not None and record.analysis["metrics"] == call["metricJson"]
    query = dialgen_server.seen()[-1].query
    assert query == {"userId": "test-user", "callId": call["id"], "agentId": "agent_1", "contactId": call["contactId"]}


def test_dialgen_batches_live_then_persistent(dialgen_server: DialgenServer) -> None:
    with dialgen(dialgen_server) as client:
        live = client.get_batch_calls("batch_1")
        persistent = client.get_batch_calls("batch_1", persistent=True)
        batches = client.list_batches()
        with DialgenServer(calls=30, batches=1, live_days=0) as old:
            with dialgen(old) as aged:
                fallen_back = aged.get_batch_calls("batch_0")
            assert [seen.path for seen in old.seen()] == ["/api/v1/status/batch", "/api/v1/batch/check-status"]
            assert old.seen()[-1].query["limit"] == "all"
    in_batch = [c["id"] for c in dialgen_server.history if c["batchId"] == "batch_1"]
    assert [record.call_id for record in persistent] == in_batch
    assert {record.call_id for record in live} <= set(in_batch) and live
    assert [b["batchId"] for b in batches] == ["batch_0", "batch_1", "batch_2"]
    assert len(fallen_back) == 30


def test_dialgen_insufficient_credits(dialgen_server: DialgenServer) -> None:
    dialgen_server.fail(402, message="Not enough credits")
    with dialgen(dialgen_server) as client, pytest.raises(InsufficientCreditsError) as caught:
        client.get_call(dialgen_server.call_ids[0])
    assert caught.value.code == "INSUFFICIENT_CREDITS" and caught.value.message == "Not enough credits"


def test_a_users_own_httpx_client_is_used_and_left_open(dialnexa_server: DialNexaServer) -> None:
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}) as own:
        with DialNexaClient(KEY, base_url=dialnexa_server.url, client=own) as client:
            client.get_call(dialnexa_server.call_ids[0])
        assert len(sent) == 1 and sent[0].headers["authorization"] == f"Bearer {KEY}"
        assert not own.is_closed


def test_the_client_side_rate_limit_spaces_requests(dialnexa_server: DialNexaServer) -> None:
    with dialnexa(dialnexa_server, max_requests_per_second=20) as client:
        limiter = client._engine.limiter
        client.get_call(dialnexa_server.call_ids[0])
        waits = [limiter.reserve() for _ in range(3)]
    assert waits[0] > 0 and waits[1] > waits[0] + 0.04 and waits[2] > waits[1] + 0.04


# -- the async twins -------------------------------------------------------------------------------------------


async def _collect(calls: AsyncIterator[CallRecord]) -> list[CallRecord]:
    return [record async for record in calls]


@pytest.mark.parametrize(("name", "make", "connect", "path"), LISTINGS, ids=[row[0] for row in LISTINGS])
def test_sync_and_async_listings_return_identical_records(
    name: str, make: Callable[..., FakeVendorServer], connect: Callable[..., Any], path: str
) -> None:
    with make(calls=700, seed=2, api_key=KEY) as server:
        with connect(server) as client:
            blocking = listed(client, status=[CallStatus.COMPLETED, CallStatus.NO_ANSWER])
        twin_class = AsyncDialNexaClient if server.vendor == "dialnexa" else AsyncAtomsClient
        server.fail(502, after=2)

        async def main() -> list[CallRecord]:
            async with twin_class(KEY, base_url=server.url, retry=FAST) as twin:
                method = twin.list_calls if isinstance(twin, AsyncDialNexaClient) else twin.get_calls
                return await _collect(method(status=[CallStatus.COMPLETED, CallStatus.NO_ANSWER]))

        assert asyncio.run(main()) == blocking and blocking


def test_sync_and_async_single_calls_agree(
    dialgen_server: DialgenServer, atoms_server: AtomsServer, dialnexa_server: DialNexaServer
) -> None:
    completed = next(c for c in dialgen_server.history if c["status"] == "COMPLETED")
    with dialgen(dialgen_server) as g, atoms(atoms_server) as a, dialnexa(dialnexa_server) as n:
        blocking = [
            g.get_call(dialgen_server.call_ids[0]),
            g.get_call(dialgen_server.call_ids[-1]),
            g.get_metrics(completed["id"], agent_id="agent_1", contact_id=completed["contactId"]),
            *g.get_batch_calls("batch_2"),
            a.get_call(atoms_server.call_ids[1]),
            *a.search_calls(atoms_server.call_ids[:30]),
            n.get_call(dialnexa_server.call_ids[2]),
        ]
        blocking_batches = g.list_batches()

    async def main() -> tuple[list[CallRecord], list[dict[str, Any]]]:
        g = AsyncDialgenClient(KEY, user_id="test-user", base_url=dialgen_server.url, retry=FAST)
        a = AsyncAtomsClient(KEY, base_url=atoms_server.url, retry=FAST)
        n = AsyncDialNexaClient(KEY, base_url=dialnexa_server.url, retry=FAST)
        async with g, a, n:
            records = [
                await g.get_call(dialgen_server.call_ids[0]),
                await g.get_call(dialgen_server.call_ids[-1]),
                await g.get_metrics(completed["id"], agent_id="agent_1", contact_id=completed["contactId"]),
                *await g.get_batch_calls("batch_2"),
                await a.get_call(atoms_server.call_ids[1]),
                *await a.search_calls(atoms_server.call_ids[:30]),
                await n.get_call(dialnexa_server.call_ids[2]),
            ]
            return records, await g.list_batches()

    assert asyncio.run(main()) == (blocking, blocking_batches)


def test_async_errors_are_the_same_typed_errors(atoms_server: AtomsServer) -> None:
    atoms_server.fail(500, times=-1, message="upstream exploded")

    async def main() -> None:
        async with AsyncAtomsClient(KEY, base_url=atoms_server.url, retry=FAST) as client:
            await _collect(client.get_calls())

    with pytest.raises(VendorServerError, match="upstream exploded"):
        asyncio.run(main())
    assert len(atoms_server.seen()) == 4
