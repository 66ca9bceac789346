"""Text forms of ages, countdowns and clock times (numbers of money: core/number_text)."""

from __future__ import annotations

from decimal import Decimal


def places_of(step: Decimal) -> int:
    """The number of fractional digits a tick or grouping step needs."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_age(seconds: float | None) -> str:
    """An age or countdown such as 0.4s, 12s, 3m05s, 1h02m."""
    if seconds is None:
        return "—"
    if seconds < 0:
        seconds = 0.0
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"


def format_clock(wall_ns: int) -> str:
    """A UTC time of day with milliseconds, from integer nanoseconds (no float, no tz lookup)."""
    seconds, nanos = divmod(wall_ns, 1_000_000_000)
    day_seconds = seconds % 86_400
    hours, rest = divmod(day_seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{nanos // 1_000_000:03d}"
