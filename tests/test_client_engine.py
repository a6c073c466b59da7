"""The clients' shared engine in isolation: retry and rate-limit policy, paging, the reverse status map, error
typing. Transports here are ``httpx.MockTransport`` (a unit seam); the integration tests use real servers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstatus import (
    AtomsClient,
    CallStatus,
    ConflictError,
    DialgenClient,
    DialNexaClient,
    HttpRetry,
    TableError,
    VendorRequestError,
    VendorResponseError,
    VendorServerError,
    get_adapter,
    normalize,
)
from callstatus.apitable import Pages
from callstatus.clients.policy import RateLimiter, parse_retry_after
from callstatus.tables import compile_table, parse_table
from tests.table_samples import ACME_TABLE

NO_RETRY = HttpRetry(retries=0)


def mock(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_in_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == seconds
    assert parse_retry_after(f"  {seconds} ") == seconds


@given(st.integers(min_value=1, max_value=10**5))
def test_retry_after_as_an_http_date(seconds: int) -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=seconds), usegmt=True), now) == seconds
    assert parse_retry_after(format_datetime(now - timedelta(seconds=seconds), usegmt=True), now) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026"])
def test_unreadable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


@given(st.integers(min_value=0, max_value=40), st.floats(0.001, 10), st.floats(0.001, 100))
def test_backoff_grows_exponentially_within_its_jitter_and_cap(attempt: int, base: float, cap: float) -> None:
    policy = HttpRetry(backoff=base, max_backoff=cap)
    ceiling = min(cap, base * 2**attempt)
    assert ceiling * 0.5 <= policy.backoff_delay(attempt) <= ceiling


def test_rate_limiter_spaces_and_pauses() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(0)
    free = RateLimiter()
    assert [free.reserve() for _ in range(5)] == [0.0] * 5
    free.pause(30)
    assert 29 < free.reserve() <= 30
    spaced = RateLimiter(4)
    waits = [spaced.reserve() for _ in range(4)]
    assert waits[0] == 0 and all(0.2 < later - earlier < 0.3 for earlier, later in itertools.pairwise(waits))


@given(
    total=st.integers(0, 5000),
    size=st.integers(1, 200),
    page=st.integers(1, 60),
    form=st.sampled_from(["has_more", "total_pages", "total", "none"]),
)
def test_pages_say_whether_more_follow(total: int, size: int, page: int, form: str) -> None:
    pages = Pages(
        page="page", limit="limit", first=1, size=size, max_size=None,
        has_more=(("m",),), total_pages=(("p",),), total=(("t",),),
    )  # fmt: skip
    count = max(0, min(size, total - (page - 1) * size))
    last = -(-total // size)
    body = {"has_more": {"m": page < last}, "total_pages": {"p": last}, "total": {"t": total}, "none": {}}[form]
    expected = page * size < total if form != "none" else count == size
    assert pages.more(body, page, size, count) is (expected and count > 0)


# A listing item of each vendor with a status, a reason and a talk time: written from the docs' field names.
LISTED = {
    "dialnexa": lambda status, reason, talk: {"id": "c", "agent_id": "a", "status": status, "end_reason": reason,
                                             "duration_seconds": talk},
    "atoms": lambda status, reason, talk: {"callId": "c", "agentId": "a", "status": status,
                                          "disconnectionReason": reason, "duration": talk},
}  # fmt: skip
# What each status parameter accepts (from the docs), and what a listing can return that it cannot send.
ACCEPTED = {
    "dialnexa": ["created", "initiated", "sent", "received", "completed", "did_not_pick", "busy", "no_answer", "failed",
                 "cancelled", "retry_expired", "in-progress", "no-answer"],
    "atoms": ["pending", "in_progress", "in_queue", "processing", "active", "completed", "failed", "no_answer",
              "cancelled"],
}  # fmt: skip
UNSENDABLE = {"dialnexa": [], "atoms": ["busy"]}  # Atoms' statusFilter enum has no busy


@pytest.mark.parametrize("vendor", sorted(LISTED))
def test_the_reverse_status_map_is_sound_and_complete(vendor: str) -> None:
    """A raw status is asked for a canonical status exactly when some documented reason (or none) and some talk
    time make a call with that raw status normalize to it; a status that an unsendable raw status can reach too is
    not asked at all (it is filtered on this side)."""
    adapter = get_adapter(vendor)
    assert adapter.api is not None
    status_filter = adapter.api.filters["status"]
    reasons = [None, *(value for vocabulary in adapter.reasons for value in vocabulary.values)]
    reached = {
        raw: {
            normalize(LISTED[vendor](raw, reason, talk), vendor).status for reason in reasons for talk in (None, 0, 9)
        }
        for raw in ACCEPTED[vendor] + UNSENDABLE[vendor]
    }
    for status in CallStatus:
        asked = set(status_filter.raw_statuses([status]))
        if any(status in reached[raw] for raw in UNSENDABLE[vendor]):
            assert not asked, (vendor, status)
            continue
        for raw in ACCEPTED[vendor]:
            assert (raw in asked) is (status in reached[raw]), (vendor, status, raw)


def test_reverse_map_asks_each_value_once_for_several_statuses() -> None:
    api = get_adapter("dialnexa").api
    assert api is not None
    asked = api.filters["status"].raw_statuses([CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.BUSY])
    # every raw status that is over can be busy or unanswered: a busy or no-answer reason decides (law 4)
    assert len(asked) == len(set(asked)) and set(asked) == {
        "busy", "completed", "did_not_pick", "no_answer", "retry_expired", "failed", "cancelled", "no-answer"
    }  # fmt: skip


def test_a_409_exposes_the_existing_call_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": "Call in progress", "code": "CALL_IN_PROGRESS", "message": "A call is already in progress",
                "callId": "call_existing"}  # fmt: skip
        return httpx.Response(409, json=body)

    client = DialgenClient("k", user_id="u", client=mock(handler), retry=NO_RETRY)
    with client, pytest.raises(ConflictError) as caught:
        client.get_call("call_new")
    assert caught.value.existing_call_id == "call_existing"
    assert caught.value.code == "CALL_IN_PROGRESS" and caught.value.message == "A call is already in progress"


def test_a_list_of_messages_is_joined_and_an_html_error_page_is_excerpted() -> None:
    answers = iter(
        [
            httpx.Response(400, json={"statusCode": 400, "message": ["limit too big", "page bad"], "error": "Bad"}),
            httpx.Response(502, text="<html><body>Bad gateway</body></html>"),
        ]
    )
    with DialNexaClient("k", client=mock(lambda request: next(answers)), retry=NO_RETRY) as client:
        with pytest.raises(VendorRequestError, match="limit too big; page bad"):
            client.get_call("x")
        with pytest.raises(VendorServerError, match="Bad gateway") as caught:
            client.get_call("x")
    assert caught.value.envelope is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"status": False, "errors": ["agent deleted"]}, "the body says the request failed \\(agent deleted\\)"),
        ({"status": True, "data": {"logs": "none"}}, "no list of records at data.logs"),
        ([1, 2], "no list of records"),
    ],
)
def test_a_success_status_with_the_wrong_body_is_a_response_error(body: Any, problem: str) -> None:
    client = AtomsClient("k", client=mock(lambda request: httpx.Response(200, json=body)), retry=NO_RETRY)
    with client, pytest.raises(VendorResponseError, match=problem) as caught:
        list(client.get_calls())
    assert caught.value.status_code == 200 and caught.value.envelope == body


def test_a_used_up_rate_limit_window_pauses_the_next_request() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"}
    client = DialNexaClient("k", client=mock(lambda request: httpx.Response(200, json={"id": "c", "status": "busy"},
                                                                            headers=headers)))  # fmt: skip
    client.get_call("c")
    assert 41 < client._engine.limiter.reserve() <= 42


def test_requests_carry_the_key_credentials_and_quoted_paths() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/v1/"):
            return httpx.Response(200, json={"id": "../calls?x=1", "status": "completed"})
        return httpx.Response(200, json={"callId": "a b", "status": "COMPLETED"})

    with DialgenClient("secret", user_id="user 1", client=mock(handler), base_url="https://example.test/") as client:
        client.get_call("a b")
    with DialNexaClient("secret", client=mock(handler), base_url="https://example.test/v1") as client:
        client.get_call("../calls?x=1")
    assert str(seen[0].url) == "https://example.test/api/v1/status/call?userId=user+1&callId=a+b"
    assert seen[0].headers["authorization"] == "Bearer secret"
    assert seen[1].url.raw_path == b"/v1/call-logs/..%2Fcalls%3Fx%3D1"


TABLE_ERRORS = [
    ('[api.filters]\nstatus = { param = "s", vocabulary = "nope" }', "api.filters.status.vocabulary"),
    ('[api.filters]\nstatus = { param = "s", vocabulary = "state", values = ["Gone"] }', "api.filters.status.values"),
    ('[api.endpoints.calls]\npath = "/calls"\nrecords = ["$"]\nfilters = ["agent"]', "api.endpoints.calls.filters"),
    ('[api.endpoints.calls]\npath = "/calls"\nrecords = ["$"]\npaged = true', "api.endpoints.calls.paged"),
    ('[api.endpoints.call]\npath = "/c"\nrecords = ["$"]\nfallback = "old"', "api.endpoints.call.fallback"),
]


@pytest.mark.parametrize(("section", "where"), TABLE_ERRORS)
def test_api_sections_are_checked(section: str, where: str) -> None:
    text = ACME_TABLE + '\n[api]\nbase_url = "https://acme.test"\nerrors = { message = ["message"] }\n' + section
    if "[api.endpoints" not in section:
        text += '\n[api.endpoints.call]\npath = "/c"\nrecords = ["$"]\n'
    with pytest.raises(TableError) as caught:
        compile_table(parse_table(text, "acme.toml"), "acme.toml")
    assert caught.value.path == where


def test_a_live_dialgen_answer_older_than_30_days_is_reread_from_the_persistent_store() -> None:
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    fresh = datetime.now(UTC).isoformat()
    answers = {
        "/api/v1/status/call": {"callId": "c", "status": "ONGOING", "startTime": old, "phoneNumber": "+15551230000"},
        "/api/v1/call/check-status": {"success": True, "data": {"id": "c", "status": "COMPLETED", "createdAt": old,
                                                                "direction": "OUTBOUND"}},
    }  # fmt: skip
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json=answers[request.url.path])

    with DialgenClient("k", user_id="u", client=mock(handler)) as client:
        assert client.get_call("c").status is CallStatus.COMPLETED
        answers["/api/v1/status/call"]["startTime"] = fresh
        assert client.get_call("c").status is CallStatus.IN_PROGRESS
    assert paths == ["/api/v1/status/call", "/api/v1/call/check-status", "/api/v1/status/call"]
