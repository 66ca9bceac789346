"""Canary secrets: a client secret and tokens that must never appear anywhere we can look.

Every test uses canary credentials, makes the simulator issue canary tokens, turns every
logger (websockets' included) to DEBUG, forces a token refresh mid-run, and then searches
logs, stdout, stderr, crash output, the screen and every file under HOME for each canary in
its raw, URL-encoded and base64 (``id:secret``) forms. Figure: occurrences found (must be 0).
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr

from sor_tui.config.credentials import Credentials, CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.core.state import DeskState
from sor_tui.record.recorder import Recorder
from sor_tui.record.recording_state import RecordingDeskState
from sor_tui.runtime.sources import LiveSource
from sor_tui.sim.config import ClientSpec
from sor_tui.sim.server import Simulator
from sor_tui.transport.feed import Feed
from sor_tui.transport.oauth import TokenProvider
from sor_tui.ui.factory import make_app
from tests.reliability.harness import FAST_FEED, error_rows, live_app, pilot_until
from tests.transport.feed_harness import BTC_BOOK, BTC_EXEC, HEARTBEAT, options, simulator
from tests.transport.oauth_server import OAuthServer, Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

CLIENT_ID = "canary-client-7Q2"
SECRET = "canary-SECRET-x9Kf3+/=&%"  # characters whose URL and base64 forms differ
TOKEN_PREFIX = "canaryTOKEN"


def forms(value: str) -> set[str]:
    """Every form a secret can take in output: raw, URL-encoded, inside Basic credentials."""
    found = {value, quote(value, safe=""), quote_plus(value)}
    for pair in (f"{CLIENT_ID}:{value}", f"{quote_plus(CLIENT_ID)}:{quote_plus(value)}"):
        found.add(base64.b64encode(pair.encode()).decode())
    return found


def occurrences(text: str, secrets: set[str]) -> list[str]:
    """The canary forms present in ``text``."""
    return sorted(form for secret in secrets for form in forms(secret) if form in text)


def canary_simulator(sim: Simulator) -> list[str]:
    """Make ``sim`` know the canary client and issue canary tokens; returns the issued list."""
    sim.tokens.add_client(ClientSpec(CLIENT_ID, SECRET))
    issued: list[str] = []
    numbers = itertools.count(1)
    original = sim.tokens.issue

    def issue(client_id: str, scopes: tuple[str, ...]) -> tuple[str, Any]:
        real, record = original(client_id, scopes)
        token = f"{TOKEN_PREFIX}{next(numbers)}x{real[:12]}"
        sim.tokens._tokens[token] = sim.tokens._tokens.pop(real)
        issued.append(token)
        return token, record

    sim.tokens.issue = issue  # type: ignore[method-assign]
    return issued


def files_under(root: Path) -> str:
    """The bytes of every file under ``root`` (gzip members expanded), as one text."""
    import gzip

    parts: list[str] = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                pass
        parts.append(f"\n--- {path}\n" + data.decode("utf-8", "replace"))
    return "".join(parts)


@contextmanager
def every_logger_at_debug() -> Iterator[io.StringIO]:
    """A root handler capturing every record at DEBUG, every known logger at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.addFilter(_ClientSideOnly())
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    names = [*logging.root.manager.loggerDict, "websockets.client", "httpx", "httpcore"]
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
        for name in names:
            logging.getLogger(name).setLevel(logging.NOTSET)


