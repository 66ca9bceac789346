"""Feed authentication against the simulator: 401 refresh, token lifetime, 403, bad secrets."""

from __future__ import annotations

import asyncio
import time

from pydantic import SecretStr

from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.status import FeedState, Problem
from tests.transport.feed_harness import BTC_BOOK, is_live, options, running_feed, simulator
from tests.waiting import wait_until


async def test_handshake_401_refreshes_the_token_exactly_once() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        assert run.tokens.token_requests == 1
        sim.revoke_tokens()
        sim.drop_connections()
        await wait_until(lambda: sim.stats.handshakes[101] == 2, what="reconnect")
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")
        assert sim.stats.handshakes[401] == 1
        assert run.tokens.token_requests == 2  # exactly one extra fetch
        assert FeedState.AUTH_FAILED not in run.states()


async def test_repeated_401_backs_off_instead_of_hot_looping() -> None:
    async with simulator() as sim:
        async with running_feed(sim, feed_options=options(backoff_floor=0.2, backoff_cap=0.2)):
            await wait_until(lambda: sim.stats.handshakes[101] == 1, what="connected")
            # Every token the server issues from now on is rejected at the handshake.
            original = sim.tokens.lookup
            sim.tokens.lookup = lambda token: None  # type: ignore[method-assign]
            sim.drop_connections()
            await asyncio.sleep(0.7)
            sim.tokens.lookup = original  # type: ignore[method-assign]
        rejected = sim.stats.handshakes[401]
        # One immediate retry with a fresh token, then >= 0.2 s between attempts.
        assert 2 <= rejected <= 2 + 0.7 / 0.2


async def test_reconnect_never_uses_a_token_near_expiry() -> None:
    offset = [0.0]
    async with simulator(token_ttl=60) as sim:
        tokens = TokenProvider(
            sim.oauth_url,
            sim.client_id,
            SecretStr(sim.client_secret),
            clock=lambda: time.monotonic() + offset[0],
        )
        feed = Feed(sim.ws_url, tokens, [BTC_BOOK], options=options(token_min_ttl=300))
        task = asyncio.create_task(feed.run())
        try:
            await wait_until(lambda: sim.stats.handshakes[101] == 1, what="connected")
            assert tokens.token_requests == 1
            offset[0] = 45.0  # the cached token now has 15 s of its 60 s left
            sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] == 2, what="reconnect")
            assert tokens.token_requests == 2  # refreshed before the attempt, not after a 401
            assert sim.stats.handshakes[401] == 0
        finally:
            await feed.stop()
            await task
            await tokens.aclose()


async def test_close_at_token_expiry_reconnects_with_a_new_token() -> None:
    async with simulator() as sim:
        sim.set_scenario("close_at_token_expiry")
        async with running_feed(sim) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            sim.expire_tokens()  # the server closes the connection at expiry
            await wait_until(lambda: sim.stats.handshakes[101] == 2, what="reconnect")
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")
            assert run.tokens.token_requests == 2
            assert run.feed.counters.reconnects == 1


async def test_handshake_403_stops_with_forbidden() -> None:
    async with simulator() as sim:
        sim.add_client("blocked", "blocked-secret", allow_listed=False)
        async with running_feed(sim, client_id="blocked", client_secret="blocked-secret") as run:
            await asyncio.wait_for(run.task, 3)  # run() returns by itself
            assert run.feed.status.state is FeedState.FORBIDDEN
            assert "403" in run.feed.status.detail
            assert sim.stats.handshakes[403] == 1
            assert [p.code for p in run.of(Problem)] == ["403"]


async def test_wrong_secret_is_final_auth_failure() -> None:
    async with simulator() as sim, running_feed(sim, client_secret="wrong-secret") as run:
        await asyncio.wait_for(run.task, 3)
        assert run.feed.status.state is FeedState.AUTH_FAILED
        assert "invalid_client" in run.feed.status.detail
        assert sum(sim.stats.handshakes.values()) == 0
        problems = run.of(Problem)
        assert problems and problems[0].source == "token"
        assert all("wrong-secret" not in p.message for p in problems)
