"""Feed resilience against the simulator: drops, close storms, 5xx, server faults, stalls, stop."""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import Any

import pytest
from pydantic import SecretStr
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from sor_tui.core.events import Heartbeat
from sor_tui.core.views import BookStatus
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.status import FeedState, Problem, StatusChanged
from tests.transport.feed_harness import (
    BTC_BOOK,
    BTC_EXEC,
    FAST,
    HEARTBEAT,
    is_live,
    options,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until


async def test_drop_mid_feed_marks_stale_resubscribes_and_resyncs() -> None:
    async with simulator() as sim:
        stale_seen: list[BookStatus] = []

        def watch(event: object) -> None:
            # At the moment the loss is reported, the book must already be STALE.
            if isinstance(event, StatusChanged) and event.status.state is FeedState.RECONNECTING:
                view = run.feed.state.book_view("BTCUSD", 1)
                stale_seen.append(view.status if view else BookStatus.IDLE)

        async with running_feed(sim, on_event=watch) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            sim.drop_connections()
            await wait_until(lambda: run.feed.counters.reconnects == 1, what="loss counted")
            await wait_until(lambda: sim.stats.handshakes[101] == 2, what="reconnect")
            await settle_and_compare(sim, run, "BTCUSD")
            assert stale_seen == [BookStatus.STALE]
            assert run.states().count(FeedState.CONNECTED) == 2
            reconnecting = [
                e.status for e in run.of(StatusChanged) if e.status.state is FeedState.RECONNECTING
            ]
            assert reconnecting[0].retry_at is not None
            assert reconnecting[0].retry_in(reconnecting[0].since) <= 0.2  # within the cap
            assert run.feed.registry.is_active(BTC_EXEC) and run.feed.registry.is_active(HEARTBEAT)


async def test_accept_then_close_storm_is_paced_by_the_floor() -> None:
    floor = 0.1
    async with simulator() as sim:
        sim.set_scenario("accept_then_close")
        async with running_feed(sim, feed_options=options(backoff_floor=floor, backoff_cap=floor)):
            await wait_until(lambda: sim.stats.handshakes[101] >= 2, what="first attempts")
            start_count = sim.stats.handshakes[101]
            started = time.monotonic()
            await asyncio.sleep(1.0)
            attempts = sim.stats.handshakes[101] - start_count
            elapsed = time.monotonic() - started
    # At most one attempt per floor interval (+1 for the boundary), and it kept trying.
    assert 3 <= attempts <= elapsed / floor + 1


async def test_backoff_resets_only_after_a_healthy_connection() -> None:
    async with simulator() as sim:
        sim.set_scenario("accept_then_close")
        async with running_feed(sim, feed_options=options(healthy_after=0.3)) as run:
            await wait_until(lambda: sim.stats.handshakes[101] >= 4, what="a close storm")
            sim.set_scenario("accept_then_close", enabled=False)
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            storm = [
                e.status.attempt
                for e in run.of(StatusChanged)
                if e.status.state is FeedState.RECONNECTING
            ]
            # Connections that closed at once never proved healthy: the exponent kept growing.
            assert storm == list(range(1, len(storm) + 1)) and len(storm) >= 3
            await asyncio.sleep(0.5)  # now the connection is healthy
            before = len(run.events)
            opened = sim.stats.handshakes[101]
            sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] > opened, what="reconnected")
            after = [
                e.status
                for e in run.events[before:]
                if isinstance(e, StatusChanged) and e.status.state is FeedState.RECONNECTING
            ]
            assert after[0].attempt == 0  # a healthy connection was lost: no failures yet
            assert (after[0].retry_at or 0) - after[0].since <= FAST.backoff_floor + 0.01


async def test_http_5xx_three_times_then_connects() -> None:
    async with simulator() as sim:
        sim.set_scenario("http_5xx", status=503, times=3)
        async with running_feed(sim) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live after 5xx")
            assert sim.stats.handshakes[503] == 3
            states = run.states()
            assert states.count(FeedState.RECONNECTING) == 3
            assert states[-1] is FeedState.CONNECTED
            details = [
                e.status.detail
                for e in run.of(StatusChanged)
                if e.status.state is FeedState.RECONNECTING
            ]
            assert all("503" in d for d in details)
            assert run.feed.counters.reconnects == 0  # never had a connection to lose
            assert run.tokens.token_requests == 1  # 5xx is not a token problem


