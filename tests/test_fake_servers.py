"""The fake vendor servers themselves, over real HTTP on 127.0.0.1: histories that are a pure function of the seed,
the index and ``now`` (never of the clock), ``server_filters=False``, the server-side filters, and what the
generated histories cover."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from callstatus import normalize
from callstatus.testing import AtomsServer, DialgenServer, DialNexaServer, FakeVendorServer
from callstatus.testing import servers as servers_module

KEY = "test-api-key"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CLASSES: list[type[FakeVendorServer]] = [DialNexaServer, AtomsServer, DialgenServer]
IDS = [cls.vendor for cls in CLASSES]


def get(server: FakeVendorServer, path: str, **params: Any) -> httpx.Response:
    if isinstance(server, DialgenServer):
        params = {"userId": server.user_id, **params}
    return httpx.get(server.url + path, params=params, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)


def listing(server: FakeVendorServer, **params: Any) -> list[dict[str, Any]]:
    """Every call the listing endpoint serves for ``params``, page by page (Dialgen: every batch's statistics)."""
    if isinstance(server, DialgenServer):
        batches = get(server, "/api/v1/batch/list").json()
        return [
            call
            for batch in batches
            for call in get(server, "/api/v1/batch/check-status", batchId=batch["batchId"], limit="all").json()[
                "recentCalls"
            ]
        ]
    calls: list[dict[str, Any]] = []
    for page in range(1, 10_000):
        reply = get(server, "/calls" if isinstance(server, DialNexaServer) else "/conversation",
                    page=page, limit=100, **params)  # fmt: skip
        assert reply.status_code == 200, reply.text
        body = reply.json()
        items = body["data"] if isinstance(server, DialNexaServer) else body["data"]["logs"]
        calls += items
        if len(items) < 100:
            return calls
    raise AssertionError("the listing never ended")


def created(call: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(call.get("created_at") or call["createdAt"]).replace("Z", "+00:00"))


class Clock(datetime):
    """A ``datetime`` whose ``now`` is a chosen moment: what the servers' module sees as the wall clock."""

    moment: datetime = NOW

    @classmethod
    def now(cls, tz: Any = None) -> Clock:
        return cls.fromtimestamp(cls.moment.timestamp(), tz)


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the wall clock the servers' module could read (``datetime.now``, ``time.time``, ``time.time_ns``)."""
    monkeypatch.setattr(servers_module, "datetime", Clock)

    def set_to(moment: datetime) -> None:
        Clock.moment = moment
        monkeypatch.setattr(time, "time", lambda: moment.timestamp())
        monkeypatch.setattr(time, "time_ns", lambda: int(moment.timestamp() * 1e9))

    return set_to


@pytest.fixture
def no_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any read of the wall clock by the servers' module fails the test."""

    class Forbidden(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Forbidden:
            raise AssertionError("the fake server read the wall clock")

    monkeypatch.setattr(servers_module, "datetime", Forbidden)
    yield


def ids(server: FakeVendorServer) -> list[tuple[Any, ...]]:
    """Every id a call carries."""
    keys = ("id", "_id", "callId", "contactId", "batchId", "batch_id", "campaignId", "agentId", "agent_id")
    return [tuple(call.get(key) for key in keys) for call in server.history]


# -- ids from the seed, time from ``now`` ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_the_same_seed_and_now_serve_the_same_history_at_any_wall_clock_moment(
    cls: type[FakeVendorServer], wall_clock: Callable[[datetime], None]
) -> None:
    wall_clock(datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC))
    first = cls(calls=250, seed=9, now=NOW)
    wall_clock(datetime(2026, 3, 1, 9, 1, 7, 654321, tzinfo=UTC))  # a minute later
    second = cls(calls=250, seed=9, now=NOW)
    assert first.history == second.history
    with first, second:
        served = listing(first)
        assert served == listing(second)
    assert len(served) == 250
    assert {call.get("id", call.get("callId")) for call in served} == set(first.call_ids)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_ids_do_not_move_with_now_and_timestamps_move_with_it(cls: type[FakeVendorServer]) -> None:
    early, late = cls(calls=120, seed=4, now=NOW), cls(calls=120, seed=4, now=NOW + timedelta(days=3, seconds=7))
    assert early.call_ids == late.call_ids and ids(early) == ids(late)
    shift = {created(b) - created(a) for a, b in zip(early.history, late.history, strict=True)}
    assert shift == {timedelta(days=3, seconds=7)}


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_a_default_now_changes_timestamps_only(
    cls: type[FakeVendorServer], wall_clock: Callable[[datetime], None]
) -> None:
    wall_clock(datetime(2026, 5, 2, 8, 30, 15, 999999, tzinfo=UTC))
    first = cls(calls=80, seed=2)
    wall_clock(datetime(2026, 5, 9, 17, 0, 1, tzinfo=UTC))
    second = cls(calls=80, seed=2)
    assert first.now == datetime(2026, 5, 2, 8, 30, 15, tzinfo=UTC)  # the default: the clock, whole seconds
    assert ids(first) == ids(second)
    assert created(first.history[0]) != created(second.history[0])


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_a_pinned_now_never_reads_the_clock(cls: type[FakeVendorServer], no_clock: None) -> None:
    server = cls(calls=60, seed=1, now=NOW)
    server.add_calls(3)
    with server:
        assert len(listing(server)) == 63
    assert created(server.history[0]) == NOW
    assert max(created(call) for call in server.history[3:]) == NOW - timedelta(hours=1)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_calls_added_later_are_numbered_on_from_the_seeded_ones(cls: type[FakeVendorServer]) -> None:
    grown, big = cls(calls=50, seed=6, now=NOW), cls(calls=53, seed=6, now=NOW)
    grown.add_calls(3)
    assert grown.call_ids[3:] == big.call_ids[:50]
    assert len(set(grown.call_ids)) == 53 and set(grown.call_ids[:3]) == set(big.call_ids[50:])


