"""The call retry policy: whether and when to dial a person again after a call ended, inside their calling hours.

A vendor that retries a call by itself is left to it, so that nobody is dialled twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import phonenumbers
from phonenumbers import timezone as phone_zones

from .errors import UnknownVendorError, UsageError, show
from .normalize import get_adapter
from .record import CallRecord
from .vocabulary import Direction, EndReason, ReasonGroup

__all__ = ["DEFAULT_DELAYS", "RetryDecision", "RetryPolicy"]

DEFAULT_DELAYS: Mapping[EndReason, timedelta] = MappingProxyType(
    {
        EndReason.BUSY: timedelta(minutes=5),
        EndReason.NO_ANSWER: timedelta(hours=1),
        EndReason.VOICEMAIL: timedelta(hours=1),
    }
)
"""The wait before a retry when a policy names none for the reason: Dialgen's documented busyDelay (300,000 ms)
and noAnswerDelay (3,600,000 ms); a voicemail waits as long as no answer."""

_SEARCH = timedelta(days=8)
"""How far past the earliest moment to look for one inside calling hours in every zone of a number."""
_DAYS_AHEAD = 9
_SAMPLE = timedelta(hours=6)
_MAX_ZONES_SHOWN = 3

_NO_RETRY: dict[EndReason, str] = {
    EndReason.REJECTED: "the callee declined the call",
    EndReason.INVALID_NUMBER: "the number does not exist",
    EndReason.CANCELED: "the call was canceled on purpose",
    EndReason.RETRIES_EXHAUSTED: "the vendor already used up its retries",
    EndReason.DESTINATION_BLOCKED: "the destination is barred for this account",
    EndReason.INSUFFICIENT_FUNDS: "the account has no credit: top it up first",
    EndReason.UNKNOWN: "the reason is not known, so another call may end the same way",
}
_NO_RETRY_BY_GROUP: dict[ReasonGroup, str] = {
    ReasonGroup.CONNECTED: "the call reached someone",
    ReasonGroup.NOT_CONNECTED: "calling again would end the same way",
    ReasonGroup.ACCOUNT: "fix the account or its settings first",
    ReasonGroup.ERROR: "fix the configuration first",
    ReasonGroup.UNKNOWN: "the reason is not known",
}


@attrs.frozen
class RetryDecision:
    """Whether to dial again, when, and why, in words for whoever is on call."""

    retry: bool
    at: datetime | None
    """UTC. With ``retry``: when to dial again. When the vendor retries by itself: an estimate of when its
    retries will be over (None when its table does not say). Otherwise None."""
    why: str
    """One sentence: the reason, the wait and the calling hours used."""


def _span(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def _clock(moment: time) -> str:
    return moment.isoformat(timespec="minutes" if not (moment.second or moment.microsecond) else "auto")


def _max_attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"max_attempts must be an integer of at least 1, not {show(value)}")
    return value


def _delay(name: str, value: Any) -> timedelta:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise UsageError(f"{name} must be a timedelta of zero or more, not {show(value)}")
    return value


def _default_delay(value: Any) -> timedelta:
    return _delay("default_delay", value)


def _delays(value: Mapping[EndReason | str, timedelta] | None) -> Mapping[EndReason, timedelta]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise UsageError(f"delays must be a mapping of end reason to timedelta, not {show(value)}")
    table = dict(DEFAULT_DELAYS)
    for key, delay in value.items():
        try:
            reason = EndReason(key)
        except ValueError:
            known = ", ".join(EndReason)
            raise UsageError(f"delays: {show(key)} is not an end reason (known: {known})") from None
        table[reason] = _delay(f"delays[{reason.value!r}]", delay)
    return table


def _calling_hours(value: Any) -> tuple[time, time]:
    if (
        not isinstance(value, Sequence)
        or len(value) != 2
        or not all(isinstance(part, time) and part.tzinfo is None for part in value)
    ):
        raise UsageError(f"calling_hours must be two local times (start, end) without tzinfo, not {show(value)}")
    start, end = value
    if start >= end:
        raise UsageError(
            f"calling_hours: start {_clock(start)} must be before end {_clock(end)} "
            "(a window across midnight is not supported)"
        )
    return (start, end)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or _zone(value) is None:
        raise UsageError(f"timezone must be an IANA time zone name such as 'America/New_York', not {show(value)}")
    return value


@lru_cache(maxsize=4096)
def _number_zones(number: str) -> tuple[str, ...]:
    try:
        names = phone_zones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(name for name in dict.fromkeys(names) if name != phone_zones.UNKNOWN_TIMEZONE and _zone(name))


def _callee_zones(record: CallRecord) -> tuple[str, ...]:
    """The time zones of the person called (the caller, on an inbound call), from their number; () when unknown."""
    number = record.from_number if record.direction is Direction.INBOUND else record.to_number
    return () if number is None else _number_zones(number)


def _inside(moment: datetime, zone: tzinfo, start: time, end: time) -> bool:
    return start <= moment.astimezone(zone).time() < end


def _transitions(zone: tzinfo, since: datetime, until: datetime) -> list[datetime]:
    """The instants in [since, until] at which the zone's UTC offset changes (at most one per six hours)."""
    found = []
    before, offset = since, since.astimezone(zone).utcoffset()
    while before < until:
        after = before + _SAMPLE
        changed = after.astimezone(zone).utcoffset()
        if changed != offset:
            low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(datetime.fromtimestamp(high, UTC))
        before, offset = after, changed
    return found


