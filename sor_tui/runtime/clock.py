"""Injectable clocks so that ages and countdowns are deterministic in snapshot tests."""

from __future__ import annotations

import time
from dataclasses import dataclass


class Clock:
    """The real clocks: wall time in ns and the monotonic clock in seconds."""

    def wall_ns(self) -> int:
        """Nanoseconds since the Unix epoch."""
        return time.time_ns()

    def monotonic(self) -> float:
        """Seconds on the monotonic clock (comparable with feed retry times)."""
        return time.monotonic()


@dataclass
class FrozenClock(Clock):
    """A clock that only moves when told to (tests and screenshots)."""

    wall: int = 1_772_460_307_000_000_000  # 2026-03-02T14:05:07Z
    mono: float = 1000.0

    def wall_ns(self) -> int:
        """The frozen wall time."""
        return self.wall

    def monotonic(self) -> float:
        """The frozen monotonic time."""
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.wall += int(seconds * 1_000_000_000)
        self.mono += seconds
