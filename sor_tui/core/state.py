"""The desk state: the one object the feed applies events to and consumers read views from.

Book data is routed only to books that are SYNCING or LIVE; anything else (unsubscribed,
stale after a disconnect, waiting for a resync) is dropped and counted, so in-flight data
after an unsubscribe can never touch a book (protocol §8.4).

Every per-market table is bounded, because market names come from the server: once the
feed says which markets are desired, prints and top of book of any other market are
dropped and counted; before that (a replay, say) at most ``MAX_MARKETS`` markets are
tracked. Counters keyed by server strings fold extra keys into ``OTHER``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal

from sor_tui.core.book import OrderBook
from sor_tui.core.events import (
    BookSnapshot,
    BookUpdate,
    ChannelType,
    Execution,
    Heartbeat,
    Ignored,
    OperationResult,
    Rejected,
    ServerError,
    ServerEvent,
    SubscriptionList,
    TopOfBook,
)
from sor_tui.core.liveness import MAX_CLOCK_OFFSET_NS, ServerClock
from sor_tui.core.tape import ExecutionTape
from sor_tui.core.views import BookStatus, BookView, TapeView

_ROUTED = (BookStatus.SYNCING, BookStatus.LIVE)
MAX_MARKETS = 256
"""Most markets tracked (books, prints, top of book) and keys per counter."""
OTHER = "(other)"
"""The counter key for everything past ``MAX_MARKETS`` keys."""


def count(counter: Counter[str], key: str, amount: int = 1) -> None:
    """Add to ``counter[key]``, or to ``counter[OTHER]`` once it holds ``MAX_MARKETS`` keys."""
    if key not in counter and len(counter) >= MAX_MARKETS:
        key = OTHER
    counter[key] += amount


REPLAY_WINDOW_NS = 5 * 10**9
"""How long after (re)subscribing an exact repeat of a print counts as a replay (§10.6)."""


class DeskState:
    """Books per market, top of book, the execution tape, liveness and counters."""

    def __init__(
        self,
        *,
        book_factory: Callable[[str], OrderBook] | None = None,
        tape: ExecutionTape | None = None,
        wall_clock_ns: Callable[[], int] = time.time_ns,
        replay_window_ns: int = REPLAY_WINDOW_NS,
        crossed_resync: bool = True,
    ) -> None:
        self._wall = wall_clock_ns
        self.server_clock = ServerClock()
        # "Too new" is judged against the server's clock, not ours (§14: clock skew).
        self._book_factory = book_factory or (
            lambda market: OrderBook(
                market, wall_clock_ns=self.server_now, crossed_resync=crossed_resync
            )
        )
        self.tape = (
            tape
            if tape is not None
            else ExecutionTape(
                wall_clock_ns=self.server_now, future_clock_ns=self._latest_server_now
            )
        )
        self._replay_window_ns = replay_window_ns
        # Per market: identical prints received up to this local time are replays; a market
        # without an entry opens its window at its next print.
        self._replay_until: dict[str, int] = {}
        self._books: dict[str, OrderBook] = {}
        self._reported: set[str] = set()
        self.top_of_book: dict[str, TopOfBook] = {}
        self.last_heartbeat_ns: int | None = None  # local arrival time of the last heartbeat
        self.last_heartbeat_server_ns: int | None = None
        self.rejects_by_reason: Counter[str] = Counter()
        self.executions_by_market: Counter[str] = Counter()
        self.dropped_book_data: Counter[str] = Counter()  # per market, book not SYNCING/LIVE
        self.dropped_undesired: Counter[str] = Counter()  # prints, top of book: not desired
        self._desired: frozenset[str] | None = None  # None: any market, up to MAX_MARKETS
        self._newly_undesired: list[str] = []  # first drops per market, for the error pane
        self._tracked: set[str] = set()
        self.ignored = 0
        self.session_messages = 0
        self.events = 0
        self._version = 0

    # -- events -----------------------------------------------------------------------

    def apply(self, event: ServerEvent, received_ns: int) -> None:
        """Route one decoded event; never raises for well-typed events."""
        self.events += 1
        self._version += 1
        if isinstance(event, BookUpdate | BookSnapshot):
            book = self._books.get(event.market)
            if book is None or book.status not in _ROUTED:
                count(self.dropped_book_data, event.market)
                return
            if isinstance(event, BookUpdate):
                book.apply_update(event)
            else:
                self._clock_sample(self.server_clock.snapshot, event.time_ns, received_ns)
                book.apply_snapshot(event)
        elif isinstance(event, Execution):
            if not self._accepts(event.market):
                self._drop_undesired(event.market)
                return
            if self.tape.add(event, dedupe=self._in_replay_window(event.market, received_ns)):
                self.executions_by_market[event.market] += 1
        elif isinstance(event, TopOfBook):
            if not self._accepts(event.market):
                self._drop_undesired(event.market)
                return
            self.top_of_book[event.market] = event
        elif isinstance(event, Heartbeat):
            self.last_heartbeat_ns = received_ns
            self.last_heartbeat_server_ns = event.time_ns
            self._clock_sample(self.server_clock.heartbeat, event.time_ns, received_ns)
        elif isinstance(event, Rejected):
            count(self.rejects_by_reason, event.reason)
            self._rejected(event)
        elif isinstance(event, Ignored):
            self.ignored += 1
        elif isinstance(event, OperationResult | SubscriptionList | ServerError):
            self.session_messages += 1

    def _accepts(self, market: str) -> bool:
        desired = self._desired
        if desired is not None:
            return market in desired
        if market in self._tracked:
            return True
        if len(self._tracked) >= MAX_MARKETS:
            return False
        self._tracked.add(market)
        return True

    def _drop_undesired(self, market: str) -> None:
        if market not in self.dropped_undesired and len(self._newly_undesired) < MAX_MARKETS:
            self._newly_undesired.append(market)
        count(self.dropped_undesired, market)

    def take_undesired_markets(self) -> list[str]:
        """Markets whose prints or top of book were dropped for the first time since asked."""
        taken, self._newly_undesired = self._newly_undesired, []
        return taken

    def set_desired_markets(self, markets: Iterable[str] | None) -> None:
        """The markets subscribed to (None: any, up to ``MAX_MARKETS``); others are dropped."""
        self._desired = None if markets is None else frozenset(list(markets)[:MAX_MARKETS])
        self._version += 1

    def server_now(self) -> int:
        """The server's current time as estimated from its heartbeats and snapshots."""
        return self.server_clock.server_now(self._wall())

    def _latest_server_now(self) -> int:
        """``server_now``, or before any estimate the latest the server's clock may
        plausibly be: a print is never refused only because it came before a heartbeat."""
        if self.server_clock.offset_ns is None:
            return self._wall() + MAX_CLOCK_OFFSET_NS
        return self.server_now()

    def _clock_sample(self, add: Callable[[int, int], None], server_ns: int, local_ns: int) -> None:
        known = self.server_clock.offset_ns is not None
        add(server_ns, local_ns)
        if not known and self.server_clock.offset_ns is not None:
            self.tape.clock_changed()

    def _in_replay_window(self, market: str, received_ns: int) -> bool:
        """Whether an exact repeat of a print arriving now is a replay, not a new trade.

        The window opens at a market's first print after (re)connecting: a server that
        replays its last print does so right after the subscribe (§14 #18).
        """
        until = self._replay_until.get(market)
        if until is None:
            until = self._replay_until[market] = received_ns + self._replay_window_ns
        return received_ns <= until

    def open_replay_window(self, market: str | None = None) -> None:
        """Prints of ``market`` (of every market when None) may be replayed from now on:
        the replay window opens again at the next print."""
        if market is None:
            self._replay_until.clear()
        else:
            self._replay_until.pop(market, None)

    def _rejected(self, event: Rejected) -> None:
        # A rejected book frame is a lost UPDATE: the book is silently wrong unless resynced.
        if event.channel != ChannelType.MARKET_DATA or event.market is None:
            return
        book = self._books.get(event.market)
        if book is not None and book.status in _ROUTED:
            book.request_resync(f"a market_data frame was rejected ({event.reason})")

    # -- subscription lifecycle (called by the session) --------------------------------

    def _book(self, market: str) -> OrderBook:
        book = self._books.get(market)
        if book is None:
            if len(self._books) >= MAX_MARKETS:
                # Our own subscriptions create books: past the bound, forget an idle one.
                idle = next(
                    (m for m, b in self._books.items() if b.status is BookStatus.IDLE), None
                )
                if idle is not None:
                    del self._books[idle]
            book = self._books[market] = self._book_factory(market)
        return book

    def begin_sync(self, market: str) -> None:
        """A market_data subscribe was sent: the book starts over and waits for a SNAPSHOT."""
        self._book(market).begin_sync()
        self._reported.discard(market)
        self._version += 1

    def end_sync(self, market: str) -> None:
        """The market_data subscription ended (or failed): the book goes IDLE."""
        book = self._books.get(market)
        if book is not None:
            book.reset()
            self._reported.discard(market)
            self._version += 1

    def connection_lost(self) -> None:
        """Every book becomes STALE (levels kept for display, buffers cleared).

        Top of book is forgotten (it is never shown stale) and the next connection may
        replay prints.
        """
        for book in self._books.values():
            book.mark_stale()
        self.top_of_book.clear()
        self.open_replay_window()
        self._version += 1

    def mark_resyncing(self, market: str) -> None:
        """A resync of ``market`` was requested by the session."""
        book = self._books.get(market)
        if book is not None:
            book.mark_resyncing()
            self._version += 1

    def resync_needed(self) -> list[tuple[str, str]]:
        """Books needing a resync as (market, reason), each reported once until begin_sync."""
        found: list[tuple[str, str]] = []
        for market, book in self._books.items():
            if book.needs_resync and market not in self._reported:
                self._reported.add(market)
                found.append((market, book.resync_reason or "book untrustworthy"))
        return found

    def books_needing_resync(self) -> list[tuple[str, str]]:
        """Every book still needing a resync, reported or not (for a deferred retry)."""
        return [
            (market, book.resync_reason or "book untrustworthy")
            for market, book in self._books.items()
            if book.needs_resync
        ]

    # -- reading ----------------------------------------------------------------------

    def book(self, market: str) -> OrderBook | None:
        """The mutable book of ``market`` (for tests and diagnostics, not for the UI)."""
        return self._books.get(market)

    def book_view(self, market: str, depth: int, group: Decimal | None = None) -> BookView | None:
        """A frozen view of one market's book, or None when the market is unknown."""
        book = self._books.get(market)
        return None if book is None else book.view(depth, group)

    def tape_view(self, limit: int, market: str | None = None) -> TapeView:
        """Recent executions newest-first with session and window stats."""
        return self.tape.view(limit, market)

    def drain_new_executions(self) -> list[Execution]:
        """Every accepted execution exactly once, in acceptance order."""
        return self.tape.drain_new()

    @property
    def markets(self) -> tuple[str, ...]:
        """Markets that have a book (subscribed at some point), sorted."""
        return tuple(sorted(self._books))

    @property
    def version(self) -> int:
        """Changes whenever anything in the state changes."""
        return self._version

    def counters(self) -> dict[str, int]:
        """Totals for metrics and the status bar."""
        totals: Counter[str] = Counter()
        for book in self._books.values():
            totals.update(book.counters())
        totals["events"] = self.events
        totals["rejects"] = sum(self.rejects_by_reason.values())
        totals["ignored"] = self.ignored
        totals["session_messages"] = self.session_messages
        totals["dropped_book_data"] = sum(self.dropped_book_data.values())
        totals["dropped_undesired"] = sum(self.dropped_undesired.values())
        totals["executions"] = self.tape.accepted
        totals["duplicates_suppressed"] = self.tape.duplicates_suppressed
        totals["executions_too_old"] = self.tape.too_old
        totals["executions_invalid"] = self.tape.invalid
        totals["executions_too_new"] = self.tape.too_new
        totals["clock_samples_implausible"] = self.server_clock.implausible
        return dict(totals)