def test_atoms_ids_keep_the_vendors_shape_and_depend_on_the_seed() -> None:
    one, other = AtomsServer(calls=2000, seed=1, now=NOW), AtomsServer(calls=2000, seed=2, now=NOW)
    for call in one.history:
        prefix, number, suffix = call["callId"].split("-")
        assert prefix == "CALL" and len(number) == 13 and number.isdigit() and len(suffix) == 6 and int(suffix, 16) >= 0
        assert len(call["_id"]) == 24 and int(call["_id"], 16) >= 0
    assert len(set(one.call_ids)) == 2000 and len({call["_id"] for call in one.history}) == 2000
    assert not set(one.call_ids) & set(other.call_ids)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DialNexaServer(now=datetime(2026, 1, 1))


# -- filters -----------------------------------------------------------------------------------------------------

EVERY_FILTER: list[tuple[type[FakeVendorServer], dict[str, str]]] = [
    (DialNexaServer, {"status": "completed", "agent_id": "agt_1", "call_direction": "inbound",
                      "batch_call_id": "batch_0", "from": "2026-01-10T00:00:00Z", "to": "2026-01-11T00:00:00Z"}),
    (AtomsServer, {"statusFilter": "completed", "agentIds": "agent_1", "campaignIds": "camp_0",
                   "callTypes": "telephony_inbound", "dateFrom": "2026-01-10T00:00:00Z",
                   "dateTo": "2026-01-11T00:00:00Z", "search": "+1415555"}),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "filters"), EVERY_FILTER, ids=["dialnexa", "atoms"])
def test_without_server_filters_every_filter_is_ignored_and_paging_still_works(
    cls: type[FakeVendorServer], filters: dict[str, str]
) -> None:
    with cls(calls=430, seed=3, now=NOW, server_filters=False) as server, cls(calls=430, seed=3, now=NOW) as honest:
        assert listing(server, **filters) == server.history
        assert listing(honest, **filters) != honest.history  # the same request does filter by default
        path = "/calls" if cls is DialNexaServer else "/conversation"
        page = get(server, path, page=3, limit=25, **filters).json()
        items = page["data"] if cls is DialNexaServer else page["data"]["logs"]
        assert items == server.history[50:75]
        if cls is AtomsServer:
            assert page["data"]["pagination"] == {
                "total": 430, "page": 3, "limit": 25, "hasMore": True, "totalPages": 18
            }  # fmt: skip
        else:
            assert page["meta"] == {"page": 3, "limit": 25, "total": 430, "totalPages": 18}


