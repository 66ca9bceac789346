"""One frame: read the latest state and produce the messages for what changed.

Called by the app's single frame timer at the render rate, never per feed message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from textual.message import Message

from sor_tui.core.views import BookView
from sor_tui.transport.status import Problem
from sor_tui.ui.inbox import FeedInbox
from sor_tui.ui.messages import (
    BookChanged,
    FeedStatusChanged,
    ProblemsLogged,
    SubscriptionsUpdated,
    TapeChanged,
)
from sor_tui.ui.ports import DeskStateLike

TAPE_LIMIT = 200


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

    def compose(self, state: DeskStateLike | None, visible: list[str]) -> list[Message]:
        """The messages of this frame, in the order they should be handled."""
        self.frames += 1
        messages: list[Message] = []
        # Every transition is reported, so a quick RECONNECTING -> CONNECTED still shows.
        messages.extend(FeedStatusChanged(status) for status in self.inbox.take_statuses())
        entries = self.inbox.take_entries()
        if entries is not None:
            messages.append(SubscriptionsUpdated(entries))
        problems = self.inbox.take_problems()
        if problems:
            messages.append(ProblemsLogged(problems))
        if state is None:
            return messages
        for market in state.take_undesired_markets():
            text = f"data for {market}, which is not subscribed, is dropped (and counted)"
            self.inbox.add_problem(Problem("feed", "undesired_market", text, market))
        for market in visible:
            view = state.book_view(market, self.depth, self.groups.get(market))
            if view is not None and self._changed(view):
                messages.append(BookChanged(view))
        new = state.drain_new_executions()
        if new or self._tape_dirty:
            self._tape_dirty = False
            tape = state.tape_view(TAPE_LIMIT, self.tape_filter)
            messages.append(TapeChanged(tape, tuple(new)))
        return messages

    def _changed(self, view: BookView) -> bool:
        key = (view.version, view.status.value)
        if self._book_keys.get(view.market) == key:
            return False
        self._book_keys[view.market] = key
        return True
