"""The simulator in its own process (``python -m sor_tui sim``), as the benchmarks use it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"  # the simulator's documented demo credentials, not a secret
SCOPE = "exchange:read_aggregated_marketdata_stream"


@dataclass(frozen=True, slots=True)
class SimProcess:
    """A running simulator: its process id and loopback URLs."""

    pid: int
    ws_url: str
    oauth_url: str


@contextmanager
def simulator(
    markets: list[str],
    *,
    firehose: bool = False,
    rate: float | None = None,
    fast_steps: bool = False,
    depth_seed: int = 1,
) -> Iterator[SimProcess]:
    """Start ``sor-tui sim`` on ephemeral loopback ports; stop it on exit."""
    command = [sys.executable, "-m", "sor_tui", "sim", "--seed", str(depth_seed)]
    command += ["--markets", *markets, "--heartbeat-interval", "1"]
    if firehose:
        command.append("--firehose")
    if rate is not None:
        command += ["--rate", str(rate)]
    if fast_steps:
        command.append("--fast-steps")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        urls = {}
        for _ in range(2):
            line = proc.stdout.readline().strip()
            name, _, value = line.partition("=")
            urls[name] = value
        if not urls.get("SOR_WS_URL") or not urls.get("SOR_OAUTH_URL"):
            raise RuntimeError(f"simulator did not start (got {urls})")
        yield SimProcess(proc.pid, urls["SOR_WS_URL"], urls["SOR_OAUTH_URL"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def fetch_token(oauth_url: str) -> str:
    """A token from the simulator's endpoint (for the plain websockets baseline client)."""
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
        }
    ).encode()
    with urllib.request.urlopen(oauth_url, data=body, timeout=5) as response:
        token: str = json.load(response)["access_token"]
    return token
