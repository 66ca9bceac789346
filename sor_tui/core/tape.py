"""The execution tape: prints ordered by executed_at, de-duplicated, bounded, with exact stats.

Executions carry no id and may arrive out of timestamp order (protocol §7.3, §10.6-§10.7),
so the tape keeps them sorted by ``executed_at`` (ties by arrival) and suppresses exact
repeats of ``(market, price, amount, executed_at)``.

Dedupe horizon: the duplicate memory is exactly the set of retained prints (at most
``max_entries``). When the oldest print is evicted, its ``executed_at`` becomes the horizon
and any later print at or before the horizon is refused (counted in ``too_old``): it cannot
be told apart from a replay of something already forgotten. With the default 100 000 prints
the horizon lies far beyond any replay after a reconnect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Context, Decimal

from sortedcontainers import SortedList

from sor_tui.core.events import Execution
from sor_tui.core.tape_stats import Accumulator
from sor_tui.core.views import TapeEntry, TapeStats, TapeView, Tick

_Item = tuple[int, int, Execution]  # (executed_at_ns, arrival sequence, execution)
_VWAP = Context(prec=28)


class ExecutionTape:
    """Every accepted execution, time-ordered, with session and rolling-window statistics."""

    def __init__(
        self,
        max_entries: int = 100_000,
        window_ns: int = 5 * 60 * 10**9,
        large_trade: Mapping[str, Decimal] | None = None,
        *,
        wall_clock_ns: Callable[[], int] | None = None,
    ) -> None:
        self._max_entries = max(1, max_entries)
        self._window_ns = window_ns
        self._large = dict(large_trade or {})
        self._wall = wall_clock_ns
        self._items: SortedList = SortedList()
        self._by_market: dict[str, SortedList] = {}
        self._keys: set[tuple[str, Decimal, Decimal, int]] = set()
        self._horizon_ns: int | None = None
        self._sequence = 0
        self._newest_ns: int | None = None
        self._window_after: int | None = None  # prints with executed_at > this are in the window
        self._session: dict[str, Accumulator] = {}
        self._window: dict[str, Accumulator] = {}
        self._pending: list[Execution] = []
        self._version = 0
        self._cache: dict[tuple[int, str | None], tuple[int, int | None, TapeView]] = {}
        self.accepted = 0
        self.duplicates_suppressed = 0
        self.too_old = 0
        self.evicted = 0

    @property
    def version(self) -> int:
        """Changes whenever a print is accepted or evicted."""
        return self._version

    @property
    def horizon_ns(self) -> int | None:
        """Prints at or before this executed_at are refused (None until something is evicted)."""
        return self._horizon_ns

    def __len__(self) -> int:
        return len(self._items)

    @property
    def pending(self) -> int:
        """Accepted prints not yet taken by ``drain_new``."""
        return len(self._pending)

    def add(self, execution: Execution) -> bool:
        """Accept a print; False for an exact duplicate of a retained one or one too old."""
        key = execution.dedupe_key
        if key in self._keys:
            self.duplicates_suppressed += 1
            return False
        executed_ns = execution.executed_at_ns
        if self._horizon_ns is not None and executed_ns <= self._horizon_ns:
            self.too_old += 1
            return False
        self._sequence += 1
        item: _Item = (executed_ns, self._sequence, execution)
        self._items.add(item)
        market = execution.market
        by_market = self._by_market.get(market)
        if by_market is None:
            by_market = self._by_market[market] = SortedList()
        by_market.add(item)
        self._keys.add(key)
        session = self._session.get(market)
        if session is None:
            session = self._session[market] = Accumulator(market)
        session.add(item, track_extremes=False)
        if self._newest_ns is None or executed_ns > self._newest_ns:
            self._newest_ns = executed_ns
        self._advance_window()
        if self._window_after is None or executed_ns > self._window_after:
            self._window_accumulator(market).add(item, track_extremes=True)
        if len(self._items) > self._max_entries:
            self._evict()
        self._pending.append(execution)
        self.accepted += 1
        self._version += 1
        return True

    def drain_new(self) -> list[Execution]:
        """Every accepted print exactly once, in acceptance order (the UI and recorder)."""
        pending = self._pending
        self._pending = []
        return pending

    def _window_accumulator(self, market: str) -> Accumulator:
        window = self._window.get(market)
        if window is None:
            window = self._window[market] = Accumulator(market)
        return window

    def _evict(self) -> None:
        item: _Item = self._items.pop(0)
        executed_ns, _, execution = item
        self._by_market[execution.market].remove(item)
        self._keys.discard(execution.dedupe_key)
        if self._horizon_ns is None or executed_ns > self._horizon_ns:
            self._horizon_ns = executed_ns
        if self._window_after is None or executed_ns > self._window_after:
            self._window[execution.market].remove(item)
        self.evicted += 1

    def _advance_window(self) -> None:
        """Move the window's lower bound forward and take leaving prints out of its stats."""
        end = self._newest_ns
        if self._wall is not None:
            now = self._wall()
            end = now if end is None else max(end, now)
        if end is None:
            return
        after = end - self._window_ns
        before = self._window_after
        if before is not None and after <= before:
            return
        items = self._items
        start = 0 if before is None else items.bisect_left((before + 1,))
        stop = items.bisect_left((after + 1,))
        for index in range(start, stop):
            item: _Item = items[index]
            self._window[item[2].market].remove(item)
        self._window_after = after

    def view(self, limit: int = 200, market: str | None = None) -> TapeView:
        """Newest-first prints with tick and large flags, and session and window stats."""
        self._advance_window()
        cache_key = (limit, market)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == self._version and cached[1] == self._window_after:
            return cached[2]
        source = self._items if market is None else self._by_market.get(market, SortedList())
        entries = self._entries(source, limit)
        view = TapeView(
            entries=entries,
            session={name: acc.stats(_VWAP) for name, acc in self._session.items()},
            window={name: acc.stats(_VWAP) for name, acc in self._window.items()},
            duplicates_suppressed=self.duplicates_suppressed,
        )
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[cache_key] = (self._version, self._window_after, view)
        return view

    def _entries(self, source: SortedList, limit: int) -> tuple[TapeEntry, ...]:
        count = len(source)
        shown: list[_Item] = list(source.islice(max(0, count - limit), count, reverse=True))
        # Walking newest to oldest, each print is the predecessor of the newer print of its
        # market seen just before; the oldest shown print of a market looks one step further.
        previous_price: dict[int, Decimal | None] = {}
        newer_of_market: dict[str, int] = {}
        for position, (_, _, execution) in enumerate(shown):
            newer = newer_of_market.get(execution.market)
            if newer is not None:
                previous_price[newer] = execution.price
            newer_of_market[execution.market] = position
        for market_name, position in newer_of_market.items():
            by_market = self._by_market[market_name]
            index = by_market.bisect_left(shown[position])
            previous_price[position] = by_market[index - 1][2].price if index > 0 else None
        large = self._large
        entries: list[TapeEntry] = []
        for position, (_, _, execution) in enumerate(shown):
            before = previous_price[position]
            if before is None or execution.price == before:
                tick = Tick.ZERO
            else:
                tick = Tick.UP if execution.price > before else Tick.DOWN
            threshold = large.get(execution.market)
            is_large = threshold is not None and execution.amount >= threshold
            entries.append(TapeEntry(execution, tick, is_large))
        return tuple(entries)

    def session_stats(self, market: str) -> TapeStats:
        """Exact statistics of every accepted print of ``market`` this session."""
        acc = self._session.get(market)
        return acc.stats(_VWAP) if acc else TapeStats(market)
