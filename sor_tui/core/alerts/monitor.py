"""One desk's alerts: the health tracker and the engine, read from a desk state.

The TUI and the headless stream both drive an ``AlertMonitor`` the same way: they pass on
the feed's facts (connection states, problems, subscription entries, prints) as they see
them, and call ``evaluate`` a few times a second with the desk state and the time.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from sor_tui.core.alerts.engine import AlertEngine, AlertEvent
from sor_tui.core.alerts.health import HealthTracker
from sor_tui.core.alerts.rules import AlertRule
from sor_tui.core.sanitize import sanitize
from sor_tui.core.views import BookView

ALERT_DEPTH = 50
"""Levels per side the rules see (thin-depth rules judge within these)."""
EVALUATIONS_PER_SECOND = 4
MAX_MARKETS = 64
"""Markets judged per evaluation (the subscribed ones; a bound against a hostile server)."""


class BookSource(Protocol):
    """What the monitor reads: frozen book views (the core desk state has this)."""

    def book_view(self, market: str, depth: int, group: Any = None) -> BookView | None:
        """A frozen view of one market's book, or None when unknown."""
        ...


def clock_offset_of(state: object) -> Decimal | None:
    """The server clock minus ours in milliseconds, once the desk state has an estimate.

    Read from the state's ``server_clock`` (heartbeat and snapshot times); None before any
    sample, which the clock offset rule treats as no data.
    """
    offset_ns = getattr(getattr(state, "server_clock", None), "offset_ns", None)
    if isinstance(offset_ns, int):
        return Decimal(offset_ns) / 1_000_000
    return None


def recording_error_of(state: object) -> str | None:
    """Why the state's recorder stopped, if it is recording and failed."""
    error = getattr(getattr(state, "recorder", None), "error", None)
    return sanitize(error, 200) if isinstance(error, str) else None


class AlertMonitor:
    """The alerts of one desk: facts in, fired and resolved events out."""

    def __init__(self, rules: Iterable[AlertRule] = ()) -> None:
        self.health = HealthTracker()
        self.engine = AlertEngine(rules)
        self._next_at = 0.0

    def due(self, now: float) -> bool:
        """True at most ``EVALUATIONS_PER_SECOND`` times a second (the caller's timer is faster)."""
        if now < self._next_at:
            return False
        self._next_at = now + 1 / EVALUATIONS_PER_SECOND
        return True

    def evaluate(
        self,
        state: BookSource | None,
        markets: Iterable[str],
        now: float,
        wall_ns: int,
        *,
        clock_offset_ms: Decimal | None = None,
    ) -> list[AlertEvent]:
        """Judge every rule now; ``markets`` are the subscribed ones (rules add their own)."""
        names = dict.fromkeys(markets)
        names.update((rule.market, None) for rule in self.engine.rules if rule.market)
        views: dict[str, BookView | None] = {}
        for market in list(names)[:MAX_MARKETS]:
            views[market] = None if state is None else state.book_view(market, ALERT_DEPTH)
        if clock_offset_ms is None and state is not None:
            clock_offset_ms = clock_offset_of(state)
        signals = self.health.signals(
            views,
            now,
            clock_offset_ms=clock_offset_ms,
            recording_error=recording_error_of(state),
        )
        return self.engine.evaluate(signals, now, wall_ns)
