"""How the clients wait: retries with exponential backoff and jitter, ``Retry-After``, and a request-rate limit."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

from ..errors import UsageError

__all__ = ["HttpRetry", "RateLimiter", "parse_retry_after"]


@attrs.frozen
class HttpRetry:
    """When and how long to wait before asking again.

    Connection failures, timeouts, 429, 5xx and undecodable success bodies are retried up to ``retries`` times.
    The n-th wait is ``backoff * 2**n`` (at most ``max_backoff``) times a random factor in [0.5, 1], unless the
    vendor sent ``Retry-After``, which wins. A ``Retry-After`` longer than ``max_retry_after`` is not waited for:
    the error is raised at once, carrying it.
    """

    retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))

    def backoff_delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt + 1`` when the vendor did not say how long."""
        ceiling: float = min(self.max_backoff, self.backoff * 2.0**attempt)
        return ceiling * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


class RateLimiter:
    """Spaces requests at most ``per_second`` apart (None: no client-side limit), and pauses all of them while
    the vendor says its window is used up. Thread-safe; it only computes waits, callers sleep their own way."""

    def __init__(self, per_second: float | None = None) -> None:
        if per_second is not None and not per_second > 0:
            raise UsageError(f"max_requests_per_second must be positive, not {per_second!r}")
        self.per_second = per_second
        self._interval = 0.0 if per_second is None else 1.0 / per_second
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take the next request slot; returns how many seconds to wait before sending."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self._interval
            return slot - now

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` from now (the vendor's window is used up)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def __repr__(self) -> str:
        return f"RateLimiter(per_second={self.per_second!r})"
