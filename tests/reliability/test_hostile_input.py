"""Hostile server input end to end: frames injected into a live simulator connection.

tests/core proves the decoder and sanitize() alone (every reject reason, hypothesis fuzzing);
here the same input arrives over a real WebSocket into the Feed, the DeskState and the desk,
and the figures are: frames rejected and counted, nothing of them applied, escape characters
on screen, in stream output and in the real terminal's bytes (0), terminal title unchanged.
Book integrity under poisoned times and crossed books is in test_book_faults.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sor_tui.core.protocol import decode
from sor_tui.transport.status import StatusChanged
from tests.reliability.frames import ESCAPES, GOOD, NOW, inject, level, nested, now, update
from tests.reliability.harness import (
    error_rows,
    live_app,
    pilot_until,
    status_text,
    tape_text,
    tui_in_a_terminal,
)
from tests.transport.feed_harness import (
    Running,
    is_live,
    running_feed,
    settle_and_compare,
    simulator,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

FORBIDDEN_ON_SCREEN = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\u2066")


REJECTED: dict[str, tuple[bytes, bool]] = {
    "binary": (update([GOOD]), True),
    "not_json": (b'{"channel":"market_data","payload":{', False),
    "bare_nan": (update([GOOD]).replace(b'"7"', b"NaN"), False),
    "nan_string": (update([GOOD, level("NaN", "1")]), False),
    "infinity": (update([GOOD, level("2", "Infinity")]), False),
    "snan": (update([GOOD, level("sNaN", "1")]), False),
    "ten_k_digits_price": (update([GOOD, level("9" * 10_000, "1")]), False),
    "ten_k_digits_amount": (update([GOOD, level("2", "0." + "0" * 10_000 + "1")]), False),
    "exponent": (update([GOOD, level("6.5E+4", "1")]), False),
    "deep_nesting": (update([GOOD, nested(200)]), False),
    "very_deep_nesting": (b'{"channel":"market_data","payload":' + b"[" * 100_000, False),
    "bids_not_a_list": (update("nope"), False),
    "amount_a_number": (update([GOOD, {"price": "2", "amount": 1.5}]), False),
    "time_a_number": (update([GOOD], time_text=12345), False),
    "bad_time": (update([GOOD], time_text="2026-13-45T99:99:99Z"), False),
    "market_a_number": (update([GOOD], market=42), False),
    "negative_size": (update([GOOD, level("2", "-1")]), False),
    "negative_price": (update([GOOD, level("-2", "1")]), False),
    "execution_nan": (
        json.dumps(
            {
                "channel": "execution_data",
                "payload": {
                    "market": "BTCUSD",
                    "price": "NaN",
                    "amount": "1",
                    "executed_at": NOW,
                },
            }
        ).encode(),
        False,
    ),
    "execution_negative": (
        json.dumps(
            {
                "channel": "execution_data",
                "payload": {
                    "market": "BTCUSD",
                    "price": "100",
                    "amount": "-3",
                    "executed_at": NOW,
                },
            }
        ).encode(),
        False,
    ),
}


def rejects(run: Running) -> int:
    """Frames rejected so far."""
    return sum(run.feed.counters.rejects_by_reason.values())


async def test_every_malformed_frame_is_rejected_whole_counted_and_never_applied() -> None:
    harmed: list[str] = []
    holder: list[Running] = []

    def check(event: object) -> None:
        # Runs right after each event was applied: a partly applied frame shows up here.
        view = holder[0].feed.state.book_view("BTCUSD", 100_000) if holder else None
        if view is not None and any(str(lv.price) == GOOD["price"] for lv in view.bids):
            harmed.append(type(event).__name__)

    async with simulator() as sim, running_feed(sim, on_event=check) as run:
        holder.append(run)
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        await settle_and_compare(sim, run, "BTCUSD")
        executions_before = len(run.feed.state.tape_view(10_000).entries)
        counted = rejects(run)
        for data, binary in REJECTED.values():
            inject(sim, data, binary)
        await wait_until(
            lambda: rejects(run) - counted >= len(REJECTED),
            what=f"{len(REJECTED)} rejections (got {rejects(run) - counted})",
        )
        await settle_and_compare(sim, run, "BTCUSD")  # after the resync a rejection asks for
        by_reason = run.feed.counters.rejects_by_reason
        print(f"\nrejected {rejects(run) - counted}/{len(REJECTED)}: {dict(by_reason)}")
        assert rejects(run) - counted == len(REJECTED)
        assert harmed == [], "part of a rejected frame was applied"
        assert len(run.feed.state.tape_view(10_000).entries) == executions_before
        assert run.feed.counters.reconnects == 0
        inject(sim, update([GOOD]))  # control: a valid frame with that level is seen applied
        await wait_until(lambda: bool(harmed), what="the detector to see a valid level")


async def test_escape_laden_server_strings_reach_the_screen_sanitized_title_unchanged() -> None:
    async with simulator() as sim:
        app = live_app(sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot_until(pilot, lambda: app.feed is not None and is_app_live(app), what="live")
            title, sub_title = app.title, app.sub_title
            hostile = [
                {"type": "error", "error": ESCAPES},
                {
                    "type": "subscribe",
                    "channels": [
                        {
                            "type": "market_data",
                            "params": {"market": "BTCUSD" + ESCAPES},
                            "success": False,
                            "error": ESCAPES,
                        }
                    ],
                },
                {"channel": ESCAPES, "payload": {"market": ESCAPES}},
                {
                    "channel": "execution_data",
                    "payload": {
                        "market": ESCAPES,
                        "price": "1",
                        "amount": "1",
                        "executed_at": NOW,
                    },
                },
                {"channel": "market_data", "payload": {"market": ESCAPES, "type": ESCAPES}},
            ]
            for message in hostile:
                inject(sim, json.dumps(message).encode())
            await pilot_until(pilot, lambda: len(error_rows(app)) >= 2, what="errors shown")
            for session in list(sim.sessions):  # and a close reason full of escapes
                session.close(1011, ESCAPES[:60])
            await pilot_until(pilot, lambda: "reconnects 1" in status_text(app), what="reconnect")
            await pilot.pause(0.3)
            screen = app.export_screenshot() + status_text(app) + tape_text(app)
            rows = "\n".join(error_rows(app))
            found = [c for c in FORBIDDEN_ON_SCREEN if c in screen or c in rows]
            print(f"\nhostile strings: {len(error_rows(app))} error rows, {len(found)} escapes")
            assert found == []
            assert (app.title, app.sub_title) == (title, sub_title)
            assert "[bold red]" in rows  # markup shown as text, never interpreted
            assert app.is_running
            assert not any("feed_failed" in row for row in error_rows(app))


def is_app_live(app: Any) -> bool:
    """Whether the app's feed has a LIVE BTCUSD book."""
    view = app.feed.state.book_view("BTCUSD", 1)
    return view is not None and view.status.value == "LIVE"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=30)
        | st.sampled_from(["NaN", "sNaN", "-0", "1e5", "BTCUSD", "UPDATE", "SNAPSHOT", NOW]),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "channel",
                        "payload",
                        "type",
                        "market",
                        "bids",
                        "asks",
                        "price",
                        "amount",
                        "time",
                        "executed_at",
                        "timestamp",
                        "channels",
                        "params",
                        "success",
                        "error",
                    ]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
