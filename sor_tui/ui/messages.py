"""The UI's messages: facts (past tense) flowing up from the frame timer, intents from panels.

Facts carry frozen values only. State messages define ``can_replace`` so that, if the
app falls behind, queued updates of the same kind collapse instead of piling up
(toolong's model); executions are never collapsed because none may be lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from sor_tui.core.events import Channel, Execution
from sor_tui.core.views import BookView, TapeView
from sor_tui.runtime.frame import Frame
from sor_tui.runtime.problem_log import LoggedProblem

# ---- facts ------------------------------------------------------------------------------


@dataclass
class BookChanged(Message):
    """A visible market's book view changed since the last frame."""

    view: BookView

    def can_replace(self, message: Message) -> bool:
        """A newer view of the same market replaces an older queued one."""
        return isinstance(message, BookChanged) and message.view.market == self.view.market


@dataclass
class TapeChanged(Message):
    """New executions were accepted; ``tape`` is the current tape view."""

    tape: TapeView
    new_executions: tuple[Execution, ...]


@dataclass
class FeedStatusChanged(Message):
    """The feed's connection status changed (a transport FeedStatus); never collapsed."""

    status: Any


@dataclass
class ProblemsLogged(Message):
    """Problems that arrived since the last frame, oldest first."""

    problems: tuple[LoggedProblem, ...]


@dataclass
class SubscriptionsUpdated(Message):
    """The subscription registry's entries changed."""

    entries: tuple[Any, ...]

    def can_replace(self, message: Message) -> bool:
        """Only the latest entries matter."""
        return isinstance(message, SubscriptionsUpdated)


@dataclass
class FeedFailed(Message):
    """The feed worker ended with an error (a dead feed is never silent)."""

    description: str


# ---- intents ----------------------------------------------------------------------------


@dataclass
class SubscribeRequested(Message):
    """A panel asks to subscribe channels."""

    channels: tuple[Channel, ...]


@dataclass
class UnsubscribeRequested(Message):
    """A panel asks to unsubscribe channels."""

    channels: tuple[Channel, ...]


@dataclass
class ResyncRequested(Message):
    """A panel asks for a fresh snapshot of one market."""

    market: str


@dataclass
class SubscriptionListRequested(Message):
    """A panel asks to refresh the server's subscription list."""


@dataclass
class MarketFocused(Message):
    """The user picked a market to show first."""

    market: str


@dataclass
class CredentialsChanged(Message):
    """Credentials were saved or deleted; the feed should restart with them."""

    client_id: str | None


def frame_messages(frame: Frame) -> list[Message]:
    """The messages of one frame, in the order they should be handled."""
    messages: list[Message] = [FeedStatusChanged(status) for status in frame.statuses]
    if frame.entries is not None:
        messages.append(SubscriptionsUpdated(frame.entries))
    if frame.problems:
        messages.append(ProblemsLogged(frame.problems))
    messages.extend(BookChanged(view) for view in frame.books)
    if frame.tape is not None:
        messages.append(TapeChanged(frame.tape, frame.new_executions))
    return messages