async def test_internal_server_error_reported_and_reconnects() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        sim.set_scenario("internal_error")
        sim.set_scenario("internal_error", enabled=False)
        await wait_until(lambda: run.feed.counters.reconnects == 1, what="reconnect")
        problems = [p for p in run.of(Problem) if p.code == "INTERNAL_SERVER_ERROR"]
        assert problems and problems[0].source == "server"
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")


async def test_per_channel_internal_server_error_retries_on_a_new_connection() -> None:
    async with simulator() as sim:
        sim.set_scenario("internal_error", per_channel=True)
        async with running_feed(sim) as run:
            await wait_until(lambda: run.feed.counters.reconnects >= 2, what="retries")
            sim.set_scenario("internal_error", enabled=False)
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live once the fault clears")
            faults = [p for p in run.of(Problem) if p.code == "INTERNAL_SERVER_ERROR"]
            assert {p.market for p in faults} >= {"BTCUSD", None}
            assert all(p.source == "channel" for p in faults)
            assert run.feed.registry.is_active(BTC_EXEC)


async def test_stalled_heartbeat_detected_within_the_timeout() -> None:
    timeout = 0.5
    async with simulator() as sim:
        feed_options = options(heartbeat_timeout=timeout, healthy_after=60)
        async with running_feed(sim, feed_options=feed_options) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            # Two beats: the interval is known (before it, liveness is the WebSocket ping).
            await wait_until(lambda: len(run.of(Heartbeat)) >= 2, what="two beats")
            sim.set_scenario("stall_heartbeat")
            stalled_at = time.monotonic()
            await wait_until(
                lambda: run.feed.counters.reconnects >= 1, within=timeout * 4, what="stall"
            )
            detected_after = time.monotonic() - stalled_at
            sim.set_scenario("stall_heartbeat", enabled=False)
            reasons = [
                e.status.detail
                for e in run.of(StatusChanged)
                if e.status.state is FeedState.RECONNECTING
            ]
            assert "no heartbeat" in reasons[0]
            # Detected no earlier than the timeout allows (last beat <= 0.1 s before the stall).
            assert detected_after >= timeout - 0.15
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")


async def test_heartbeat_timeout_adapts_to_a_slow_server_interval() -> None:
    # The server beats every 0.4 s, the configured timeout is 0.5 s: a fixed timeout would
    # fire on the first late beat; measured at runtime it becomes 3 x 0.4 s (§10.2).
    async with simulator(heartbeat_interval=0.4) as sim:
        feed_options = options(heartbeat_timeout=0.5)
        async with running_feed(sim, (BTC_BOOK, HEARTBEAT), feed_options=feed_options) as run:
            await wait_until(lambda: len(run.of(Heartbeat)) >= 3, what="beats")
            session = run.feed._session
            assert session is not None and session.heartbeat.timeout() >= 1.1
            sim.set_scenario("stall_heartbeat")
            await asyncio.sleep(0.8)  # longer than the configured timeout ...
            assert run.feed.counters.reconnects == 0  # ... but within 3 intervals
            await wait_until(lambda: run.feed.counters.reconnects == 1, what="stall detected")
            sim.set_scenario("stall_heartbeat", enabled=False)


async def test_without_heartbeat_channel_silence_is_not_death() -> None:
    async with simulator() as sim:
        sim.set_scenario("stall_heartbeat")
        feed_options = options(heartbeat_timeout=0.3)
        async with running_feed(sim, (BTC_BOOK,), feed_options=feed_options) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            await asyncio.sleep(0.6)
            assert run.feed.counters.reconnects == 0


async def test_heartbeat_rejected_degrades_to_ping_liveness() -> None:
    async with simulator() as sim:
        # A deployment without the heartbeat channel (protocol §7.4) answers UNKNOWN_CHANNEL.
        check = sim.operations._check

        def without_heartbeat(descriptor: dict[str, Any]) -> tuple[Any, str | None]:
            if descriptor.get("type") == "heartbeat":
                return None, "UNKNOWN_CHANNEL"
            return check(descriptor)

        sim.operations._check = without_heartbeat  # type: ignore[method-assign]
        feed_options = options(heartbeat_timeout=0.3)
        async with running_feed(sim, feed_options=feed_options) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            hb = run.feed.registry.get(HEARTBEAT)
            assert hb is not None and hb.error == "UNKNOWN_CHANNEL"
            await asyncio.sleep(0.6)  # twice the heartbeat timeout without any heartbeat
            assert run.feed.counters.reconnects == 0
            assert [p.code for p in run.of(Problem)] == ["UNKNOWN_CHANNEL"]
            assert "heartbeat" in run.of(Problem)[0].message


