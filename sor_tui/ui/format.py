"""Exact, compact text forms of prices, sizes, ages and countdowns for the widgets."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

_MAX_AMOUNT_PLACES = 8


def places_of(step: Decimal) -> int:
    """The number of fractional digits a tick or grouping step needs."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_price(price: Decimal | None, places: int | None = None) -> str:
    """A price with thousands separators, at the market's precision when known."""
    if price is None:
        return "—"
    if places is not None:
        price = price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        return f"{price:,.{places}f}"
    return f"{price.normalize():,f}"


def format_amount(amount: Decimal | None, width: int = 12) -> str:
    """A size shown exactly when it fits, else rounded to fit ``width`` (display only)."""
    if amount is None:
        return "—"
    text = _plain(amount)
    if len(text) <= width:
        return text
    whole = len(_plain(amount.to_integral_value()))
    places = max(0, min(_MAX_AMOUNT_PLACES, width - whole - 1))
    step = Decimal(1).scaleb(-places)
    return _plain(amount.quantize(step, rounding=ROUND_HALF_EVEN))


_SUFFIXES = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"))


def format_amount_fit(amount: Decimal, width: int) -> str:
    """A size in at most ``width`` cells: exact, else visibly approximate (``≈``), never cut."""
    exact = _plain(amount)
    if len(exact) <= width:
        return exact
    rounded = format_amount(amount, width - 1)
    if len(rounded) <= width - 1:
        return "\u2248" + rounded
    for scale, suffix in _SUFFIXES:  # too many whole digits: say so with a magnitude
        if abs(amount) >= scale:
            short = format_amount(amount / scale, max(1, width - 2)) + suffix
            if len(short) <= width - 1:
                return "\u2248" + short
    return "\u2248" + rounded  # wider than the column: the caller widens or shows all


def _plain(value: Decimal) -> str:
    """No exponent, no trailing zeros, thousands separators on the whole part."""
    normal = value.normalize()
    text = f"{normal:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_bps(bps: Decimal | None) -> str:
    """Basis points with two decimals."""
    if bps is None:
        return "—"
    return f"{bps.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)} bps"


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
