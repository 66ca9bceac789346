"""The simulator's own market table (protocol §11.2 ticks, plausible prices)."""

from __future__ import annotations

from dataclasses import dataclass

AMOUNT_DECIMALS = 8
"""Amounts are integers in units of 1e-8 (protocol §11.2)."""


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A market: prices are integers in units of ``10**-price_decimals``."""

    name: str
    price_decimals: int
    tick: int
    """Minimum tick in price units."""
    start_price: int
    """Initial mid in price units."""
    typical_amount: int
    """A typical level size in 1e-8 units."""


def _spec(name: str, tick: str, price: str, amount: str) -> MarketSpec:
    decimals = len(tick.split(".")[1]) if "." in tick else 0
    scale = 10**decimals
    tick_units = round(float(tick) * scale)
    whole, _, frac = price.partition(".")
    price_units = int(whole) * scale + int((frac + "0" * decimals)[:decimals] or 0)
    amount_whole, _, amount_frac = amount.partition(".")
    amount_units = int(amount_whole) * 10**AMOUNT_DECIMALS + int(
        (amount_frac + "0" * AMOUNT_DECIMALS)[:AMOUNT_DECIMALS] or 0
    )
    return MarketSpec(
        name, decimals, tick_units, price_units - price_units % tick_units, amount_units
    )


MARKETS: dict[str, MarketSpec] = {
    spec.name: spec
    for spec in (
        _spec("BTCUSD", "0.25", "65000.00", "0.5"),
        _spec("ETHUSD", "0.05", "3150.00", "6"),
        _spec("BCHUSD", "0.05", "350.00", "40"),
        _spec("LTCUSD", "0.01", "85.00", "150"),
        _spec("PAXGUSD", "0.01", "2650.00", "3"),
        _spec("LINKUSD", "0.01", "14.50", "800"),
        _spec("AAVEUSD", "0.01", "95.00", "90"),
        _spec("UNIUSD", "0.01", "7.50", "1500"),
        _spec("SOLUSD", "0.01", "145.00", "60"),
        _spec("MATICUSD", "0.0001", "0.4500", "20000"),
    )
}


def market_spec(name: str) -> MarketSpec:
    """Return the spec of a known market (KeyError for unknown names)."""
    return MARKETS[name]
