"""Simulator test helpers: a plain websockets client, httpx and an independent book applier."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from sor_tui.sim.config import SOR_SCOPE, SimConfig
from sor_tui.sim.server import Simulator

TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{0,8}[1-9]))?Z$")
"""Go RFC3339Nano: fraction trimmed of trailing zeros (and absent when zero), ``Z``."""


def parse_ns(text: str) -> int:
    """Parse a Go RFC3339Nano time into integer epoch nanoseconds (strict)."""
    import calendar

    match = TIME_RE.match(text)
    assert match, f"not a trimmed RFC3339Nano time: {text!r}"
    y, mo, d, h, mi, s, frac = match.groups()
    seconds = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    return seconds * 1_000_000_000 + int((frac or "").ljust(9, "0"))


def canon(text: str) -> str:
    """Canonical decimal text, computed independently of the simulator's formatter."""
    value = Decimal(text)
    assert value == value and "e" not in text.lower(), text
    if value == 0:
        return "0"
    out = format(value.normalize(), "f")
    return out


SimFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def make_sim() -> AsyncIterator[SimFactory]:
    """Start simulators with config overrides; all are stopped at the end of the test."""
    async with AsyncExitStack() as stack:

        async def factory(**overrides: Any) -> Simulator:
            overrides.setdefault("heartbeat_interval", 0.2)
            overrides.setdefault("rate", 40.0)
            return await stack.enter_async_context(Simulator(SimConfig(**overrides)))

        yield factory


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    """A simulator with test-friendly defaults."""
    return await make_sim()


async def get_token(
    sim: Simulator, client_id: str | None = None, secret: str | None = None, scope: str = SOR_SCOPE
) -> str:
    """Fetch an access token from the simulator's endpoint."""
    async with httpx.AsyncClient(timeout=5, verify=False, trust_env=False) as http:
        response = await http.post(
            sim.oauth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id or sim.client_id,
                "client_secret": secret or sim.client_secret,
                "scope": scope,
            },
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


class Reader:
    """A plain websockets client connection with bounded receive helpers."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Any] = []

    async def send(self, message: Any) -> None:
        """Send a JSON request (or raw text when given a string)."""
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def next(self, within: float = 5.0) -> Any:
        """Receive and decode the next frame."""
        async with asyncio.timeout(within):
            raw = await self.ws.recv()
        frame = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def until(self, predicate: Callable[[Any], bool], within: float = 5.0) -> list[Any]:
        """Receive frames until one matches; return all received including it."""
        seen: list[Any] = []
        async with asyncio.timeout(within):
            while True:
                frame = await self.next(within)
                seen.append(frame)
                if predicate(frame):
                    return seen

    async def sync(self, within: float = 5.0) -> list[Any]:
        """Round-trip a subscription_list: everything the server queued before it has arrived."""
        await self.send({"type": "subscription_list"})
        return await self.until(lambda f: f.get("type") == "subscription_list", within)


async def open_ws(sim: Simulator, token: str | None = None, **kwargs: Any) -> Reader:
    """Open a WebSocket to the simulator with a fresh (or given) token."""
    token = token or await get_token(sim)
    kwargs.setdefault("open_timeout", 5)
    ws = await connect(
        sim.ws_url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None, **kwargs
    )
    return Reader(ws)


def md(market: str = "BTCUSD") -> dict[str, Any]:
    """A market_data descriptor."""
    return {"type": "market_data", "params": {"market": market}}


def channel(kind: str, market: str | None = "BTCUSD") -> dict[str, Any]:
    """A descriptor of any channel."""
    return {"type": kind, "params": {"market": market}} if market else {"type": kind}


def is_kind(kind: str, market: str | None = None) -> Callable[[Any], bool]:
    """Predicate for market_data payload types (SNAPSHOT/UPDATE) or channel names."""

    def check(frame: Any) -> bool:
        if not isinstance(frame, dict) or "channel" not in frame:
            return False
        payload = frame["payload"]
        if market is not None and payload.get("market") != market:
            return False
        return bool(payload.get("type") == kind or frame["channel"] == kind)

    return check


class BookApplier:
    """The documented sync algorithm (§8.1), written independently of the product's client."""

    def __init__(self, market: str) -> None:
        self.market = market
        self.bids: dict[str, Decimal] = {}
        self.asks: dict[str, Decimal] = {}
        self.snapshot_ns: int | None = None
        self.buffer: list[dict[str, Any]] = []
        self.snapshots = 0
        self.buffered_before = {"before": 0, "equal": 0, "after": 0}

    def _apply(self, payload: dict[str, Any]) -> None:
        for side, book in (("bids", self.bids), ("asks", self.asks)):
            for level in payload.get(side) or []:
                price, amount = canon(level["price"]), Decimal(level["amount"])
                if amount == 0:
                    book.pop(price, None)
                else:
                    book[price] = amount

    def feed(self, frame: Any) -> None:
        """Apply one frame if it is market_data for this market."""
        if not is_kind("market_data", self.market)(frame):
            return
        payload = frame["payload"]
        t = parse_ns(payload["time"])
        if payload["type"] == "SNAPSHOT":
            self.snapshots += 1
            self.bids, self.asks = {}, {}
            self._apply(payload)
            self.snapshot_ns = t
            for update in self.buffer:
                ut = parse_ns(update["time"])
                key = "before" if ut < t else "equal" if ut == t else "after"
                self.buffered_before[key] += 1
                if ut > t:
                    self._apply(update)
            self.buffer.clear()
        elif self.snapshot_ns is None:
            self.buffer.append(payload)
        elif t > self.snapshot_ns:
            self._apply(payload)

    def book(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Bids descending, asks ascending, canonical strings (comparable to server_book)."""
        bids = sorted(self.bids.items(), key=lambda kv: Decimal(kv[0]), reverse=True)
        asks = sorted(self.asks.items(), key=lambda kv: Decimal(kv[0]))
        return ([(p, canon(str(a))) for p, a in bids], [(p, canon(str(a))) for p, a in asks])