def _next_open(moment: datetime, zone: tzinfo, start: time, end: time) -> datetime | None:
    """The first instant at or after ``moment`` whose wall time in the zone is in [start, end).

    Such an instant is a wall time equal to ``start`` (either fold) or a change of UTC offset that jumps the
    clock into the window; every candidate is checked on the clock, so no skipped or repeated hour can let one out.
    """
    if _inside(moment, zone, start, end):
        return moment
    day = moment.astimezone(zone).date()
    candidates = [
        datetime.combine(day + timedelta(days=days), start, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        for days in range(-1, _DAYS_AHEAD)
        for fold in (0, 1)
    ]
    candidates += _transitions(zone, moment, moment + timedelta(days=_DAYS_AHEAD))
    return min((c for c in candidates if c >= moment and _inside(c, zone, start, end)), default=None)


def _first_open(moment: datetime, zones: Sequence[tzinfo], start: time, end: time) -> datetime | None:
    """The first instant at or after ``moment`` inside the window in every zone, searched over ``_SEARCH``."""
    limit = moment + _SEARCH
    while moment <= limit:
        for zone in zones:
            found = _next_open(moment, zone, start, end)
            if found is None:
                return None
            if found != moment:
                moment = found
                break
        else:
            return moment
    return None


def _zones_text(names: Sequence[str]) -> str:
    if len(names) <= _MAX_ZONES_SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:2])} and {len(names) - 2} more zones of the number"