def test_decoder_fuzz_never_raises_and_never_lets_non_decimal_money_through(value: Any) -> None:
    frame = json.dumps(
        {"channel": "market_data", "payload": value} if isinstance(value, dict) else value
    )
    event = decode(frame)
    for side in ("bids", "asks"):
        for lv in getattr(event, side, ()):
            assert lv.price.is_finite() and lv.amount.is_finite() and lv.amount >= 0


async def test_invalid_utf8_text_frame_closes_1007_is_counted_and_the_book_recovers() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: is_live(run, "BTCUSD"), what="live")
        await settle_and_compare(sim, run, "BTCUSD")
        frame = update([GOOD]).replace(b'"7"', b'"\xff\xfe"')
        inject(sim, frame)  # a text frame whose bytes are not UTF-8: RFC 6455 says fail, 1007
        await wait_until(lambda: run.feed.counters.reconnects == 1, what="the connection failed")
        sim.resume()
        await asyncio.sleep(0.3)
        await settle_and_compare(sim, run, "BTCUSD")
        details = [e.status.detail for e in run.of(StatusChanged)]
    failed = [d for d in details if "1007" in d or "invalid start byte" in d]
    print(f"\ninvalid UTF-8: reconnects=1, reason {failed}")
    assert failed, details
    assert all(price != GOOD["price"] for price, _ in run.book("BTCUSD")[0])


