"""The bearer token and the secret go only to the configured URLs: no WebSocket redirect is
followed, and no proxy sees a loopback (clear-text) exchange."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

import pytest
from pydantic import SecretStr
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from sor_tui.config.settings import ConfigError, load_settings
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from sor_tui.transport.status import Problem
from tests.transport.feed_harness import BTC_BOOK, options, simulator
from tests.transport.test_feed_reconnect import _StaticTokens
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(30)


@asynccontextmanager
async def recording_listener() -> AsyncIterator[list[bytes]]:
    """A TCP listener on loopback that records the first bytes of every connection."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            seen.append(await asyncio.wait_for(reader.read(4096), 2))
        except TimeoutError:
            seen.append(b"")
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    seen.append(str(server.sockets[0].getsockname()[1]).encode())  # the port, first
    try:
        yield seen
    finally:
        server.close()
        await server.wait_closed()


async def test_a_websocket_redirect_is_refused_and_reported() -> None:
    redirects: list[str] = []
    async with recording_listener() as target:
        elsewhere = f"ws://127.0.0.1:{int(target[0])}/"

        def process_request(connection: ServerConnection, request: Request) -> Response:
            redirects.append(request.path)
            response = connection.respond(HTTPStatus.FOUND, "moved\n")
            response.headers["Location"] = elsewhere
            return response

        async def handler(connection: ServerConnection) -> None:
            await connection.close()

        async with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
            port = server.sockets[0].getsockname()[1]
            events: list[object] = []
            feed = Feed(f"ws://127.0.0.1:{port}/", _StaticTokens(), [BTC_BOOK], options=options())
            task = asyncio.create_task(feed.run(events.append))
            await wait_until(lambda: len(redirects) >= 2, what="a redirect and a retry")
            await feed.stop()
            await task
    assert target[1:] == []  # nothing ever reached the other server
    problems = [e for e in events if isinstance(e, Problem) and e.code == "redirect"]
    assert problems and "refused" in problems[0].message


async def test_proxies_never_see_a_loopback_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    async with recording_listener() as proxy:
        proxy_url = f"http://127.0.0.1:{int(proxy[0])}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, proxy_url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        async with simulator() as sim:
            tokens = TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret))
            async with tokens:
                await asyncio.wait_for(tokens.get_token(), 10)
                feed = Feed(sim.ws_url, tokens, [BTC_BOOK], options=options())
                task = asyncio.create_task(feed.run(lambda event: None))
                await wait_until(lambda: sim.stats.handshakes[101] >= 1, what="handshake")
                await feed.stop()
                await task
        assert proxy[1:] == []


async def test_the_token_endpoint_is_asked_directly_for_loopback_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    remote = TokenProvider("https://oauth.example.com/t", "id", SecretStr("s"))
    loopback = TokenProvider("http://127.0.0.1:9/t", "id", SecretStr("s"))
    assert remote._http.trust_env and not loopback._http.trust_env
    await remote.aclose()
    await loopback.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "ws://localhost.example.com/",
        "ws://127.0.0.1.nip.io/",
        "ws://0x7f.1/",
        "ws://user@127.0.0.1/",
        "ws://[::ffff:10.0.0.1]/",
        "ws://10.0.0.1/",
    ],
)
def test_plain_ws_is_for_loopback_hosts_only(url: str) -> None:
    with pytest.raises(ConfigError, match="SOR_WS_URL"):
        load_settings(ws_url=url)


@pytest.mark.parametrize("url", ["ws://localhost:8080/", "ws://127.0.0.2/", "ws://[::1]:1/"])
def test_plain_ws_to_loopback_is_accepted(url: str) -> None:
    assert load_settings(ws_url=url).ws_url == url


def test_the_feed_tells_the_state_which_markets_are_desired() -> None:
    from sor_tui.core.events import Channel, ChannelType
    from sor_tui.core.state import DeskState

    state = DeskState()
    feed = Feed("ws://127.0.0.1:9/", _StaticTokens(), [BTC_BOOK], options=options(), state=state)
    assert state._desired == {"BTCUSD"}
    feed.subscribe([Channel(ChannelType.EXECUTION_DATA, "ETHUSD")])
    assert state._desired == {"BTCUSD", "ETHUSD"}
    feed.unsubscribe([BTC_BOOK])
    assert state._desired == {"ETHUSD"}


async def test_a_hostile_token_endpoint_is_a_token_error_not_a_traceback() -> None:
    from tests.transport.oauth_server import OAuthServer, Reply, token_reply

    server = await OAuthServer().start()
    huge_lifetime = b'{"access_token":"tok","token_type":"bearer","expires_in":1' + b"0" * 400
    nested = b'{"access_token":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    server.script(
        Reply(body=nested, headers={"Content-Type": "application/json"}),
        Reply(body=huge_lifetime + b"}", headers={"Content-Type": "application/json"}),
    )
    try:
        tokens = TokenProvider(server.url, "id", SecretStr("s"), deadline=10, backoff_base=0.01)
        async with tokens:
            token = await tokens.get_token()  # the nested answer was retried
        assert token.value.get_secret_value() == "tok"
        assert 0 < token.lifetime < 10**6  # 10**400 s: unusable, a default assumed
        assert len(server.requests) == 2
        server.script(*(Reply(body=nested) for _ in range(3)), token_reply("later"))
        refused = TokenProvider(server.url, "id", SecretStr("s"), deadline=0.3)
        async with refused:
            with pytest.raises(Exception) as caught:
                await refused.get_token()
        assert type(caught.value).__name__ == "TokenError"
        assert not isinstance(caught.value, RecursionError)
    finally:
        await server.stop()


def test_per_market_lags_of_the_feed_counters_are_bounded() -> None:
    from sor_tui.core.state import MAX_MARKETS
    from sor_tui.transport.metrics import Metrics

    metrics = Metrics(clock=lambda: 0.0)
    for number in range(MAX_MARKETS * 10):
        metrics.lag_ns[f"M{number}"] = number  # what the session does per message
        metrics.frame()
        assert len(metrics.lag_ns) <= MAX_MARKETS + 1
