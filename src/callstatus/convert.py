"""Unit conversion at the edge: vendor values to seconds, aware UTC datetimes and E.164 numbers.

Each converter takes the value, the vendor and the field path, and raises ``NormalizationError`` naming all three.
"""

from __future__ import annotations

import contextlib
import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import phonenumbers

from .errors import NormalizationError

__all__ = [
    "E164_SYNTAX",
    "MAX_SCALAR_CHARS",
    "UNITS",
    "connected",
    "e164",
    "integer",
    "number",
    "seconds",
    "text",
    "timestamp",
]

UNITS = {"s": (1.0, 1.0), "ms": (1.0, 1000.0), "min": (60.0, 1.0)}
"""Seconds per unit as (multiplier, divisor): 21522 ms / 1000 is 21.522, where 21522 * 0.001 is not."""
MAX_SCALAR_CHARS = 64
"""Longer strings are not a number, a timestamp or a phone number: refused before any parser sees them."""
E164_SYNTAX = re.compile(r"\+[1-9][0-9]{1,14}", re.ASCII).fullmatch
"""Matches a syntactically valid E.164 number: the fast path that skips ``phonenumbers``."""
_EPOCH_MS_ABOVE = 1e11  # seconds since 1970 only pass this in the year 5138: larger numbers are milliseconds


def text(value: Any, vendor: str, path: str) -> str:
    """A string field; anything else is bad input."""
    if isinstance(value, str):
        return value
    raise NormalizationError("expected a string", vendor=vendor, path=path, value=value)


def number(value: Any, vendor: str, path: str) -> float:
    """A finite number, given as a JSON number or a numeric string."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | str)
        or (isinstance(value, str) and len(value) > MAX_SCALAR_CHARS)
    ):
        raise NormalizationError("expected a number", vendor=vendor, path=path, value=value)
    try:
        result = float(value)
    except ValueError:
        raise NormalizationError("expected a number", vendor=vendor, path=path, value=value) from None
    except OverflowError:
        raise NormalizationError("number out of range", vendor=vendor, path=path, value=value) from None
    if not math.isfinite(result):
        raise NormalizationError("expected a finite number", vendor=vendor, path=path, value=value)
    return result


def seconds(value: Any, factor: tuple[float, float], vendor: str, path: str) -> float:
    """A duration in seconds from a value in the unit whose (multiplier, divisor) is given."""
    multiplier, divisor = factor
    result = number(value, vendor, path) * multiplier / divisor
    if result < 0:
        raise NormalizationError("a duration cannot be negative", vendor=vendor, path=path, value=value)
    return result


def integer(value: Any, offset: int, vendor: str, path: str) -> int:
    """A count of 1 or more, after adding an offset (a retry count of 0 is attempt 1)."""
    if value.__class__ is int:
        result = int(value) + offset
    else:
        whole = number(value, vendor, path)
        if not whole.is_integer():
            raise NormalizationError("expected a whole number", vendor=vendor, path=path, value=value)
        result = int(whole) + offset
    if result < 1:
        raise NormalizationError(f"expected a number of {1 - offset} or more", vendor=vendor, path=path, value=value)
    return result


_RFC2822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"
).fullmatch
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _rfc2822(value: str) -> datetime:
    """Twilio's 'Tue, 31 Aug 2010 20:36:44 +0000' read directly; any other RFC 2822 form (and '-0000', an
    unknown offset) by the standard library."""
    found = _RFC2822(value)
    if found is None or (found[7] == "-" and found[8] == found[9] == "00"):
        return parsedate_to_datetime(value)
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = found.groups()
    offset = (int(zone_hours) * 60 + int(zone_minutes)) * (-1 if sign == "-" else 1)
    zone = UTC if offset == 0 else timezone(timedelta(minutes=offset))
    return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)


def timestamp(value: Any, fmt: str, zone: tzinfo, vendor: str, path: str) -> datetime:
    """An aware UTC datetime from ISO 8601, RFC 2822 or epoch seconds/milliseconds.

    Timestamps without an offset are read in the vendor's zone; ``auto`` reads strings as ISO 8601 and numbers
    as epoch seconds or milliseconds by magnitude.
    """
    if fmt == "auto":
        fmt = "iso8601" if isinstance(value, str) else "epoch"
    if isinstance(value, str) and len(value) > MAX_SCALAR_CHARS:
        raise NormalizationError(f"not a valid {fmt} timestamp", vendor=vendor, path=path, value=value)
    try:
        if fmt == "iso8601":
            if not isinstance(value, str):
                raise NormalizationError("expected an ISO 8601 string", vendor=vendor, path=path, value=value)
            result = datetime.fromisoformat(value)
        elif fmt == "rfc2822":
            if not isinstance(value, str):
                raise NormalizationError("expected an RFC 2822 date string", vendor=vendor, path=path, value=value)
            result = _rfc2822(value)
        else:
            epoch = number(value, vendor, path)
            if fmt == "epoch_ms" or (fmt == "epoch" and abs(epoch) >= _EPOCH_MS_ABOVE):
                epoch /= 1000.0
            return datetime.fromtimestamp(epoch, UTC)
        if result.tzinfo is None:
            result = result.replace(tzinfo=zone)
        return result if result.tzinfo is UTC else result.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        if isinstance(exc, NormalizationError):
            raise
        raise NormalizationError(f"not a valid {fmt} timestamp", vendor=vendor, path=path, value=value) from None


@lru_cache(maxsize=65536)
def _parse_phone(value: str, region: str | None = None) -> str | None:
    candidate = value.strip()
    if region is not None and not candidate.startswith("+"):
        with contextlib.suppress(phonenumbers.NumberParseException):
            national = phonenumbers.parse(candidate, region)
            if phonenumbers.is_valid_number(national):
                return phonenumbers.format_number(national, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(ch for ch in candidate if ch not in " -().")
    if digits.isdigit() and digits.isascii() and not candidate.startswith("+"):
        candidate = "+" + (digits[2:] if digits.startswith("00") else digits)
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164(value: Any, vendor: str, path: str, region: str | None = None) -> str | None:
    """An E.164 number, or None when the string is not a phone number.

    A syntactically valid E.164 string is returned as is; anything else goes through ``phonenumbers``: with the
    vendor's ``region``, first as a valid national number of that region (Exotel's ``09876543210``), then as
    international form, digits without a '+' included (some webhooks send ``12137771234``).
    """
    if not isinstance(value, str):
        raise NormalizationError("expected a phone number string", vendor=vendor, path=path, value=value)
    if E164_SYNTAX(value) is not None:
        return str(value)
    if len(value) > MAX_SCALAR_CHARS:
        return None
    return _parse_phone(str(value), region)


def connected(value: Any, answer_time: bool, vendor: str, path: str) -> bool:
    """Whether a call connected, from the vendor's own talk time (above zero: yes; zero: no) or answer time
    (present: yes). A duration derived from dial-start timestamps is never evidence."""
    if answer_time:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return True
        raise NormalizationError("expected an answer time", vendor=vendor, path=path, value=value)
    if isinstance(value, bool):
        return value
    talk = number(value, vendor, path)
    if talk < 0:
        raise NormalizationError("a talk time cannot be negative", vendor=vendor, path=path, value=value)
    return talk > 0