async def test_far_future_execution_does_not_freeze_the_tape_window() -> None:
    async with simulator() as sim, running_feed(sim) as run:
        await wait_until(lambda: run.feed.state.tape.accepted >= 3, what="first prints")
        poisoned = {
            "channel": "execution_data",
            "payload": {
                "market": "BTCUSD",
                "price": "65000",
                "amount": "0.001",
                "executed_at": "2100-01-01T00:00:00Z",
            },
        }
        inject(sim, json.dumps(poisoned).encode())
        accepted = run.feed.state.tape.accepted
        await wait_until(lambda: run.feed.state.tape.accepted >= accepted + 10, what="10 more")
        view = run.feed.state.tape_view(10)
        window = view.window.get("BTCUSD")
        count = 0 if window is None else window.count
        head = view.entries[0].execution.executed_at if view.entries else None
        print(f"\nafter one far-future print: {count} prints in the 5-minute window; head {head}")
        assert count >= 10, "the rolling window froze"


async def test_stream_output_of_escape_laden_server_strings_is_terminal_safe() -> None:
    async with simulator() as sim:
        env = {
            **os.environ,
            "SOR_CLIENT_ID": sim.client_id,
            "SOR_CLIENT_SECRET": sim.client_secret,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "sor_tui", "stream", "--environment", "demo", "--markets", "BTCUSD"),
            *("--ws-url", sim.ws_url, "--oauth-url", sim.oauth_url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            await wait_until(lambda: bool(sim.sessions), within=20, what="connected")
            await asyncio.sleep(0.5)
            for message in (
                {"type": "error", "error": ESCAPES},
                {"channel": ESCAPES, "payload": {"market": ESCAPES}},
                {
                    "channel": "execution_data",
                    "payload": {
                        "market": "BTCUSD",
                        "price": "1",
                        "amount": "1",
                        "executed_at": now() + ESCAPES,
                    },
                },
            ):
                inject(sim, json.dumps(message).encode())
            await asyncio.sleep(0.5)  # a close drops what is still queued
            sim.close_connections(1011, ESCAPES[:60])
            await wait_until(lambda: sim.stats.handshakes[101] >= 2, within=10, what="again")
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    text = stdout.decode("utf-8") + stderr.decode("utf-8")
    unsafe = sorted({hex(ord(c)) for c in text if _terminal_unsafe(c)})
    print(f"\nstream: {len(stdout)} bytes of output, unsafe characters {unsafe}")
    assert process.returncode == 0
    errors = [line for line in stdout.splitlines() if b'"event":"error"' in line]
    assert any(b"MARKUP" in line for line in errors), errors  # the hostile code was reported
    assert unsafe == []


def _terminal_unsafe(char: str) -> bool:
    """Characters a terminal would act on: C0 (but newline), DEL, C1, bidi controls."""
    code = ord(char)
    return (
        (code < 0x20 and char != "\n")
        or 0x7F <= code <= 0x9F
        or 0x202A <= code <= 0x202E
        or 0x2066 <= code <= 0x2069
    )


async def test_escape_laden_server_strings_never_reach_the_real_terminal_raw() -> None:
    async with simulator() as sim, tui_in_a_terminal(sim) as terminal:
        await wait_until(lambda: bool(sim.stats.frames_sent["SNAPSHOT"]), within=30, what="up")
        await asyncio.sleep(1.0)
        for message in (
            {"type": "error", "error": ESCAPES},
            {"type": "error", "error": "INTERNAL_SERVER_ERROR" + ESCAPES},
            {"channel": ESCAPES, "payload": {"market": ESCAPES}},
        ):
            inject(sim, json.dumps(message).encode())
        await asyncio.sleep(0.5)
        sim.close_connections(1011, ESCAPES[:60])  # the reason reaches the status bar
        await wait_until(lambda: sim.stats.handshakes[101] >= 2, within=10, what="again")
        await asyncio.sleep(1.0)
        terminal.press(b"e")  # the error pane, where the hostile codes are listed
        await asyncio.sleep(1.0)
        terminal.press(b"q")
        code = await asyncio.wait_for(terminal.process.wait(), 10)
    raw = bytes(terminal.output)
    text = raw.decode("utf-8", "replace")
    planted = [
        marker
        for marker in (
            b"\x1b]0;PWNED",  # an OSC that would retitle the terminal
            b"\x1b[2J\x1b]",  # the planted clear-screen, as a real sequence
            b"\x1bP+q",  # a DCS request
            "\u202e".encode(),
            "\u2066".encode(),
        )
        if marker in raw
    ] + [hex(ord(c)) for c in set(text) if 0x80 <= ord(c) <= 0x9F]
    shown = text.count("PWNED")
    print(f"\nreal terminal: {len(raw)} bytes, PWNED shown {shown}x inert, planted found {planted}")
    assert code == 0
    assert b"MARKUP" in raw  # the hostile text was shown (inert)
    assert planted == []
