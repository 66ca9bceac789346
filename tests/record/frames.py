"""A small hand-written recording: one book, two updates, prints (one replayed)."""

from __future__ import annotations

import json
from pathlib import Path

from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.record.recorder import Recorder

T0 = 1_772_460_307_000_000_000  # 2026-03-02T14:05:07Z
S = 1_000_000_000


def book(kind: str, t: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> str:
    """A market_data frame."""
    payload = {
        "type": kind,
        "market": "BTCUSD",
        "time": format_rfc3339_ns(t),
        "bids": [{"price": p, "amount": a} for p, a in bids],
        "asks": [{"price": p, "amount": a} for p, a in asks],
    }
    return json.dumps({"channel": "market_data", "payload": payload})


def execution(t: int, price: str, amount: str) -> str:
    """An execution_data frame."""
    payload = {"market": "BTCUSD", "price": price, "amount": amount}
    payload["executed_at"] = format_rfc3339_ns(t)
    return json.dumps({"channel": "execution_data", "payload": payload})


def write_sample(path: Path) -> Path:
    """Write the sample recording: times are T0 + whole seconds."""
    with Recorder(path, ws_url="wss://ws.sandbox.paxos.com/", markets=["BTCUSD"]) as rec:
        rec.mark("begin_sync", "BTCUSD", T0)
        rec.frame(book("SNAPSHOT", T0, [("100.00", "1"), ("99.5", "2")], [("101", "3")]), T0 + S)
        rec.frame(execution(T0 + S, "100.5", "0.10"), T0 + S + 1)
        rec.frame(book("UPDATE", T0 + 2 * S, [("100", "0.0")], [("100.5", "4")]), T0 + 2 * S)
        rec.frame(execution(T0 + 2 * S, "100.50", "0.2"), T0 + 2 * S + 1)
        rec.frame(execution(T0 + S, "100.5", "0.1"), T0 + 3 * S)  # replay of the first
        rec.frame("not json at all", T0 + 3 * S + 1)
        rec.frame(book("UPDATE", T0 + 4 * S, [("99.75", "5")], []), T0 + 4 * S)
    return path
