"""The feed's ``on_event`` target: cheap appends to pending buffers, drained once per frame.

Nothing here touches a widget. The frame timer drains the buffers and turns them into
messages, so the UI's work is bounded by the frame rate, not by the message rate.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from sor_tui.core.events import BookUpdate
from sor_tui.core.subscriptions import SubscriptionEntry
from sor_tui.runtime.clock import Clock
from sor_tui.runtime.problem_log import LoggedProblem, logged
from sor_tui.transport.status import FeedStatus, Problem, StatusChanged, SubscriptionsChanged

MAX_PENDING_PROBLEMS = 500
T = TypeVar("T")


class FeedInbox:
    """Pending transport facts since the last frame.

    ``on_event`` runs on the feed's thread and the ``take_*`` methods on the UI's; bounded
    deques (atomic append and popleft) are the only shared structures.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.statuses: deque[FeedStatus] = deque(maxlen=64)
        self.entries: deque[tuple[SubscriptionEntry, ...]] = deque(maxlen=8)
        self.problems: deque[LoggedProblem] = deque(maxlen=MAX_PENDING_PROBLEMS)
        self.events = 0

    def on_event(self, event: Any) -> None:
        """The feed's callback: must stay cheap (it runs for every message)."""
        self.events += 1
        if type(event) is BookUpdate:  # the bulk of the traffic: nothing for the inbox
            return
        if isinstance(event, StatusChanged):
            self.statuses.append(event.status)
        elif isinstance(event, SubscriptionsChanged):
            self.entries.append(event.entries)
        elif isinstance(event, Problem):
            self.add_problem(event)

    def add_problem(self, problem: Problem) -> None:
        """Queue a problem for the error pane (bounded: a flood cannot exhaust memory)."""
        self.problems.append(logged(problem, self.clock.wall_ns()))

    def take_problems(self) -> tuple[LoggedProblem, ...]:
        """Drain queued problems, oldest first."""
        return tuple(_drain(self.problems))

    def take_entries(self) -> tuple[SubscriptionEntry, ...] | None:
        """The newest subscription entries if they changed since the last frame."""
        drained = _drain(self.entries)
        return drained[-1] if drained else None

    def take_statuses(self) -> list[FeedStatus]:
        """Every status change since the last frame, oldest first (a few at most)."""
        return _drain(self.statuses)


def _drain(queue: deque[T]) -> list[T]:
    items: list[T] = []
    while True:
        try:
            items.append(queue.popleft())
        except IndexError:
            return items
