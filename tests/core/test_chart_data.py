"""Chart data: exact candles from prints, mids with breaks at gaps, bounded memory, depth."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.board_rows import UpdateRates, board_row, sort_rows
from sor_tui.core.chart_data import CANDLES_KEPT, SECOND_NS, TIMEFRAMES, ChartData
from sor_tui.core.depth_curve import depth_curve
from sor_tui.core.events import Execution, PriceLevel, TopOfBook
from sor_tui.core.views import BookStatus, BookView, LevelView

T0 = 1_772_460_000 * SECOND_NS  # a whole 15-minute boundary


def print_at(seconds: float, price: str, amount: str = "1", market: str = "BTCUSD") -> Execution:
    """One print ``seconds`` after T0."""
    return Execution(market, Decimal(price), Decimal(amount), T0 + int(seconds * SECOND_NS), "")


def test_candles_are_exact_ohlc_and_volume() -> None:
    data = ChartData()
    data.add_executions(
        [print_at(0.1, "100.1"), print_at(0.5, "100.3", "0.2"), print_at(0.9, "99.9", "0.3")]
    )
    data.add_executions([print_at(1.2, "100.0", "5")])
    first, second = data.candles("BTCUSD", "1s")
    assert (first.open, first.high, first.low, first.close) == (
        Decimal("100.1"),
        Decimal("100.3"),
        Decimal("99.9"),
        Decimal("99.9"),
    )
    assert first.volume == Decimal("1.5") and first.prints == 3
    assert second.start_ns == T0 + SECOND_NS and second.volume == Decimal(5)
    (minute,) = data.candles("BTCUSD", "1m")
    assert minute.volume == Decimal("6.5") and minute.close == Decimal("100.0")


def test_empty_buckets_stay_empty() -> None:
    # A bucket without prints (a quiet second or a disconnect) gets no candle at all.
    data = ChartData()
    data.add_executions([print_at(0, "1"), print_at(5, "2")])
    starts = [c.start_ns for c in data.candles("BTCUSD", "1s")]
    assert starts == [T0, T0 + 5 * SECOND_NS]


def test_out_of_order_prints_land_in_their_bucket() -> None:
    data = ChartData()
    data.add_executions([print_at(5.5, "2"), print_at(1, "1"), print_at(5.2, "3")])
    one, five = data.candles("BTCUSD", "1s")
    assert (one.start_ns, one.close) == (T0 + SECOND_NS, Decimal(1))
    assert (five.open, five.close, five.high) == (Decimal(3), Decimal(2), Decimal(3))


def test_print_older_than_a_full_buffer_is_counted() -> None:
    data = ChartData()
    data.add_executions([print_at(second + 10, "1") for second in range(CANDLES_KEPT)])
    data.add_executions([print_at(0, "9")])
    series = data.series("BTCUSD")
    assert series is not None and series.late_prints == 1
    assert data.candles("BTCUSD", "1s")[0].start_ns == T0 + 10 * SECOND_NS


def test_gap_breaks_the_mid_series_and_is_kept() -> None:
    data = ChartData()
    data.add_mid("BTCUSD", T0, Decimal("100"))
    data.connection_lost(T0 + SECOND_NS)
    data.connection_restored(T0 + 9 * SECOND_NS)
    data.add_mid("BTCUSD", T0 + 10 * SECOND_NS, Decimal("101"))
    assert [m.mid for m in data.mids("BTCUSD")] == [Decimal("100"), None, Decimal("101")]
    assert data.in_gap(T0 + 2 * SECOND_NS, T0 + 3 * SECOND_NS)
    assert not data.in_gap(T0 + 10 * SECOND_NS, T0 + 11 * SECOND_NS)


def test_memory_is_bounded_per_market_and_in_markets() -> None:
    data = ChartData(max_markets=3)
    for second in range(CANDLES_KEPT + 50):
        data.add_executions([print_at(second, "1")])
    assert len(data.candles("BTCUSD", "1s")) == CANDLES_KEPT
    for name in ("A", "B", "C", "D"):
        data.add_executions([print_at(0, "1", market=name)])
    assert data.series("BTCUSD") is None and data.series("D") is not None


def test_change_and_volume_over_a_window() -> None:
    data = ChartData()
    data.add_executions([print_at(0, "100"), print_at(30, "103", "2"), print_at(70, "101", "3")])
    change, volume = data.change("BTCUSD", T0 + 20 * SECOND_NS)
    assert change == Decimal(-2) and volume == Decimal(5)
    assert data.change("ETHUSD", T0) == (None, Decimal(0))


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3600 * 3), prices, amounts), min_size=1, max_size=80))
def test_candles_agree_with_a_direct_computation(rows: list[tuple[int, Decimal, Decimal]]) -> None:
    # In any arrival order, every timeframe's candles equal a group-by of the prints in
    # time order (distinct times, so open and close are well defined).
    seen: set[int] = set()
    rows = [row for row in rows if not (row[0] in seen or seen.add(row[0]))]
    data = ChartData()
    data.add_executions([print_at(s, str(p), str(a)) for s, p, a in rows])
    rows.sort(key=lambda row: row[0])
    for name, width in TIMEFRAMES.items():
        groups: dict[int, list[tuple[Decimal, Decimal]]] = {}
        for second, price, amount in rows:
            ns = T0 + second * SECOND_NS
            groups.setdefault(ns - ns % width, []).append((price, amount))
        expected = [
            (
                start,
                g[0][0],
                max(p for p, _ in g),
                min(p for p, _ in g),
                g[-1][0],
                sum(a for _, a in g),
            )
            for start, g in sorted(groups.items())
        ][-CANDLES_KEPT:]
        got = [
            (c.start_ns, c.open, c.high, c.low, c.close, c.volume)
            for c in data.candles("BTCUSD", name)
        ]
        assert got == expected


def view(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> BookView:
    """A live book view from (price, amount) pairs, best first."""

    def side(levels: list[tuple[str, str]]) -> tuple[LevelView, ...]:
        total, out = Decimal(0), []
        for price, amount in levels:
            total += Decimal(amount)
            out.append(LevelView(Decimal(price), Decimal(amount), total))
        return tuple(out)

    b, a = side(bids), side(asks)
    bid, ask = b[0].price, a[0].price
    return BookView(
        "BTCUSD", BookStatus.LIVE, b, a, bid, ask, ask - bid, None, (bid + ask) / 2,
        False, False, None, None, len(b), len(a), 0, 1,
    )  # fmt: skip


def test_depth_curve_is_cumulative_and_symmetric() -> None:
    curve = depth_curve(view([("99", "1"), ("98", "2")], [("101", "3"), ("102", "4")]), 4)
    assert curve is not None
    assert curve.mid == Decimal(100) and (curve.low, curve.high) == (Decimal(98), Decimal(102))
    assert curve.bids == (Decimal(3), Decimal(1))  # farthest first: both levels, then best
    assert curve.asks == (Decimal(3), Decimal(7))
    assert curve.peak == Decimal(7)


def test_depth_curve_needs_two_sides() -> None:
    one_sided = view([("99", "1")], [("101", "1")])
    assert depth_curve(one_sided, 1) is None


def test_board_row_prefers_top_of_book_and_sorts_unknowns_last() -> None:
    top = TopOfBook("BTCUSD", T0, "", PriceLevel(Decimal("99"), Decimal(1)), None)
    row = board_row(
        "BTCUSD", top=top, view=None, last=None, change=None, volume=Decimal(0), rate=None
    )
    assert (row.best_bid, row.best_ask, row.spread_bps, row.source) == (
        Decimal(99),
        None,
        None,
        "top",
    )
    book = view([("99", "1")], [("101", "1")])
    row2 = board_row(
        "ETHUSD", top=None, view=book, last=None, change=Decimal(1), volume=Decimal(2), rate=5
    )
    assert row2.spread_bps == Decimal("200.00") and row2.source == "book"
    assert [r.market for r in sort_rows([row, row2], "spread", True)] == ["ETHUSD", "BTCUSD"]


def test_update_rate_per_second() -> None:
    rates = UpdateRates()
    assert rates.sample("BTCUSD", 10, T0) is None
    assert rates.sample("BTCUSD", 40, T0 + 2 * SECOND_NS) == 15
    assert rates.sample("BTCUSD", 5, T0 + 3 * SECOND_NS) is None  # counter reset: unknown


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 50), amounts), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(1, 50), amounts), min_size=1, max_size=30),
    st.integers(2, 120),
)
def test_depth_curve_agrees_with_a_direct_sum(
    bid_offsets: list[tuple[int, Decimal]], ask_offsets: list[tuple[int, Decimal]], columns: int
) -> None:
    # Each column holds the size of every level between the mid and its outer edge.
    def side(offsets: list[tuple[int, Decimal]], sign: int) -> list[tuple[str, str]]:
        unique = dict(sorted(offsets))
        return [(str(100 + sign * offset), str(amount)) for offset, amount in unique.items()]

    book = view(side(bid_offsets, -1), side(ask_offsets, 1))
    curve = depth_curve(book, columns)
    assert curve is not None
    half = columns // 2
    step = (curve.mid - curve.low) / half
    for column, size in enumerate(curve.bids):
        edge = curve.mid - step * (half - column)
        assert size == sum((lv.amount for lv in book.bids if lv.price >= edge), Decimal(0))
    for column, size in enumerate(curve.asks):
        edge = curve.mid + step * (column + 1)
        assert size == sum((lv.amount for lv in book.asks if lv.price <= edge), Decimal(0))


def test_a_mid_alone_does_not_change_the_print_version() -> None:
    data = ChartData()
    data.add_executions([print_at(0, "1")])
    prints, any_change = (
        data.market_version("BTCUSD", prints_only=True),
        data.market_version("BTCUSD"),
    )
    data.add_mid("BTCUSD", T0 + SECOND_NS, Decimal(2))
    assert data.market_version("BTCUSD", prints_only=True) == prints
    assert data.market_version("BTCUSD") > any_change
    data.connection_lost(T0 + 2 * SECOND_NS)
    assert data.market_version("BTCUSD", prints_only=True) > prints
