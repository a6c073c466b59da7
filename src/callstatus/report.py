"""Call outcome figures per vendor, agent and campaign: reach, no-answer, voicemail, busy, failed and canceled
rates, durations, top end reasons and the share of ``unknown``, from any records (``callstatus report``).

Several observations of one call (a webhook per state, a poll) are folded into one call with ``merge``, as the
tracker does, before anything is counted. The definitions are in ``DEFINITIONS``; the HTML page states them.

    from callstatus.report import summarize
    report = summarize(callstatus.normalize_many("calls.ndjson"))
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import attrs

from .errors import UsageError
from .lifecycle import merge
from .record import CallRecord
from .vocabulary import AnsweredBy, CallStatus, EndReason

__all__ = [
    "DASH",
    "DEFINITIONS",
    "GROUPS",
    "MACHINES",
    "NONE",
    "RATES",
    "RATE_LABELS",
    "Group",
    "Rate",
    "Report",
    "Row",
    "fold",
    "label",
    "ordered_rows",
    "percent",
    "percentile",
    "seconds",
    "summarize",
]

Group = Literal["vendor", "agent", "campaign"]
GROUPS: tuple[Group, ...] = ("vendor", "agent", "campaign")
Rate = Literal["reached_person", "no_answer", "voicemail", "busy", "failed", "canceled", "unknown"]
RATES: tuple[Rate, ...] = ("reached_person", "no_answer", "voicemail", "busy", "failed", "canceled", "unknown")
"""The rates of a row: all over its terminal calls, except ``unknown``, over all its calls."""
RATE_LABELS: dict[Rate, str] = {rate: rate.replace("_", " ") for rate in RATES} | {"reached_person": "reached a person"}
"""How each rate is named on the page and the terminal."""
DASH = "\u2013"
"""How a figure without data is shown (a rate over no terminal call, a duration of no call): an en dash."""
NONE = "(none)"
"""How a call without an agent or campaign id is shown."""

MACHINES = frozenset({AnsweredBy.MACHINE, AnsweredBy.FAX})
"""Answers that are no person: a call completed with one of them counts as no answer."""

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("call", "One call: every record of the same vendor and call id folded into one with callstatus.merge, as the "
     "call tracker does (a webhook per state, then a poll, count once)."),
    ("terminal call", "A call whose status is terminal: completed, no_answer, busy, failed or canceled. Calls still "
     "pending or under way, ended but not yet classified, or unknown are not terminal."),
    ("rates", "Over terminal calls, except unknown (over all calls); shown as a dash when there are none."),
    ("reached a person", "completed and not answered by a machine (answered_by is not machine or fax)."),
    ("no answer", "no_answer, or completed but answered by a machine or fax: no person was reached. Includes "
     "voicemail."),
    ("voicemail", "The part of no answer where a voicemail or answering machine picked up: end_reason voicemail or "
     "answered_by machine."),
    ("busy, failed, canceled", "The status busy, failed, canceled. Reached a person + no answer + busy + failed + "
     "canceled = 100% of terminal calls."),
    ("unknown", "Calls whose status is unknown (a vendor value the tables do not map), over all calls."),
    ("median, p90 duration", "Of duration_seconds over terminal calls that have one; percentiles by linear "
     "interpolation between the closest ranks (as numpy's default and Excel's PERCENTILE.INC): the median is the "
     "usual median."),
    ("top end reasons", "The most frequent end_reason values among terminal calls, with their counts."),
    ("(none)", "Calls with no agent id or no campaign id. Agents and campaigns are each vendor's own: the same id "
     "at two vendors is two rows."),
)  # fmt: skip
"""Each figure's definition, as the HTML page states it."""


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0 to 1) percentile of sorted values by linear interpolation between closest ranks (numpy's
    default, Excel's PERCENTILE.INC); None for no values."""
    if not ordered:
        return None
    if not 0 <= fraction <= 1:
        raise UsageError(f"a percentile is a fraction from 0 to 1, not {fraction!r}")
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@attrs.frozen
class Row:
    """The figures of one vendor, agent or campaign (or of every call): counts, from which ``rate`` derives."""

    vendor: str | None
    """The vendor of an agent or campaign row, and of a vendor row; None for the row of every call."""
    key: str | None
    """The vendor, agent or campaign id; None for calls without one (shown as ``(none)``)."""
    calls: int
    terminal: int
    reached_person: int
    no_answer: int
    """Voicemail included."""
    voicemail: int
    busy: int
    failed: int
    canceled: int
    unknown: int
    timed: int
    """Terminal calls with a duration: the durations' sample."""
    median_seconds: float | None
    p90_seconds: float | None
    end_reasons: tuple[tuple[EndReason, int], ...]
    """The most frequent end reasons of the terminal calls, most frequent first, ties by name."""

    def rate(self, name: Rate) -> float | None:
        """A rate from 0 to 1 (see ``DEFINITIONS``); None when its denominator is zero."""
        count: int = getattr(self, name)
        total = self.calls if name == "unknown" else self.terminal
        return count / total if total else None


@attrs.define
class _Tally:
    calls: int = 0
    terminal: int = 0
    reached_person: int = 0
    no_answer: int = 0
    voicemail: int = 0
    busy: int = 0
    failed: int = 0
    canceled: int = 0
    unknown: int = 0
    durations: list[float] = attrs.Factory(list)
    reasons: Counter[EndReason] = attrs.Factory(Counter)

    def add(self, record: CallRecord) -> None:
        self.calls += 1
        status = record.status
        if status is CallStatus.UNKNOWN:
            self.unknown += 1
        if not status.is_terminal:
            return
        self.terminal += 1
        if record.duration_seconds is not None:
            self.durations.append(record.duration_seconds)
        if record.end_reason is not None:
            self.reasons[record.end_reason] += 1
        machine = record.answered_by in MACHINES
        if status is CallStatus.COMPLETED and not machine:
            self.reached_person += 1
        elif status is CallStatus.COMPLETED or status is CallStatus.NO_ANSWER:
            self.no_answer += 1
            if record.end_reason is EndReason.VOICEMAIL or record.answered_by is AnsweredBy.MACHINE:
                self.voicemail += 1
        elif status is CallStatus.BUSY:
            self.busy += 1
        elif status is CallStatus.FAILED:
            self.failed += 1
        else:
            self.canceled += 1

    def row(self, vendor: str | None, key: str | None, top: int) -> Row:
        ordered = sorted(self.durations)
        reasons = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0].value))[:top]
        return Row(
            vendor=vendor,
            key=key,
            calls=self.calls,
            terminal=self.terminal,
            reached_person=self.reached_person,
            no_answer=self.no_answer,
            voicemail=self.voicemail,
            busy=self.busy,
            failed=self.failed,
            canceled=self.canceled,
            unknown=self.unknown,
            timed=len(ordered),
            median_seconds=percentile(ordered, 0.5),
            p90_seconds=percentile(ordered, 0.9),
            end_reasons=tuple(reasons),
        )


