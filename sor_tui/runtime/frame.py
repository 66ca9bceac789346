"""One frame: read the latest state and collect what changed since the last one.

Called by the app's single frame timer at the render rate, never per feed message; the
app turns a ``Frame`` into its messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sor_tui.core.events import Execution
from sor_tui.core.subscriptions import SubscriptionEntry
from sor_tui.core.views import BookView, TapeView
from sor_tui.runtime.inbox import FeedInbox
from sor_tui.runtime.ports import DeskStateLike
from sor_tui.runtime.problem_log import LoggedProblem
from sor_tui.transport.status import FeedStatus, Problem

TAPE_LIMIT = 200


@dataclass(frozen=True)
class Frame:
    """What changed since the last frame: statuses, subscriptions, problems, books, tape."""

    statuses: list[FeedStatus]
    entries: tuple[SubscriptionEntry, ...] | None = None
    problems: tuple[LoggedProblem, ...] = ()
    books: list[BookView] = field(default_factory=list)
    tape: TapeView | None = None  # None: the tape did not change
    new_executions: tuple[Execution, ...] = ()


@dataclass
class FrameComposer:
    """Remembers what was last shown so that only changes become messages."""

    inbox: FeedInbox
    depth: int = 25
    groups: dict[str, Decimal] = field(default_factory=dict)
    tape_filter: str | None = None
    _book_keys: dict[str, tuple[int, str]] = field(default_factory=dict)
    _tape_dirty: bool = True
    frames: int = 0

    def invalidate(self, market: str | None = None) -> None:
        """Force the next frame to re-send books (one market or all) and the tape."""
        if market is None:
            self._book_keys.clear()
        else:
            self._book_keys.pop(market, None)
        self._tape_dirty = True

    def compose(self, state: DeskStateLike | None, visible: list[str]) -> Frame:
        """What changed in this frame."""
        self.frames += 1
        # Every transition is reported, so a quick RECONNECTING -> CONNECTED still shows.
        statuses = self.inbox.take_statuses()
        entries = self.inbox.take_entries()
        problems = self.inbox.take_problems()
        if state is None:
            return Frame(statuses, entries, problems)
        for market in state.take_undesired_markets():
            text = f"data for {market}, which is not subscribed, is dropped (and counted)"
            self.inbox.add_problem(Problem("feed", "undesired_market", text, market))
        books: list[BookView] = []
        for market in visible:
            view = state.book_view(market, self.depth, self.groups.get(market))
            if view is not None and self._changed(view):
                books.append(view)
        new = state.drain_new_executions()
        tape = None
        if new or self._tape_dirty:
            self._tape_dirty = False
            tape = state.tape_view(TAPE_LIMIT, self.tape_filter)
        return Frame(statuses, entries, problems, books, tape, tuple(new))

    def _changed(self, view: BookView) -> bool:
        key = (view.version, view.status.value)
        if self._book_keys.get(view.market) == key:
            return False
        self._book_keys[view.market] = key
        return True