def test_atoms_filters_on_call_types() -> None:
    with AtomsServer(calls=300, seed=8, now=NOW) as server:
        for kinds in ("telephony_inbound", "telephony_outbound", "webcall", "telephony_inbound,webcall"):
            wanted = [call for call in server.history if call["type"] in kinds.split(",")]
            assert listing(server, callTypes=kinds) == wanted and wanted
        inbound_of_agent = listing(server, callTypes="telephony_inbound", agentIds="agent_2,agent_3")
        assert inbound_of_agent == [
            call
            for call in server.history
            if call["type"] == "telephony_inbound" and call["agentId"] in ("agent_2", "agent_3")
        ]
        assert get(server, "/conversation", callTypes="chat").json()["data"]["pagination"]["total"] == 0


def test_dialnexa_filters_on_direction_and_batch() -> None:
    with DialNexaServer(calls=300, seed=8, now=NOW) as server:
        for direction in ("inbound", "outbound"):
            wanted = [call for call in server.history if call["call_direction"] == direction]
            assert listing(server, call_direction=direction) == wanted and wanted
        assert listing(server, call_direction="inbound,outbound") == server.history
        batch = listing(server, batch_call_id="batch_1,batch_2", agent_id="agt_0,agt_3")
        assert batch == [
            call
            for call in server.history
            if call["batch_id"] in ("batch_1", "batch_2") and call["agent_id"] in ("agt_0", "agt_3")
        ]
        assert batch


@pytest.mark.parametrize("server_filters", [True, False])
def test_dialgen_has_no_filters_to_switch_off(server_filters: bool) -> None:
    with DialgenServer(calls=90, now=NOW, server_filters=server_filters) as server:
        assert sorted(call["id"] for call in listing(server)) == sorted(server.call_ids)


# -- what the histories cover ------------------------------------------------------------------------------------

COVERAGE: list[tuple[type[FakeVendorServer], str, set[str], set[str]]] = [
    (DialNexaServer, "call_direction", {"inbound", "outbound"}, {
        "created", "initiated", "sent", "received", "completed", "did_not_pick", "busy", "no_answer", "failed",
        "cancelled", "retry_expired", "in-progress", "no-answer"}),
    (AtomsServer, "type", {"telephony_inbound", "telephony_outbound", "webcall"}, {
        "pending", "in_progress", "in_queue", "processing", "active", "completed", "failed", "no_answer",
        "cancelled", "busy"}),
    (DialgenServer, "direction", {"INBOUND", "OUTBOUND"}, {"SCHEDULED", "ONGOING", "COMPLETED", "MISSED", "FAILED"}),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "field", "directions", "statuses"), COVERAGE, ids=IDS)
def test_histories_cover_directions_agents_campaigns_statuses_and_days(
    cls: type[FakeVendorServer], field: str, directions: set[str], statuses: set[str]
) -> None:
    server = cls(calls=400, seed=0, now=NOW)
    assert {call[field] for call in server.history} == directions
    assert {call["status"] for call in server.history} == statuses
    records = [normalize(call, cls.vendor) for call in server.history]
    assert {str(record.direction) for record in records} >= {"inbound", "outbound"}
    assert len({record.agent_id for record in records} - {None}) >= 3
    assert len({record.campaign_id for record in records} - {None}) >= 3
    times = [created(call) for call in server.history]
    assert times == sorted(times, reverse=True) and max(times) == NOW - timedelta(hours=1)
    assert NOW - min(times) > timedelta(days=server.days - 1) and NOW - min(times) <= timedelta(
        days=server.days, hours=1
    )
    if cls is not DialgenServer:
        assert server.days == 10  # ~10 days of history; Dialgen's spans twice its 30-day live window
    for record, call in zip(records, server.history, strict=True):
        assert record.call_id == server.id_of(call) and record.created_at == created(call)


