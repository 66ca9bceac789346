"""Authentication faults end to end: the simulator's token endpoint and handshake, the feed.

tests/transport/test_oauth.py proves the token provider alone (50 callers, drip, redirect,
Retry-After); here the same faults go through the feed and the simulator's handshake, and
each test prints the figure it asserts (token requests, handshakes, attempts).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import SecretStr

from sor_tui.core.views import BookStatus
from sor_tui.sim.config import ClientSpec
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.status import FeedState, Problem
from sor_tui.ui.app import SorApp
from tests.reliability.fault_proxy import FaultProxy
from tests.reliability.harness import live_app, pilot_until, status_text
from tests.transport.feed_harness import (
    BTC_BOOK,
    HEARTBEAT,
    is_live,
    options,
    running_feed,
    simulator,
)
from tests.transport.oauth_server import OAuthServer, Reply, token_reply
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_token_expired_while_connected_reconnect_fetches_once_never_handshakes_expired() -> (
    None
):
    ttl = 5  # the provider treats lifetimes under 5 s as 5 s (oauth_wire), so use its floor
    async with simulator(token_ttl=ttl) as sim:
        opts = options(token_min_ttl=0.5)
        async with running_feed(sim, (BTC_BOOK,), feed_options=opts) as run:
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
            assert run.tokens.token_requests == 1
            await asyncio.sleep(ttl + 0.2)  # the server keeps the connection open past expiry
            assert is_live(run, "BTCUSD")
            sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] == 2, what="reconnect")
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live again")
            fetches = run.tokens.token_requests
            expired_handshakes = sim.stats.handshakes[401]
    print(f"\ntoken fetches={fetches} handshakes with an expired token={expired_handshakes}")
    assert fetches == 2, "exactly one fetch for the reconnect"
    assert expired_handshakes == 0


async def test_revoked_credentials_bounded_attempts_clear_state_then_quiet() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        # The credential is revoked: its tokens die and the secret no longer works.
        sim.tokens.add_client(ClientSpec(sim.client_id, "rotated-by-the-admin"))
        sim.revoke_tokens()
        sim.drop_connections()
        await asyncio.wait_for(asyncio.shield(run.task), 5)  # run() ends by itself
        token_requests = sim.stats.token_requests
        handshakes = sum(sim.stats.handshakes.values())
        await asyncio.sleep(1.0)  # then quiet: nothing more reaches the server
        assert sim.stats.token_requests == token_requests
        assert sum(sim.stats.handshakes.values()) == handshakes
        assert run.feed.status.state is FeedState.AUTH_FAILED
        assert "invalid_client" in run.feed.status.detail
        view = run.feed.state.book_view("BTCUSD", 1)
        assert view is not None and view.status is BookStatus.STALE
        problems = [p for p in run.of(Problem) if p.source in ("token", "handshake")]
        assert problems and problems[-1].code == "invalid_client"
    print(
        f"\nrevoked: {sim.stats.handshakes[401]} rejected handshake(s), "
        f"{token_requests} token requests in all, then 0 in 1 s"
    )
    assert sim.stats.handshakes[401] == 1
    assert token_requests == 2


async def test_flaky_token_endpoint_honours_retry_after_then_hundred_callers_zero_requests() -> (
    None
):
    async with simulator() as sim:
        sim.set_scenario("oauth_429", retry_after="1")
        started = time.monotonic()
        async with running_feed(sim, (BTC_BOOK,)) as run:
            await wait_until(lambda: sim.stats.token_requests >= 1, what="first token request")
            sim.set_scenario("oauth_429", False)
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live after the 429")
            waited = time.monotonic() - started
            requests = sim.stats.token_requests
            await asyncio.gather(*(run.tokens.get_token(min_ttl=300) for _ in range(100)))
            extra = sim.stats.token_requests - requests
    print(
        f"\n429 Retry-After 1 s: live after {waited:.2f} s, {requests} requests;"
        f" then 100 callers: +{extra}"
    )
    assert requests == 2
    assert waited >= 1.0
    assert extra == 0


async def test_fifty_feeds_sharing_a_provider_make_one_token_request() -> None:
    async with simulator() as sim:
        tokens = TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret))
        feeds = [Feed(sim.ws_url, tokens, [HEARTBEAT], options=options()) for _ in range(50)]
        tasks = [asyncio.create_task(feed.run()) for feed in feeds]
        try:
            await wait_until(lambda: sim.stats.handshakes[101] == 50, what="50 connections")
        finally:
            await asyncio.gather(*(feed.stop() for feed in feeds))
            await asyncio.gather(*tasks)
            await tokens.aclose()
    print(f"\n50 connections: {sim.stats.token_requests} token request(s)")
    assert sim.stats.token_requests == 1


async def test_drip_feeding_token_endpoint_hits_the_deadline_and_the_feed_retries() -> None:
    endpoint = await OAuthServer().start()
    try:
        endpoint.script(Reply(json_body=token_reply("never").json_body, drip=0.05))
        async with simulator() as sim:
            tokens = TokenProvider(
                endpoint.url, "client", SecretStr("secret"), deadline=0.4, backoff_base=0.02
            )
            feed = Feed(sim.ws_url, tokens, [BTC_BOOK], options=options())
            problems: list[Problem] = []
            started = time.monotonic()
            task = asyncio.create_task(
                feed.run(lambda e: problems.append(e) if isinstance(e, Problem) else None)
            )
            try:
                await wait_until(lambda: bool(problems), what="deadline reported")
                elapsed = time.monotonic() - started
                assert problems[0].code == "deadline"
                assert feed.status.state in (FeedState.RECONNECTING, FeedState.CONNECTING)
            finally:
                await feed.stop()
                await task
                await tokens.aclose()
    finally:
        await endpoint.stop()
    print(f"\ndrip-feeding endpoint abandoned after {elapsed:.2f} s (deadline 0.4 s)")
    assert elapsed < 2.0


async def test_redirect_from_the_token_endpoint_is_never_followed() -> None:
    async with simulator() as sim, FaultProxy(sim.oauth.port) as elsewhere:
        sim.set_scenario(
            "oauth_redirect", location=f"http://127.0.0.1:{elsewhere.port}/oauth2/token"
        )
        async with running_feed(sim) as run:
            await asyncio.wait_for(asyncio.shield(run.task), 5)
            assert run.feed.status.state is FeedState.AUTH_FAILED
    print(f"\nredirect target contacted {elsewhere.stats.accepted} time(s)")
    assert elsewhere.stats.accepted == 0
    assert sum(sim.stats.handshakes.values()) == 0


async def test_quit_while_the_token_endpoint_drip_feeds_exits_within_two_seconds() -> None:
    endpoint = await OAuthServer().start()
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    try:
        endpoint.script(Reply(json_body=token_reply("slow").json_body, drip=0.5))
        async with simulator() as sim:
            app = live_app(sim.ws_url, endpoint.url, "client", "secret", token_deadline=30.0)
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot_until(pilot, lambda: len(endpoint.requests) == 1, what="fetching")
                await pilot.pause(0.3)
                started = time.monotonic()
                await pilot.press("q")
                await pilot_until(pilot, lambda: not app.is_running, within=5, what="exit")
                elapsed = time.monotonic() - started
            await asyncio.sleep(0.2)  # anything left behind would complain now
    finally:
        loop.set_exception_handler(previous)
        await endpoint.stop()
    print(f"\nquit during a drip-fed token request: exited in {elapsed:.2f} s")
    assert elapsed < 2.0
    assert unhandled == []


async def test_revoked_credentials_on_the_desk_status_bar_says_so_and_books_go_stale() -> None:
    async with simulator() as sim:
        app = live_app(sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot_until(pilot, lambda: _ladder_status(app) is BookStatus.LIVE, what="live")
            sim.tokens.add_client(ClientSpec(sim.client_id, "rotated-by-the-admin"))
            sim.revoke_tokens()
            sim.drop_connections()
            await pilot_until(pilot, lambda: "AUTH_FAILED" in status_text(app), what="shown")
            requests = sim.stats.token_requests
            await pilot.pause(1.0)
            ladder = app.desk.ladders()[0].view
            status = status_text(app)
            assert ladder is not None and ladder.status is BookStatus.STALE
            assert sim.stats.token_requests == requests  # quiet afterwards
    print(f"\nrevoked on the desk: status bar {status.strip()[:80]!r}, ladder {ladder.status}")


def _ladder_status(app: SorApp) -> BookStatus | None:
    ladders = app.desk.ladders()
    view = ladders[0].view if ladders else None
    return None if view is None else view.status
