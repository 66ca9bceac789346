"""A client written from the vendor's documentation (Node.js ``ws``) works against the simulator."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.sim.conftest import SimFactory, get_token

CLIENT = Path(__file__).parent / "vendor" / "client.js"


async def run(*command: str, cwd: Path, within: float) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        },
    )
    try:
        async with asyncio.timeout(within):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.slow
@pytest.mark.timeout(200)
async def test_vendor_guide_client_against_the_simulator(
    make_sim: SimFactory, tmp_path: Path
) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the vendor-style client")
    try:
        code, _, err = await run(
            npm, "install", "--no-save", "--silent", "ws@8", cwd=tmp_path, within=150
        )
    except TimeoutError:
        pytest.skip("npm install ws did not finish in time (registry unreachable?)")
    if code != 0:
        pytest.skip(f"npm install ws failed: {err.strip()[:200]}")
    shutil.copy(CLIENT, tmp_path / "client.js")
    sim = await make_sim(rate=40.0, snapshot_delay=0.2)
    token = await get_token(sim)
    code, out, err = await run(node, "client.js", sim.ws_url, token, "2.5", cwd=tmp_path, within=30)
    assert code == 0, err
    assert "Connected to Smart Order Routing WebSocket" in out
    assert out.count("Subscribed to market_data") == 2
    assert out.count("Subscribed to execution_data") == 2
    assert "Failed to subscribe" not in out + err
    assert "Order book initialized for BTCUSD" in out
    assert "Order book initialized for ETHUSD" in out
    assert "Execution: " in out
    updates = int(re.search(r"UPDATEs applied: (\d+)", out).group(1))  # type: ignore[union-attr]
    assert updates > 10
    assert "Connection closed" not in out
    books = dict(re.findall(r"Book (\w+): (\d+) bids", out))
    assert int(books["BTCUSD"]) > 100