def test_dialgen_spreads_the_history_over_batches_newest_first() -> None:
    with DialgenServer(calls=150, batches=4, now=NOW) as server:
        batches = get(server, "/api/v1/batch/list").json()
        assert [batch["batchId"] for batch in batches] == ["batch_0", "batch_1", "batch_2", "batch_3"]
        assert [batch["agentId"] for batch in batches] == ["agent_1", "agent_2", "agent_3", "agent_1"]
        assert sum(batch["total"] for batch in batches) == 150
        starts = [datetime.fromisoformat(batch["createdAt"].replace("Z", "+00:00")) for batch in batches]
        assert starts == sorted(starts, reverse=True)
        served = listing(server)
        assert sorted(call["id"] for call in served) == sorted(server.call_ids)  # every call in exactly one batch
        order = [call["batchId"] for call in server.history]
        assert order == sorted(order, key=lambda batch: int(batch.removeprefix("batch_")))  # contiguous stretches


def test_dialgen_batches_past_the_live_window_are_served_by_the_persistent_store_only() -> None:
    with DialgenServer(calls=90, now=NOW) as server:
        live = {}
        for batch in ("batch_0", "batch_1", "batch_2"):
            reply = get(server, "/api/v1/status/batch", batchId=batch)
            live[batch] = reply.status_code, [call["callId"] for call in reply.json().get("calls", [])]
            stored = get(server, "/api/v1/batch/check-status", batchId=batch, limit="all").json()["recentCalls"]
            members = [call["id"] for call in server.history if call["batchId"] == batch]
            assert [call["id"] for call in stored] == members
            fresh = [
                call["id"]
                for call in server.history
                if call["batchId"] == batch and created(call) > NOW - timedelta(days=30)
            ]
            assert live[batch][1] == fresh
        assert live["batch_0"][0] == 200 and len(live["batch_0"][1]) == 30  # all within 30 days
        assert live["batch_1"][0] == 200 and 0 < len(live["batch_1"][1]) < 30  # straddles the window
        assert live["batch_2"] == (404, [])  # 40 to 60 days old
        assert get(server, "/api/v1/status/batch", batchId="batch_2").json()["code"] == "NOT_FOUND"
        assert get(server, "/api/v1/batch/check-status", batchId="batch_2").json()["recentCalls"] == [
            {key: call[key] for key in ("id", "status", "duration", "createdAt", "phoneNumber")}
            for call in server.history[60:70]
        ]  # limit defaults to 10
        assert get(server, "/api/v1/batch/check-status", batchId="batch_2", limit="x").status_code == 400


def test_dialgens_live_window_counts_from_now_not_from_the_clock() -> None:
    long_ago = datetime(2019, 6, 1, tzinfo=UTC)
    with DialgenServer(calls=30, batches=1, now=long_ago) as server:
        newest, oldest = server.history[0], server.history[-1]
        assert get(server, "/api/v1/status/call", callId=newest["id"]).status_code == 200
        assert get(server, "/api/v1/status/call", callId=oldest["id"]).status_code == 404
        assert get(server, "/api/v1/call/check-status", callId=oldest["id"]).json()["data"]["direction"] in (
            "INBOUND", "OUTBOUND"
        )  # fmt: skip


def test_the_generated_calls_are_well_formed() -> None:
    counts: Counter[str] = Counter()
    for call in DialNexaServer(calls=300, now=NOW).history:
        outbound = call["call_direction"] == "outbound"
        ours = call["from_phone_number"] if outbound else call["to_phone_number"]
        assert ours == servers_module.OUR_NUMBER
        assert call["status"] != ("received" if outbound else "sent")
        assert outbound or call["batch_id"] is None
        counts[call["status"]] += 1
    for call in AtomsServer(calls=300, now=NOW).history:
        assert (call["campaignId"] is not None) == (call["type"] == "telephony_outbound")
        assert (call["from"] is None) == (call["type"] == "webcall")
    assert counts["completed"] > counts["busy"]
