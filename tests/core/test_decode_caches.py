"""The decoder's string caches: deep snapshots and execution amounts leave the hot prices alone."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sor_tui.core.events import BookSnapshot, Execution, PriceLevel, Rejected
from sor_tui.core.protocol import decode, values

TIME = "2026-01-01T00:00:00Z"


@pytest.fixture(autouse=True)
def _empty_caches() -> None:
    values.DECIMALS.clear()
    values.AMOUNTS.clear()


def snapshot(bids: list[tuple[str, str]], asks: list[tuple[str, str]] | None = None) -> str:
    """A SNAPSHOT frame with the given (price, amount) levels."""
    payload = {
        "market": "BTCUSD",
        "type": "SNAPSHOT",
        "time": TIME,
        "bids": [{"price": p, "amount": a} for p, a in bids],
        "asks": [{"price": p, "amount": a} for p, a in asks or []],
    }
    return json.dumps({"channel": "market_data", "payload": payload})


def deep(count: int, base: int = 50_000) -> list[tuple[str, str]]:
    """``count`` distinct levels with amounts carrying many decimals."""
    return [(f"{base - i}.{i % 100:02d}", f"{i}.{i:012d}") for i in range(count)]


def test_a_deep_snapshot_caches_only_its_best_levels() -> None:
    count = values.SNAPSHOT_CACHED * 10
    event = decode(snapshot(deep(count), deep(count, 60_000)))
    assert isinstance(event, BookSnapshot)
    # Each side puts only its first SNAPSHOT_CACHED prices and amounts into the caches.
    assert len(values.DECIMALS) == 2 * values.SNAPSHOT_CACHED
    assert len(values.AMOUNTS) <= 2 * values.SNAPSHOT_CACHED
    for price, _ in deep(count)[: values.SNAPSHOT_CACHED]:
        assert price in values.DECIMALS
    assert deep(count)[values.SNAPSHOT_CACHED][0] not in values.DECIMALS


def test_deep_snapshot_levels_equal_the_plain_parse() -> None:
    levels = deep(values.SNAPSHOT_CACHED * 3)
    event = decode(snapshot(levels))
    assert isinstance(event, BookSnapshot)
    assert event.bids == tuple(PriceLevel(Decimal(p), Decimal(a)) for p, a in levels)
    # Equal values, and the canonical form the cached path gives ("1.50" -> "1.5").
    trailing = decode(snapshot([*levels, ("1.50", "2.000")]))
    assert isinstance(trailing, BookSnapshot)
    assert str(trailing.bids[-1].price) == "1.5" and str(trailing.bids[-1].amount) == "2"


def test_a_deep_invalid_level_is_rejected_and_named() -> None:
    levels = deep(values.SNAPSHOT_CACHED * 2)
    bad_index = values.SNAPSHOT_CACHED + 5
    levels[bad_index] = ("1e3", "1")
    event = decode(snapshot(levels))
    assert isinstance(event, Rejected)
    assert event.reason == "bad_number"
    assert f"bids[{bad_index}].price" in event.detail
    levels[bad_index] = ("0", "1")
    zero = decode(snapshot(levels))
    assert isinstance(zero, Rejected) and f"bids[{bad_index}].price" in zero.detail


def test_a_deep_level_uses_a_cached_price_when_there_is_one() -> None:
    levels = deep(values.SNAPSHOT_CACHED * 2)
    hot = values.parse_cached(levels[-1][0])
    event = decode(snapshot(levels))
    assert isinstance(event, BookSnapshot)
    assert event.bids[-1].price is hot


def test_execution_amounts_go_to_the_small_amounts_cache() -> None:
    for index in range(50):
        frame = {
            "channel": "execution_data",
            "payload": {
                "market": "BTCUSD",
                "price": "50000.5",
                "amount": f"0.{index:08d}1",
                "executed_at": TIME,
            },
        }
        event = decode(json.dumps(frame))
        assert isinstance(event, Execution)
        assert event.amount == Decimal(f"0.{index:08d}1")
    assert set(values.DECIMALS) == {"50000.5"}
    assert len(values.AMOUNTS) == 50
