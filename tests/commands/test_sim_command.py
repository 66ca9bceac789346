"""``sor-tui sim`` prints the two machine-readable lines, serves, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx
from websockets.asyncio.client import connect

from sor_tui.sim.config import SOR_SCOPE


async def test_cli_prints_urls_serves_and_stops() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sor_tui",
        "sim",
        "--seed",
        "3",
        "--rate",
        "20",
        "--markets",
        "BTCUSD",
        "ETHUSD",
        "--scenario",
        "mixed_decimals",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(20):
            ws_line = (await proc.stdout.readline()).decode().strip()
            oauth_line = (await proc.stdout.readline()).decode().strip()
        assert ws_line.startswith("SOR_WS_URL=ws://127.0.0.1:") and ws_line.endswith("/")
        assert oauth_line.startswith("SOR_OAUTH_URL=http://127.0.0.1:")
        assert oauth_line.endswith("/oauth2/token")
        ws_url, oauth_url = ws_line.partition("=")[2], oauth_line.partition("=")[2]
        async with httpx.AsyncClient(timeout=5, verify=False, trust_env=False) as http:
            answer = await http.post(
                oauth_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": "demo-client",
                    "client_secret": "demo-secret",
                    "scope": SOR_SCOPE,
                },
            )
        token = answer.json()["access_token"]
        async with connect(
            ws_url,
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=5,
            max_size=None,
        ) as ws:
            await ws.send(
                '{"type":"subscribe","channels":[{"type":"market_data","params":{"market":"ETHUSD"}}]}'
            )
            async with asyncio.timeout(10):
                while '"SNAPSHOT"' not in str(await ws.recv()):
                    pass
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            assert await proc.wait() == 0
        assert proc.stderr is not None
        log = (await proc.stderr.read()).decode()
        assert "demo-secret" not in log
        assert token not in log
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_cli_rejects_unknown_scenario() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sor_tui",
        "sim",
        "--scenario",
        "nope",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(20):
        _, err = await proc.communicate()
    assert proc.returncode == 2
    assert b"unknown scenario" in err
