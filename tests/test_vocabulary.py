"""Laws of the canonical vocabulary: every member answers every question, consistently."""

from __future__ import annotations

import pytest

from callstatus import CallStatus, EndReason, Fault, Phase, ReasonGroup

TERMINAL = {"completed", "no_answer", "busy", "failed", "canceled"}


@pytest.mark.parametrize("status", list(CallStatus))
def test_terminal_exactly_when_phase_is_ended(status: CallStatus) -> None:
    assert status.is_terminal == (status.phase is Phase.ENDED)
    assert status.is_terminal == (status.value in TERMINAL)


def test_unknown_and_ended_are_not_terminal() -> None:
    assert not CallStatus.UNKNOWN.is_terminal
    assert CallStatus.UNKNOWN.phase is Phase.UNKNOWN
    assert not CallStatus.ENDED.is_terminal


def test_ranks_follow_the_lifecycle() -> None:
    order = ["unknown", "scheduled", "queued", "initiated", "ringing", "in_progress", "ended"]
    ranks = [CallStatus(value).rank for value in order]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert {CallStatus(value).rank for value in TERMINAL} == {max(s.rank for s in CallStatus)}


@pytest.mark.parametrize("status", list(CallStatus))
def test_default_reason_only_for_terminal_statuses(status: CallStatus) -> None:
    assert (status.default_reason is not None) == status.is_terminal


@pytest.mark.parametrize("reason", list(EndReason))
def test_every_reason_answers_every_question(reason: EndReason) -> None:
    assert isinstance(reason.retryable, bool)
    assert isinstance(reason.fault, Fault)
    assert isinstance(reason.group, ReasonGroup)
    assert reason.sip_code is None or 100 <= reason.sip_code <= 699
    assert reason.q850_cause is None or 1 <= reason.q850_cause <= 127


def test_retry_semantics_users_rely_on() -> None:
    assert EndReason.BUSY.retryable and EndReason.NO_ANSWER.retryable
    assert not EndReason.INVALID_NUMBER.retryable
    assert not EndReason.INSUFFICIENT_FUNDS.retryable
    assert not EndReason.UNKNOWN.retryable


def test_standard_codes_match_the_telecom_tables() -> None:
    assert (EndReason.BUSY.sip_code, EndReason.BUSY.q850_cause) == (486, 17)
    assert (EndReason.INVALID_NUMBER.sip_code, EndReason.INVALID_NUMBER.q850_cause) == (404, 1)
    assert (EndReason.REJECTED.sip_code, EndReason.REJECTED.q850_cause) == (603, 21)
    assert EndReason.NO_ANSWER.q850_cause == 19


def test_fault_tells_who_acts() -> None:
    assert EndReason.INVALID_NUMBER.fault is Fault.DESTINATION
    assert EndReason.INSUFFICIENT_FUNDS.fault is Fault.ACCOUNT
    assert EndReason.PLATFORM_ERROR.fault is Fault.VENDOR
    assert EndReason.TELEPHONY_ERROR.fault is Fault.CARRIER
    assert EndReason.CUSTOMER_HANGUP.fault is Fault.NONE


@pytest.mark.parametrize("enum", [CallStatus, EndReason])
def test_values_are_snake_case(enum: type[CallStatus] | type[EndReason]) -> None:
    for member in enum:
        assert member.value == member.name.lower()
