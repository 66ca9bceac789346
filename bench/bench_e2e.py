"""Benchmark 2: simulator process -> real websockets -> our session -> core -> stream pipeline.

The simulator runs in its own process in firehose mode (it sends as fast as the client
reads). In this process the real client path runs: ``TokenProvider`` token fetch, ``Feed``
(handshake, subscribe, ``Session`` reader, ``decode``, ``DeskState.apply``) and the
``sor-tui stream`` writer (``JsonLinesWriter`` flushing coalesced books at the render rate to
/dev/null). The baseline is a bare ``websockets`` client on the same simulator that only
counts frames: the ratio says how much of the transport's capacity the pipeline keeps, and
the simulator's own CPU says whether the load generator was the limit.
"""

from __future__ import annotations

import asyncio
import os
import time

from pydantic import SecretStr
from websockets.asyncio.client import connect

from bench.harness import CpuMeter, Row, median_spread
from bench.simproc import CLIENT_ID, CLIENT_SECRET, SimProcess, fetch_token, simulator
from sor_tui.config.settings import load_settings
from sor_tui.core.state import DeskState
from sor_tui.core.views import BookStatus
from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
from sor_tui.transport.json_lines import JsonLinesWriter
from sor_tui.transport.oauth import TokenProvider

NAME = "e2e"
MARKETS = ["BTCUSD"]


async def wait_live(state: DeskState, markets: list[str], within: float = 20.0) -> None:
    """Wait until every market's book is LIVE (snapshot applied)."""
    deadline = time.monotonic() + within
    while True:
        books = [state.book(m) for m in markets]
        if all(b is not None and b.status is BookStatus.LIVE for b in books):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("books did not become LIVE")
        await asyncio.sleep(0.02)


def client_settings(sim: SimProcess, markets: list[str], channels: str) -> object:
    """Settings pointing the real client at the simulator process."""
    return load_settings(
        environment="demo",
        ws_url=sim.ws_url,
        oauth_url=sim.oauth_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        markets=",".join(markets),
        channels=channels,
    )


async def pipeline(sim: SimProcess, seconds: float, warmup: float) -> dict[str, float]:
    """Run the stream pipeline against the simulator; messages/s and CPU over the window."""
    settings = load_settings(
        environment="demo",
        ws_url=sim.ws_url,
        oauth_url=sim.oauth_url,
        markets=",".join(MARKETS),
        channels="market_data,heartbeat",
    )
    async with TokenProvider(
        settings.oauth_url, CLIENT_ID, SecretStr(CLIENT_SECRET), settings.scope
    ) as tokens:
        state = DeskState()
        feed = Feed(
            settings.ws_url,
            tokens,
            channels_from_settings(settings.markets, settings.channels),
            options=FeedOptions.from_settings(settings),
            state=state,
        )
        with open(os.devnull, "w", encoding="utf-8") as sink:  # noqa: ASYNC230 (never blocks)
            writer = JsonLinesWriter(sink, state, MARKETS, settings.book_depth)
            flusher = asyncio.create_task(writer.flush_every(1.0 / settings.render_rate))
            runner = asyncio.create_task(feed.run(writer.on_event))
            try:
                await wait_live(state, MARKETS)
                await asyncio.sleep(warmup)
                meter = CpuMeter(sim.pid)
                before = state.events
                applied_before = _applied(state)
                meter.start()
                await asyncio.sleep(seconds)
                wall, own, other = meter.stop()
                events = state.events - before
                applied = _applied(state) - applied_before
            finally:
                await feed.stop()
                flusher.cancel()
                await asyncio.gather(runner, flusher, return_exceptions=True)
            writer.flush(final=True)
    if state.rejects_by_reason:
        raise AssertionError(f"frames rejected during the run: {dict(state.rejects_by_reason)}")
    return {
        "rate": events / wall,
        "applied": applied / wall,
        "cpu": own,
        "sim_cpu": other,
        "waited": meter.waited,
    }


def _applied(state: DeskState) -> int:
    return sum(book.updates_applied for m in MARKETS if (book := state.book(m)) is not None)


async def plain_client(sim: SimProcess, seconds: float, warmup: float) -> dict[str, float]:
    """A bare websockets client on the same simulator: frames/s it receives (no decoding)."""
    token = await asyncio.to_thread(fetch_token, sim.oauth_url)
    async with connect(
        sim.ws_url,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
        max_queue=4096,  # the default 16 pauses reading constantly and understates the link
        close_timeout=1,  # the firehose keeps the pipe full: do not wait 10 s for a clean close
    ) as ws:
        channels = [{"type": "market_data", "params": {"market": m}} for m in MARKETS]
        import json

        await ws.send(json.dumps({"type": "subscribe", "channels": channels}))
        end_warmup = time.perf_counter() + warmup
        while time.perf_counter() < end_warmup:
            await ws.recv()
        meter = CpuMeter(sim.pid)
        meter.start()
        count = 0
        deadline = time.perf_counter() + seconds
        while True:
            await ws.recv()
            count += 1
            if count % 1000 == 0 and time.perf_counter() >= deadline:
                break
        wall, own, other = meter.stop()
    return {"rate": count / wall, "cpu": own, "sim_cpu": other, "waited": meter.waited}


def run(quick: bool = False) -> list[Row]:
    """Alternate pipeline and bare-client runs on one simulator process; medians of each."""
    seconds = 0.5 if quick else 5.0
    warmup = 0.2 if quick else 1.0
    repeats = 1 if quick else 3
    ours: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    with simulator(MARKETS, firehose=True) as sim:
        for _ in range(repeats):
            ours.append(asyncio.run(pipeline(sim, seconds, warmup)))
            plain.append(asyncio.run(plain_client(sim, seconds, warmup)))
    rate, spread = median_spread([r["rate"] for r in ours])
    plain_rate = median_spread([r["rate"] for r in plain])[0]
    cpu = median_spread([r["cpu"] for r in ours])[0]
    sim_cpu = median_spread([r["sim_cpu"] for r in ours])[0]
    plain_sim_cpu = median_spread([r["sim_cpu"] for r in plain])[0]
    waited = median_spread([r["waited"] for r in ours])[0]
    return [
        Row(
            NAME,
            "stream pipeline, sim firehose (1 market)",
            rate,
            "msgs/s",
            spread,
            ">= 100k msgs/s",
            rate >= 100_000,
            {"bare websockets client": plain_rate},
            note=(
                f"sim process at {sim_cpu:.0%} of a core (bare client run: {plain_sim_cpu:.0%}); "
                f"client runnable but waiting for a CPU {waited:.0%} of the time"
            ),
        ),
        Row(
            NAME,
            "stream pipeline CPU (this process)",
            cpu * 100,
            "% of a core",
            (min(r["cpu"] for r in ours) * 100, max(r["cpu"] for r in ours) * 100),
            higher_is_better=False,
        ),
        Row(
            NAME,
            "stream pipeline CPU per message",
            cpu / rate * 1e6,
            "us",
            higher_is_better=False,
        ),
        Row(
            NAME,
            "stream pipeline capacity of one full core (derived)",
            rate / cpu,
            "msgs/s",
            target=">= 100k msgs/s",
            holds=rate / cpu >= 100_000,
            note="msgs/s divided by the share of a core used: what one uncontended core allows",
        ),
    ]
