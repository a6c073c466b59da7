"""The canonical vocabulary: call statuses, end reasons, who ended and who answered a call.

Every vendor value maps onto these closed sets. The questions a backend asks of a value (is the call over,
should it retry, whose fault was it) are answered here, once, as properties of the members.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "AnsweredBy",
    "CallStatus",
    "Direction",
    "EndReason",
    "EndedBy",
    "Fault",
    "Phase",
    "ReasonGroup",
]


class Phase(StrEnum):
    """Where in its lifecycle a status sits."""

    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"
    UNKNOWN = "unknown"


class CallStatus(StrEnum):
    """Where a call attempt is in its lifecycle, or the class of its final outcome.

    Not a business outcome: ``completed`` means connected and ended normally, whatever the conversation achieved.
    """

    SCHEDULED = "scheduled"
    """Accepted by the vendor, due later."""
    QUEUED = "queued"
    """Waiting for a line now."""
    INITIATED = "initiated"
    """Dialling started, handed to the carrier."""
    RINGING = "ringing"
    """The callee's phone rings."""
    IN_PROGRESS = "in_progress"
    """Connected: a conversation is under way."""
    ENDED = "ended"
    """Over, but the vendor has not given its final classification yet."""
    COMPLETED = "completed"
    """Connected and ended normally."""
    NO_ANSWER = "no_answer"
    """Rang (or was tried) and nobody picked up."""
    BUSY = "busy"
    """The line was busy."""
    FAILED = "failed"
    """Could not be placed, or broke."""
    CANCELED = "canceled"
    """Canceled before or during dialling."""
    UNKNOWN = "unknown"
    """A vendor value the adapter does not know; never terminal."""

    @property
    def phase(self) -> Phase:
        """The lifecycle phase of this status."""
        return _STATUS_PHASE[self]

    @property
    def is_terminal(self) -> bool:
        """True when the attempt is over and classified: no later observation can change its class."""
        return _STATUS_PHASE[self] is Phase.ENDED

    @property
    def is_over(self) -> bool:
        """True when the call is over: terminal, or ``ended`` and waiting for its final class. Only then has it an
        end reason."""
        return _STATUS_PHASE[self] is Phase.ENDED or self is CallStatus.ENDED

    @property
    def rank(self) -> int:
        """Lifecycle order: a later phase has a higher rank; every terminal status shares the top rank."""
        return _STATUS_RANK[self]

    @property
    def default_reason(self) -> EndReason | None:
        """The end reason a terminal status implies when the vendor gives none."""
        return _STATUS_DEFAULT_REASON.get(self)


_STATUS_PHASE: dict[CallStatus, Phase] = {
    CallStatus.SCHEDULED: Phase.PENDING,
    CallStatus.QUEUED: Phase.PENDING,
    CallStatus.INITIATED: Phase.ACTIVE,
    CallStatus.RINGING: Phase.ACTIVE,
    CallStatus.IN_PROGRESS: Phase.ACTIVE,
    CallStatus.ENDED: Phase.ACTIVE,
    CallStatus.COMPLETED: Phase.ENDED,
    CallStatus.NO_ANSWER: Phase.ENDED,
    CallStatus.BUSY: Phase.ENDED,
    CallStatus.FAILED: Phase.ENDED,
    CallStatus.CANCELED: Phase.ENDED,
    CallStatus.UNKNOWN: Phase.UNKNOWN,
}

_STATUS_RANK: dict[CallStatus, int] = {
    CallStatus.UNKNOWN: 0,
    CallStatus.SCHEDULED: 1,
    CallStatus.QUEUED: 2,
    CallStatus.INITIATED: 3,
    CallStatus.RINGING: 4,
    CallStatus.IN_PROGRESS: 5,
    CallStatus.ENDED: 6,
    CallStatus.COMPLETED: 7,
    CallStatus.NO_ANSWER: 7,
    CallStatus.BUSY: 7,
    CallStatus.FAILED: 7,
    CallStatus.CANCELED: 7,
}


class ReasonGroup(StrEnum):
    """The family an end reason belongs to."""

    CONNECTED = "connected"
    NOT_CONNECTED = "not_connected"
    ACCOUNT = "account"
    ERROR = "error"
    UNKNOWN = "unknown"


class Fault(StrEnum):
    """Whose side an ending came from: decides who should act on it."""

    NONE = "none"
    """A normal ending: nobody is at fault."""
    CALLEE = "callee"
    """The person called did not or could not take the call."""
    DESTINATION = "destination"
    """The number itself is wrong."""
    ACCOUNT = "account"
    """The caller's account, plan, configuration or policy."""
    VENDOR = "vendor"
    """The voice platform."""
    CARRIER = "carrier"
    """The telephone network between the vendor and the callee."""
    UNKNOWN = "unknown"