class _ClientSideOnly(logging.Filter):
    """The in-process simulator's own logs are the server's, not ours: leave them out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(("sor_tui.sim", "websockets.server"))


async def test_stream_at_debug_with_a_token_refresh_leaks_zero_canaries() -> None:
    async with simulator() as sim:
        issued = canary_simulator(sim)
        env = {
            **os.environ,
            "SOR_CLIENT_ID": CLIENT_ID,
            "SOR_CLIENT_SECRET": SECRET,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sor_tui",
            "stream",
            "--environment",
            "demo",
            "--ws-url",
            sim.ws_url,
            "--oauth-url",
            sim.oauth_url,
            "--markets",
            "BTCUSD",
            "--log-level",
            "DEBUG",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            await wait_until(lambda: sim.stats.handshakes[101] == 1, within=20, what="connected")
            sim.revoke_tokens()  # a 401, a second token, a second handshake: all logged
            sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] == 2, within=20, what="again")
            await asyncio.sleep(0.3)
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    text = stdout.decode() + stderr.decode() + files_under(Path.home())
    found = occurrences(text, {SECRET, *issued})
    print(f"\nstream: {len(issued)} tokens, {len(text)} chars searched, {len(found)} canaries")
    assert len(issued) == 2
    assert "Bearer [REDACTED]" in stderr.decode()  # the handshake was logged, redacted
    assert process.returncode == 0
    assert found == []


async def test_tui_at_debug_with_a_token_refresh_leaks_zero_canaries() -> None:
    async with simulator() as sim:
        issued = canary_simulator(sim)
        with every_logger_at_debug() as logs:
            app = live_app(sim.ws_url, sim.oauth_url, CLIENT_ID, SECRET)
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot_until(pilot, lambda: sim.stats.handshakes[101] == 1, what="connected")
                sim.revoke_tokens()
                sim.drop_connections()
                await pilot_until(pilot, lambda: sim.stats.handshakes[101] == 2, what="again")
                await pilot.pause(0.3)
                screen = app.export_screenshot() + "\n".join(error_rows(app))
                await pilot.press("q")
    text = logs.getvalue() + screen + files_under(Path.home())
    found = occurrences(text, {SECRET, *issued})
    print(f"\ntui: {len(issued)} tokens, {len(text)} chars searched, {len(found)} canaries")
    assert "Authorization" in logs.getvalue()  # the handshake was logged at DEBUG
    assert found == []


async def test_token_endpoint_echoing_the_secret_never_reaches_screen_status_or_logs() -> None:
    endpoint = await OAuthServer().start()
    # A hostile or buggy endpoint echoes what it was sent in its error text.
    echo = {"error": "invalid_client", "error_description": f"secret {SECRET} is wrong"}
    endpoint.script(Reply(401, json_body=echo))
    try:
        async with simulator() as sim:
            with every_logger_at_debug() as logs:
                app = live_app(sim.ws_url, endpoint.url, CLIENT_ID, SECRET)
                async with app.run_test(size=(120, 36)) as pilot:
                    await pilot_until(
                        pilot,
                        lambda: app.feed is not None and app.feed.status.final,
                        what="auth failure",
                    )
                    await pilot.pause(0.3)
                    status = app.feed.status.detail if app.feed is not None else ""
                    screen = app.export_screenshot() + "\n".join(error_rows(app)) + status
    finally:
        await endpoint.stop()
    sinks = {"logs": logs.getvalue(), "screen": screen}
    found = {name: occurrences(text, {SECRET}) for name, text in sinks.items()}
    print(f"\nechoed secret found in: {[name for name, hits in found.items() if hits]}")
    assert "invalid_client" in screen
    assert found == {"logs": [], "screen": []}


async def test_crash_inside_the_feed_worker_shows_no_locals_or_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class CrashingState(DeskState):
        """Crashes on the first snapshot with secrets in its frame's locals."""

        def apply(self, event: Any, received_ns: int) -> None:
            token = f"{TOKEN_PREFIX}-in-a-local"  # noqa: F841 - must not be printed
            secret = SECRET  # noqa: F841
            if type(event).__name__ == "BookSnapshot":
                raise RuntimeError("simulated bug in the desk state")
            super().apply(event, received_ns)

    class CrashingSource(LiveSource):
        def _feed(self, ws_url: str, oauth_url: str, credentials: Credentials) -> Feed:
            feed = super()._feed(ws_url, oauth_url, credentials)
            feed._state = CrashingState()
            return feed

    async with simulator() as sim:
        canary_simulator(sim)
        values: dict[str, Any] = {
            "markets": "BTCUSD",
            "ws_url": sim.ws_url,
            "oauth_url": sim.oauth_url,
        }
        settings = Settings(**values)
        source = CrashingSource(
            settings, Credentials(CLIENT_ID, SecretStr(SECRET), "env"), feed_overrides=FAST_FEED
        )
        app = make_app(settings, source=source, store=CredentialStore())
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot_until(
                pilot,
                lambda: any("feed_failed" in row for row in error_rows(app)),
                what="the crash to be shown",
            )
            screen = app.export_screenshot() + "\n".join(error_rows(app))
            await pilot.press("q")
    captured = capsys.readouterr()
    text = screen + captured.out + captured.err
    found = occurrences(text, {SECRET, f"{TOKEN_PREFIX}-in-a-local"})
    print(f"\nfeed worker crash: shown; {len(found)} secrets in screen/stdout/stderr")
    assert "simulated bug" in screen
    assert found == []
    assert "token =" not in text and "secret =" not in text


