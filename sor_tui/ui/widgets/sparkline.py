"""A price sparkline computed with exact Decimal arithmetic (no float on money)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(prices: Sequence[Decimal], width: int) -> str:
    """The last ``width`` prices (oldest first) as block characters scaled to their range."""
    if width <= 0 or not prices:
        return ""
    recent = list(prices)[-width:]
    low, high = min(recent), max(recent)
    span = high - low
    if span == 0:
        return BLOCKS[len(BLOCKS) // 2] * len(recent)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[int(((p - low) * top / span).to_integral_value())] for p in recent)
