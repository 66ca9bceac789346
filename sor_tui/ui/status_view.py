"""Read the feed's status, counters and token lifetime into the status bar's line."""

from __future__ import annotations

from sor_tui.runtime.clock import Clock
from sor_tui.runtime.ports import FeedLike, FeedSource
from sor_tui.transport.status import FeedCounters, FeedStatus, Problem
from sor_tui.ui.widgets.status_bar import StatusLine


def status_line(
    feed: FeedLike | None,
    source: FeedSource | None,
    clock: Clock,
    market: str | None,
    failure: str | None = None,
) -> StatusLine:
    """The status bar's content for this frame (a crashed feed shows as FAILED)."""
    environment = source.environment if source is not None else "no credentials"
    switch = getattr(source, "recording", None)
    recording = getattr(switch, "active", False) is True
    recording_error = str(getattr(switch, "error", None) or "")
    if failure is not None:
        return StatusLine(
            environment=environment,
            state="FAILED",
            detail=failure,
            recording=recording,
            recording_error=recording_error,
        )
    if feed is None:
        state = "STARTING" if source is not None else "NOT CONNECTED"
        return StatusLine(
            environment=environment,
            state=state,
            recording=recording,
            recording_error=recording_error,
        )
    status: FeedStatus = feed.status
    counters: FeedCounters = feed.counters
    lag_ns = counters.lag_ns.get(market) if market else None
    if lag_ns is None and counters.lag_ns:
        lag_ns = max(counters.lag_ns.values())
    offset_ns = counters.clock_offset_ns
    if lag_ns is not None and offset_ns is not None:
        lag_ns += offset_ns  # lag on the server's clock, not skewed by ours
    return StatusLine(
        environment=environment,
        state=status.state.value,
        detail=status.detail,
        retry_in=status.retry_in(clock.monotonic()),
        token_expires_in=feed.token_expires_in(),
        messages_per_second=float(counters.messages_per_second),
        lag_ms=None if lag_ns is None else lag_ns / 1e6,
        reconnects=counters.reconnects,
        recording=recording,
        recording_error=recording_error,
        clock_offset_s=None if offset_ns is None else offset_ns / 1e9,
    )


def recording_problem(line: StatusLine, reported: str) -> Problem | None:
    """The error-pane entry for a recording failure not yet ``reported`` (once per failure)."""
    if not line.recording_error or line.recording_error == reported:
        return None
    return Problem("recording", "recording_failed", line.recording_error)