async def test_crash_in_a_handler_prints_a_traceback_without_locals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with simulator() as sim:
        canary_simulator(sim)
        app = live_app(sim.ws_url, sim.oauth_url, CLIENT_ID, SECRET, markets="BTCUSD")
        shown: list[object] = []

        def crash(view: object) -> None:
            token = f"{TOKEN_PREFIX}-in-a-local"  # noqa: F841 - must not be printed
            secret = SECRET  # noqa: F841
            shown.append(view)
            raise RuntimeError("simulated bug in a handler")

        app.desk.show_book = crash  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="simulated bug"):
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot_until(pilot, lambda: bool(shown) or not app.is_running, what="crash")
                await pilot.pause(0.2)
        app._print_error_renderables()
    captured = capsys.readouterr()
    text = captured.out + captured.err
    found = occurrences(text, {SECRET, f"{TOKEN_PREFIX}-in-a-local"})
    print(f"\nhandler crash: {len(text)} chars of crash output, {len(found)} secrets")
    assert "simulated bug in a handler" in text
    assert found == []


async def test_recording_and_executions_db_written_under_canaries_hold_none() -> None:
    async with simulator() as sim:
        issued = canary_simulator(sim)
        directory = Path.home() / "recordings"
        # A URL carrying credentials must not reach the recording's header either.
        url = sim.ws_url.replace("ws://", f"ws://{CLIENT_ID}:{quote(SECRET, safe='')}@")
        recorder = Recorder.create(directory, ws_url=f"{url}?token={issued_token_hint()}")
        state = RecordingDeskState(recorder=recorder)
        tokens = TokenProvider(sim.oauth_url, CLIENT_ID, SecretStr(SECRET))
        feed = Feed(
            sim.ws_url, tokens, [BTC_BOOK, BTC_EXEC, HEARTBEAT], options=options(), state=state
        )
        task = asyncio.create_task(feed.run())
        try:
            await wait_until(lambda: state.tape.accepted >= 3, what="executions recorded")
            sim.revoke_tokens()
            sim.drop_connections()
            await wait_until(lambda: sim.stats.handshakes[101] == 2, what="second token")
        finally:
            await feed.stop()
            await task
            await tokens.aclose()
            recorder.close()
    text = files_under(Path.home())
    found = occurrences(text, {SECRET, *issued, issued_token_hint()})
    print(
        f"\nrecording + db: {len(text)} chars under HOME, {len(issued)} tokens, {len(found)} found"
    )
    assert len(issued) == 2
    assert "BTCUSD" in text  # the recording is there and readable
    assert found == []


def issued_token_hint() -> str:
    """A token-like canary put in the recorder's URL query (where tokens sometimes travel)."""
    return f"{TOKEN_PREFIX}-in-the-url"
