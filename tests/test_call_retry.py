"""The call retry policy: when to dial a person again, never outside their calling hours, never twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import timezone as phone_zones

import callstatus
from callstatus.callretry import DEFAULT_DELAYS, RetryDecision, RetryPolicy
from callstatus.errors import UsageError
from callstatus.record import CallRecord
from callstatus.testing import call_records
from callstatus.vocabulary import CallStatus, Direction, EndReason

FIXTURES = Path(__file__).parent / "fixtures"
NEW_YORK = ZoneInfo("America/New_York")

NUMBERS = [
    "+12125551234",  # New York
    "+13125551234",  # Chicago
    "+14155551234",  # San Francisco
    "+15555555555",  # no zone known
    "+18005551234",  # toll free: every NANP zone
    "+61291234567",  # Sydney
    "+61412345678",  # Australian mobile: eight zones
    "+447911123456",  # British mobile
    "+79161234567",  # Russian mobile: sixteen zones
    "+919876543210",  # India
    "+6493001234",  # Auckland
]
ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Europe/London",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
    "UTC",
]
RETRYABLE = [reason for reason in EndReason if reason.retryable]
NOT_RETRYABLE = [reason for reason in EndReason if not reason.retryable]
TERMINAL = [status for status in CallStatus if status.is_terminal]
NOT_TERMINAL = [status for status in CallStatus if not status.is_terminal]

clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]), st.sampled_from([0, 0, 30]))
calling_hours = (
    st.lists(clock_times, min_size=2, max_size=2, unique=True).map(sorted).map(tuple)
    | st.just((time(9), time(20)))
    | st.just((time(2, 30), time(20)))
)
policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 5),
    delays=st.dictionaries(st.sampled_from(EndReason), st.timedeltas(timedelta(0), timedelta(days=3)), max_size=4),
    calling_hours=calling_hours,
    timezone=st.sampled_from(ZONES),
    default_delay=st.timedeltas(timedelta(0), timedelta(days=2)),
)
nows = st.datetimes(datetime(2015, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))
attempt_counts = st.none() | st.integers(1, 6)


any_records = call_records()
real_numbers = st.none() | st.sampled_from(NUMBERS)


@st.composite
def records(draw: st.DrawFn, **fixed: st.SearchStrategy[Any]) -> CallRecord:
    """Any record, often with a real number, and with the fields in ``fixed`` drawn from their strategies."""
    record = draw(any_records)
    changes = {name: draw(strategy) for name, strategy in fixed.items()}
    number = draw(real_numbers)
    if number is not None:
        changes["from_number" if record.direction is Direction.INBOUND else "to_number"] = number
    return record.model_copy(update=changes)


retryable_records = records(
    status=st.sampled_from(TERMINAL),
    end_reason=st.sampled_from(RETRYABLE),
    vendor_may_retry=st.sampled_from([None, False]),
    attempt=st.none() | st.integers(1, 2),
)
few_attempts = st.none() | st.integers(1, 2)


def zones_of(record: CallRecord) -> list[ZoneInfo]:
    number = record.from_number if record.direction is Direction.INBOUND else record.to_number
    if number is None:
        return []
    try:
        names = phone_zones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return []
    return [ZoneInfo(name) for name in names if name != "Etc/Unknown"]


def inside(moment: datetime, zones: list[ZoneInfo], hours: tuple[time, time]) -> bool:
    start, end = hours
    return bool(zones) and all(start <= moment.astimezone(zone).time() < end for zone in zones)


def base_of(record: CallRecord, now: datetime) -> datetime:
    return record.ended_at or record.started_at or record.created_at or now


def busy(number: str, ended_at: datetime, **fields: Any) -> CallRecord:
    return CallRecord(
        vendor="acme",
        call_id="call-1",
        status=CallStatus.BUSY,
        end_reason=EndReason.BUSY,
        to_number=number,
        ended_at=ended_at,
        raw={},
        **fields,
    )


def twin(policy: RetryPolicy) -> RetryPolicy:
    return RetryPolicy(
        policy.max_attempts, dict(policy.delays), policy.calling_hours, policy.timezone, policy.default_delay
    )


@given(retryable_records, policies, few_attempts, nows)
def test_retries_land_inside_calling_hours_after_the_delay(
    record: CallRecord, policy: RetryPolicy, attempts: int | None, now: datetime
) -> None:
    decision = policy.decide(record, attempts=attempts, now=now)
    assert decision == twin(policy).decide(record, attempts=attempts, now=now)
    if not decision.retry:
        return
    assert record.end_reason is not None and decision.at is not None and decision.at.tzinfo is UTC
    earliest = max(now, base_of(record, now) + policy.delays.get(record.end_reason, policy.default_delay))
    assert decision.at >= earliest
    zones = used = zones_of(record)
    if not inside(decision.at, zones, policy.calling_hours):
        used = [ZoneInfo(policy.timezone)]
        assert inside(decision.at, used, policy.calling_hours)
        assert f"{policy.timezone}, the policy's zone" in decision.why
    assert used == zones or len(zones) != 1
    a_second_before = decision.at - timedelta(seconds=1)
    if len(used) == 1 and a_second_before >= earliest:
        assert not inside(a_second_before, used, policy.calling_hours)


@given(
    records(),
    policies,
    attempt_counts,
    nows,
    st.sampled_from(NOT_TERMINAL),
    st.none() | st.sampled_from(NOT_RETRYABLE),
    st.integers(0, 3),
)
def test_no_retry_when_a_rule_forbids_it(
    record: CallRecord,
    policy: RetryPolicy,
    attempts: int | None,
    now: datetime,
    live: CallStatus,
    pointless: EndReason | None,
    extra: int,
) -> None:
    def decide(attempts: int | None = attempts, **changes: Any) -> RetryDecision:
        return policy.decide(record.model_copy(update=changes), attempts=attempts, now=now)

    not_over = decide(status=live)
    assert not not_over.retry and not_over.at is None and "not over" in not_over.why
    assert not decide(vendor_may_retry=True).retry
    for decision in (decide(end_reason=pointless), decide(policy.max_attempts + extra)):
        assert not decision.retry
        assert decision.at is None or record.vendor_may_retry is True
    assert policy.decide(record, attempts=attempts, now=now) == twin(policy).decide(record, attempts=attempts, now=now)


def test_busy_near_closing_time_moves_to_the_next_morning_in_new_york() -> None:
    ended = datetime(2025, 1, 15, 19, 58, tzinfo=NEW_YORK)
    decision = RetryPolicy().decide(busy("+12125551234", ended), now=ended)
    assert decision.retry
    assert decision.at == datetime(2025, 1, 16, 9, tzinfo=NEW_YORK)
    assert decision.why == (
        "busy: retry in 5 min (attempt 2 of 3), moved into calling hours (09:00-20:00 America/New_York)"
    )


def test_busy_inside_calling_hours_waits_only_its_delay() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=NEW_YORK)
    decision = RetryPolicy().decide(busy("+12125551234", ended), now=ended)
    assert decision.at == ended + timedelta(minutes=5)
    assert "inside calling hours" in decision.why


def test_the_next_morning_after_the_clocks_go_forward_is_an_hour_earlier_in_utc() -> None:
    ended = datetime(2025, 3, 8, 19, 58, tzinfo=NEW_YORK)
    decision = RetryPolicy().decide(busy("+12125551234", ended), now=ended)
    assert decision.at == datetime(2025, 3, 9, 13, tzinfo=UTC)


def test_an_australian_number_uses_its_own_zone() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    ended = datetime(2025, 1, 15, 21, tzinfo=sydney)
    decision = RetryPolicy().decide(busy("+61291234567", ended), now=ended)
    assert decision.at == datetime(2025, 1, 16, 9, tzinfo=sydney)
    assert "Australia/Sydney" in decision.why


def test_a_number_across_several_zones_is_called_when_it_is_calling_hours_in_all() -> None:
    ended = datetime(2025, 1, 15, 21, tzinfo=ZoneInfo("Australia/Sydney"))
    decision = RetryPolicy().decide(busy("+61412345678", ended), now=ended)
    assert decision.at is not None
    zones = zones_of(busy("+61412345678", ended))
    assert len(zones) > 1
    assert inside(decision.at, zones, (time(9), time(20)))
    assert not inside(decision.at - timedelta(seconds=1), zones, (time(9), time(20)))


def test_a_window_opening_in_the_skipped_hour_opens_when_the_clocks_jump() -> None:
    policy = RetryPolicy(calling_hours=(time(2, 30), time(20)))
    ended = datetime(2025, 3, 9, 1, tzinfo=NEW_YORK)
    decision = policy.decide(busy("+12125551234", ended), now=ended)
    assert decision.at == datetime(2025, 3, 9, 7, tzinfo=UTC)
    assert decision.at.astimezone(NEW_YORK).time() == time(3)


def test_a_window_opening_in_the_repeated_hour_waits_for_its_second_pass() -> None:
    policy = RetryPolicy(calling_hours=(time(1, 30), time(20)))
    ended = datetime(2025, 11, 2, 5, 58, tzinfo=UTC)  # 01:58 EDT; five minutes later the clock reads 01:03 EST
    decision = policy.decide(busy("+12125551234", ended), now=ended)
    assert decision.at == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)


def test_an_unknown_zone_falls_back_to_the_policys_zone() -> None:
    ended = datetime(2025, 1, 15, 23, tzinfo=UTC)
    decision = RetryPolicy(timezone="Europe/London").decide(busy("+15555555555", ended), now=ended)
    assert decision.at == datetime(2025, 1, 16, 9, tzinfo=UTC)
    assert "Europe/London, the policy's zone" in decision.why


def test_an_inbound_call_is_returned_to_the_caller() -> None:
    ended = datetime(2025, 1, 15, 21, tzinfo=ZoneInfo("Australia/Sydney"))
    record = busy("+12125551234", ended, from_number="+61291234567", direction=Direction.INBOUND)
    decision = RetryPolicy().decide(record, now=ended)
    assert "Australia/Sydney" in decision.why


def test_a_call_ended_long_ago_is_retried_now() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=NEW_YORK)
    now = ended + timedelta(hours=2)
    decision = RetryPolicy().decide(busy("+12125551234", ended), now=now)
    assert decision.at == now
    assert "retry now" in decision.why


def test_attempts_default_to_the_records_attempt() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=NEW_YORK)
    decision = RetryPolicy().decide(busy("+12125551234", ended, attempt=3), now=ended)
    assert decision == RetryDecision(False, None, "busy: no retry, 3 of 3 attempts used")
    assert RetryPolicy().decide(busy("+12125551234", ended, attempt=3), attempts=2, now=ended).retry


def test_a_pointless_reason_is_named() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=NEW_YORK)
    record = busy("+12125551234", ended).model_copy(update={"end_reason": EndReason.INVALID_NUMBER})
    decision = RetryPolicy().decide(record, now=ended)
    assert decision == RetryDecision(False, None, "invalid_number: no retry, the number does not exist")


def test_a_dialgen_batch_call_is_left_to_dialgens_own_retries() -> None:
    payload = json.loads((FIXTURES / "dialgen" / "live_status_missed_in_batch.json").read_text())["payload"]
    record = callstatus.normalize(payload, "dialgen")
    assert record.vendor_may_retry is True and record.started_at is not None
    decision = RetryPolicy().decide(record, now=record.started_at)
    assert not decision.retry
    assert decision.at == record.started_at + 2 * timedelta(hours=1)
    assert decision.why.startswith("dialgen retries this call itself (no_answer): do not dial again")


def test_dialgens_last_retry_ends_after_one_more_delay() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=UTC)
    record = busy("+12125551234", ended, attempt=2, vendor_may_retry=True, campaign_id="batch-1")
    record = record.model_copy(update={"vendor": "dialgen"})
    assert RetryPolicy().decide(record, now=ended).at == ended + timedelta(minutes=5)


def test_a_vendor_without_a_table_gives_no_estimate() -> None:
    ended = datetime(2025, 1, 15, 10, tzinfo=UTC)
    decision = RetryPolicy().decide(busy("+12125551234", ended, vendor_may_retry=True), now=ended)
    assert decision == RetryDecision(False, None, decision.why)
    assert "not known" in decision.why


def test_delays_accept_reason_names_over_the_defaults() -> None:
    policy = RetryPolicy(delays={"busy": timedelta(minutes=2)})
    assert policy.delays == {**DEFAULT_DELAYS, EndReason.BUSY: timedelta(minutes=2)}
    assert DEFAULT_DELAYS[EndReason.NO_ANSWER] == timedelta(hours=1)


def test_policies_read_plainly() -> None:
    assert repr(RetryPolicy()) == (
        "RetryPolicy(max_attempts=3, delays={busy: 5 min, no_answer: 1 h, voicemail: 1 h}, "
        "calling_hours=09:00-20:00, timezone='America/New_York', default_delay=30 min)"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"delays": {"nope": timedelta(1)}}, "not an end reason"),
        ({"delays": {EndReason.BUSY: timedelta(seconds=-1)}}, "delays['busy']"),
        ({"delays": {"busy": 300}}, "timedelta"),
        ({"delays": [("busy", timedelta(1))]}, "mapping"),
        ({"calling_hours": (time(20), time(9))}, "before end"),
        ({"calling_hours": (time(9), time(9))}, "before end"),
        ({"calling_hours": (time(9),)}, "two local times"),
        ({"calling_hours": (time(9, tzinfo=UTC), time(20))}, "without tzinfo"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"timezone": "../etc/passwd"}, "IANA"),
        ({"timezone": ""}, "IANA"),
        ({"default_delay": timedelta(minutes=-1)}, "default_delay"),
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        RetryPolicy(**settings)


@pytest.mark.parametrize(
    "arguments", [{"now": datetime(2025, 1, 1)}, {"attempts": 0}, {"attempts": True}], ids=["naive", "zero", "bool"]
)
def test_invalid_decide_arguments_are_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        RetryPolicy().decide(busy("+12125551234", datetime(2025, 1, 1, tzinfo=UTC)), **arguments)
