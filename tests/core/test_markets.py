"""The default market table of protocol §11.2."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sor_tui.core.markets import DEFAULT_MARKETS, Market, market

TICKS = {
    "BTCUSD": "0.25",
    "ETHUSD": "0.05",
    "BCHUSD": "0.05",
    "LTCUSD": "0.01",
    "LINKUSD": "0.01",
    "AAVEUSD": "0.01",
    "UNIUSD": "0.01",
    "PAXGUSD": "0.01",
    "SOLUSD": "0.01",
}


def test_table_matches_the_reference() -> None:
    assert {m.symbol: m.tick for m in DEFAULT_MARKETS} == {
        symbol: Decimal(tick) for symbol, tick in TICKS.items()
    }


@pytest.mark.parametrize("entry", DEFAULT_MARKETS, ids=lambda m: m.symbol)
def test_each_market_is_consistent(entry: Market) -> None:
    assert entry.symbol == entry.base + entry.quote
    assert entry.quote == "USD"
    assert entry.reference_price > 0
    assert entry.reference_price % entry.tick == 0  # a valid starting price


@pytest.mark.parametrize("symbol", ["BTCUSD", "btcusd", " ethusd "])
def test_lookup_is_case_insensitive(symbol: str) -> None:
    found = market(symbol)
    assert found is not None
    assert found.symbol == symbol.strip().upper()


@pytest.mark.parametrize("symbol", ["MATICUSD", "XBTUSD", "", "BTC-USD"])
def test_unknown_or_retired_markets_are_absent(symbol: str) -> None:
    assert market(symbol) is None