class _Reason(NamedTuple):
    group: ReasonGroup
    retryable: bool
    fault: Fault
    sip_code: int | None
    q850_cause: int | None


class EndReason(StrEnum):
    """Why a call ended. Refines a status; never replaces it."""

    # connected endings
    CUSTOMER_HANGUP = "customer_hangup"
    """The person called hung up."""
    AGENT_HANGUP = "agent_hangup"
    """The agent (AI or human) ended the call."""
    TRANSFERRED = "transferred"
    """Handed over to another party."""
    TRANSFER_FAILED = "transfer_failed"
    """A transfer was attempted and did not connect."""
    VOICEMAIL = "voicemail"
    """Reached a voicemail box or answering machine."""
    IVR_REACHED = "ivr_reached"
    """Reached an automated phone menu."""
    SILENCE_TIMEOUT = "silence_timeout"
    """Ended after a period with nobody speaking."""
    MAX_DURATION = "max_duration"
    """Hit the maximum call length."""
    NORMAL_CLEARING = "normal_clearing"
    """Ended normally; which side hung up is not known."""
    # not connected
    NO_ANSWER = "no_answer"
    """Rang out: nobody picked up."""
    BUSY = "busy"
    """The line was busy."""
    REJECTED = "rejected"
    """The callee declined the call."""
    INVALID_NUMBER = "invalid_number"
    """The number does not exist or is malformed."""
    UNREACHABLE = "unreachable"
    """The callee's phone is off, out of coverage or out of service."""
    CANCELED = "canceled"
    """Canceled by the caller, an API request or the platform before it connected."""
    RETRIES_EXHAUSTED = "retries_exhausted"
    """Every scheduled retry was used up without reaching anyone."""
    # account and policy
    INSUFFICIENT_FUNDS = "insufficient_funds"
    """Not enough credit or balance to place the call."""
    CONCURRENCY_LIMIT = "concurrency_limit"
    """The account or platform was at its limit of simultaneous calls."""
    DESTINATION_BLOCKED = "destination_blocked"
    """The destination is barred for this account, or the call was flagged as spam or fraud."""
    OUTSIDE_CALLING_HOURS = "outside_calling_hours"
    """Held back because it fell outside the allowed calling hours."""
    # errors
    TELEPHONY_ERROR = "telephony_error"
    """A network, trunk or carrier failure."""
    SIP_AUTH_ERROR = "sip_auth_error"
    """The SIP trunk refused the credentials."""
    PLATFORM_ERROR = "platform_error"
    """The voice platform or one of its providers (LLM, speech) failed."""
    CONFIG_ERROR = "config_error"
    """The agent or call configuration is invalid."""
    NO_AUDIO = "no_audio"
    """No audio was received from the callee."""
    UNKNOWN = "unknown"
    """A reason the adapter does not know, or one the vendor leaves ambiguous."""

    @property
    def group(self) -> ReasonGroup:
        """The family of this reason: connected, not connected, account, error."""
        return _REASONS[self].group

    @property
    def retryable(self) -> bool:
        """True when trying the same number again later may reach someone."""
        return _REASONS[self].retryable

    @property
    def fault(self) -> Fault:
        """Whose side the ending came from."""
        return _REASONS[self].fault

    @property
    def sip_code(self) -> int | None:
        """The nearest final SIP response code (RFC 3261), if one fits."""
        return _REASONS[self].sip_code

    @property
    def q850_cause(self) -> int | None:
        """The nearest ITU-T Q.850 cause value, if one fits."""
        return _REASONS[self].q850_cause

    @property
    def names_status(self) -> CallStatus | None:
        """The status this reason decides on any call that is over (outcome law 4): busy, no_answer, voicemail
        (no person reached) and canceled name their status; the others leave it to the vendor's."""
        return _NAMES_STATUS.get(self)

    @property
    def implied_status(self) -> CallStatus | None:
        """The terminal status this reason implies when a vendor's status contradicts it: a not-connected
        reason on a ``completed`` call, for instance. None for ``unknown``."""
        return _IMPLIED_STATUS.get(self)


