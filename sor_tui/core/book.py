"""One market's aggregated order book: snapshot/buffer synchronization and integrity.

The levels live in ``book_levels`` (one ``Side`` each); the views read from them live in
``book_views``.

Synchronization follows protocol §8.1-§8.2: UPDATEs received while SYNCING are buffered
(bounded; overflow asks for a resync instead of dropping anything), the SNAPSHOT at time T
replaces the book, buffered UPDATEs with ``time > T`` are applied in arrival order, the rest
are dropped. Live UPDATEs are applied whatever their time: levels carry absolute amounts,
so applying one again is harmless, while dropping one would lose a change.

Decisions where the protocol is silent (documented here, tested in tests/core):

- A SNAPSHOT is accepted in every state except IDLE (data for an unsubscribed book is
  dropped and counted); after a buffer overflow it is ignored too, because the UPDATEs lost
  to the overflow cannot be recovered: only the requested resync can fix the book.
- A time going backwards is applied (arrival order is the server's emission order) and
  counted; ``last_update_ns`` keeps the largest trusted time.
- A far-future time (beyond the clock + ``future_tolerance_ns``; the desk state passes the
  server's estimated clock) is counted and flagged but never becomes a threshold: a live
  UPDATE is applied without advancing ``last_update_ns``; a far-future SNAPSHOT is loaded
  and the book asks for a resync.
- A persistent cross (best bid > best ask for ``max_crossed_updates`` consecutive messages
  or ``max_crossed_ns`` of wall time) is flagged and asks for at most one resync per
  episode (``crossed_resync``; ``book_integrity`` says why).
- A level that cannot be valid (non-positive price, negative or NaN amount) asks for a
  resync; the rest of that message is not applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sor_tui.core.book_integrity import CrossWatch, integrity_flags
from sor_tui.core.book_levels import MAX_LEVELS_PER_FRAME, BookLevels, ScaleTooSmall, Side
from sor_tui.core.book_views import Figures, ViewCache
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from sor_tui.core.frozen import twin
from sor_tui.core.views import BookStatus, BookView, LevelView

IDLE = BookStatus.IDLE
SYNCING = BookStatus.SYNCING
LIVE = BookStatus.LIVE
STALE = BookStatus.STALE
RESYNCING = BookStatus.RESYNCING

# Invalid levels, NaN or infinite decimals; TypeError: a signalling NaN cannot be hashed.
_BAD_LEVEL = (ValueError, ArithmeticError, TypeError)
_BOOK_VIEW = twin(BookView)
COUNTERS = (
    "updates_applied",
    "levels_applied",
    "dropped_stale_time",
    "dropped_not_live",
    "dropped_overflow",
    "snapshots_ignored",
    "time_regressions",
    "future_times",
    "oversized_frames",
    "long_crosses",
    "late_updates",
)


class OrderBook:
    """The aggregated book of one market, kept exactly, with its synchronization state."""

    def __init__(
        self,
        market: str,
        *,
        max_buffer: int = 50_000,
        future_tolerance_ns: int = 5 * 60 * 10**9,
        wall_clock_ns: Callable[[], int] = time.time_ns,
        max_crossed_updates: int = 50,
        max_crossed_ns: int = 5 * 10**9,
        crossed_resync: bool = True,
    ) -> None:
        self.market = market
        self._max_buffer = max_buffer
        self._tolerance = future_tolerance_ns
        self._wall = wall_clock_ns
        self._views = ViewCache()
        self._levels = BookLevels(self._views)
        self._bids = self._levels.bids
        self._asks = self._levels.asks
        self._bid_watch = self._views.bid_watch
        self._ask_watch = self._views.ask_watch
        self._status = IDLE
        self._buffer: list[BookUpdate] = []
        self._overflowed = False
        self._snapshot_ns: int | None = None  # the SNAPSHOT's time as sent (for display)
        self._drop_at_or_before: int | None = None  # the live ``time <= snapT`` threshold
        self._last_ns: int | None = None
        # The wall-clock limit is cached and refreshed only when a time exceeds it: the
        # cached value is never above the true limit, so the check stays correct.
        self._future_limit = 0
        self._version = 0
        self._needs_resync = False
        self._resync_reason: str | None = None
        self._cross = CrossWatch(max_crossed_updates, max_crossed_ns, wall_clock_ns)
        self._crossed_resync = crossed_resync
        self.updates_applied = 0
        self.levels_applied = 0
        self.dropped_stale_time = 0
        self.dropped_not_live = 0
        self.dropped_overflow = 0
        self.snapshots_ignored = 0
        self.time_regressions = 0
        self.future_times = 0
        self.oversized_frames = 0
        self.long_crosses = 0
        self.late_updates = 0  # live UPDATEs at or before the snapshot time (applied)
        self._flag_base = (0, 0)  # counters at begin_sync: flags describe this sync only

    # -- state ------------------------------------------------------------------------

    @property
    def status(self) -> BookStatus:
        """The synchronization status."""
        return self._status

    @property
    def needs_resync(self) -> bool:
        """True when the book cannot be trusted until a fresh SNAPSHOT (resubscribe)."""
        return self._needs_resync

    @property
    def resync_reason(self) -> str | None:
        """Why a resync is needed (None when it is not)."""
        return self._resync_reason

    @property
    def buffered(self) -> int:
        """UPDATEs currently buffered while waiting for the SNAPSHOT."""
        return len(self._buffer)

    @property
    def version(self) -> int:
        """Changes whenever the book or its status changes (never reused)."""
        return self._version

    @property
    def snapshot_time_ns(self) -> int | None:
        """The time of the SNAPSHOT the book was built from."""
        return self._snapshot_ns

    @property
    def last_update_ns(self) -> int | None:
        """The largest trusted time applied (snapshot or update)."""
        return self._last_ns

    def counters(self) -> dict[str, int]:
        """All counters by name (for metrics and the status bar)."""
        counters = {name: getattr(self, name) for name in COUNTERS}
        counters["buffered"] = len(self._buffer)
        return counters

    def view_stats(self) -> dict[str, int]:
        """How the views are read: view states kept, and side reads (builds and refreshes)."""
        return {"kept": self._views.kept, "side_reads": self._views.side_reads}

    def _clear(self) -> None:
        self._levels.clear()
        self._buffer = []
        self._overflowed = False
        self._snapshot_ns = None
        self._drop_at_or_before = None
        self._last_ns = None
        self._cross.reset()
        self._version += 1

    def begin_sync(self) -> None:
        """A subscribe was sent (or re-sent): forget everything and wait for a SNAPSHOT."""
        self._clear()
        self._needs_resync = False
        self._resync_reason = None
        self._flag_base = (self.time_regressions, self.future_times)
        self._status = SYNCING

    def reset(self) -> None:
        """Unsubscribed: forget everything and drop any later data (IDLE)."""
        self._clear()
        self._needs_resync = False
        self._resync_reason = None
        self._status = IDLE

    def mark_stale(self) -> None:
        """The connection was lost: keep the levels for display, but say they are old."""
        if self._status is not IDLE:
            self._buffer = []
            self._status = STALE
            self._version += 1

    def mark_resyncing(self) -> None:
        """A resync was requested: keep the levels for display until the new SNAPSHOT."""
        if self._status is not IDLE:
            self._buffer = []
            self._status = RESYNCING
            self._version += 1

    def request_resync(self, reason: str) -> None:
        """Judge the book untrustworthy; the first reason is kept until the next sync."""
        if not self._needs_resync:
            self._needs_resync = True
            self._resync_reason = reason
            self._version += 1

    # -- events -----------------------------------------------------------------------

    def apply_snapshot(self, event: BookSnapshot) -> bool:
        """Replace the book with a SNAPSHOT and replay the buffer; False when ignored."""
        if self._status is IDLE or self._overflowed:
            self.snapshots_ignored += 1
            return False
        if len(event.bids) + len(event.asks) > MAX_LEVELS_PER_FRAME:
            self.oversized_frames += 1
            self.request_resync(f"a snapshot with more than {MAX_LEVELS_PER_FRAME} levels")
            return False
        buffer = self._buffer
        self._clear()
        snap_ns = event.time_ns
        self._snapshot_ns = snap_ns
        self._status = LIVE
        if self._is_future(snap_ns):
            self.future_times += 1
            self.request_resync("snapshot time is far in the future")
        else:
            self._drop_at_or_before = snap_ns
            self._last_ns = snap_ns
        try:
            self._set_levels(self._bids, event.bids)
            self._set_levels(self._asks, event.asks)
        except _BAD_LEVEL as exc:
            self.request_resync(f"invalid snapshot level: {exc}")
            return True
        for update in buffer:
            if update.time_ns > snap_ns:
                self._apply(update)
            else:
                self.dropped_stale_time += 1
        self._check_cross()
        return True

    def apply_update(self, event: BookUpdate) -> bool:
        """Apply (LIVE) or buffer (SYNCING) an UPDATE; True when the levels changed."""
        status = self._status
        if status is LIVE:
            threshold = self._drop_at_or_before
            if threshold is not None and event.time_ns <= threshold:
                self.late_updates += 1  # counted, applied: amounts are absolute
            self._apply(event)
            best_bid = self._bids.best
            if self._cross.count or (
                best_bid is not None and self._asks.best is not None and best_bid > self._asks.best
            ):
                self._check_cross()
            return True
        if status is SYNCING:
            if self._overflowed:
                self.dropped_overflow += 1
            elif len(self._buffer) >= self._max_buffer:
                # Dropping the oldest would corrupt the book silently: resync instead.
                self._overflowed = True
                self._buffer = []
                self.dropped_overflow += 1
                self.request_resync(f"more than {self._max_buffer} updates before the snapshot")
            else:
                self._buffer.append(event)
            return False
        self.dropped_not_live += 1
        return False

    def _is_future(self, time_ns: int) -> bool:
        if time_ns <= self._future_limit:
            return False
        self._future_limit = self._wall() + self._tolerance
        return time_ns > self._future_limit

    def _apply(self, event: BookUpdate) -> None:
        time_ns = event.time_ns
        if time_ns > self._future_limit and self._is_future(time_ns):
            self.future_times += 1
        else:
            last = self._last_ns
            if last is not None and time_ns < last:
                self.time_regressions += 1
            else:
                self._last_ns = time_ns
        bids, asks = event.bids, event.asks
        if len(bids) + len(asks) > MAX_LEVELS_PER_FRAME:
            self.oversized_frames += 1
            self.request_resync(f"an update with more than {MAX_LEVELS_PER_FRAME} levels")
            return
        try:
            # The common case in one go; a price needing a larger scale takes the slow path.
            factor = self._levels.factor
            if bids:
                self._bids.apply(bids, factor, self._bid_watch)
            if asks:
                self._asks.apply(asks, factor, self._ask_watch)
            self.levels_applied += len(bids) + len(asks)
        except ScaleTooSmall:
            self._apply_rescaling(bids, asks)
        except _BAD_LEVEL as exc:
            self.request_resync(f"invalid update level: {exc}")
        self.updates_applied += 1
        self._version += 1

    def _apply_rescaling(self, bids: Sequence[PriceLevel], asks: Sequence[PriceLevel]) -> None:
        # Re-applying bids that were already applied is harmless: every operation is a set.
        try:
            self._set_levels(self._bids, bids)
            self._set_levels(self._asks, asks)
        except _BAD_LEVEL as exc:
            self.request_resync(f"invalid update level: {exc}")

    def _set_levels(self, side: Side, levels: Sequence[PriceLevel]) -> None:
        self._levels.load(side, levels)
        self.levels_applied += len(levels)

    def _check_cross(self) -> None:
        best_bid = self._bids.best
        best_ask = self._asks.best
        cross = self._cross
        if cross.observe(best_bid is not None and best_ask is not None and best_bid > best_ask):
            if cross.episode:
                self.long_crosses += 1
            self._version += 1
            if cross.episode and self._crossed_resync:
                self.request_resync(f"book crossed for {cross.count} consecutive messages")

    # -- views ------------------------------------------------------------------------

    def view(self, depth: int, group: Decimal | None = None) -> BookView:
        """A frozen best-first view; change marks compare with the previous call's view.

        Calling again without a change returns the same object (marks cleared once).
        ``group`` sums levels into price buckets of that size (bids floor, asks ceil).
        """
        if group is None:
            return self._views.plain(depth, self._version, self._bids, self._asks, self._assemble)
        sides = (self._bids, self._asks)
        return self._views.grouped(
            depth, group, self._version, sides, self._levels.group_key, self._assemble
        )

    def _flags(self) -> tuple[str, ...]:
        return integrity_flags(
            self._resync_reason if self._needs_resync else None,
            self.time_regressions - self._flag_base[0],
            self.future_times - self._flag_base[1],
            self._overflowed,
            self._cross.episode,
        )

    def _assemble(
        self,
        bids: tuple[LevelView, ...],
        asks: tuple[LevelView, ...],
        figures: Figures,
    ) -> BookView:
        best_bid, best_ask, spread, spread_bps, mid = figures
        bid_key, ask_key = self._bids.best, self._asks.best
        both = bid_key is not None and ask_key is not None
        base = self._flag_base
        if (
            self._needs_resync
            or self._overflowed
            or self._cross.episode
            or self.time_regressions != base[0]
            or self.future_times != base[1]
        ):
            flags = self._flags()
        else:
            flags = ()  # the usual case, on every view
        view: Any = _BOOK_VIEW()  # built through its twin (core.frozen): a redraw's fixed cost
        view.market = self.market
        view.status = self._status
        view.bids = bids
        view.asks = asks
        view.best_bid = best_bid
        view.best_ask = best_ask
        view.spread = spread
        view.spread_bps = spread_bps
        view.mid = mid
        view.crossed = both and bid_key > ask_key  # type: ignore[operator]
        view.locked = both and bid_key == ask_key
        view.snapshot_time_ns = self._snapshot_ns
        view.last_update_ns = self._last_ns
        view.bid_levels = len(self._bids.levels)
        view.ask_levels = len(self._asks.levels)
        view.updates_applied = self.updates_applied
        view.version = self._version
        view.flags = flags
        view.__class__ = BookView
        return view  # type: ignore[no-any-return]  # a BookView now
