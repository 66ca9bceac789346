"""The redacting log filter: unit cases and a real DEBUG-logged WebSocket handshake."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import sys
from collections.abc import Iterator
from urllib.parse import quote_plus

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from sor_tui.transport.redact import (
    REDACTED,
    RedactingFilter,
    credential_secrets,
    install_redaction,
    uninstall_redaction,
)
from tests.waiting import wait_until

SECRET = "s3cr3t/with+odd=chars&more"
TOKEN = "tok_abcDEF123456789_xyz"
CLIENT_ID = "client-42"


def make() -> RedactingFilter:
    return RedactingFilter(credential_secrets(CLIENT_ID, SECRET, lambda: TOKEN))


@pytest.mark.parametrize(
    "text",
    [
        f"secret is {SECRET}",
        f"form: client_secret={quote_plus(SECRET)}&grant_type=client_credentials",
        f"> Authorization: Basic {base64.b64encode(f'{CLIENT_ID}:{SECRET}'.encode()).decode()}",
        f"> Authorization: Bearer {TOKEN}",
        "> Authorization: Bearer someOtherUnknownToken.with.dots",
        "{'authorization': 'Bearer unknownTokenValue1234'}",
        '{"access_token": "unknownTokenValue1234", "expires_in": 3600}',
        f"url ...?token={TOKEN}",
    ],
)
def test_secrets_and_credentials_redacted(text: str) -> None:
    out = make().redact(text)
    assert REDACTED in out
    for leaked in (SECRET, quote_plus(SECRET), TOKEN, "someOtherUnknownToken", "unknownTokenValue"):
        assert leaked not in out


def test_ordinary_text_untouched() -> None:
    text = "subscribed market_data:BTCUSD; bearer of news; basic tests pass"
    assert make().redact(text) == text


def test_short_secrets_ignored() -> None:
    redactor = RedactingFilter(lambda: ["", "ab"])
    assert redactor.redact("ab cd") == "ab cd"


def test_filter_freezes_args_and_exception_text() -> None:
    redactor = make()
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "token %s", (TOKEN,), exc_info=None
        )
        record.exc_info = sys.exc_info()
    assert redactor.filter(record)
    assert record.getMessage() == f"token {REDACTED}"
    assert record.exc_text is not None and TOKEN not in record.exc_text


@pytest.fixture
def debug_capture() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    touched = [logging.getLogger(n) for n in ("websockets", "websockets.client", "httpx")]
    for logger in touched:
        logger.setLevel(logging.DEBUG)
    redactor = install_redaction(credential_secrets(CLIENT_ID, SECRET, lambda: TOKEN))
    yield stream
    uninstall_redaction(redactor)
    root.removeHandler(handler)
    root.setLevel(old_level)
    for logger in touched:
        logger.setLevel(logging.NOTSET)


async def test_websockets_debug_handshake_is_redacted(debug_capture: io.StringIO) -> None:
    seen: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        seen.append(ws.request.headers["Authorization"])
        await ws.send("hello")

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(
            f"ws://127.0.0.1:{port}/", additional_headers={"Authorization": f"Bearer {TOKEN}"}
        ) as ws:
            assert await ws.recv() == "hello"
            logging.getLogger("sor_tui.test").debug("token was %s, secret %s", TOKEN, SECRET)
    log_text = debug_capture.getvalue()
    assert seen == [f"Bearer {TOKEN}"]  # the real header carried the token
    assert "Authorization: Bearer [REDACTED]" in log_text  # websockets logged it, redacted
    assert TOKEN not in log_text and SECRET not in log_text


async def test_feed_and_token_fetch_at_debug_leak_nothing() -> None:
    from pydantic import SecretStr

    from sor_tui.transport.feed import Feed
    from sor_tui.transport.oauth import TokenProvider
    from tests.transport.feed_harness import BTC_BOOK, FAST, simulator

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    names = [name for name in logging.root.manager.loggerDict if not name.startswith("asyncio")]
    names += ["websockets.client", "httpx", "httpcore", "sor_tui"]
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    redactor = None
    try:
        async with simulator() as sim:
            tokens = TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret))

            def token() -> str | None:
                cached = tokens.cached
                return None if cached is None else cached.value.get_secret_value()

            redactor = install_redaction(
                credential_secrets(sim.client_id, sim.client_secret, token)
            )
            feed = Feed(sim.ws_url, tokens, [BTC_BOOK], options=FAST)

            def live() -> bool:
                view = feed.state.book_view("BTCUSD", 1)
                return view is not None and view.status == "LIVE"

            task = asyncio.create_task(feed.run())
            await wait_until(live, what="live")
            issued = token()
            sim.revoke_tokens()  # force a 401 and a second token fetch, both logged
            sim.drop_connections()
            await wait_until(lambda: tokens.token_requests == 2, what="refresh")
            await wait_until(live, what="live again")
            second = token()
            await feed.stop()
            await task
            await tokens.aclose()
    finally:
        if redactor is not None:
            uninstall_redaction(redactor)
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name in names:
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = stream.getvalue()
    assert issued and second and issued != second
    assert "Authorization: Bearer [REDACTED]" in text  # websockets did log the header
    assert "HTTP Request: POST" in text  # httpx did log the token request
    for secret in (issued, second, sim.client_secret):
        assert secret not in text
