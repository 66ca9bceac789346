"""The simulator's counters, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class SimStats:
    """Counters for tests and benchmarks."""

    token_requests: int = 0
    token_responses: Counter[int] = field(default_factory=Counter)
    handshakes: Counter[int] = field(default_factory=Counter)
    """Handshake answers by HTTP status (101 = accepted)."""
    connections_opened: int = 0
    frames_sent: Counter[str] = field(default_factory=Counter)
    """Frames queued, by kind: UPDATE, SNAPSHOT, TOP_OF_BOOK, execution, heartbeat, ..."""
    active_subscriptions: int = 0
