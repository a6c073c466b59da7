"""The outcome laws: how a call's status and end reason combine, decided once for every vendor.

A vendor table says what each raw status and raw reason means; these laws say how the two meanings combine,
so that a backend counting by status and by reason gets the same answer for the same calls:

1. ``end_reason`` and ``ended_by`` only when ``status.is_over``; a terminal record always has an ``end_reason``.
2. ``completed`` only with a reason of group ``connected`` or ``unknown``, or of group ``error`` on a call that
   connected (it broke after connecting); never ``not_connected`` or ``account``.
3. ``no_answer``, ``busy`` and ``canceled`` never with a ``connected`` reason, except ``no_answer`` + ``voicemail``.
4. A reason decides the status where it names it, on any call that is over: busy -> busy; no_answer and
   voicemail -> no_answer; canceled -> canceled. Never on an ``unknown`` status: that is not guessed.
5. ``failed`` never with a ``connected`` reason.
6. Raw values are kept exactly as received (the adapter's part).

Whether a call connected is known three ways: ``True`` (the vendor's own talk or answer time is above zero),
``False`` (it is zero) or ``None`` (the vendor does not say). ``resolve`` is total and its results obey the laws
(the tests check every combination); ``violations`` names what a combination breaks, for the table loader.
"""

from __future__ import annotations

from .vocabulary import CallStatus, EndedBy, EndReason, ReasonGroup

__all__ = ["LAWS", "resolve", "violations"]

LAWS: dict[int, str] = {
    1: "an end reason and ended_by only on a call that is over, and a terminal call always has an end reason",
    2: "completed only with a connected or unknown reason, or an error reason on a call that connected",
    3: "no_answer, busy and canceled never with a connected reason, except no_answer with voicemail",
    4: "a busy, no_answer, voicemail or canceled reason decides the status of a call that is over",
    5: "failed never with a connected reason",
}

_NOT_CONNECTED_STATUSES = frozenset({CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.CANCELED})
_NEUTRAL_STATUSES = frozenset({CallStatus.FAILED, CallStatus.ENDED})


def _unconnected(status: CallStatus, reason: EndReason) -> EndReason:
    """The not-connected reason for a connected-group reason on a call that did not connect: a hang-up by the
    person called is a rejection (unless the caller canceled first); anything else says no more than the status."""
    if reason is EndReason.CUSTOMER_HANGUP and status is not CallStatus.CANCELED:
        return EndReason.REJECTED
    default = status.default_reason
    return default if default is not None and default.group is ReasonGroup.NOT_CONNECTED else EndReason.UNKNOWN


def resolve(
    status: CallStatus, reason: EndReason | None, connected: bool | None
) -> tuple[CallStatus, EndReason | None]:
    """The lawful status and end reason of a call from what its raw status and raw reason mean.

    ``reason`` None: the vendor gave none (a terminal status then takes its default reason).
    """
    if not status.is_over:
        return status, None
    if reason is None:
        return status, status.default_reason
    if reason.group is ReasonGroup.CONNECTED and reason is not EndReason.VOICEMAIL:
        if status in _NOT_CONNECTED_STATUSES or (connected is False and status in _NEUTRAL_STATUSES):
            reason = _unconnected(status, reason)
        elif status is CallStatus.FAILED:
            status = CallStatus.COMPLETED  # a connected ending, believed where not known otherwise
    named = reason.names_status
    if named is not None:
        return named, reason
    if status is CallStatus.COMPLETED and (
        reason.group in (ReasonGroup.NOT_CONNECTED, ReasonGroup.ACCOUNT)
        or (reason.group is ReasonGroup.ERROR and connected is not True)
    ):
        status = reason.implied_status or CallStatus.FAILED
    return status, reason


def violations(
    status: CallStatus, reason: EndReason | None, ended_by: EndedBy | None = None, connected: bool | None = None
) -> list[int]:
    """The numbers of the laws a combination breaks; empty when it obeys them all."""
    broken: list[int] = []
    if (not status.is_over and (reason is not None or ended_by is not None)) or (status.is_terminal and reason is None):
        broken.append(1)
    if reason is None:
        return broken
    group = reason.group
    if status is CallStatus.COMPLETED and not (
        group in (ReasonGroup.CONNECTED, ReasonGroup.UNKNOWN) or (group is ReasonGroup.ERROR and connected is True)
    ):
        broken.append(2)
    if (
        status in _NOT_CONNECTED_STATUSES
        and group is ReasonGroup.CONNECTED
        and not (status is CallStatus.NO_ANSWER and reason is EndReason.VOICEMAIL)
    ):
        broken.append(3)
    if status.is_over and reason.names_status not in (None, status):
        broken.append(4)
    if status is CallStatus.FAILED and group is ReasonGroup.CONNECTED:
        broken.append(5)
    return broken
