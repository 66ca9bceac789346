"""The order book the way the vendor's sample builds it, in Python (our code, for comparison).

Modelled on the SOR sample client (protocol §13): ``json.loads`` of every frame, a dict per
side keyed by the raw price string with the raw amount string as value, deletion on
``amount == "0"`` (pitfall 2), no time checks after the snapshot (pitfall 5), and sorting
on read with a float key (pitfall 13). It is a speed baseline only: it has the sample's
correctness bugs on purpose and must never be used for anything else.
"""

from __future__ import annotations

import json
from typing import Any


class VendorBook:
    """One market's book as ``{price string: amount string}`` per side, sorted on read."""

    def __init__(self) -> None:
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.snapshot_time: str | None = None

    def on_frame(self, text: str) -> None:
        """Decode a frame with the stdlib and apply it."""
        self.on_message(json.loads(text))

    def on_message(self, message: dict[str, Any]) -> None:
        """Apply a decoded market_data message (SNAPSHOT or UPDATE)."""
        payload = message["payload"]
        if payload["type"] == "SNAPSHOT":
            self.bids = {level["price"]: level["amount"] for level in payload["bids"]}
            self.asks = {level["price"]: level["amount"] for level in payload["asks"]}
            self.snapshot_time = payload["time"]
            return
        if payload.get("bids"):
            _apply(self.bids, payload["bids"])
        if payload.get("asks"):
            _apply(self.asks, payload["asks"])

    def top(self, depth: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Best-first levels of each side: a full sort on every read, as the sample does."""
        bids = sorted(self.bids.items(), key=lambda kv: float(kv[0]), reverse=True)[:depth]
        asks = sorted(self.asks.items(), key=lambda kv: float(kv[0]))[:depth]
        return bids, asks


def _apply(side: dict[str, str], levels: list[dict[str, str]]) -> None:
    for level in levels:
        if level["amount"] == "0":
            side.pop(level["price"], None)
        else:
            side[level["price"]] = level["amount"]