@attrs.frozen(repr=False)
class RetryPolicy:
    """When to dial a person again after a call ended: at most ``max_attempts`` calls in all, each after the
    reason's delay, moved into ``calling_hours`` in the callee's time zone(s) (``timezone`` when the number's
    zone is not known)."""

    max_attempts: int = attrs.field(default=3, converter=_max_attempts)
    delays: Mapping[EndReason, timedelta] = attrs.field(default=None, converter=_delays, hash=False)
    """Wait before a retry by end reason: the given ones over ``DEFAULT_DELAYS``."""
    calling_hours: tuple[time, time] = attrs.field(default=(time(9), time(20)), converter=_calling_hours)
    """Local [start, end) in which a person may be called."""
    timezone: str = attrs.field(default="America/New_York", converter=_timezone)
    """The zone of the calling hours when the callee's zone is not known."""
    default_delay: timedelta = attrs.field(default=timedelta(minutes=30), converter=_default_delay)
    """Wait before a retry for a reason without a delay of its own."""

    def __repr__(self) -> str:
        delays = ", ".join(f"{reason}: {_span(delay)}" for reason, delay in self.delays.items())
        start, end = self.calling_hours
        return (
            f"RetryPolicy(max_attempts={self.max_attempts}, delays={{{delays}}}, "
            f"calling_hours={_clock(start)}-{_clock(end)}, timezone={self.timezone!r}, "
            f"default_delay={_span(self.default_delay)})"
        )

    def decide(self, record: CallRecord, *, attempts: int | None = None, now: datetime | None = None) -> RetryDecision:
        """Whether and when to dial the person of a call again.

        ``attempts`` is how many calls were made to them so far (default: the record's ``attempt``, else 1);
        ``now`` defaults to the current time and must be aware. The rules, first that applies wins: a call not
        over, a vendor that retries by itself, a reason not worth retrying, no attempt left: no retry; else retry
        after the reason's delay, at the first moment inside calling hours.
        """
        if now is None:
            now = datetime.now(UTC)
        elif not isinstance(now, datetime) or now.utcoffset() is None:
            raise UsageError(f"now must be an aware datetime, not {show(now)}")
        else:
            now = now.astimezone(UTC)
        if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1):
            raise UsageError(f"attempts must be an integer of at least 1, not {show(attempts)}")
        status, reason = record.status, record.end_reason
        if not status.is_terminal:
            return RetryDecision(False, None, f"not over: status {status} is not final; decide again when it is")
        base = record.ended_at or record.started_at or record.created_at or now
        if record.vendor_may_retry is True:
            return self._vendor_retries(record, base)
        if reason is None:
            return RetryDecision(False, None, f"{status} without an end reason: no retry, nothing says one could help")
        if not reason.retryable:
            cause = _NO_RETRY.get(reason) or _NO_RETRY_BY_GROUP[reason.group]
            return RetryDecision(False, None, f"{reason}: no retry, {cause}")
        used = attempts if attempts is not None else record.attempt if record.attempt is not None else 1
        if used >= self.max_attempts:
            return RetryDecision(False, None, f"{reason}: no retry, {used} of {self.max_attempts} attempts used")
        delay = self.delays.get(reason, self.default_delay)
        earliest = max(base + delay, now)
        at, hours = self._schedule(earliest, _callee_zones(record))
        if not delay:
            wait = "retry at once"
        elif base + delay > now:
            wait = f"retry in {_span(delay)}"
        else:
            wait = f"retry now, its {_span(delay)} wait is over"
        if at is None:
            return RetryDecision(False, None, f"{reason}: no retry, no moment inside calling hours ({hours}) found")
        where = "inside" if at == earliest else "moved into"
        return RetryDecision(
            True, at, f"{reason}: {wait} (attempt {used + 1} of {self.max_attempts}), {where} calling hours ({hours})"
        )

    def _schedule(self, earliest: datetime, names: tuple[str, ...]) -> tuple[datetime | None, str]:
        start, end = self.calling_hours
        window = f"{_clock(start)}-{_clock(end)}"
        if names:
            at = _first_open(earliest, [ZoneInfo(name) for name in names], start, end)
            if at is not None:
                return at, f"{window} {_zones_text(names)}"
            cause = f"no hour fits all {len(names)} zones of the number"
        else:
            cause = "the number's zone is not known"
        at = _first_open(earliest, [ZoneInfo(self.timezone)], start, end)
        return at, f"{window} {self.timezone}, the policy's zone: {cause}"

    def _vendor_retries(self, record: CallRecord, base: datetime) -> RetryDecision:
        done = _vendor_done(record, base)
        why = f"{record.vendor} retries this call itself ({record.end_reason or record.status}): do not dial again; "
        if done is None:
            return RetryDecision(False, None, why + "when its retries end is not known")
        return RetryDecision(False, done, why + f"its retries should be over by {done:%Y-%m-%d %H:%M} UTC")


def _vendor_done(record: CallRecord, base: datetime) -> datetime | None:
    """When a vendor's own retries should be over: each retry left waits the documented delay for this reason."""
    try:
        retries = get_adapter(record.vendor).retries
    except UnknownVendorError:
        return None
    if retries is None or retries.max_attempts is None or record.end_reason is None:
        return None
    delay = retries.delays.get(record.end_reason)
    if delay is None:
        return None
    left = max(retries.max_attempts - (record.attempt or 1), 0)
    return base + delay * left
