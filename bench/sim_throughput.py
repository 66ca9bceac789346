"""Measure the simulator's firehose: UPDATE frames per second to one plain websockets client.

Run: ``python -m bench.sim_throughput [--seconds 5] [--markets BTCUSD] [--raw|--sansio]``;
``--raw`` counts with no WebSocket client at all, so the figure is the simulator's own limit,
printed with its CPU per frame.  The simulator runs
in a subprocess (``sor-tui sim --firehose``) so that server and client use separate cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
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


async def measure_raw(
    ws_url: str, token: str, markets: list[str], seconds: float
) -> tuple[int, float]:
    """The same count with no WebSocket library on the client: what the server can offer.

    The handshake is written by hand; frames are counted by their ``"UPDATE"`` marker in
    the raw bytes (the simulator's UPDATE frames hold it exactly once).
    """
    uri = parse_uri(ws_url)
    reader, writer = await asyncio.open_connection(uri.host, uri.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {uri.resource_name} HTTP/1.1\r\nHost: {uri.host}:{uri.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    response = await reader.readuntil(b"\r\n\r\n")
    if not response.startswith(b"HTTP/1.1 101"):
        raise ConnectionError("handshake refused")
    channels = [{"type": "market_data", "params": {"market": m}} for m in markets]
    body = json.dumps({"type": "subscribe", "channels": channels}).encode()
    # A client frame must be masked; the all-zero mask leaves the payload as it is.
    size = bytes((0x80 | len(body),)) if len(body) < 126 else b"\xfe" + len(body).to_bytes(2, "big")
    writer.write(b"\x81" + size + b"\x00\x00\x00\x00" + body)
    try:
        while b'"UPDATE"' not in await reader.read(1 << 20):
            pass
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            count += (await reader.read(1 << 20)).count(b'"UPDATE"')
        return count, time.perf_counter() - start
    finally:
        writer.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    """Start ``sor-tui sim --firehose`` and print the measured rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--markets", nargs="+", default=["BTCUSD"])
    parser.add_argument(
        "--sansio", action="store_true", help="count with the Sans-I/O client (less client cost)"
    )
    parser.add_argument(
        "--raw", action="store_true", help="count raw bytes, no WebSocket client (server's limit)"
    )
    args = parser.parse_args()
    measurer = measure_raw if args.raw else measure_sansio if args.sansio else measure
    command = [sys.executable, "-m", "sor_tui", "sim", "--firehose", "--markets", *args.markets]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            ws_url = proc.stdout.readline().strip().partition("=")[2]
            oauth_url = proc.stdout.readline().strip().partition("=")[2]
            token = _token(oauth_url)
            cpu_before = _cpu_seconds(proc.pid)
            count, elapsed = asyncio.run(measurer(ws_url, token, args.markets, args.seconds))
            # Includes the subscribe and first frame: a slight overestimate per frame.
            sim_cpu = _cpu_seconds(proc.pid) - cpu_before
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{count} UPDATE frames in {elapsed:.2f} s = {count / elapsed:,.0f} frames/s")
    if sim_cpu and count:
        print(
            f"simulator: {sim_cpu / elapsed:.0%} of a core, {sim_cpu / count * 1e6:.2f} us CPU"
            f" per frame = {count / sim_cpu:,.0f} frames/s per core"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
