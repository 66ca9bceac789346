"""OrderBook against a trivially simple model (dicts, sorted on read) under random event streams."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate, PriceLevel
from sor_tui.core.views import BookStatus, LevelChange
from tests.core.book_helpers import NOW_NS

BASE = NOW_NS - 10**12
MAX_BUFFER = 8
SHALLOW = 2  # the one depth the twin book is viewed at

# Several spellings of the same prices and of zero, so canonicalization is exercised.
price_texts = st.builds(
    lambda whole, frac, zeros: f"{whole}{frac}{'0' * zeros}" if frac else f"{whole}",
    st.integers(95, 105),
    st.sampled_from(["", ".5", ".25", ".0"]),
    st.integers(0, 2),
)
amount_texts = st.sampled_from(
    ["0", "0.0", "0.00000000", "-0", "1", "2.5", "0.00000001", "3.10", "3.1"]
)
level_lists = st.lists(
    st.builds(lambda p, a: PriceLevel(Decimal(p), Decimal(a)), price_texts, amount_texts),
    max_size=6,
)
# Snapshots are whole books: mostly non-zero levels, so the views have a top to watch.
snapshot_levels = st.lists(
    st.builds(
        lambda p, a: PriceLevel(Decimal(p), Decimal(a)),
        price_texts,
        st.sampled_from(["1", "2.5", "0.00000001", "3.10", "0"]),
    ),
    min_size=2,
    max_size=8,
)
offsets = st.integers(0, 5)  # times collide often: before, at and after the snapshot


class Model:
    """The documented algorithm, written as plainly as possible."""

    def __init__(self) -> None:
        self.status = BookStatus.IDLE
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.buffer: list[BookUpdate] = []
        self.snap_t: int | None = None
        self.overflowed = False

    def reset(self, status: BookStatus) -> None:
        self.status = status
        self.bids, self.asks, self.buffer = {}, {}, []
        self.snap_t = None
        self.overflowed = False

    @staticmethod
    def put(side: dict[Decimal, Decimal], levels: tuple[PriceLevel, ...]) -> None:
        for level in levels:
            if level.amount == 0:
                side.pop(level.price, None)  # Decimal keys compare numerically
            else:
                side[level.price] = level.amount

    def update(self, event: BookUpdate) -> None:
        if self.status is BookStatus.SYNCING:
            if self.overflowed:
                return
            if len(self.buffer) >= MAX_BUFFER:
                self.overflowed = True
                self.buffer = []
                return
            self.buffer.append(event)
        elif self.status is BookStatus.LIVE:
            # Live UPDATEs apply whatever their time (absolute amounts, docs/protocol.md).
            self.put(self.bids, event.bids)
            self.put(self.asks, event.asks)

    def snapshot(self, event: BookSnapshot) -> None:
        if self.status is BookStatus.IDLE or self.overflowed:
            return
        buffer = self.buffer
        self.reset(BookStatus.LIVE)
        self.snap_t = event.time_ns
        self.put(self.bids, event.bids)
        self.put(self.asks, event.asks)
        for update in buffer:
            if update.time_ns > event.time_ns:
                self.put(self.bids, update.bids)
                self.put(self.asks, update.asks)


class BookMachine(RuleBasedStateMachine):
    """Drives the real book and the model with the same events and compares them."""

    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook(
            "BTCUSD", max_buffer=MAX_BUFFER, wall_clock_ns=lambda: NOW_NS, max_crossed_updates=3
        )
        # A twin fed the same events but only ever viewed shallowly, so that its views may
        # skip re-reading sides whose shown top did not change (the full views above read
        # everything and would hide a mistake there).
        self.shallow = OrderBook(
            "BTCUSD", max_buffer=MAX_BUFFER, wall_clock_ns=lambda: NOW_NS, max_crossed_updates=3
        )
        self.model = Model()
        self.last_update: BookUpdate | None = None
        self.previous_marks_base: dict[tuple[str, Decimal], Decimal] | None = None

    @rule()
    def begin_sync(self) -> None:
        self.book.begin_sync()
        self.shallow.begin_sync()
        self.model.reset(BookStatus.SYNCING)

    @rule()
    def reset(self) -> None:
        self.book.reset()
        self.shallow.reset()
        self.model.reset(BookStatus.IDLE)

    @rule()
    def connection_lost(self) -> None:
        self.book.mark_stale()
        self.shallow.mark_stale()
        if self.model.status is not BookStatus.IDLE:
            self.model.status = BookStatus.STALE
            self.model.buffer = []

    @rule(offset=offsets, bids=level_lists, asks=level_lists)
    def update(self, offset: int, bids: list[PriceLevel], asks: list[PriceLevel]) -> None:
        event = BookUpdate("BTCUSD", BASE + offset, "t", tuple(bids), tuple(asks))
        self.last_update = event
        self.book.apply_update(event)
        self.shallow.apply_update(event)
        self.model.update(event)

    @precondition(lambda self: self.last_update is not None)
    @rule()
    def replay_last_update(self) -> None:
        assert self.last_update is not None
        self.book.apply_update(self.last_update)
        self.shallow.apply_update(self.last_update)
        self.model.update(self.last_update)

    @precondition(lambda self: self.model.status is BookStatus.LIVE)
    @rule(
        on_bids=st.booleans(),
        rank=st.sampled_from([1, 0, 2, 3]),
        amount=amount_texts,
        offset=offsets,
    )
    def touch_existing_level(self, on_bids: bool, rank: int, amount: str, offset: int) -> None:
        # Most real updates change a level near the top: aim at the n-th best price.
        side = self.model.bids if on_bids else self.model.asks
        prices = sorted(side, reverse=on_bids)
        if rank >= len(prices):
            return
        level = (PriceLevel(prices[rank], Decimal(amount)),)
        event = BookUpdate(
            "BTCUSD", BASE + 10 + offset, "t", level if on_bids else (), () if on_bids else level
        )
        self.book.apply_update(event)
        self.shallow.apply_update(event)
        self.model.update(event)

    @rule(offset=offsets, bids=snapshot_levels, asks=snapshot_levels)
    def snapshot(self, offset: int, bids: list[PriceLevel], asks: list[PriceLevel]) -> None:
        event = BookSnapshot("BTCUSD", BASE + offset, "t", tuple(bids), tuple(asks))
        self.book.apply_snapshot(event)
        self.shallow.apply_snapshot(event)
        self.model.snapshot(event)

    @invariant()
    def same_status(self) -> None:
        assert self.book.status is self.model.status

    @invariant()
    def live_view_equals_model(self) -> None:
        view = self.book.view(1_000)
        if self.model.status is BookStatus.SYNCING:
            assert view.bids == () and view.asks == ()
            return
        if self.model.status is not BookStatus.LIVE:
            return
        bids = sorted(self.model.bids.items(), reverse=True)
        asks = sorted(self.model.asks.items())
        assert [(level.price, level.amount) for level in view.bids] == bids
        assert [(level.price, level.amount) for level in view.asks] == asks
        assert view.best_bid == (bids[0][0] if bids else None)
        assert view.best_ask == (asks[0][0] if asks else None)
        for shown, model_side in ((view.bids, bids), (view.asks, asks)):
            running = Decimal(0)
            for level, (_, amount) in zip(shown, model_side, strict=True):
                running += amount
                assert level.cumulative == running

    @invariant()
    def change_marks_follow_previous_view(self) -> None:
        view = self.shallow.view(SHALLOW)
        if self.model.status is BookStatus.LIVE:
            bids = sorted(self.model.bids.items(), reverse=True)[:SHALLOW]
            asks = sorted(self.model.asks.items())[:SHALLOW]
            assert [(level.price, level.amount) for level in view.bids] == bids
            assert [(level.price, level.amount) for level in view.asks] == asks
            if bids:
                assert view.bids[-1].cumulative == sum(amount for _, amount in bids)
        current = {
            (side, level.price): level.amount
            for side, levels in (("bid", view.bids), ("ask", view.asks))
            for level in levels
        }
        previous = self.previous_marks_base
        self.previous_marks_base = current
        for side, levels in (("bid", view.bids), ("ask", view.asks)):
            for level in levels:
                if previous is None:
                    expected = LevelChange.NONE
                else:
                    before = previous.get((side, level.price))
                    if before is None:
                        expected = LevelChange.NEW
                    elif level.amount > before:
                        expected = LevelChange.UP
                    elif level.amount < before:
                        expected = LevelChange.DOWN
                    else:
                        expected = LevelChange.NONE
                assert level.change is expected

    @invariant()
    def grouped_view_equals_bucketed_model(self) -> None:
        if self.model.status is not BookStatus.LIVE:
            return
        view = self.book.view(3, Decimal(2))
        bid_buckets: dict[Decimal, Decimal] = {}
        for price, amount in self.model.bids.items():
            bucket = (price / 2).to_integral_value(rounding=ROUND_FLOOR) * 2
            bid_buckets[bucket] = bid_buckets.get(bucket, Decimal(0)) + amount
        ask_buckets: dict[Decimal, Decimal] = {}
        for price, amount in self.model.asks.items():
            bucket = (price / 2).to_integral_value(rounding=ROUND_CEILING) * 2
            ask_buckets[bucket] = ask_buckets.get(bucket, Decimal(0)) + amount
        assert [(level.price, level.amount) for level in view.bids] == sorted(
            bid_buckets.items(), reverse=True
        )[:3]
        assert [(level.price, level.amount) for level in view.asks] == sorted(ask_buckets.items())[
            :3
        ]


BookMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, derandomize=True
)
TestBookMachine = BookMachine.TestCase
