"""The feed's ``on_event`` target: cheap appends to pending buffers, drained once per frame.

Nothing here touches a widget. The frame timer drains the buffers and turns them into
messages, so the UI's work is bounded by the frame rate, not by the message rate.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sor_tui.core.explain import explain
from sor_tui.core.sanitize import sanitize
from sor_tui.core.subscriptions import SubscriptionEntry
from sor_tui.transport.status import FeedStatus, Problem, StatusChanged, SubscriptionsChanged
from sor_tui.ui.clock import Clock
from sor_tui.ui.messages import LoggedProblem

MAX_PENDING_PROBLEMS = 500

# Codes worth a toast; rejected frames and benign answers only go to the error pane.
IMPORTANT_CODES = frozenset(
    {
        "UNKNOWN_CHANNEL",
        "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION",
        "INTERNAL_SERVER_ERROR",
        "MALFORMED_REQUEST",
        "UNKNOWN_ACTION",
        "HTTP 401",
        "HTTP 403",
        "invalid_client",
        "invalid_scope",
        "missing_scope",
        "feed_failed",
    }
)


def logged(problem: Problem, wall_ns: int) -> LoggedProblem:
    """Turn a transport problem into an error-pane entry with its explanation."""
    code = sanitize(problem.code, 48)
    return LoggedProblem(
        wall_ns=wall_ns,
        source=sanitize(problem.source, 16),
        code=code,
        message=sanitize(problem.message, 200),
        explanation=sanitize(explain(problem.code), 400),
        market=sanitize(problem.market, 16) if problem.market else None,
        important=code in IMPORTANT_CODES or problem.source in ("token", "handshake"),
    )


class FeedInbox:
    """Pending transport facts since the last frame."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.status: FeedStatus | None = None
        self.status_dirty = False
        self.entries: tuple[SubscriptionEntry, ...] | None = None
        self.problems: deque[LoggedProblem] = deque(maxlen=MAX_PENDING_PROBLEMS)
        self.problems_dropped = 0
        self.events = 0

    def on_event(self, event: Any) -> None:
        """The feed's callback: must stay cheap (it runs for every message)."""
        self.events += 1
        if isinstance(event, StatusChanged):
            self.status = event.status
            self.status_dirty = True
        elif isinstance(event, SubscriptionsChanged):
            self.entries = event.entries
        elif isinstance(event, Problem):
            self.add_problem(event)

    def add_problem(self, problem: Problem) -> None:
        """Queue a problem for the error pane (bounded: a flood cannot exhaust memory)."""
        if len(self.problems) == self.problems.maxlen:
            self.problems_dropped += 1
        self.problems.append(logged(problem, self.clock.wall_ns()))

    def take_problems(self) -> tuple[LoggedProblem, ...]:
        """Drain queued problems, oldest first."""
        taken = tuple(self.problems)
        self.problems.clear()
        return taken

    def take_entries(self) -> tuple[SubscriptionEntry, ...] | None:
        """The newest subscription entries if they changed since the last frame."""
        entries, self.entries = self.entries, None
        return entries

    def take_status(self) -> FeedStatus | None:
        """The newest status if it changed since the last frame."""
        if not self.status_dirty:
            return None
        self.status_dirty = False
        return self.status
