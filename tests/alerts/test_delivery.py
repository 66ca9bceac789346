"""Delivery: OSC 9 / OSC 777 bytes (plain and through tmux), bell and notifications in a
real terminal, and the webhook against a local HTTP server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from sor_tui.transport.webhook import WebhookSender
from sor_tui.ui.desktop_notify import notification_bytes, osc9, osc777, tmux_passthrough
from tests.reliability.harness import tui_in_a_terminal
from tests.transport.feed_harness import simulator
from tests.waiting import wait_until

ESC, BEL = "\x1b", "\x07"


def test_osc_9_and_777_bytes() -> None:
    assert osc9("BTCUSD spread wide") == f"{ESC}]9;BTCUSD spread wide{BEL}"
    assert osc777("Alert", "spread 12 bps") == f"{ESC}]777;notify;Alert;spread 12 bps{BEL}"
    assert notification_bytes("T", "b", tmux=False) == f"{ESC}]9;T: b{BEL}{ESC}]777;notify;T;b{BEL}"


def test_tmux_passthrough_doubles_every_escape() -> None:
    wrapped = tmux_passthrough(osc9("x"))
    assert wrapped == f"{ESC}Ptmux;{ESC}{ESC}]9;x{BEL}{ESC}\\"
    both = notification_bytes("T", "b", tmux=True)
    assert both == (
        f"{ESC}Ptmux;{ESC}{ESC}]9;T: b{BEL}{ESC}\\{ESC}Ptmux;{ESC}{ESC}]777;notify;T;b{BEL}{ESC}\\"
    )


def test_hostile_alert_text_cannot_end_or_inject_a_sequence() -> None:
    hostile = f"evil{BEL}{ESC}]0;title{BEL}{ESC}[2J;more\u202e"
    data = notification_bytes(hostile, hostile, tmux=False)
    assert data.count(BEL) == 2 and data.count(ESC) == 2  # only the two sequences' own
    assert "]0;" not in data and "\u202e" not in data
    title_field = data.split(f"{ESC}]777;notify;")[1].split(";")[0]
    assert title_field == "evil,more"  # a ';' in the title cannot split the fields


@pytest.mark.timeout(60)
@pytest.mark.parametrize("in_tmux", [False, True])
async def test_a_fired_alert_rings_and_notifies_in_a_real_terminal(in_tmux: bool) -> None:
    rule = {"kind": "spread_wide", "market": "BTCUSD", "bps": "0.0001", "id": "wide"}
    env = {"SOR_ALERTS": json.dumps({"rules": [rule], "health": False})}
    if in_tmux:
        env["TMUX"] = "/tmp/tmux-test/default,1,0"
    async with simulator() as sim, tui_in_a_terminal(sim, **env) as terminal:
        marker = b"\x1bPtmux;\x1b\x1b]9;" if in_tmux else b"\x1b]9;"
        await wait_until(lambda: marker in terminal.output, within=30, what="OSC 9")
        await asyncio.sleep(0.3)
        terminal.drain()
        terminal.press(b"q")
        await asyncio.wait_for(terminal.process.wait(), 10)
    output = bytes(terminal.output)
    start = output.index(marker)
    nine = output[start : output.index(b"\x07", start) + 1]
    assert b"BTCUSD spread wider than 0.0001 bps: spread" in nine
    assert b"\x1b]777;notify;BTCUSD spread wider than 0.0001 bps;spread " in output
    if in_tmux:
        assert b"\x1bPtmux;\x1b\x1b]777;notify;" in output
        assert b"\x1b]9;" not in output.replace(b"\x1b\x1b]9;", b"")  # only ever wrapped
    # The bell: a BEL that ends no OSC sequence (the app writes no other lone BEL).
    osc_bels = output.count(b"\x1b]9;") + output.count(b"\x1b]777;")
    osc_bels += output.count(b"\x1b]52;")  # clipboard sequences, if any
    assert output.count(b"\x07") > osc_bels


class _Hook(BaseHTTPRequestHandler):
    """Records JSON bodies; answers 500 to the first ``fail`` requests."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        server = self.server
        state: dict[str, Any] = server.state  # type: ignore[attr-defined]
        state["calls"] += 1
        if state["calls"] <= state["fail"]:
            self.send_response(500)
            self.end_headers()
            return
        state["bodies"].append(body)
        state["headers"].append(dict(self.headers))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def hook_server() -> Iterator[tuple[str, dict[str, Any]]]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    server.state = {"calls": 0, "fail": 0, "bodies": [], "headers": []}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", server.state  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _until(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_webhook_posts_json_and_retries(hook_server: tuple[str, dict[str, Any]]) -> None:
    url, state = hook_server
    state["fail"] = 2
    failures: list[str] = []
    sender = WebhookSender(
        url, timeout=2.0, retries=2, retry_delay=0.01, on_failure=failures.append
    )
    event = {"event": "alert", "state": "fired", "rule": "wide", "market": "BTCUSD"}
    sender.send(event)
    _until(lambda: state["bodies"])
    assert state["bodies"] == [event] and state["calls"] == 3 and failures == []
    headers = {k.lower(): v for k, v in state["headers"][0].items()}
    assert headers["content-type"] == "application/json"
    assert "authorization" not in headers  # nothing of the credentials goes out
    sender.close(wait=2.0)


def test_a_failing_webhook_is_reported_and_never_blocks(
    hook_server: tuple[str, dict[str, Any]],
) -> None:
    url, state = hook_server
    state["fail"] = 100
    failures: list[str] = []
    sender = WebhookSender(
        url, timeout=2.0, retries=1, retry_delay=0.01, on_failure=failures.append
    )
    started = time.monotonic()
    for index in range(3):
        sender.send({"event": "alert", "n": index})
    assert time.monotonic() - started < 0.1  # send only queues
    _until(lambda: len(failures) == 3)
    assert failures[0] == "alert webhook failed after 2 attempts: HTTP 500"
    assert state["calls"] == 6 and sender.failed == 3
    sender.close(wait=2.0)


def test_an_unreachable_webhook_fails_within_its_timeout() -> None:
    failures: list[str] = []
    # A port nothing listens on: the connection is refused at once.
    sender = WebhookSender(
        "http://127.0.0.1:9/hook", timeout=1.0, retries=0, on_failure=failures.append
    )
    sender.send({"event": "alert"})
    _until(lambda: failures, within=5.0)
    assert failures[0].startswith("alert webhook failed after 1 attempts: ConnectError")