async def test_stop_during_backoff_is_quick_and_clean() -> None:
    async with simulator() as sim:
        sim.set_scenario("http_5xx", status=503)
        feed_options = options(backoff_floor=30.0, backoff_cap=60.0)
        async with running_feed(sim, feed_options=feed_options) as run:
            await wait_until(lambda: FeedState.RECONNECTING in run.states(), what="backoff")
            started = time.monotonic()
            await run.feed.stop()
            assert time.monotonic() - started < 2.0
            await asyncio.wait_for(run.task, 1)
            assert run.task.exception() is None
            assert run.feed.status.state is FeedState.STOPPED
            assert sim.stats.handshakes[503] == 1


async def test_stop_during_a_hanging_handshake_and_while_connected() -> None:
    async with simulator() as sim:
        sim.set_scenario("handshake_hang")
        async with running_feed(sim, feed_options=options(open_timeout=30.0)) as run:
            await wait_until(lambda: FeedState.CONNECTING in run.states(), what="connecting")
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await run.feed.stop()
            assert time.monotonic() - started < 2.0
            assert run.task.done() and run.task.exception() is None
        sim.set_scenario("handshake_hang", enabled=False)
        async with running_feed(sim) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            started = time.monotonic()
            await run.feed.stop()
            assert time.monotonic() - started < 2.0
            assert run.feed.status.state is FeedState.STOPPED
            await asyncio.sleep(0.2)
            assert sim.stats.handshakes[101] == 1  # no reconnect after a stop


async def test_handshake_timeout_backs_off() -> None:
    async with simulator() as sim:
        sim.set_scenario("handshake_hang")
        async with running_feed(sim, feed_options=options(open_timeout=0.2)) as run:
            await wait_until(
                lambda: run.states().count(FeedState.RECONNECTING) >= 2, what="timeouts"
            )
            details = [
                e.status.detail
                for e in run.of(StatusChanged)
                if e.status.state is FeedState.RECONNECTING
            ]
            assert "timed out" in details[0]


async def test_cancelling_run_propagates_cancellation() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        run.task.cancel()
        try:
            await asyncio.wait_for(run.task, 2)
        except asyncio.CancelledError:
            pass
        assert run.task.cancelled()


class _StaticTokens:
    """A token source without a token endpoint, for servers that ignore the token."""

    def __init__(self) -> None:
        self.invalidated = 0

    async def get_token(self, min_ttl: float | None = None) -> object:
        class Token:
            value = SecretStr("static-token")

        return Token()

    def invalidate(self, token: object) -> None:
        self.invalidated += 1

    def expires_in(self) -> float | None:
        return None


async def test_429_retry_after_is_honoured_above_the_cap() -> None:
    requests: list[float] = []

    def process_request(connection: ServerConnection, request: Request) -> Response:
        requests.append(time.monotonic())
        response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "slow down\n")
        response.headers["Retry-After"] = "0.5"
        return response

    async def handler(connection: ServerConnection) -> None:
        await connection.close()

    async with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        events: list[object] = []
        feed = Feed(f"ws://127.0.0.1:{port}/", _StaticTokens(), [BTC_BOOK], options=options())
        task = asyncio.create_task(feed.run(events.append))
        await wait_until(lambda: len(requests) >= 2, what="a retry")
        await feed.stop()
        await task
    waits = [
        (e.status.retry_at or 0.0) - e.status.since
        for e in events
        if isinstance(e, StatusChanged) and e.status.state is FeedState.RECONNECTING
    ]
    assert waits and all(w >= 0.49 for w in waits)  # cap is 0.2: Retry-After won
    assert requests[1] - requests[0] >= 0.45


async def test_a_bug_in_the_consumer_surfaces_instead_of_looping() -> None:
    async with simulator() as sim:

        def broken(event: object) -> None:
            if isinstance(event, Heartbeat):
                raise ZeroDivisionError("consumer bug")

        tokens = TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret))
        feed = Feed(sim.ws_url, tokens, [HEARTBEAT], options=options())
        with pytest.raises(ZeroDivisionError):
            await asyncio.wait_for(feed.run(broken), 5)
        assert feed.status.state is FeedState.STOPPED
        assert sim.stats.handshakes[101] == 1
        await tokens.aclose()
