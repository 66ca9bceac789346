"""Configuration of the local SOR simulator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SOR_SCOPE = "exchange:read_aggregated_marketdata_stream"
"""The scope the WebSocket route requires (protocol §1)."""

DEFAULT_MARKETS: tuple[str, ...] = (
    "BTCUSD",
    "ETHUSD",
    "BCHUSD",
    "LTCUSD",
    "PAXGUSD",
    "LINKUSD",
    "AAVEUSD",
    "UNIUSD",
    "SOLUSD",
)


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """One OAuth client known to the token endpoint."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = (SOR_SCOPE,)
    allow_listed: bool = True

    def __repr__(self) -> str:
        return f"ClientSpec(client_id={self.client_id!r}, scopes={self.scopes!r})"


@dataclass(slots=True)
class SimConfig:
    """Everything the simulator needs; defaults follow protocol §14 "Simulator default"."""

    host: str = "127.0.0.1"
    ws_port: int = 0
    oauth_port: int = 0
    seed: int = 1
    markets: tuple[str, ...] = DEFAULT_MARKETS
    rate: float = 10.0
    """UPDATE events per second per market (ignored when ``firehose`` is set)."""
    firehose: bool = False
    """Generate as fast as the subscribed clients can take it (benchmarks)."""
    fast_steps: bool = False
    """At ``rate``, use the firehose's cheap steps (15 in 16 are one amount change near the
    top; trades, sweeps and requotes in the rest): ~6x less simulator CPU per UPDATE, so a
    load benchmark at tens of thousands of UPDATEs/s is not limited by the simulator."""
    scenarios: Mapping[str, Mapping[str, Any]] | Sequence[str] = field(default_factory=dict)
    """Scenarios enabled at start: name -> parameters, or names (``"name:k=v,..."``)."""
    client_id: str = "demo-client"
    client_secret: str = field(default="demo-secret", repr=False)
    extra_clients: tuple[ClientSpec, ...] = ()
    token_ttl: int = 3600
    heartbeat_interval: float = 5.0
    snapshot_delay: float = 0.2
    """Seconds (of the simulator clock) between a subscribe and the SNAPSHOT capture."""
    snapshot_lag_updates: int = 2
    """UPDATEs sent after the SNAPSHOT capture and before it is delivered (times > T)."""
    ping_interval: float | None = 30.0
    ping_timeout: float | None = 30.0
    clock: Literal["wall", "fixed"] = "wall"
    """``fixed``: a simulated clock from a fixed epoch, advanced per event (deterministic)."""
    fixed_epoch_ns: int = 1_772_460_307_000_000_000  # 2026-03-02T14:05:07Z
    depth: int = 300
    """Target number of levels per side."""
    token_rate_limit: int = 300
    """Token requests allowed per IP within ``token_rate_window`` (§2.4: 1/s over 5 min)."""
    token_rate_window: float = 300.0
    token_penalty: float = 300.0
    """Seconds every request from an IP gets 429 after it exceeded the limit."""
    max_queue_bytes: int = 64 * 1024 * 1024
    """Outbound bytes per connection beyond which it is closed with 1008 (always on)."""
    close_timeout: float = 2.0
    max_recorded_executions: int = 1_000_000
    """How many sent executions ``Simulator.sent_executions`` keeps (oldest dropped)."""
