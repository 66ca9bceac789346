"""The execution tape: prints ordered by executed_at, de-duplicated, bounded, with exact stats.

Executions carry no id and may arrive out of timestamp order (protocol §7.3, §10.6-§10.7),
so the tape keeps them sorted by ``executed_at`` (ties by arrival) and, when the caller
says a print may be a replay (shortly after a (re)subscribe), suppresses exact repeats of
``(market, price, amount, executed_at)``; otherwise two identical prints are two trades.

Dedupe horizon: the duplicate memory is exactly the set of retained prints (at most
``max_entries``). When the oldest print is evicted, its ``executed_at`` becomes the horizon
and any later print at or before the horizon is refused (counted in ``too_old``): it cannot
be told apart from a replay of something already forgotten. With the default 100 000 prints
the horizon lies far beyond any replay after a reconnect.

Far-future prints: with a wall clock, a print whose executed_at lies beyond wall clock +
``future_tolerance_ns`` is refused and counted in ``too_new``. Kept, it would sort above
every real print for good (the tape is ordered by executed_at), pin the head of the tape
and, as the newest executed_at, drag the rolling window's end with it so the window stats
froze. No real venue prints decades ahead; a skewed clock within the tolerance is accepted.

Memory: each print is held once (the ``Execution`` as decoded) and indexed twice by
executed_at (one list for the whole tape, one per market), ties kept in arrival order by
the sorted lists themselves; duplicates are found through the market's index, so no
per-print tuple, sequence number or dedupe set is stored.

``drain_new`` hands over every accepted print exactly once; its queue is deliberately not
bounded (dropping would lose accepted prints), so every owner of a tape must drain it (the
UI does each frame, the headless stream each event); ``pending`` shows the backlog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import attrgetter

from sortedcontainers import SortedKeyList

from sor_tui.core.bounded import BoundedCache
from sor_tui.core.events import Execution
from sor_tui.core.tape_stats import Accumulator
from sor_tui.core.views import TapeEntry, TapeStats, TapeView, Tick

_AT = attrgetter("executed_at_ns")


def _index() -> SortedKeyList:
    """Executions by executed_at; equal times stay in arrival order (insertion is bisect-right)."""
    return SortedKeyList(key=_AT)


_EMPTY = _index()
_NO_LIMIT = 10**30  # beyond any nanosecond time an RFC 3339 text can carry


class ExecutionTape:
    """Every accepted execution, time-ordered, with session and rolling-window statistics.

    The rolling window holds the prints whose executed_at lies within ``window_ns`` of the
    later of the newest executed_at and the wall clock (when one is given), so the window
    empties while a market is quiet.
    """

    def __init__(
        self,
        max_entries: int = 100_000,
        window_ns: int = 5 * 60 * 10**9,
        large_trade: Mapping[str, Decimal] | None = None,
        *,
        wall_clock_ns: Callable[[], int] | None = None,
        future_tolerance_ns: int = 5 * 60 * 10**9,
        future_clock_ns: Callable[[], int] | None = None,
    ) -> None:
        self._max_entries = max(1, max_entries)
        self._window_ns = window_ns
        self._large = dict(large_trade or {})
        self._wall = wall_clock_ns
        # "Too new" may be judged by its own clock (the desk passes the server's estimate).
        self._future_clock = future_clock_ns or wall_clock_ns
        self._tolerance = future_tolerance_ns
        # Cached wall clock + tolerance, refreshed only when a print lies beyond it: the
        # cached value is never above the true limit, so the check stays correct.
        # Without a clock there is nothing to judge by (replays, tests): no limit.
        self._future_limit = -1 if wall_clock_ns is not None else _NO_LIMIT
        self._items = _index()
        self._by_market: dict[str, SortedKeyList] = {}
        self._horizon_ns: int | None = None
        self._sequence = 0
        self._newest_ns: int | None = None
        self._window_after: int | None = None  # prints with executed_at > this are in the window
        self._window_floor: int | None = None  # <= the oldest executed_at in the window
        self._window_changes = 0
        self._session: dict[str, Accumulator] = {}
        self._window: dict[str, Accumulator] = {}
        self._pending: list[Execution] = []
        self._version = 0
        self._cache: BoundedCache[tuple[int, str | None], tuple[int, int, TapeView]]
        self._cache = BoundedCache(16)
        self.accepted = 0
        self.duplicates_suppressed = 0
        self.too_old = 0
        self.too_new = 0
        self.invalid = 0
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

    def add(self, execution: Execution, *, dedupe: bool = True) -> bool:
        """Accept a print; False for an exact duplicate of a retained one, one too old, one
        dated beyond wall clock + tolerance (``too_new``), or an impossible one (non-positive
        or non-finite price or amount, counted in ``invalid``).

        ``dedupe=False`` keeps an exact repeat: outside the replay window after a
        (re)subscribe, two identical prints are two trades (the desk state decides).
        """
        price, amount = execution.price, execution.amount
        if not (price.is_finite() and amount.is_finite() and price > 0 and amount > 0):
            self.invalid += 1
            return False
        executed_ns = execution.executed_at_ns
        if executed_ns > self._future_limit and self._is_future(executed_ns):
            self.too_new += 1
            return False
        market = execution.market
        by_market = self._by_market.get(market)
        if dedupe and by_market is not None and self._is_duplicate(by_market, execution):
            self.duplicates_suppressed += 1
            return False
        if self._horizon_ns is not None and executed_ns <= self._horizon_ns:
            self.too_old += 1
            return False
        if self._newest_ns is None or executed_ns > self._newest_ns:
            self._newest_ns = executed_ns
        # Advance before inserting: the window's stats hold only prints already counted.
        self._advance_window()
        self._sequence += 1
        sequence = self._sequence
        self._items.add(execution)
        if by_market is None:
            by_market = self._by_market[market] = _index()
        by_market.add(execution)
        session = self._session.get(market)
        if session is None:
            session = self._session[market] = Accumulator(market)
        session.add(executed_ns, sequence, execution)
        after = self._window_after
        if after is None or executed_ns > after:
            window = self._window.get(market)
            if window is None:
                window = self._window[market] = Accumulator(market)
            window.add(executed_ns, sequence, execution)
            if self._window_floor is None or executed_ns < self._window_floor:
                self._window_floor = executed_ns
        if len(self._items) > self._max_entries:
            self._evict()
        self._pending.append(execution)
        self.accepted += 1
        self._version += 1
        return True

    def clock_changed(self) -> None:
        """The clock judging "too new" moved (its server offset became known): re-read it."""
        self._future_limit = -1 if self._future_clock is not None else _NO_LIMIT

    def _is_future(self, executed_ns: int) -> bool:
        if self._future_clock is None:
            return False
        self._future_limit = self._future_clock() + self._tolerance
        return executed_ns > self._future_limit

    @staticmethod
    def _is_duplicate(by_market: SortedKeyList, execution: Execution) -> bool:
        # Same market, so the same executed_at, price and amount make the dedupe key equal.
        executed_ns = execution.executed_at_ns
        if not by_market or executed_ns > by_market[-1].executed_at_ns:
            return False  # newer than every retained print of the market: the common case
        price, amount = execution.price, execution.amount
        return any(
            other.price == price and other.amount == amount
            for other in by_market.irange_key(executed_ns, executed_ns)
        )

    def drain_new(self) -> list[Execution]:
        """Every accepted print exactly once, in acceptance order (the UI and recorder)."""
        pending = self._pending
        self._pending = []
        return pending

    def _evict(self) -> None:
        execution: Execution = self._items.pop(0)
        executed_ns = execution.executed_at_ns
        by_market = self._by_market[execution.market]
        # The tape's oldest print is also its market's oldest (same order, ties by arrival).
        if by_market[0] is execution:
            del by_market[0]
        else:  # pragma: no cover - defensive: the orders cannot disagree
            by_market.remove(execution)
        if self._horizon_ns is None or executed_ns > self._horizon_ns:
            self._horizon_ns = executed_ns
        if self._window_after is None or executed_ns > self._window_after:
            self._window[execution.market].remove(execution)
            self._window_changes += 1
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
        self._window_after = after
        floor = self._window_floor
        if floor is not None and after < floor:
            return  # nothing in the window is old enough to leave
        items = self._items
        start = 0 if before is None else items.bisect_key_left(before + 1)
        stop = items.bisect_key_left(after + 1)
        for index in range(start, stop):
            execution = items[index]
            self._window[execution.market].remove(execution)
        if stop > start:
            self._window_changes += 1
        self._window_floor = items[stop].executed_at_ns if stop < len(items) else None

    def _window_stats(self) -> dict[str, TapeStats]:
        after = self._window_after
        for market, window in self._window.items():
            if window.extremes_stale:
                prices = [
                    execution.price
                    for execution in self._by_market[market].irange_key(
                        min_key=after + 1 if after is not None else None
                    )
                ]
                window.set_extremes(max(prices, default=None), min(prices, default=None))
        # Every market with a print this session appears, with zero counts when quiet.
        return {
            market: acc.stats() if (acc := self._window.get(market)) else TapeStats(market)
            for market in self._session
        }

    def view(self, limit: int = 200, market: str | None = None) -> TapeView:
        """Newest-first prints with tick and large flags, and session and window stats."""
        self._advance_window()
        cache_key = (limit, market)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == self._version and cached[1] == self._window_changes:
            return cached[2]
        source = self._items if market is None else self._by_market.get(market, _EMPTY)
        previous = cached[2].entries if cached is not None else ()
        view = TapeView(
            entries=self._entries(source, limit, previous),
            session={name: acc.stats() for name, acc in self._session.items()},
            window=self._window_stats(),
            duplicates_suppressed=self.duplicates_suppressed,
        )
        self._cache.put(cache_key, (self._version, self._window_changes, view))
        return view

    def _entries(
        self, source: SortedKeyList, limit: int, previous: tuple[TapeEntry, ...]
    ) -> tuple[TapeEntry, ...]:
        if limit <= 0:
            return ()
        shown: list[Execution] = source[-limit:][::-1]
        # Walking newest to oldest, each print is the predecessor of the newer print of its
        # market seen just before; the oldest shown print of a market looks one step further.
        previous_price: list[Decimal | None] = [None] * len(shown)
        newer_of_market: dict[str, int] = {}
        for position, execution in enumerate(shown):
            newer = newer_of_market.get(execution.market)
            if newer is not None:
                previous_price[newer] = execution.price
            newer_of_market[execution.market] = position
        for market_name, position in newer_of_market.items():
            by_market = self._by_market[market_name]
            oldest_shown = shown[position]
            index = by_market.bisect_key_left(oldest_shown.executed_at_ns)
            while by_market[index] is not oldest_shown:  # ties: find this very print
                index += 1
            if index > 0:
                previous_price[position] = by_market[index - 1].price
        # Entries of the previous view are reused when nothing about them changed.
        reusable = {id(entry.execution): entry for entry in previous}
        large = self._large
        entries: list[TapeEntry] = []
        for position, execution in enumerate(shown):
            before = previous_price[position]
            price = execution.price
            if before is None or price == before:
                tick = Tick.ZERO
            else:
                tick = Tick.UP if price > before else Tick.DOWN
            old = reusable.get(id(execution))
            if old is not None and old.execution is execution and old.tick is tick:
                entries.append(old)
                continue
            threshold = large.get(execution.market)
            is_large = threshold is not None and execution.amount >= threshold
            entries.append(TapeEntry(execution, tick, is_large))
        return tuple(entries)

    def session_stats(self, market: str) -> TapeStats:
        """Exact statistics of every accepted print of ``market`` this session."""
        acc = self._session.get(market)
        return acc.stats() if acc else TapeStats(market)
