"""Reconnect policy: exponential backoff with full jitter, as a small async iterator.

``async for attempt in policy`` yields attempt numbers and sleeps the scheduled delay
between them; ``policy.failed()`` schedules the next delay (never below the floor, so even
a storm of accept-then-close connections is paced), ``policy.healthy()`` resets the
exponent, and ``policy.stop()`` ends the iteration at once, also in the middle of a sleep.
Cancellation of the iterating task is always re-raised, never swallowed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

# Retry-After values above this are treated as hostile or broken (protocol §10.4 caps at minutes).
MAX_RETRY_AFTER = 600.0


class Backoff:
    """Delay calculator: full jitter between the floor and an exponentially growing ceiling."""

    def __init__(
        self, floor: float, cap: float, *, rng: random.Random | None = None, factor: float = 2.0
    ) -> None:
        if floor <= 0 or cap < floor:
            raise ValueError("backoff needs 0 < floor <= cap")
        self.floor = floor
        self.cap = cap
        self.factor = factor
        self.failures = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        # min() before the power would overflow for long outages; clamp the exponent instead.
        exponent = min(self.failures, 64)
        return min(self.cap, self.floor * self.factor**exponent)

    def next_delay(self, retry_after: float | None = None) -> float:
        """Count a failure and return the delay before the next attempt."""
        delay = self._rng.uniform(self.floor, max(self.floor, self.ceiling()))
        self.failures += 1
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay

    def reset(self) -> None:
        """Start again from the floor (after a connection stayed healthy)."""
        self.failures = 0


class ReconnectPolicy:
    """Async iterator over connection attempts, sleeping the backoff delay between them."""

    def __init__(self, backoff: Backoff, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = backoff
        self.attempt = 0  # attempts since the last healthy connection
        self.total_attempts = 0
        self.retry_at: float | None = None
        self._clock = clock
        self._stopped = False
        self._wakeup: asyncio.Event | None = None

    def __aiter__(self) -> ReconnectPolicy:
        return self

    async def __anext__(self) -> int:
        if self._stopped:
            raise StopAsyncIteration
        if self.retry_at is not None:
            delay = self.retry_at - self._clock()
            if delay > 0:
                self._wakeup = asyncio.Event()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), delay)
                except TimeoutError:
                    pass
                finally:
                    self._wakeup = None
            if self._stopped:
                raise StopAsyncIteration
        self.retry_at = None
        self.attempt += 1
        self.total_attempts += 1
        return self.attempt

    def failed(self, retry_after: float | None = None, *, immediate: bool = False) -> float:
        """Schedule the next attempt after a failure; returns the delay in seconds."""
        delay = 0.0 if immediate else self.backoff.next_delay(retry_after)
        self.retry_at = self._clock() + delay
        return delay

    def healthy(self) -> None:
        """Reset the backoff: the last connection proved itself."""
        self.backoff.reset()
        self.attempt = 0

    def stop(self) -> None:
        """End the iteration now, waking a sleeping ``__anext__``."""
        self._stopped = True
        if self._wakeup is not None:
            self._wakeup.set()

    @property
    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stopped