@attrs.frozen
class Report:
    """Figures for every call, and per vendor, agent and campaign (rows with the most calls first)."""

    records: int
    """Records read (several may be observations of one call)."""
    rejected: int
    """Records that could not be normalised: not counted anywhere else."""
    total: Row
    vendor: tuple[Row, ...]
    agent: tuple[Row, ...]
    campaign: tuple[Row, ...]
    top: int
    """How many end reasons each row lists."""
    sources: tuple[str, ...] = ()
    """What was read, as the user named it (files, a tracker)."""

    @property
    def calls(self) -> int:
        """Calls after folding."""
        return self.total.calls

    def rows(self, group: Group) -> tuple[Row, ...]:
        """The rows of one group: ``vendor``, ``agent`` or ``campaign``."""
        if group not in GROUPS:
            raise UsageError(f"no group {group!r}: one of {', '.join(GROUPS)}")
        rows: tuple[Row, ...] = getattr(self, group)
        return rows


def fold(records: Iterable[CallRecord]) -> tuple[list[CallRecord], int]:
    """One record per (vendor, call id), merged with ``merge`` whatever the arrival order; and how many were read."""
    calls: dict[tuple[str, str], CallRecord] = {}
    count = 0
    for record in records:
        count += 1
        key = (record.vendor, record.call_id)
        seen = calls.get(key)
        calls[key] = record if seen is None else merge(seen, record)
    return list(calls.values()), count


_KEYS: dict[Group, Callable[[CallRecord], tuple[str | None, str | None]]] = {
    "vendor": lambda record: (record.vendor, record.vendor),
    "agent": lambda record: (record.vendor, record.agent_id),
    "campaign": lambda record: (record.vendor, record.campaign_id),
}


def summarize(
    records: Iterable[CallRecord],
    *,
    top: int = 3,
    rejected: int = 0,
    sources: Sequence[str] = (),
    folded: bool = False,
) -> Report:
    """The report of some records: folded into calls first, unless ``folded=True`` says each is already one call
    (a tracker's records: then they are streamed, not held). ``rejected`` counts records that failed to normalise."""
    if top < 1:
        raise UsageError(f"top must be at least 1, not {top!r}")
    if folded:
        calls: Iterable[CallRecord] = records
        count = None
    else:
        calls, count = fold(records)
    total = _Tally()
    groups: dict[Group, dict[tuple[str | None, str | None], _Tally]] = {group: {} for group in GROUPS}
    read = 0
    for record in calls:
        read += 1
        total.add(record)
        for group, tallies in groups.items():
            key = _KEYS[group](record)
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally()
            tally.add(record)
    rows = {group: _rows(tallies, top) for group, tallies in groups.items()}
    return Report(
        records=read if count is None else count,
        rejected=rejected,
        total=total.row(None, None, top),
        vendor=rows["vendor"],
        agent=rows["agent"],
        campaign=rows["campaign"],
        top=top,
        sources=tuple(sources),
    )


def _rows(tallies: dict[tuple[str | None, str | None], _Tally], top: int) -> tuple[Row, ...]:
    return ordered_rows(tally.row(vendor, key, top) for (vendor, key), tally in tallies.items())


def ordered_rows(rows: Iterable[Row]) -> tuple[Row, ...]:
    """Rows with the most calls first, then by vendor and id (calls without an id after those with one)."""
    return tuple(sorted(rows, key=lambda row: (-row.calls, row.vendor or "", row.key is None, row.key or "")))


def percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal, ``DASH`` for none."""
    return DASH if rate is None else f"{rate * 100:.1f}%"


def seconds(value: float | None) -> str:
    """A duration in seconds with one decimal, ``DASH`` for none."""
    return DASH if value is None else f"{value:.1f} s"


def label(key: str | None) -> str:
    """An id as shown: ``(none)`` for no id; characters that do not print (a terminal escape in a vendor's agent
    id) as Python escapes."""
    if key is None:
        return NONE
    if key.isprintable():
        return key
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode() for char in key)
