"""Feed counters that survive reconnects: messages, rolling rate, lag."""

from __future__ import annotations

from collections.abc import Callable

from sor_tui.core.state import MAX_MARKETS
from sor_tui.transport.status import FeedCounters


class Metrics:
    """Feed counters that survive reconnects; ``snapshot()`` freezes them for consumers."""

    _BUCKETS = 10  # a rolling second in tenths, cheap enough to update per frame

    def __init__(self, clock: Callable[[], float]) -> None:
        self.messages = 0
        self.reconnects = 0
        self.requests_unsent = 0  # requests that could not be encoded (shown, never sent)
        self.lag_ns: dict[str, int] = {}
        self._clock = clock
        self._buckets = [0] * self._BUCKETS
        self._bucket_tick = 0

    def _advance(self, now: float) -> int:
        tick = int(now * self._BUCKETS)
        gap = tick - self._bucket_tick
        if gap > 0:
            for step in range(1, min(gap, self._BUCKETS) + 1):
                self._buckets[(self._bucket_tick + step) % self._BUCKETS] = 0
            self._bucket_tick = tick
        return tick % self._BUCKETS

    def frame(self, count: int = 1) -> None:
        """Count received frames (the reader counts a whole batch at once)."""
        self.messages += count
        self._buckets[self._advance(self._clock())] += count
        # Keyed by market names a server chooses: never let them pile up. Cleared rather
        # than trimmed (cheap, and the markets in use fill it again within a message).
        if len(self.lag_ns) > MAX_MARKETS:
            self.lag_ns.clear()

    def per_second(self) -> int:
        """Frames received over the last rolling second."""
        self._advance(self._clock())
        return sum(self._buckets)

    def snapshot(self, rejects_by_reason: dict[str, int]) -> FeedCounters:
        """A frozen copy of the counters, with the desk state's count of rejected frames."""
        return FeedCounters(
            messages=self.messages,
            messages_per_second=self.per_second(),
            reconnects=self.reconnects,
            frames_dropped=sum(rejects_by_reason.values()),
            requests_unsent=self.requests_unsent,
            rejects_by_reason=rejects_by_reason,
            lag_ns=dict(self.lag_ns),
        )
