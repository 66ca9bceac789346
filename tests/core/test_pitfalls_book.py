"""The vendor-sample pitfalls of protocol §13 that live at the book and tape layer.

Each test is written so that it fails if the sample's mistake is repeated.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sor_tui.core.events import Execution
from sor_tui.core.state import DeskState
from sor_tui.core.tape import ExecutionTape
from sor_tui.core.views import BookStatus
from tests.core.book_helpers import NOW_NS, make_book, sides, snapshot, update

T = NOW_NS - 60 * 10**9


def test_pitfall_02_zero_is_detected_numerically() -> None:
    book = make_book()
    book.begin_sync()
    book.apply_snapshot(snapshot(T, (("100", "1"), ("99", "1"), ("98", "1"), ("97", "1"))))
    book.apply_update(update(T + 1, (("100", "0.0"), ("99", "0.00000000"), ("98", "0E-8"))))
    view = book.view(10)
    assert [level.price for level in view.bids] == [Decimal(97)]  # no phantom zero levels
    assert view.best_bid == Decimal(97)


def test_pitfall_03_price_spellings_are_one_level() -> None:
    book = make_book()
    book.begin_sync()
    book.apply_snapshot(snapshot(T, (("50000", "1"),)))
    book.apply_update(update(T + 1, (("50000.0", "2"),)))
    book.apply_update(update(T + 2, (("50000.00", "0"),)))
    assert book.view(10).bid_levels == 0


def test_pitfall_04_no_stale_book_after_reconnect() -> None:
    state = DeskState(wall_clock_ns=lambda: NOW_NS)
    state.begin_sync("BTCUSD")
    state.apply(snapshot(T, (("100", "1"),), (("101", "1"),)), NOW_NS)
    state.connection_lost()
    stale = state.book_view("BTCUSD", 10)
    assert stale is not None and stale.status is BookStatus.STALE  # never shown as LIVE
    # Reconnected and resubscribed: UPDATEs before the new SNAPSHOT are buffered, not
    # applied to the old book, and those newer than the SNAPSHOT survive it.
    state.begin_sync("BTCUSD")
    state.apply(update(T + 20, (("100", "5"),)), NOW_NS)
    syncing = state.book_view("BTCUSD", 10)
    assert syncing is not None and syncing.status is BookStatus.SYNCING
    assert syncing.bids == ()
    state.apply(snapshot(T + 10, (("100", "2"), ("99", "1")), (("101", "1"),)), NOW_NS)
    book = state.book("BTCUSD")
    assert book is not None
    assert sides(book)[0] == [(Decimal(100), Decimal(5)), (Decimal(99), Decimal(1))]


def test_pitfall_04_resubscribe_resets_snapshot_time() -> None:
    book = make_book()
    book.begin_sync()
    book.apply_snapshot(snapshot(T + 1_000, (("100", "1"),)))
    book.reset()  # unsubscribed
    book.begin_sync()  # subscribed again: a new subscription with its own SNAPSHOT
    book.apply_snapshot(snapshot(T, (("100", "1"),)))
    book.apply_update(update(T + 500, (("100", "3"),)))  # a stale snapT would drop this
    assert sides(book)[0] == [(Decimal(100), Decimal(3))]


def test_pitfall_05_late_live_updates_are_counted_not_dropped() -> None:
    # Our choice (docs/protocol.md): a live UPDATE at or before the snapshot time is
    # applied, because amounts are absolute; it is counted so that it shows.
    book = make_book()
    book.begin_sync()
    book.apply_update(update(T - 1, (("100", "7"),)))  # buffered before the snapshot
    book.apply_snapshot(snapshot(T, (("100", "1"),)))
    assert sides(book)[0] == [(Decimal(100), Decimal(1))]  # the buffered one is filtered
    assert book.dropped_stale_time == 1
    book.apply_update(update(T, (("100", "8"),)))
    assert sides(book)[0] == [(Decimal(100), Decimal(8))]
    assert book.late_updates == 1


def test_pitfall_11_notional_is_exact_not_floating_point() -> None:
    tape = ExecutionTape()
    exact = Fraction(0)
    as_float = 0.0
    for index in range(1_000):
        price, amount = "0.1", "0.3"
        tape.add(Execution("BTCUSD", Decimal(price), Decimal(amount), T + index, "t"))
        exact += Fraction(price) * Fraction(amount)
        as_float += float(price) * float(amount)
    notional = tape.view().session["BTCUSD"].notional
    assert Fraction(notional) == exact == 30
    assert as_float != 30  # the sample's parseFloat arithmetic would drift
    assert isinstance(notional, Decimal)


def test_pitfall_12_memory_bounded_and_recent_by_executed_at() -> None:
    tape = ExecutionTape(max_entries=100)
    for index in range(1_000):
        tape.add(Execution("BTCUSD", Decimal(1), Decimal(1), T + index * 10, "t"))
    assert len(tape) == 100
    tape.drain_new()
    # Arrival order is not time order: the most recent print arrives before older ones.
    fresh = ExecutionTape()
    for offset in (30, 10, 20):
        fresh.add(Execution("BTCUSD", Decimal(offset), Decimal(1), T + offset, "t"))
    recent = [entry.execution.price for entry in fresh.view(limit=2).entries]
    assert recent == [Decimal(30), Decimal(20)]


def test_pitfall_13_prices_sort_numerically() -> None:
    book = make_book()
    book.begin_sync()
    book.apply_snapshot(
        snapshot(T, (("9999.5", "1"), ("10000", "1"), ("999.75", "1")), (("10000.25", "1"),))
    )
    book.apply_update(update(T + 1, (), (("9999.75", "1"), ("100000", "1"))))
    bids, asks = sides(book)
    assert [price for price, _ in bids] == [Decimal("10000"), Decimal("9999.5"), Decimal("999.75")]
    assert [price for price, _ in asks] == [
        Decimal("9999.75"),
        Decimal("10000.25"),
        Decimal("100000"),
    ]
    view = book.view(1)
    assert view.best_bid == Decimal(10000) and view.best_ask == Decimal("9999.75")
    assert view.crossed


def test_pitfall_15_full_buffer_resyncs_instead_of_dropping_oldest() -> None:
    book = make_book(max_buffer=4)
    book.begin_sync()
    for offset in range(1, 5):  # exactly full: nothing is lost
        book.apply_update(update(T + offset, ((str(100 + offset), "1"),)))
    assert book.buffered == 4 and not book.needs_resync
    book.apply_update(update(T + 5, (("200", "1"),)))  # one too many
    assert book.needs_resync
    assert book.dropped_overflow == 1
    # A drop-oldest buffer would now build a LIVE book missing the first UPDATE.
    book.apply_snapshot(snapshot(T, (("90", "1"),)))
    assert book.status is not BookStatus.LIVE
    book.begin_sync()
    for offset in range(1, 5):
        book.apply_update(update(T + offset, ((str(100 + offset), "1"),)))
    book.apply_snapshot(snapshot(T, (("90", "1"),)))
    assert [price for price, _ in sides(book)[0]] == [Decimal(n) for n in (104, 103, 102, 101, 90)]
