"""Structural types for what the UI is given: a feed, its desk state, and a feed source.

The UI codes against these protocols so that the real transport feed and the test fakes
are interchangeable (memray's model: the data source is injected into the App).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sor_tui.core.events import Channel, Execution
from sor_tui.core.views import BookView, TapeView


class DeskStateLike(Protocol):
    """What the UI reads from the core desk state."""

    def book_view(self, market: str, depth: int, group: Any = None) -> BookView | None:
        """A frozen view of one market's book, or None when unknown."""
        ...

    def tape_view(self, limit: int, market: str | None = None) -> TapeView:
        """Recent executions newest-first with stats."""
        ...

    def drain_new_executions(self) -> list[Execution]:
        """Every accepted execution exactly once."""
        ...

    def take_undesired_markets(self) -> list[str]:
        """Markets whose data was first dropped as not subscribed since the last call."""
        ...

    @property
    def version(self) -> int:
        """Changes whenever anything in the state changes."""
        ...


class FeedLike(Protocol):
    """What the UI drives: the transport feed (or a test fake)."""

    @property
    def state(self) -> DeskStateLike:
        """The desk state the feed applies events to."""
        ...

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """The state's lock: held by the feed per batch, and by the UI while it reads."""
        ...

    @property
    def status(self) -> Any:
        """The current FeedStatus."""
        ...

    @property
    def counters(self) -> Any:
        """Messages/s, rejects, reconnects, lag per market."""
        ...

    async def run(self, on_event: Callable[[Any], None] | None = None) -> None:
        """Connect and reconnect until stopped or a final failure."""
        ...

    def subscribe(self, channels: Iterable[Channel]) -> Any:
        """Add channels to the desired set and subscribe them."""
        ...

    def unsubscribe(self, channels: Iterable[Channel]) -> Any:
        """Remove channels from the desired set and unsubscribe them."""
        ...

    def resync(self, market: str) -> Any:
        """Unsubscribe and resubscribe a market's book to get a fresh snapshot."""
        ...

    def refresh_subscription_list(self) -> Any:
        """Ask the server for its subscription list."""
        ...

    async def stop(self) -> None:
        """Stop for good; never reconnects afterwards."""
        ...

    def token_expires_in(self) -> float | None:
        """Seconds until the access token expires, if known."""
        ...


class FeedSource(Protocol):
    """Opens a feed for the app: the configured environment, the demo simulator or a fake."""

    environment: str

    async def open(self) -> FeedLike:
        """Prepare everything (simulator, tokens) and return a feed ready to run."""
        ...

    async def close(self) -> None:
        """Release what open() started (for example the in-process simulator)."""
        ...
