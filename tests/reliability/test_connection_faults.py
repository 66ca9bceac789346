"""Connection faults end to end: simulator (or fault proxy) -> Feed -> DeskState -> desk UI.

Unit-level variants live in tests/transport (5xx three times then OK, stalled heartbeat,
hanging handshake, stop during backoff); these add what only the whole chain or a link
fault can show. Each test prints its figure (run with ``-s``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from sor_tui.core.numbers import canonical_text
from sor_tui.core.views import BookStatus, LevelView
from sor_tui.transport.status import FeedState, StatusChanged
from sor_tui.ui.app import SorApp
from tests.reliability.fault_proxy import FaultProxy
from tests.reliability.harness import (
    error_rows,
    feed_via,
    live_app,
    pilot_until,
    status_text,
    tui_in_a_terminal,
)
from tests.transport.feed_harness import (
    BTC_BOOK,
    is_live,
    options,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_drop_mid_feed_screen_book_equals_server_and_status_counts_the_drop() -> None:
    async with simulator() as sim:
        app = live_app(sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot_until(pilot, lambda: _ladder_live(app), what="BTCUSD live on screen")
            sim.drop_connections()
            await pilot_until(pilot, lambda: "reconnects 1" in status_text(app), what="counted")
            sim.pause()

            def screen_equals_server() -> bool:
                view = app.desk.ladders()[0].view
                if view is None or view.status is not BookStatus.LIVE:
                    return False
                bids, asks = sim.server_book("BTCUSD")
                shown_bids, shown_asks = _levels(view.bids), _levels(view.asks)
                return (
                    shown_bids == bids[: len(shown_bids)]
                    and shown_asks == asks[: len(shown_asks)]
                    and (view.bid_levels, view.ask_levels) == (len(bids), len(asks))
                )

            await pilot_until(
                pilot, screen_equals_server, what="the ladder to show the server's book"
            )
            view = app.desk.ladders()[0].view
            assert view is not None
            print(f"\nreconnects=1 divergence=0 levels={view.bid_levels}+{view.ask_levels}")


async def test_drop_mid_feed_leaves_a_visible_gap_marker_on_the_tape_or_error_pane() -> None:
    async with simulator() as sim:
        app = live_app(sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot_until(pilot, lambda: _ladder_live(app), what="live")
            sim.drop_connections()
            await pilot_until(pilot, lambda: "reconnects 1" in status_text(app), what="drop")
            await pilot_until(pilot, lambda: _ladder_live(app), what="live again")
            await pilot.pause(0.2)
            tape = app.desk.tape
            shown = tape.shown_text()
            assert "— gap" in shown, "no gap row on the tape after a drop"
            assert any("GAP" in row and "connection" in row for row in error_rows(app))


async def test_accept_then_close_storm_backoff_keeps_growing() -> None:
    floor, cap, window = 0.05, 0.8, 3.0
    async with simulator() as sim:
        sim.set_scenario("accept_then_close")
        async with running_feed(sim, feed_options=options(backoff_floor=floor, backoff_cap=cap)):
            started = time.monotonic()
            await asyncio.sleep(window)
            attempts = sim.stats.handshakes[101]
            elapsed = time.monotonic() - started
    rate = attempts / elapsed
    print(f"\naccept-then-close: {attempts} attempts in {elapsed:.1f} s = {rate:.1f}/s")
    # A backoff that resets on every accepted handshake would allow elapsed/floor = 60.
    assert attempts <= 20, f"backoff reset by accept-then-close: {rate:.1f} attempts/s"
    assert attempts >= 3, "it stopped trying"


async def test_blackholed_link_detected_within_ping_interval_plus_timeout() -> None:
    ping = 0.3
    async with simulator() as sim, FaultProxy(sim.ws_port) as proxy:
        opts = options(
            ping_interval=ping, ping_timeout=ping, heartbeat_timeout=60.0, close_timeout=2.0
        )
        lost: list[float] = []

        def on_event(event: object) -> None:
            if isinstance(event, StatusChanged) and event.status.state is FeedState.RECONNECTING:
                lost.append(time.monotonic())

        # No heartbeat channel: only WebSocket ping/pong can notice the dead link.
        async with feed_via(
            sim, proxy.url, (BTC_BOOK,), feed_options=opts, on_event=on_event
        ) as run:
            await wait_until(lambda: proxy.stats.accepted >= 1 and is_live(run, "BTCUSD"))
            lost.clear()
            proxy.blackholed = True
            cut_at = time.monotonic()
            await wait_until(lambda: bool(lost), within=10, what="dead link detected")
            detected = lost[0] - cut_at
            proxy.blackholed = False
            await settle_and_compare(sim, run, "BTCUSD")
    print(f"\nblackhole detected after {detected:.2f} s (ping {ping} + timeout {ping})")
    assert detected <= ping + ping + 1.0, f"dead link noticed only after {detected:.2f} s"


async def test_handshake_never_answered_times_out_paced_then_connects() -> None:
    async with simulator() as sim, FaultProxy(sim.ws_port) as proxy:
        proxy.hold = True
        opts = options(open_timeout=0.3, backoff_floor=0.1, backoff_cap=0.2)
        async with feed_via(sim, proxy.url, (BTC_BOOK,), feed_options=opts) as run:
            await wait_until(lambda: proxy.stats.accepted >= 3, what="three silent handshakes")
            details = {e.status.detail for e in run.of(StatusChanged)}
            assert "handshake timed out" in details
            held = proxy.stats.accepted
            proxy.hold = False
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live after the hang")
    print(f"\nsilent handshakes before recovery: {held}")


async def test_429_retry_after_on_handshake_is_honoured() -> None:
    retry_after = 1
    async with simulator() as sim, FaultProxy(sim.ws_port) as proxy:
        proxy.respond("429 Too Many Requests", {"Retry-After": str(retry_after)})
        opts = options(backoff_floor=0.05, backoff_cap=0.1)
        async with feed_via(sim, proxy.url, (BTC_BOOK,), feed_options=opts) as run:
            await wait_until(lambda: len(proxy.stats.responded_at) >= 2, what="two 429s")
            times = proxy.stats.responded_at
            gap = times[1] - times[0]
            proxy.canned = None
            await wait_until(lambda: is_live(run, "BTCUSD"), what="live after 429")
    print(f"\n429 Retry-After {retry_after} s: next attempt after {gap:.2f} s")
    assert gap >= retry_after * 0.95, f"retried after {gap:.2f} s despite Retry-After"


async def test_oversized_frame_closes_1009_paced_and_never_half_applies() -> None:
    limit = 32 * 1024
    async with simulator(scenarios={"huge_snapshot": {"levels": 3000}}) as sim:
        opts = options(max_frame_bytes=limit, backoff_floor=0.1, backoff_cap=0.4)
        async with running_feed(sim, (BTC_BOOK,), feed_options=opts) as run:
            started = time.monotonic()
            await wait_until(lambda: run.feed.counters.reconnects >= 3, what="three 1009 closes")
            elapsed = time.monotonic() - started
            view = run.feed.state.book_view("BTCUSD", 5)
            assert view is None or view.status.value != "LIVE"
            assert view is None or view.bid_levels == 0, "part of an oversized frame applied"
            reconnects = run.feed.counters.reconnects
            assert run.feed.status.state in (
                FeedState.RECONNECTING,
                FeedState.CONNECTING,
                FeedState.CONNECTED,
            )
    rate = reconnects / elapsed
    print(f"\noversized frames: {reconnects} reconnects in {elapsed:.1f} s ({rate:.1f}/s)")
    assert rate <= 1 / 0.1 + 1


async def test_quit_during_backoff_exits_clean_within_two_seconds() -> None:
    async with simulator(scenarios={"accept_then_close": {}}) as sim:
        app = live_app(
            sim.ws_url,
            sim.oauth_url,
            sim.client_id,
            sim.client_secret,
            backoff_floor=30.0,
            backoff_cap=60.0,
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot_until(
                pilot,
                lambda: app.feed is not None and app.feed.status.state is FeedState.RECONNECTING,
                what="waiting out a 30 s backoff",
            )
            started = time.monotonic()
            await pilot.press("q")
            await pilot_until(pilot, lambda: not app.is_running, within=5, what="exit")
            elapsed = time.monotonic() - started
        feed_workers = [w for w in app.workers if w.group == "feed"]
        assert all(w.error is None for w in feed_workers)
        assert not [p for p in app.inbox.problems if p.code == "feed_failed"]
    print(f"\nquit during backoff: exited in {elapsed:.2f} s")
    assert elapsed < 2.0


def _ladder_live(app: SorApp) -> bool:
    ladders = app.desk.ladders()
    view = ladders[0].view if ladders else None
    return view is not None and view.status is BookStatus.LIVE


def _levels(levels: tuple[LevelView, ...]) -> list[tuple[str, str]]:
    return [(canonical_text(lv.price), canonical_text(lv.amount)) for lv in levels]


async def test_stream_sigint_during_backoff_exits_0_within_two_seconds_without_traceback() -> None:
    async with simulator(scenarios={"accept_then_close": {}}) as sim:
        env = {
            **os.environ,
            "SOR_CLIENT_ID": sim.client_id,
            "SOR_CLIENT_SECRET": sim.client_secret,
            "SOR_BACKOFF_FLOOR": "30",
            "SOR_BACKOFF_CAP": "60",
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
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            # The first connection is accepted and closed: the stream now waits >= 30 s.
            await wait_until(lambda: sim.stats.handshakes[101] >= 1, within=20, what="attempt")
            await asyncio.sleep(0.5)
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
            elapsed = time.monotonic() - started
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    print(f"\nstream SIGINT during a 30 s backoff: exit {process.returncode} in {elapsed:.2f} s")
    assert process.returncode == 0
    assert b"Traceback" not in stderr and b"Traceback" not in stdout
    assert sim.stats.handshakes[101] == 1, "it did not wait out the backoff"
    assert elapsed < 2.0


async def test_tui_in_a_terminal_quits_during_backoff_within_two_seconds_without_traceback() -> (
    None
):
    async with simulator(scenarios={"accept_then_close": {}}) as sim:
        backoff = {"SOR_BACKOFF_FLOOR": "30", "SOR_BACKOFF_CAP": "60"}
        async with tui_in_a_terminal(sim, **backoff) as terminal:
            await wait_until(lambda: sim.stats.handshakes[101] >= 1, within=30, what="attempt")
            await asyncio.sleep(1.0)  # now inside the 30 s backoff
            started = time.monotonic()
            terminal.press(b"q")
            code = await asyncio.wait_for(terminal.process.wait(), 10)
            elapsed = time.monotonic() - started
    text = terminal.output.decode("utf-8", "replace")
    print(f"\ntui in a pty: quit during a 30 s backoff, exit {code} in {elapsed:.2f} s")
    assert code == 0
    assert "Traceback" not in text
    assert sim.stats.handshakes[101] == 1, "it did not wait out the backoff"
    assert elapsed < 2.0
