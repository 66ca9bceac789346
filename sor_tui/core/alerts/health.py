"""Feed health, observed: turns the feed's facts into the signals the alert rules read.

The runtime tells the tracker what happened (connection states, problems, subscription
answers, prints) and shows it each market's book at every evaluation; the tracker keeps
the few times and counts the health rules need. Every collection is bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sor_tui.core.alerts.signals import DeskSignals, MarketSignals
from sor_tui.core.events import Execution
from sor_tui.core.sanitize import sanitize
from sor_tui.core.subscriptions import ServerAnswer, SubscriptionEntry
from sor_tui.core.views import BookStatus, BookView

MAX_MARKETS = 256
RESYNC_MEMORY = 64
"""Resync times kept per market (enough for any sensible K)."""
PRINTS_PER_EVALUATION = 1000
"""Prints kept per market between two evaluations; the largest are what matters."""
RATE_WEIGHT = 0.2
"""Weight of the newest interval in a market's moving-average update interval."""


@dataclass(slots=True)
class _Market:
    version: int | None = None
    updates: int | None = None
    changed_at: float | None = None
    typical_interval: float | None = None
    untrusted_since: float | None = None
    resyncs: deque[float] = field(default_factory=lambda: deque(maxlen=RESYNC_MEMORY))
    refused: str | None = None
    prints: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    last_trade: Decimal | None = None


class HealthTracker:
    """The feed's health over time, for one feed."""

    def __init__(self) -> None:
        self.connected: bool | None = None
        self.disconnected_since: float | None = None
        self.token_error: str | None = None
        self._markets: dict[str, _Market] = {}

    def _market(self, market: str) -> _Market | None:
        found = self._markets.get(market)
        if found is None and len(self._markets) < MAX_MARKETS:
            found = self._markets[market] = _Market()
        return found

    def on_status(self, state: str, now: float) -> None:
        """The connection state changed (a ``FeedState`` value)."""
        connected = state == "CONNECTED"
        if connected:
            self.token_error = None  # a token was obtained: refreshing works again
            self.disconnected_since = None
            for market in self._markets.values():
                market.changed_at = now  # silence counts from the new connection
                market.untrusted_since = None
        elif self.connected is not False:
            self.disconnected_since = now
        self.connected = connected

    def on_problem(
        self, source: str, code: str, message: str, market: str | None, now: float
    ) -> None:
        """A problem the feed reported: token failures and automatic resyncs count."""
        if source == "token":
            self.token_error = sanitize(message, 160) or sanitize(code, 48)
        elif code == "RESYNC" and market:
            found = self._market(market)
            if found is not None:
                found.resyncs.append(now)

    def on_subscriptions(self, entries: Iterable[SubscriptionEntry]) -> None:
        """The subscription registry changed: remember refusals per market."""
        refused: dict[str, str] = {}
        for entry in entries:
            market = entry.channel.market
            if market and entry.desired and entry.answer is ServerAnswer.ERROR:
                refused.setdefault(market, sanitize(entry.error or "refused", 120))
        for name, known in self._markets.items():
            known.refused = refused.pop(name, None)
        for name, error in refused.items():
            found = self._market(name)
            if found is not None:
                found.refused = error

    def on_prints(self, executions: Iterable[Execution]) -> None:
        """New accepted prints (for large-print rules and the last trade)."""
        for execution in executions:
            market = self._market(execution.market)
            if market is None:
                continue
            market.last_trade = execution.price
            if len(market.prints) < PRINTS_PER_EVALUATION:
                market.prints.append((execution.price, execution.amount))

    def observe_book(self, market: str, view: BookView | None, now: float) -> None:
        """The market's book at this evaluation: did it change, is it trusted."""
        found = self._market(market)
        if found is None or view is None:
            return
        if view.version != found.version:
            updates = view.updates_applied
            if found.updates is not None and found.changed_at is not None:
                applied = updates - found.updates
                if applied > 0:  # several updates between two looks: their own pace
                    interval = (now - found.changed_at) / applied
                    typical = found.typical_interval
                    found.typical_interval = (
                        interval
                        if typical is None
                        else typical + RATE_WEIGHT * (interval - typical)
                    )
            found.version = view.version
            found.updates = updates
            found.changed_at = now
        if view.status is BookStatus.LIVE or not self.connected:
            found.untrusted_since = None
        elif found.untrusted_since is None:
            found.untrusted_since = now

    def signals(
        self,
        views: dict[str, BookView | None],
        now: float,
        *,
        clock_offset_ms: Decimal | None = None,
        recording_error: str | None = None,
    ) -> DeskSignals:
        """A snapshot for the rules; the prints gathered since the last call go with it."""
        markets: dict[str, MarketSignals] = {}
        for name, view in views.items():
            self.observe_book(name, view, now)
            found = self._markets.get(name)
            if found is None:
                continue
            live = view is not None and view.status is BookStatus.LIVE
            silent = now - found.changed_at if live and found.changed_at is not None else None
            markets[name] = MarketSignals(
                name,
                view,
                silent if self.connected else None,
                found.typical_interval,
                tuple(found.resyncs),
                None if found.untrusted_since is None else now - found.untrusted_since,
                found.refused,
                found.last_trade,
                tuple(found.prints),
            )
            found.prints = []
        for name, found in self._markets.items():  # refused markets have no book to show
            if name not in markets and found.refused is not None:
                markets[name] = MarketSignals(name, refused=found.refused)
        since = self.disconnected_since
        return DeskSignals(
            self.connected,
            None if since is None else now - since,
            self.token_error,
            clock_offset_ms,
            recording_error,
            markets,
        )
