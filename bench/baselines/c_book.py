"""The ``order-book`` C extension (PyPI ``order-book``) fed the way its users feed it.

Each frame is decoded with ``json.loads``; prices and amounts become ``Decimal`` (exact
money, as our book keeps it) and are stored in the extension's sorted dicts.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import order_book  # type: ignore[import-not-found]

_ZERO = Decimal(0)


class CBook:
    """One market's book in the C extension's sorted dicts."""

    def __init__(self) -> None:
        self.book = order_book.OrderBook()

    def on_frame(self, text: str) -> None:
        """Decode a frame with the stdlib and apply it."""
        self.on_message(json.loads(text))

    def on_message(self, message: dict[str, Any]) -> None:
        """Apply a decoded market_data message (SNAPSHOT or UPDATE)."""
        payload = message["payload"]
        if payload["type"] == "SNAPSHOT":
            self.book = order_book.OrderBook()
        self.apply(parse_side(payload.get("bids")), parse_side(payload.get("asks")))

    def apply(
        self, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> None:
        """Set or delete already-parsed levels."""
        for side, levels in ((self.book.bids, bids), (self.book.asks, asks)):
            for price, amount in levels:
                if amount == _ZERO:
                    if price in side:
                        del side[price]
                else:
                    side[price] = amount

    def top(self, depth: int) -> tuple[list[Any], list[Any]]:
        """Best-first levels of each side, read by index (cheaper than ``to_list``)."""
        bids, asks = self.book.bids, self.book.asks
        return (
            [bids.index(i) for i in range(min(depth, len(bids)))],
            [asks.index(i) for i in range(min(depth, len(asks)))],
        )


def parse_side(levels: list[dict[str, str]] | None) -> list[tuple[Decimal, Decimal]]:
    """Levels as exact (price, amount) pairs."""
    if not levels:
        return []
    return [(Decimal(level["price"]), Decimal(level["amount"])) for level in levels]
