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
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri


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


async def measure_sansio(
    ws_url: str, token: str, markets: list[str], seconds: float
) -> tuple[int, float]:
    """The same count with the websockets Sans-I/O client: no per-message asyncio overhead."""
    uri = parse_uri(ws_url)
    reader, writer = await asyncio.open_connection(uri.host, uri.port)
    protocol = ClientProtocol(uri, max_size=None)
    request = protocol.connect()
    request.headers["Authorization"] = f"Bearer {token}"
    protocol.send_request(request)
    channels = [{"type": "market_data", "params": {"market": m}} for m in markets]
    subscribed = False
    count, start, deadline = 0, 0.0, float("inf")
    try:
        while True:
            for data in protocol.data_to_send():
                writer.write(data)
            chunk = await reader.read(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            protocol.receive_data(chunk)
            for event in protocol.events_received():
                if isinstance(event, Response):
                    if event.status_code != 101:
                        raise ConnectionError(f"handshake answered {event.status_code}")
                    message = {"type": "subscribe", "channels": channels}
                    protocol.send_text(json.dumps(message).encode())
                    subscribed = True
                elif (
                    isinstance(event, Frame)
                    and event.opcode is Opcode.TEXT
                    and b'"UPDATE"' in event.data
                ):
                    if not start:
                        start = time.perf_counter()
                        deadline = start + seconds
                        continue
                    count += 1
            if subscribed and start and time.perf_counter() >= deadline:
                return count, time.perf_counter() - start
    finally:
        writer.close()


def main() -> int:
    """Start ``sor-tui sim --firehose`` and print the measured rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--markets", nargs="+", default=["BTCUSD"])
    parser.add_argument(
        "--sansio", action="store_true", help="count with the Sans-I/O client (less client cost)"
    )
    args = parser.parse_args()
    measurer = measure_sansio if args.sansio else measure
    command = [sys.executable, "-m", "sor_tui", "sim", "--firehose", "--markets", *args.markets]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            ws_url = proc.stdout.readline().strip().partition("=")[2]
            oauth_url = proc.stdout.readline().strip().partition("=")[2]
            count, elapsed = asyncio.run(
                measurer(ws_url, _token(oauth_url), args.markets, args.seconds)
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{count} UPDATE frames in {elapsed:.2f} s = {count / elapsed:,.0f} frames/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
