"""Each feed-health alert fires and resolves against the simulator within its time.

The feed runs on loopback against the simulator's fault scenarios; its events and the
desk state go to the same ``StreamAlerts`` that ``sor-tui stream`` uses, with short
thresholds. Each test notes when it caused and cleared the fault and checks the alert
came within the configured time plus a small margin (evaluations run 4 times a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sor_tui.config.alert_settings import AlertSettings
from sor_tui.core.events import Channel
from sor_tui.sim.server import Simulator
from sor_tui.transport.stream_alerts import StreamAlerts, stream_alerts
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    HEARTBEAT,
    Running,
    is_live,
    options,
    running_feed,
    simulator,
)
from tests.waiting import wait_until

MARGIN = 1.5
"""Seconds of slack for the evaluation cadence and a loaded machine."""
FAST_ALERTS = dict(
    silent_seconds=1.0,
    disconnected_seconds=0.5,
    resync_count=2,
    resync_minutes=0.05,
    untrusted_seconds=0.5,
    pending_seconds=0.3,
    clear_seconds=0.3,
    desktop=False,
    bell=False,
)


@dataclass
class Watch:
    """The alert lines written so far, each with when it came."""

    alerts: StreamAlerts
    lines: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def first(self, state: str, rule: str, after: float = 0.0) -> float | None:
        """When the first ``state`` line of ``rule`` came after ``after``."""
        for at, line in self.lines:
            if at >= after and line["state"] == state and line["rule"] == rule:
                return at
        return None

    async def wait(self, state: str, rule: str, after: float, within: float) -> float:
        """Wait for a line; return how long after ``after`` it came."""
        await wait_until(
            lambda: self.first(state, rule, after) is not None,
            within=within + 5.0,
            what=f"{rule} {state}",
        )
        at = self.first(state, rule, after)
        assert at is not None
        return at - after


@contextlib.asynccontextmanager
async def watched(
    sim: Simulator, desired: tuple[Channel, ...] = (BTC_BOOK, BTC_EXEC, HEARTBEAT), **settings: Any
) -> AsyncIterator[tuple[Running, Watch]]:
    """A feed on the simulator whose alerts are evaluated as ``sor-tui stream`` does."""
    alerts = stream_alerts(AlertSettings(**{**FAST_ALERTS, **settings}))
    watch = Watch(alerts)
    feed_options = options(snapshot_timeout=10.0)
    async with running_feed(
        sim, desired, feed_options=feed_options, on_event=alerts.on_event
    ) as running:

        async def evaluate() -> None:
            state = running.feed.state
            while True:
                lines = alerts.flush(state, ["BTCUSD"], state.drain_new_executions())
                watch.lines += [(time.monotonic(), line) for line in lines]
                await asyncio.sleep(0.05)

        task = asyncio.create_task(evaluate())
        try:
            yield running, watch
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_stalled_market_alerts_and_resolves() -> None:
    async with simulator() as sim, watched(sim) as (running, watch):
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        await asyncio.sleep(1.0)  # the market's own pace is learnt
        assert watch.first("fired", "market-silent") is None
        sim.pause()  # no more updates; heartbeats go on
        stalled = time.monotonic()
        assert await watch.wait("fired", "market-silent", stalled, 1.0) <= 1.0 + MARGIN
        sim.resume()
        resumed = time.monotonic()
        assert await watch.wait("resolved", "market-silent", resumed, 0.3) <= 0.3 + MARGIN
        (fired,) = [line for _, line in watch.lines if line["state"] == "fired"]
        assert fired["market"] == "BTCUSD" and fired["event"] == "alert"


async def test_a_lost_connection_alerts_and_resolves_on_reconnect() -> None:
    async with simulator() as sim, watched(sim) as (running, watch):
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        sim.set_scenario("drop")  # every connection dropped right after the upgrade
        dropped = time.monotonic()
        assert await watch.wait("fired", "disconnected", dropped, 0.5) <= 0.5 + MARGIN
        assert watch.first("fired", "market-silent") is None  # the disconnect speaks for it
        sim.set_scenario("drop", False)
        back = time.monotonic()
        assert await watch.wait("resolved", "disconnected", back, 0.0) <= MARGIN


async def test_a_resync_storm_alerts_and_resolves_after_its_window() -> None:
    async with simulator() as sim, watched(sim) as (running, watch):
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        # A market_data frame the client must reject: each one forces a resync.
        sim.set_scenario("garbage_frames", every=3, kinds="wrong_types")
        storm = time.monotonic()
        assert await watch.wait("fired", "resync-storm", storm, 1.0) <= 1.0 + MARGIN
        sim.set_scenario("garbage_frames", False)
        calm = time.monotonic()
        # Resolves once fewer than K resyncs remain in the window (3 s).
        assert await watch.wait("resolved", "resync-storm", calm, 3.0) <= 3.0 + MARGIN


async def test_a_book_left_without_its_snapshot_alerts_as_untrusted() -> None:
    async with simulator(snapshot_delay=3.0) as sim, watched(sim) as (running, watch):
        subscribed = time.monotonic()  # the SNAPSHOT comes 3 s after the subscribe
        assert await watch.wait("fired", "untrusted", subscribed, 0.5) <= 0.5 + 1.0 + MARGIN
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        live = time.monotonic()
        assert await watch.wait("resolved", "untrusted", live, 0.3) <= 0.3 + MARGIN


async def test_a_failing_token_endpoint_alerts_and_resolves() -> None:
    async with simulator() as sim, watched(sim) as (running, watch):
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        sim.set_scenario("oauth_5xx", status=503)
        sim.revoke_tokens()  # the next handshake gets 401: the feed must fetch a new token
        sim.drop_connections()
        failing = time.monotonic()
        assert await watch.wait("fired", "token-failing", failing, 0.3) <= 0.3 + 4.0 + MARGIN
        (fired,) = [line for _, line in watch.lines if line["rule"] == "token-failing"]
        assert "token request failing" in fired["detail"]
        sim.set_scenario("oauth_5xx", False)
        fixed = time.monotonic()
        # The feed retries within its backoff cap; the alert resolves once it connects.
        assert await watch.wait("resolved", "token-failing", fixed, 0.3) <= 0.3 + 4.0 + MARGIN


async def test_a_refused_subscription_alerts_and_resolves_when_removed() -> None:
    nope = Channel("market_data", "NOPEUSD")
    async with simulator() as sim, watched(sim) as (running, watch):
        await wait_until(lambda: is_live(running, "BTCUSD"), what="BTCUSD live")
        running.feed.subscribe([nope])
        asked = time.monotonic()
        assert await watch.wait("fired", "subscription-refused", asked, 0.0) <= MARGIN
        (fired,) = [line for _, line in watch.lines if line["rule"] == "subscription-refused"]
        assert fired["market"] == "NOPEUSD"
        running.feed.unsubscribe([nope])
        removed = time.monotonic()
        assert await watch.wait("resolved", "subscription-refused", removed, 0.0) <= MARGIN
