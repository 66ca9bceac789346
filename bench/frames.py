"""Deterministic synthetic SOR frames: a SNAPSHOT of N levels a side and UPDATEs against it.

The UPDATE stream keeps each side within a few levels of N: half the levels change an
existing amount, the other half delete an existing level (``"0"``) or insert a new price, all
within the book's price range, so every implementation does real inserts, overwrites and
deletes (nothing a book could skip). Amounts are random with up to 8 decimals, so decoders
that cache parsed strings get the hit rate of a varied feed, not of a repeated one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

MARKET = "BTCUSD"  # the default; make_stream(market=...) for others
MID_TICKS = 5_000_000  # 50000.00 in 0.01 ticks
BASE_NS = 1_772_460_307_000_000_000  # 2026-03-02T14:05:07Z
LEVELS_PER_UPDATE = 3


def price_text(ticks: int) -> str:
    """0.01 ticks as a price string with two decimals."""
    return f"{ticks // 100}.{ticks % 100:02d}"


def time_text(ns: int) -> str:
    """An RFC3339Nano timestamp with nine fractional digits."""
    seconds, fraction = divmod(ns, 10**9)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


def _amount(rng: random.Random) -> str:
    units = rng.randrange(1, 5_000_000_000)  # 0.00000001 .. 50
    whole, fraction = divmod(units, 10**8)
    return f"{whole}.{fraction:08d}".rstrip("0").rstrip(".")


def _levels(levels: list[tuple[str, str]]) -> str:
    return ",".join(f'{{"price":"{p}","amount":"{a}"}}' for p, a in levels)


def _frame(
    kind: str,
    ns: int,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    market: str = MARKET,
) -> str:
    # Built as text (the values are ASCII digits); checked against json in the smoke test.
    return (
        f'{{"channel":"market_data","payload":{{"market":"{market}","type":"{kind}",'
        f'"time":"{time_text(ns)}","bids":[{_levels(bids)}],"asks":[{_levels(asks)}]}}}}'
    )


@dataclass(frozen=True, slots=True)
class Stream:
    """A SNAPSHOT frame and the UPDATE frames that follow it, with their level count."""

    depth: int
    snapshot: str
    updates: tuple[str, ...]
    levels: int  # total price levels across all UPDATEs


def make_stream(depth: int, count: int, seed: int = 1, market: str = MARKET) -> Stream:
    """A SNAPSHOT of ``depth`` levels a side and ``count`` UPDATEs of 3 levels each."""
    rng = random.Random(seed)
    # Bids live below the mid, asks above; each side's range is twice its depth so that
    # inserts always find free prices and deletes always find existing ones.
    bid_range = range(MID_TICKS - 2 * depth, MID_TICKS)
    ask_range = range(MID_TICKS + 1, MID_TICKS + 1 + 2 * depth)
    bids = set(rng.sample(bid_range, depth))
    asks = set(rng.sample(ask_range, depth))
    ns = BASE_NS
    snapshot = _frame(
        "SNAPSHOT",
        ns,
        [(price_text(p), _amount(rng)) for p in sorted(bids, reverse=True)],
        [(price_text(p), _amount(rng)) for p in sorted(asks)],
        market,
    )
    bid_list, ask_list = list(bids), list(asks)
    updates: list[str] = []
    for _ in range(count):
        ns += rng.randrange(1_000, 200_000)
        changed: dict[str, list[tuple[str, str]]] = {"bids": [], "asks": []}
        touched: set[int] = set()
        for _level in range(LEVELS_PER_UPDATE):
            is_bid = rng.random() < 0.5
            live, members, span = (
                (bid_list, bids, bid_range) if is_bid else (ask_list, asks, ask_range)
            )
            # Half the levels change an amount; the rest delete or insert, whichever brings
            # the side back to its depth (a coin flip at the depth), so the size never drifts.
            roll = rng.random()
            delete = len(live) > depth or (len(live) == depth and roll < 0.75)
            if roll < 0.5:
                price = live[_pick(rng, live, touched)]
                amount = _amount(rng)
            elif delete:
                index = _pick(rng, live, touched)
                price = live[index]
                amount = "0"
                members.discard(price)
                live[index] = live[-1]  # swap-remove: order of the list does not matter
                live.pop()
            else:
                price = rng.choice(span)
                while price in members or price in touched:
                    price = rng.choice(span)
                amount = _amount(rng)
                members.add(price)
                live.append(price)
            touched.add(price)
            changed["bids" if is_bid else "asks"].append((price_text(price), amount))
        updates.append(_frame("UPDATE", ns, changed["bids"], changed["asks"], market))
    return Stream(depth, snapshot, tuple(updates), count * LEVELS_PER_UPDATE)


def _pick(rng: random.Random, live: list[int], touched: set[int]) -> int:
    # One price appears at most once per UPDATE, so every implementation agrees on the result.
    while True:
        index = rng.randrange(len(live))
        if live[index] not in touched:
            return index


def execution_frame(market: str, index: int, rng: random.Random, base_ns: int = BASE_NS) -> str:
    """One execution_data frame; ``index`` makes its time (and so the print) unique."""
    ns = base_ns + index * 1_000_003
    price = price_text(MID_TICKS + rng.randrange(-500, 500))
    return (
        f'{{"channel":"execution_data","payload":{{"market":"{market}","price":"{price}",'
        f'"amount":"{_amount(rng)}","executed_at":"{time_text(ns)}"}}}}'
    )
