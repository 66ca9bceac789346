"""Frames to inject into a live simulator connection: hostile strings, UPDATEs, levels."""

from __future__ import annotations

import json
import time
from typing import Any

from sor_tui.core.timestamps import format_rfc3339_ns
from sor_tui.sim.server import Simulator

NOW = format_rfc3339_ns(time.time_ns() + 3_600 * 10**9)  # after any snapshot of this run
ESCAPES = "[bold red]MARKUP\x1b[2J\x1b]0;PWNED-TITLE\x07\x9b31m\u202eevil\u2066\x1bP+q\x1b\\"


def update(bids: Any, asks: Any = (), *, market: Any = "BTCUSD", time_text: Any = NOW) -> bytes:
    """A market_data UPDATE frame with arbitrary (possibly hostile) fields."""
    payload = {"market": market, "type": "UPDATE", "time": time_text, "bids": bids}
    payload["asks"] = list(asks) if isinstance(asks, tuple) else asks
    return json.dumps({"channel": "market_data", "payload": payload}).encode()


def now() -> str:
    """The wall clock as an RFC 3339 time (the simulator's clock is the wall clock)."""
    return format_rfc3339_ns(time.time_ns())


def level(price: str, amount: str) -> dict[str, str]:
    """One level with string fields, as the wire has them."""
    return {"price": price, "amount": amount}


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


GOOD = level("1.01", "7")  # a level the server's book never has: its presence means harm

# Each frame must be rejected whole: nothing of it applied, one reject counted.


def inject(sim: Simulator, data: bytes, binary: bool = False) -> None:
    """Send a frame on every open connection, out of band of the generator."""
    for session in list(sim.sessions):
        session.send(data, "hostile", binary=binary, data_frame=False)