_C, _N, _A, _E = ReasonGroup.CONNECTED, ReasonGroup.NOT_CONNECTED, ReasonGroup.ACCOUNT, ReasonGroup.ERROR
_REASONS: dict[EndReason, _Reason] = {
    EndReason.CUSTOMER_HANGUP: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.AGENT_HANGUP: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.TRANSFERRED: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.TRANSFER_FAILED: _Reason(_C, False, Fault.CARRIER, None, None),
    EndReason.VOICEMAIL: _Reason(_C, True, Fault.CALLEE, None, 16),
    EndReason.IVR_REACHED: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.SILENCE_TIMEOUT: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.MAX_DURATION: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.NORMAL_CLEARING: _Reason(_C, False, Fault.NONE, None, 16),
    EndReason.NO_ANSWER: _Reason(_N, True, Fault.CALLEE, 480, 19),
    EndReason.BUSY: _Reason(_N, True, Fault.CALLEE, 486, 17),
    EndReason.REJECTED: _Reason(_N, False, Fault.CALLEE, 603, 21),
    EndReason.INVALID_NUMBER: _Reason(_N, False, Fault.DESTINATION, 404, 1),
    EndReason.UNREACHABLE: _Reason(_N, True, Fault.CALLEE, 480, 20),
    EndReason.CANCELED: _Reason(_N, False, Fault.NONE, 487, None),
    EndReason.RETRIES_EXHAUSTED: _Reason(_N, False, Fault.CALLEE, None, None),
    EndReason.INSUFFICIENT_FUNDS: _Reason(_A, False, Fault.ACCOUNT, 402, None),
    EndReason.CONCURRENCY_LIMIT: _Reason(_A, True, Fault.ACCOUNT, 503, 34),
    EndReason.DESTINATION_BLOCKED: _Reason(_A, False, Fault.ACCOUNT, 403, 52),
    EndReason.OUTSIDE_CALLING_HOURS: _Reason(_A, True, Fault.ACCOUNT, None, None),
    EndReason.TELEPHONY_ERROR: _Reason(_E, True, Fault.CARRIER, 503, 41),
    EndReason.SIP_AUTH_ERROR: _Reason(_E, False, Fault.ACCOUNT, 407, 21),
    EndReason.PLATFORM_ERROR: _Reason(_E, True, Fault.VENDOR, 500, None),
    EndReason.CONFIG_ERROR: _Reason(_E, False, Fault.ACCOUNT, None, None),
    EndReason.NO_AUDIO: _Reason(_E, True, Fault.CARRIER, None, None),
    EndReason.UNKNOWN: _Reason(ReasonGroup.UNKNOWN, False, Fault.UNKNOWN, None, None),
}

_NAMES_STATUS: dict[EndReason, CallStatus] = {
    EndReason.BUSY: CallStatus.BUSY,
    EndReason.NO_ANSWER: CallStatus.NO_ANSWER,
    EndReason.VOICEMAIL: CallStatus.NO_ANSWER,
    EndReason.CANCELED: CallStatus.CANCELED,
}

_IMPLIED_STATUS: dict[EndReason, CallStatus] = {
    **{reason: CallStatus.COMPLETED for reason, facts in _REASONS.items() if facts.group is _C},
    **{reason: CallStatus.FAILED for reason, facts in _REASONS.items() if facts.group in (_N, _A, _E)},
    EndReason.UNREACHABLE: CallStatus.NO_ANSWER,
    EndReason.RETRIES_EXHAUSTED: CallStatus.NO_ANSWER,
    **_NAMES_STATUS,
}

_STATUS_DEFAULT_REASON: dict[CallStatus, EndReason] = {
    CallStatus.COMPLETED: EndReason.NORMAL_CLEARING,
    CallStatus.NO_ANSWER: EndReason.NO_ANSWER,
    CallStatus.BUSY: EndReason.BUSY,
    CallStatus.CANCELED: EndReason.CANCELED,
    CallStatus.FAILED: EndReason.UNKNOWN,
}


class EndedBy(StrEnum):
    """Which party ended the call."""

    CUSTOMER = "customer"
    """The person called (or calling, on inbound calls)."""
    AGENT = "agent"
    """The AI or human agent."""
    SYSTEM = "system"
    """The voice platform: a timeout, a limit, an error."""
    CARRIER = "carrier"
    """The telephone network."""
    API = "api"
    """A request through the vendor's API (a cancel)."""
    UNKNOWN = "unknown"
    """A value the adapter does not know."""


class AnsweredBy(StrEnum):
    """What picked up the call."""

    HUMAN = "human"
    """A person."""
    MACHINE = "machine"
    """Voicemail or an answering machine."""
    FAX = "fax"
    """A fax machine."""
    UNKNOWN = "unknown"
    """A value the adapter does not know."""


class Direction(StrEnum):
    """Which way the call went, or what kind of session it was."""

    INBOUND = "inbound"
    """The customer called the agent."""
    OUTBOUND = "outbound"
    """The agent called the customer."""
    WEB = "web"
    """A browser or app voice session, not a phone leg."""
    CHAT = "chat"
    """A text conversation run by the same agent platform."""
    UNKNOWN = "unknown"
    """A value the adapter does not know."""
