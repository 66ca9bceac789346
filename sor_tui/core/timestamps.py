"""Strict RFC3339Nano timestamps as integer nanoseconds since the Unix epoch.

The feed emits Go-style trimmed fractions (0-9 digits), so the strings must
never be compared as text, and a microsecond type would merge distinct
nanosecond times (protocol §8.3). Everything here is integer arithmetic.
"""

from __future__ import annotations

import re
from datetime import date

from sor_tui.core.bounded import BoundedCache

_PATTERN = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})"
)

NS_PER_SECOND = 1_000_000_000
_SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# 2262-04-11 is where signed 64-bit nanoseconds end; anything before the epoch
# is not a time a live feed can send. Both bounds catch garbage years early.
MIN_YEAR = 1970
MAX_YEAR = 2261

# Most frames of a session share a handful of calendar days.
_DAY_CACHE: BoundedCache[str, int] = BoundedCache(4096)
_SCALE = tuple(10 ** (9 - digits) for digits in range(10))
# Within a second many frames share the same "YYYY-MM-DDTHH:MM:SS" head.
_HEAD_CACHE: BoundedCache[str, int] = BoundedCache(4096)
# The head of the last timestamp that took the slow path, with its epoch nanoseconds.
# Never a prefix of a str that is not a validated head; one tuple, swapped atomically.
_LAST: tuple[str, int] = ("\x00never", 0)


def _epoch_day(text: str, year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 for a validated calendar date, cached by its text."""
    key = text[:10]
    cached = _DAY_CACHE.get(key)
    if cached is not None:
        return cached
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"timestamp year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(f"timestamp has an invalid date {key!r}") from None
    return _DAY_CACHE.put(key, days)


def _tail_ns(fraction: str | None, zone: str, text: str) -> tuple[int, int]:
    """Nanoseconds of the fraction and the offset in seconds to add to reach UTC."""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    if zone == "Z":
        return nanos, 0
    offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
    if offset_hours > 23 or offset_minutes > 59:
        raise ValueError(f"timestamp has an invalid offset {zone!r}")
    offset = offset_hours * 3600 + offset_minutes * 60
    # Local time = UTC + offset, so UTC = local - offset.
    return nanos, (-offset if zone[0] == "+" else offset)


def _head_seconds(text: str) -> int:
    """Seconds since the epoch of a validated "YYYY-MM-DDTHH:MM:SS" head (no offset)."""
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hours, minutes, seconds = int(text[11:13]), int(text[14:16]), int(text[17:19])
    days = _epoch_day(text, year, month, day)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"timestamp has an invalid time of day {text[11:19]!r}")
    return days * _SECONDS_PER_DAY + hours * 3600 + minutes * 60 + seconds


def parse_rfc3339_ns(text: str) -> int:
    """Parse a strict RFC3339Nano timestamp into integer nanoseconds since the epoch."""
    global _LAST
    if not isinstance(text, str):
        raise ValueError("timestamp is not a string")
    # Hot paths: the "YYYY-MM-DDTHH:MM:SS" head is the previous frame's (or another
    # already validated one), so only the tail is new. The digit tests are ASCII-only
    # (str.isdigit accepts other scripts) and exclude the underscores and spaces that
    # int() would quietly accept.
    head, base = _LAST
    if text.startswith(head):
        size = len(text)
        if size == 20 and text[19] == "Z":
            return base
        if 21 < size <= 30 and text[19] == "." and text[-1] == "Z":
            fraction = text[20:-1]
            if fraction.isdigit() and fraction.isascii():
                nanos: int = int(fraction) * _SCALE[size - 21]
                return base + nanos
    if len(text) > 40:
        raise ValueError("timestamp is too long")
    seconds = _HEAD_CACHE.get(text[:19])
    if seconds is not None:
        tail = text[19:]
        if tail == "Z":
            return seconds * NS_PER_SECOND
        fraction = tail[1:-1]
        if (
            tail[:1] == "."
            and tail[-1:] == "Z"
            and 1 <= len(fraction) <= 9
            and fraction.isascii()
            and fraction.isdigit()
        ):
            nanos = int(fraction) * _SCALE[len(fraction)]
            return seconds * NS_PER_SECOND + nanos
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError("timestamp is not RFC3339 (YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM))")
    head = text[:19]
    seconds = _HEAD_CACHE.get(head)
    if seconds is None:
        seconds = _HEAD_CACHE.put(head, _head_seconds(head))
    _LAST = (head, seconds * NS_PER_SECOND)
    nanos, offset = _tail_ns(match.group(7), match.group(8), text)
    result = (seconds + offset) * NS_PER_SECOND + nanos
    if result < 0:
        raise ValueError("timestamp is before the Unix epoch")
    return result


def format_rfc3339_ns(ns: int) -> str:
    """Format integer nanoseconds as Go's RFC3339Nano in UTC (trimmed fraction, ``Z``)."""
    seconds, nanos = divmod(ns, NS_PER_SECOND)
    days, second_of_day = divmod(seconds, _SECONDS_PER_DAY)
    try:
        day = date.fromordinal(days + _EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        raise ValueError(f"{ns} ns is outside the years 1-9999") from None
    hours, rest = divmod(second_of_day, 3600)
    minutes, secs = divmod(rest, 60)
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return (
        f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        f"T{hours:02d}:{minutes:02d}:{secs:02d}{fraction}Z"
    )
