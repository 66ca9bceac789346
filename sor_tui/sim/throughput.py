"""Measure the simulator's firehose: UPDATE frames per second to one plain websockets client.

Run: ``python -m sor_tui.sim.throughput [--seconds 5] [--markets BTCUSD]``.  The simulator runs
in a subprocess (``sor-tui sim --firehose``) so that server and client use separate cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from websockets.asyncio.client import connect


def _token(oauth_url: str) -> str:
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "scope": "exchange:read_aggregated_marketdata_stream",
        }
    ).encode()
    with urllib.request.urlopen(oauth_url, data=body, timeout=5) as response:
        token: str = json.load(response)["access_token"]
    return token


async def measure(ws_url: str, token: str, markets: list[str], seconds: float) -> tuple[int, float]:
    """Subscribe to market_data and count UPDATE frames for ``seconds`` after the first one."""
    async with connect(
        ws_url,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
        max_queue=4096,
    ) as ws:
        channels = [{"type": "market_data", "params": {"market": m}} for m in markets]
        await ws.send(json.dumps({"type": "subscribe", "channels": channels}))
        while '"UPDATE"' not in str(await ws.recv()):
            pass
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while True:
            message = await ws.recv()
            if '"UPDATE"' in message:  # type: ignore[operator]
                count += 1
                if count % 1000 == 0 and time.perf_counter() >= deadline:
                    break
        return count, time.perf_counter() - start


def main() -> int:
    """Start ``sor-tui sim --firehose`` and print the measured rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--markets", nargs="+", default=["BTCUSD"])
    args = parser.parse_args()
    command = [sys.executable, "-m", "sor_tui", "sim", "--firehose", "--markets", *args.markets]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            ws_url = proc.stdout.readline().strip().partition("=")[2]
            oauth_url = proc.stdout.readline().strip().partition("=")[2]
            count, elapsed = asyncio.run(
                measure(ws_url, _token(oauth_url), args.markets, args.seconds)
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{count} UPDATE frames in {elapsed:.2f} s = {count / elapsed:,.0f} frames/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
