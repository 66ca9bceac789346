"""The simulator's own wire text: decimals, RFC3339Nano times and frame encoders.

Written independently of the client's protocol code on purpose (a shared mistake would hide).
Frames are built as text with f-strings: the values are ASCII digits and known market names,
and this is the hot path of the firehose.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

Level = tuple[str, str]
"""A price level as wire strings (price, amount)."""

_ZERO_SPELLINGS = ("0", "0.0", "0.00", "0.00000000")
ZERO_LEVEL = '[{"price":"0","amount":"0"}]'
"""An empty top-of-book side as some servers spell it (scenario ``tob_empty_zero``)."""


def fixed(units: int, decimals: int) -> str:
    """Format an integer fixed-point value with exactly ``decimals`` fractional digits."""
    if decimals == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    return f"{sign}{whole}.{frac:0{decimals}d}"


def canonical(units: int, decimals: int) -> str:
    """Format an integer fixed-point value in canonical form (no trailing zeros, no '.')."""
    if decimals == 0 or units % 10**decimals == 0:
        return str(units // 10**decimals) if units >= 0 else "-" + str(-units // 10**decimals)
    return fixed(units, decimals).rstrip("0")


def mixed(units: int, decimals: int, rng: random.Random) -> str:
    """Format a value in one of several equivalent spellings (scenario ``mixed_decimals``)."""
    if units == 0:
        return rng.choice(_ZERO_SPELLINGS)
    choice = rng.randrange(4)
    if choice == 0:
        return canonical(units, decimals)
    if choice == 1:
        return fixed(units, decimals)
    text = fixed(units, decimals)
    if decimals == 0:
        text += "."
    return text + "0" * choice


_second_cache: dict[int, str] = {}


def format_time(ns: int) -> str:
    """Format integer epoch nanoseconds as Go RFC3339Nano (trimmed fraction, ``Z``)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    head = _second_cache.get(seconds)
    if head is None:
        if len(_second_cache) > 4096:
            _second_cache.clear()
        head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second_cache[seconds] = head
    if frac == 0:
        return head + "Z"
    return f"{head}.{frac:09d}".rstrip("0") + "Z"


def _levels(levels: Iterable[Level]) -> str:
    return ",".join(f'{{"price":"{p}","amount":"{a}"}}' for p, a in levels)


def book_frame(
    kind: str,
    market: str,
    time_text: str,
    bids: Sequence[Level],
    asks: Sequence[Level],
    omit_empty: bool = False,
) -> str:
    """Encode a ``market_data`` SNAPSHOT or UPDATE frame."""
    parts = [f'{{"channel":"market_data","payload":{{"market":"{market}","type":"{kind}"']
    parts.append(f',"time":"{time_text}"')
    if bids or not omit_empty:
        parts.append(f',"bids":[{_levels(bids)}]')
    if asks or not omit_empty:
        parts.append(f',"asks":[{_levels(asks)}]')
    parts.append("}}")
    return "".join(parts)


def one_level_update_frame(
    market: str, time_text: str, is_bid: bool, price: str, amount: str
) -> str:
    """Encode an UPDATE with a single level (the firehose hot path; same text as book_frame)."""
    level = f'[{{"price":"{price}","amount":"{amount}"}}]'
    sides = f'"bids":{level},"asks":[]' if is_bid else f'"bids":[],"asks":{level}'
    return (
        f'{{"channel":"market_data","payload":{{"market":"{market}","type":"UPDATE",'
        f'"time":"{time_text}",{sides}}}}}'
    )


def top_of_book_frame(
    market: str, time_text: str, bid: Level | None, ask: Level | None, omit_empty: bool = False
) -> str:
    """Encode a ``market_data.top_of_book`` frame (empty array for an empty side)."""
    body = f'"market":"{market}","type":"TOP_OF_BOOK","timestamp":"{time_text}"'
    if bid is not None or not omit_empty:
        body += f',"bids":[{_levels([bid] if bid else [])}]'
    if ask is not None or not omit_empty:
        body += f',"asks":[{_levels([ask] if ask else [])}]'
    return f'{{"channel":"market_data.top_of_book","payload":{{{body}}}}}'


def execution_frame(market: str, price: str, amount: str, executed_at: str) -> str:
    """Encode an ``execution_data`` frame."""
    return (
        f'{{"channel":"execution_data","payload":{{"market":"{market}","price":"{price}",'
        f'"amount":"{amount}","executed_at":"{executed_at}"}}}}'
    )


def heartbeat_frame(time_text: str) -> str:
    """Encode a ``heartbeat`` frame."""
    return f'{{"channel":"heartbeat","payload":{{"timestamp":"{time_text}"}}}}'


def error_frame(code: str) -> str:
    """Encode a top-level error ``{"type":"error","error":CODE}``."""
    return json.dumps({"type": "error", "error": code}, separators=(",", ":"))


def operation_frame(action: str, channels: list[dict[str, Any]]) -> str:
    """Encode a subscribe/unsubscribe/subscription_list response."""
    return json.dumps({"type": action, "channels": channels}, separators=(",", ":"))
