"""``sor-tui stream`` run as a user would: a subprocess against a running simulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sor_tui.core.numbers import canonical_text
from sor_tui.sim.server import Simulator
from tests.transport.feed_harness import simulator
from tests.waiting import wait_until

PYTHON = sys.executable


@dataclass
class Proc:
    """A running ``sor-tui stream`` with its parsed stdout lines."""

    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def of(self, event: str) -> list[dict[str, Any]]:
        """Output lines of one event kind."""
        return [line for line in self.lines if line["event"] == event]


def _env(sim: Simulator, secret: str | None, client_id: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["SOR_CLIENT_ID"] = client_id or sim.client_id
    if secret is not None:
        env["SOR_CLIENT_SECRET"] = secret
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


@asynccontextmanager
async def stream(
    sim: Simulator, *extra: str, secret: str | None = "", client_id: str | None = None
) -> AsyncIterator[Proc]:
    """Start the stream command against ``sim``; kill it if the test leaves it running."""
    args = [
        "-m",
        "sor_tui",
        "stream",
        "--environment",
        "demo",
        "--ws-url",
        sim.ws_url,
        "--oauth-url",
        sim.oauth_url,
        *extra,
    ]
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(sim, sim.client_secret if secret == "" else secret, client_id),
    )
    proc = Proc(process)

    async def read() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            proc.lines.append(json.loads(raw))  # every line must be one JSON object

    proc.reader = asyncio.create_task(read())
    try:
        yield proc
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await proc.reader


async def finish(proc: Proc, within: float = 10.0) -> tuple[int, str]:
    """Wait for the process to exit; returns its exit code and stderr."""
    async with asyncio.timeout(within):
        code = await proc.process.wait()
        assert proc.process.stderr is not None
        stderr = (await proc.process.stderr.read()).decode()
        assert proc.reader is not None
        await proc.reader
    return code, stderr


def _key(item: dict[str, str]) -> tuple[str, str, str, str]:
    return (
        item["market"],
        item["executed_at"],
        canonical_text(Decimal(item["price"])),
        canonical_text(Decimal(item["amount"])),
    )


async def test_stream_books_and_executions_match_the_server_and_sigint_exits_0() -> None:
    async with (
        simulator(rate=30.0) as sim,
        stream(sim, "--markets", "BTCUSD,ETHUSD", "--depth", "500") as proc,
    ):
        await wait_until(lambda: len(proc.of("execution")) >= 3, within=15)
        await wait_until(
            lambda: (
                {b["market"] for b in proc.of("book") if b["status"] == "LIVE"}
                == {"BTCUSD", "ETHUSD"}
            )
        )
        sim.pause()
        await asyncio.sleep(0.5)  # let the last coalesced book lines out
        proc.process.send_signal(signal.SIGINT)
        code, stderr = await finish(proc)
        assert code == 0, stderr
        assert "Traceback" not in stderr
        expected = sorted(_key(e) for e in sim.sent_executions())
        printed = sorted(_key(e) for e in proc.of("execution"))
        assert printed == expected  # every execution, exactly once
        for market in ("BTCUSD", "ETHUSD"):
            last = [b for b in proc.of("book") if b["market"] == market][-1]
            bids, asks = sim.server_book(market)
            assert [tuple(level) for level in last["bids"]] == bids
            assert [tuple(level) for level in last["asks"]] == asks
            assert last["status"] == "STALE"  # the final state: stopped, last known levels
        subscriptions = proc.of("subscription")
        assert all(s["success"] for s in subscriptions)
        assert {(s["channel"], s["market"]) for s in subscriptions} >= {
            ("market_data", "BTCUSD"),
            ("execution_data", "ETHUSD"),
        }
        assert [s["state"] for s in proc.of("status")][-1] == "STOPPED"


async def test_books_are_coalesced_to_the_render_rate_and_sigterm_exits_0() -> None:
    async with simulator(rate=200.0) as sim:
        async with stream(sim, "--markets", "BTCUSD") as proc:
            await wait_until(lambda: len(proc.of("book")) >= 2, within=15)
            await asyncio.sleep(1.0)
            proc.process.send_signal(signal.SIGTERM)
            code, stderr = await finish(proc)
        assert code == 0, stderr
        books = proc.of("book")
        assert books and books[-1]["market"] == "BTCUSD"
        updates = sim.stats.frames_sent["UPDATE"]
        # 20 lines/s at the default render rate (+ status-triggered flushes), far below 200/s.
        assert len(books) <= 1.5 * 20 + 10 < updates


async def test_duration_ends_with_exit_0_and_a_depth_limit() -> None:
    async with simulator() as sim:
        async with stream(sim, "--markets", "ETHUSD", "--depth", "3", "--duration", "1") as proc:
            code, stderr = await finish(proc)
        assert code == 0, stderr
        live = [b for b in proc.of("book") if b["status"] == "LIVE"]
        assert live and all(len(b["bids"]) <= 3 and len(b["asks"]) <= 3 for b in live)
        best_bid = Decimal(live[-1]["bids"][0][0])
        assert all(Decimal(price) <= best_bid for price, _ in live[-1]["bids"])


async def test_bad_credentials_exit_nonzero_with_one_clear_line() -> None:
    async with simulator() as sim:
        async with stream(sim, "--duration", "10", secret="not-the-secret") as proc:
            code, stderr = await finish(proc)
        assert code == 3
        lines = [line for line in stderr.splitlines() if line.startswith("sor-tui stream:")]
        assert len(lines) == 1 and "invalid_client" in lines[0]
        assert "Traceback" not in stderr
        assert "not-the-secret" not in stderr


async def test_forbidden_exits_nonzero_with_one_clear_line() -> None:
    async with simulator() as sim:
        sim.add_client("blocked", "blocked-secret", allow_listed=False)
        async with stream(sim, client_id="blocked", secret="blocked-secret") as proc:
            code, stderr = await finish(proc)
        assert code == 3
        lines = [line for line in stderr.splitlines() if line.startswith("sor-tui stream:")]
        assert len(lines) == 1 and "403" in lines[0] and "forbidden" in lines[0]
        assert "Traceback" not in stderr
        assert [s["state"] for s in proc.of("status")][-1] == "FORBIDDEN"


async def test_missing_credentials_exit_2() -> None:
    async with simulator() as sim:
        async with stream(sim, secret=None) as proc:
            code, stderr = await finish(proc)
        assert code == 2
        assert "SOR_CLIENT_SECRET" in stderr and "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1
        assert proc.lines == []


async def test_configuration_error_exit_2() -> None:
    async with simulator() as sim:
        async with stream(sim, "--channels", "order_book") as proc:
            code, stderr = await finish(proc)
        assert code == 2
        assert "order_book" in stderr and "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1


async def test_sim_flag_streams_the_builtin_simulator() -> None:
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "sor_tui",
        "stream",
        "--sim",
        "--markets",
        "BTCUSD",
        "--duration",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
    )
    async with asyncio.timeout(15):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert any(line["event"] == "book" and line["status"] == "LIVE" for line in lines)


async def test_closed_stdout_ends_quietly_like_a_unix_filter() -> None:
    async with simulator() as sim:
        process = await asyncio.create_subprocess_exec(
            PYTHON,
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
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_env(sim, sim.client_secret),
        )
        assert process.stdout is not None and process.stderr is not None
        async with asyncio.timeout(15):
            for _ in range(3):
                json.loads(await process.stdout.readline())
            # `sor-tui stream | head -3`: the reader goes away.
            transport = process._transport  # type: ignore[attr-defined]
            transport.get_pipe_transport(1).close()
            code = await process.wait()
            stderr = (await process.stderr.read()).decode()
        assert code == 0, stderr
        assert "Traceback" not in stderr and "BrokenPipe" not in stderr
