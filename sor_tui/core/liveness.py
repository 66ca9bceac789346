"""Application liveness and the server's clock: the heartbeat watchdog and clock offset.

Both learn from what the server actually does, because the protocol documents neither
the heartbeat interval nor how far the server's clock may be from ours (§14 #5). Pure:
callers pass the times in.
"""

from __future__ import annotations

from collections import deque

HEARTBEAT_SAMPLES = 8
CLOCK_SAMPLES = 32
MAX_CLOCK_OFFSET_NS = 24 * 3600 * 10**9
"""An offset beyond a day is not a skewed clock but a bad timestamp: it is not learnt."""


class HeartbeatWatch:
    """When to give up on a silent heartbeat channel, learnt from the observed interval.

    The watch does not run before the first beat (until then liveness is the WebSocket
    ping). Between the first and the second beat the interval is unknown, so the wait is
    the larger of ``timeout`` and ``first_gap``; from then on it is the larger of
    ``timeout`` and three observed intervals (§10.2). ``learned`` carries an interval over
    from an earlier connection, so a slow server is never timed out twice for the same gap.
    """

    def __init__(self, timeout: float, first_gap: float, learned: float | None = None) -> None:
        self._timeout = timeout
        self._first_gap = first_gap
        self._learned = learned
        self._last: float | None = None
        self._intervals: deque[float] = deque(maxlen=HEARTBEAT_SAMPLES)
        self.beats = 0

    def beat(self, now: float) -> None:
        """Any frame arrived on the heartbeat channel."""
        if self._last is not None:
            self._intervals.append(now - self._last)
        self._last = now
        self.beats += 1

    def subscribed(self, now: float) -> None:
        """The heartbeat channel was acknowledged.

        With an interval learnt on an earlier connection the server is known to beat, so
        silence is timed from the ack: a reconnect that never beats again is still caught.
        """
        if self._last is None and self._learned is not None:
            self._last = now

    def stop(self) -> None:
        """The heartbeat channel is gone (refused or unsubscribed): stop watching."""
        self._last = None

    @property
    def interval(self) -> float | None:
        """The longest recent interval between beats (or the learnt one), if known."""
        observed = max(self._intervals, default=None)
        if observed is None:
            return self._learned
        return observed if self._learned is None else max(observed, self._learned)

    def timeout(self) -> float:
        """Seconds of silence after the last beat that end the connection."""
        interval = self.interval
        if interval is None:
            return max(self._timeout, self._first_gap)
        return max(self._timeout, 3.0 * interval)

    def expired(self, now: float) -> bool:
        """True when the heartbeat has been silent for longer than ``timeout()``.

        A first gap that times out is learnt as the least interval, so that the next
        connection (given ``interval`` as ``learned``) waits three times as long.
        """
        if self._last is None or now - self._last <= self.timeout():
            return False
        if self.interval is None:
            self._learned = now - self._last
        return True

    def silence(self, now: float) -> float:
        """Seconds since the last beat (0 before the first)."""
        return 0.0 if self._last is None else now - self._last


class ServerClock:
    """The offset of the server's clock from ours: server time minus local time, in ns.

    A sample is a server timestamp minus the local receive time; it is below the true
    offset by the transit delay, so the estimate is the largest recent sample. Heartbeat
    samples are preferred (their time is the server's "now"); SNAPSHOT times are used
    until a heartbeat arrives. Samples beyond a day are counted and ignored.
    """

    def __init__(self) -> None:
        self._heartbeats: deque[int] = deque(maxlen=CLOCK_SAMPLES)
        self._snapshots: deque[int] = deque(maxlen=CLOCK_SAMPLES)
        self.implausible = 0
        # Recomputed on each sample, so that another thread reads one plain value.
        self._offset: int | None = None
        self._source: str | None = None

    def _add(self, samples: deque[int], server_ns: int, local_ns: int) -> None:
        offset = server_ns - local_ns
        if abs(offset) > MAX_CLOCK_OFFSET_NS:
            self.implausible += 1
            return
        samples.append(offset)
        chosen = self._heartbeats or self._snapshots
        self._source = "heartbeat" if self._heartbeats else "snapshot"
        self._offset = max(chosen)

    def heartbeat(self, server_ns: int, local_ns: int) -> None:
        """A heartbeat stamped ``server_ns`` arrived at ``local_ns``."""
        self._add(self._heartbeats, server_ns, local_ns)

    def snapshot(self, server_ns: int, local_ns: int) -> None:
        """A SNAPSHOT stamped ``server_ns`` arrived at ``local_ns``."""
        self._add(self._snapshots, server_ns, local_ns)

    @property
    def offset_ns(self) -> int | None:
        """The estimated offset, or None before any sample."""
        return self._offset

    @property
    def source(self) -> str | None:
        """Where the estimate comes from: ``heartbeat``, ``snapshot`` or None."""
        return self._source

    def server_now(self, local_ns: int) -> int:
        """The server's time at local time ``local_ns`` (ours while the offset is unknown)."""
        offset = self.offset_ns
        return local_ns if offset is None else local_ns + offset
