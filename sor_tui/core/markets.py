"""The default SOR market table: symbols, assets and USD tick sizes (protocol §11.2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Market:
    """One market: its symbol, base and quote assets, minimum tick and a reference price.

    The reference price only seeds displays and the simulator's random walk; it is
    not market data.
    """

    symbol: str
    base: str
    quote: str
    tick: Decimal
    reference_price: Decimal


DEFAULT_MARKETS: tuple[Market, ...] = (
    Market("BTCUSD", "BTC", "USD", Decimal("0.25"), Decimal("65000")),
    Market("ETHUSD", "ETH", "USD", Decimal("0.05"), Decimal("3150")),
    Market("BCHUSD", "BCH", "USD", Decimal("0.05"), Decimal("450")),
    Market("LTCUSD", "LTC", "USD", Decimal("0.01"), Decimal("85")),
    Market("LINKUSD", "LINK", "USD", Decimal("0.01"), Decimal("18")),
    Market("AAVEUSD", "AAVE", "USD", Decimal("0.01"), Decimal("250")),
    Market("UNIUSD", "UNI", "USD", Decimal("0.01"), Decimal("10")),
    Market("PAXGUSD", "PAXG", "USD", Decimal("0.01"), Decimal("2650")),
    Market("SOLUSD", "SOL", "USD", Decimal("0.01"), Decimal("150")),
)

_BY_SYMBOL = {entry.symbol: entry for entry in DEFAULT_MARKETS}


def market(symbol: str) -> Market | None:
    """Look a market up by symbol (case-insensitive, since the feed is upper case)."""
    return _BY_SYMBOL.get(symbol.strip().upper())
