"""ExecutionTape: ordering, de-duplication, bounds, ticks and exact statistics."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.events import Execution
from sor_tui.core.tape import ExecutionTape
from sor_tui.core.views import Tick

BASE = 1_780_000_000 * 10**9
D = Decimal


def ex(ns: int, price: str, amount: str = "1", market: str = "BTCUSD") -> Execution:
    """An execution at BASE + ns."""
    return Execution(market, Decimal(price), Decimal(amount), BASE + ns, f"t+{ns}")


def times(tape: ExecutionTape, **kwargs: object) -> list[int]:
    """Executed-at offsets of the tape view, newest first."""
    view = tape.view(**kwargs)  # type: ignore[arg-type]
    return [entry.execution.executed_at_ns - BASE for entry in view.entries]


class TestOrderAndDedupe:
    """Ordering by executed_at and duplicate suppression."""

    def test_out_of_order_prints_are_shown_by_executed_at(self) -> None:
        tape = ExecutionTape()
        for ns in (30, 10, 20, 50, 40):
            assert tape.add(ex(ns, "100"))
        assert times(tape) == [50, 40, 30, 20, 10]

    def test_ties_keep_arrival_order(self) -> None:
        tape = ExecutionTape()
        tape.add(ex(10, "100", "1"))
        tape.add(ex(10, "101", "2"))
        view = tape.view()
        assert [entry.execution.price for entry in view.entries] == [Decimal(101), Decimal(100)]

    def test_exact_duplicates_are_suppressed(self) -> None:
        tape = ExecutionTape()
        assert tape.add(ex(10, "100", "1.5"))
        assert not tape.add(ex(10, "100", "1.5"))
        assert not tape.add(ex(10, "100.00", "1.50"))  # the same numbers, other spelling
        assert tape.add(ex(10, "100", "1.6"))
        assert tape.add(ex(11, "100", "1.5"))
        assert tape.add(ex(10, "100", "1.5", market="ETHUSD"))
        assert tape.duplicates_suppressed == 2
        assert tape.view().duplicates_suppressed == 2
        assert len(tape) == 4

    def test_limit_and_market_filter(self) -> None:
        tape = ExecutionTape()
        for ns in range(10):
            tape.add(ex(ns, "100", market="BTCUSD" if ns % 2 else "ETHUSD"))
        assert times(tape, limit=3) == [9, 8, 7]
        assert times(tape, limit=3, market="ETHUSD") == [8, 6, 4]
        assert times(tape, market="SOLUSD") == []


class TestBounds:
    """Bounded memory, the dedupe horizon and drain_new."""

    def test_oldest_by_executed_at_is_evicted(self) -> None:
        tape = ExecutionTape(max_entries=3)
        for ns in (40, 10, 30, 20):
            tape.add(ex(ns, "100"))
        assert len(tape) == 3
        assert times(tape) == [40, 30, 20]
        assert tape.horizon_ns == BASE + 10
        assert tape.evicted == 1

    def test_replay_of_an_evicted_print_is_never_accepted(self) -> None:
        tape = ExecutionTape(max_entries=2)
        first = ex(10, "100")
        tape.add(first)
        tape.add(ex(20, "100"))
        tape.add(ex(30, "100"))  # evicts the first
        assert not tape.add(first)
        assert not tape.add(ex(10, "999"))  # at the horizon: indistinguishable from replay
        assert tape.too_old == 2
        assert tape.add(ex(11, "100"))  # after the horizon: accepted
        assert len(tape) == 2

    def test_impossible_prints_are_refused(self) -> None:
        tape = ExecutionTape()
        for price, amount in (("NaN", "1"), ("1", "Infinity"), ("0", "1"), ("1", "-1")):
            assert not tape.add(ex(1, price, amount))
        assert tape.invalid == 4 and len(tape) == 0
        assert tape.drain_new() == []

    def test_horizon_applies_when_another_print_shares_the_time(self) -> None:
        tape = ExecutionTape(max_entries=1)
        first = ex(0, "99")
        tape.add(first)
        tape.add(ex(0, "99", market="ETHUSD"))  # evicts the first; same executed_at
        assert not tape.add(first)  # a replay of the evicted print
        assert tape.too_old == 1

    def test_drain_new_returns_every_accepted_print_once(self) -> None:
        tape = ExecutionTape(max_entries=2)
        accepted = [ex(ns, "100") for ns in (5, 3, 9, 7)]
        for execution in accepted:
            tape.add(execution)
        tape.add(accepted[2])  # duplicate: not new
        assert tape.drain_new() == accepted  # evicted prints were still delivered
        assert tape.drain_new() == []
        tape.add(ex(100, "1"))
        assert [e.executed_at_ns - BASE for e in tape.drain_new()] == [100]


class TestTicksAndLarge:
    """Tick direction and the large-trade flag."""

    def test_ticks_compare_with_previous_print_of_the_same_market(self) -> None:
        tape = ExecutionTape()
        tape.add(ex(1, "100"))
        tape.add(ex(2, "50", market="ETHUSD"))
        tape.add(ex(4, "100"))  # equal: ZERO (inherits nothing)
        tape.add(ex(3, "101"))  # arrives late, sits between 1 and 4
        tape.add(ex(5, "99"))
        view = tape.view()
        ticks = {
            (e.execution.market, e.execution.executed_at_ns - BASE): e.tick for e in view.entries
        }
        assert ticks == {
            ("BTCUSD", 1): Tick.ZERO,
            ("ETHUSD", 2): Tick.ZERO,
            ("BTCUSD", 3): Tick.UP,
            ("BTCUSD", 4): Tick.DOWN,
            ("BTCUSD", 5): Tick.DOWN,
        }

    def test_tick_of_oldest_shown_print_looks_beyond_the_limit(self) -> None:
        tape = ExecutionTape()
        tape.add(ex(1, "100"))
        tape.add(ex(2, "105"))
        assert tape.view(limit=1).entries[0].tick is Tick.UP
        assert tape.view(limit=1, market="BTCUSD").entries[0].tick is Tick.UP

    def test_large_flag_per_market(self) -> None:
        tape = ExecutionTape(large_trade={"BTCUSD": Decimal("5")})
        tape.add(ex(1, "100", "5"))
        tape.add(ex(2, "100", "4.99999999"))
        tape.add(ex(3, "100", "500", market="ETHUSD"))
        flags = {e.execution.executed_at_ns - BASE: e.large for e in tape.view().entries}
        assert flags == {1: True, 2: False, 3: False}


class TestStats:
    """Exact session and window statistics, and view caching."""

    def test_session_stats_are_exact(self) -> None:
        rng = random.Random(7)
        tape = ExecutionTape(max_entries=50)  # eviction must not touch session stats
        notional = Fraction(0)
        volume = Fraction(0)
        prices = []
        for index in range(2_000):
            ns = index * 10 + rng.randint(0, 30)  # out of order, within a small horizon
            price = f"{rng.randint(90_000, 110_000)}.{rng.randint(0, 99):02d}"
            amount = f"0.{rng.randint(1, 99_999_999):08d}"
            tape.add(ex(ns, price, amount))
            notional += Fraction(price) * Fraction(amount)
            volume += Fraction(amount)
            prices.append((ns, index, Decimal(price)))
        stats = tape.view().session["BTCUSD"]
        assert tape.too_old == 0 and tape.evicted == 1_950
        assert stats.count == 2_000
        assert Fraction(stats.notional) == notional
        assert Fraction(stats.volume) == volume
        assert stats.high == max(price for _, _, price in prices)
        assert stats.low == min(price for _, _, price in prices)
        assert stats.last == max(prices)[2]  # last by executed_at, not by arrival
        assert stats.vwap is not None
        assert abs(Fraction(stats.vwap) - notional / volume) < Fraction(1, 10**20)

    def test_vwap_of_many_small_prints_is_exact(self) -> None:
        tape = ExecutionTape()
        for ns in range(10_000):
            tape.add(ex(ns, "0.1", "0.1"))
        stats = tape.view().session["BTCUSD"]
        assert stats.notional == Decimal(100)
        assert stats.volume == Decimal(1000)
        assert stats.vwap == Decimal("0.1")

    def test_window_stats_follow_the_clock(self) -> None:
        clock = [BASE]
        tape = ExecutionTape(window_ns=100, wall_clock_ns=lambda: clock[0])
        tape.add(ex(0, "10", "1"))
        tape.add(ex(50, "30", "2"))
        tape.add(ex(20, "20", "3"))  # late arrival, still in the window
        window = tape.view().window["BTCUSD"]
        assert (window.count, window.volume, window.high, window.low) == (3, D(6), D(30), D(10))
        clock[0] = BASE + 110  # the print at 0 leaves (window is (10, 110])
        window = tape.view().window["BTCUSD"]
        assert (window.count, window.volume, window.notional) == (2, D(5), D(120))
        assert (window.high, window.low, window.last) == (D(30), D(20), D(30))
        assert window.vwap == 24
        tape.add(ex(5, "1000"))  # older than the window: session only
        assert tape.view().window["BTCUSD"].high == 30
        assert tape.view().session["BTCUSD"].high == 1000
        clock[0] = BASE + 1_000
        window = tape.view().window["BTCUSD"]
        assert window.count == 0 and window.vwap is None and window.last is None

    def test_first_print_older_than_the_window(self) -> None:
        tape = ExecutionTape(window_ns=100, wall_clock_ns=lambda: BASE + 1_000)
        assert tape.add(ex(0, "5"))
        assert tape.view().window["BTCUSD"].count == 0
        assert tape.add(ex(950, "6"))
        assert tape.view().window["BTCUSD"].count == 1
        assert tape.view().session["BTCUSD"].count == 2

    def test_window_without_clock_follows_newest_print(self) -> None:
        tape = ExecutionTape(window_ns=10)
        tape.add(ex(0, "1"))
        tape.add(ex(5, "2"))
        tape.add(ex(12, "3"))
        assert tape.view().window["BTCUSD"].count == 2

    def test_eviction_updates_window_stats(self) -> None:
        tape = ExecutionTape(max_entries=2, window_ns=10**12)
        for ns, price in ((1, "5"), (2, "7"), (3, "6")):
            tape.add(ex(ns, price))
        window = tape.view().window["BTCUSD"]
        assert (window.count, window.low, window.high) == (2, D(6), D(7))

    def test_view_is_cached_until_something_changes(self) -> None:
        tape = ExecutionTape()
        tape.add(ex(1, "1"))
        first = tape.view()
        assert tape.view() is first
        tape.add(ex(2, "1"))
        assert tape.view() is not first

    def test_view_stays_cached_while_the_clock_moves_and_nothing_leaves(self) -> None:
        clock = [BASE]
        tape = ExecutionTape(window_ns=100, wall_clock_ns=lambda: clock[0])
        tape.add(ex(50, "1"))
        first = tape.view()
        clock[0] = BASE + 120
        assert tape.view() is first
        clock[0] = BASE + 151
        later = tape.view()
        assert later is not first and later.window["BTCUSD"].count == 0

    def test_late_print_changes_the_tick_of_the_next_one(self) -> None:
        tape = ExecutionTape()
        tape.add(ex(1, "100"))
        tape.add(ex(3, "100"))
        assert [entry.tick for entry in tape.view().entries] == [Tick.ZERO, Tick.ZERO]
        tape.add(ex(2, "90"))
        assert [entry.tick for entry in tape.view().entries] == [Tick.UP, Tick.DOWN, Tick.ZERO]


WINDOW = 5  # a window of 5 ns over offsets 0..12: prints leave it often
prints = st.lists(
    st.tuples(
        st.integers(0, 12),  # executed_at offsets collide often: ties and replays
        st.sampled_from(["99", "100", "100.5", "101"]),
        st.sampled_from(["1", "0.5", "2"]),
        st.sampled_from(["BTCUSD", "ETHUSD"]),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(prints, st.integers(1, 8))
def test_tape_matches_a_plain_model(raw: list[tuple[int, str, str, str]], capacity: int) -> None:
    tape = ExecutionTape(max_entries=capacity, window_ns=WINDOW)
    retained: list[tuple[int, int, Execution]] = []
    horizon: int | None = None
    accepted: list[Execution] = []
    for sequence, (ns, price, amount, market) in enumerate(raw):
        execution = ex(ns, price, amount, market)
        duplicate = any(item[2].dedupe_key == execution.dedupe_key for item in retained)
        too_old = horizon is not None and execution.executed_at_ns <= horizon
        expected = not duplicate and not too_old
        assert tape.add(execution) is expected
        if expected:
            accepted.append(execution)
            retained.append((execution.executed_at_ns, sequence, execution))
            if len(retained) > capacity:
                oldest = min(retained, key=lambda item: item[:2])
                retained.remove(oldest)
                horizon = oldest[0] if horizon is None else max(horizon, oldest[0])
    newest_first = sorted(retained, key=lambda item: item[:2], reverse=True)
    view = tape.view(limit=100)
    assert [entry.execution for entry in view.entries] == [item[2] for item in newest_first]
    for position, entry in enumerate(view.entries):
        older = [
            item
            for item in newest_first[position + 1 :]
            if item[2].market == entry.execution.market
        ]
        if not older or older[0][2].price == entry.execution.price:
            assert entry.tick is Tick.ZERO
        else:
            up = entry.execution.price > older[0][2].price
            assert entry.tick is (Tick.UP if up else Tick.DOWN)
    assert tape.drain_new() == accepted
    for market in ("BTCUSD", "ETHUSD"):
        mine = [execution for execution in accepted if execution.market == market]
        stats = tape.session_stats(market)
        assert stats.count == len(mine)
        assert stats.volume == sum((execution.amount for execution in mine), Decimal(0))
        notional = sum((execution.price * execution.amount for execution in mine), Decimal(0))
        assert stats.notional == notional
    if not accepted:
        return
    after = max(execution.executed_at_ns for execution in accepted) - WINDOW
    window = tape.view().window
    for market in ("BTCUSD", "ETHUSD"):
        inside = [item for item in retained if item[2].market == market and item[0] > after]
        got = window.get(market)
        if not inside:
            assert got is None or got.count == 0
            continue
        assert got is not None
        assert got.count == len(inside)
        assert got.volume == sum((item[2].amount for item in inside), Decimal(0))
        assert got.high == max(item[2].price for item in inside)
        assert got.low == min(item[2].price for item in inside)
        assert got.last == max(inside, key=lambda item: item[:2])[2].price


class TestFarFuture:
    """Prints dated beyond wall clock + tolerance (a decades-ahead executed_at)."""

    def test_far_future_print_is_refused_and_counted(self) -> None:
        clock = [BASE + 1_000]
        tape = ExecutionTape(window_ns=100, wall_clock_ns=lambda: clock[0], future_tolerance_ns=50)
        assert tape.add(ex(990, "10"))
        assert not tape.add(ex(1_051, "99"))  # 1 ns beyond wall clock + tolerance
        assert tape.too_new == 1 and tape.accepted == 1
        assert tape.add(ex(1_050, "11"))  # within the tolerance: a skewed clock is accepted
        assert times(tape) == [1_050, 990]

    def test_far_future_print_neither_freezes_the_window_nor_pins_the_head(self) -> None:
        clock = [BASE]
        tape = ExecutionTape(window_ns=100, wall_clock_ns=lambda: clock[0])
        tape.add(ex(0, "10"))
        assert not tape.add(ex(10**18, "65000"))  # decades ahead
        for step in range(1, 11):
            clock[0] = BASE + step * 10
            assert tape.add(ex(step * 10, "10"))
        view = tape.view()
        assert view.window["BTCUSD"].count == 10  # (BASE, BASE + 100]: all but the first
        assert view.entries[0].execution.executed_at_ns == BASE + 100
        assert tape.too_new == 1

    def test_without_a_clock_every_time_is_accepted(self) -> None:
        tape = ExecutionTape()
        assert tape.add(ex(10**18, "1"))
        assert tape.too_new == 0

    def test_desk_counts_far_future_prints(self) -> None:
        from sor_tui.core.state import DeskState

        state = DeskState(wall_clock_ns=lambda: BASE)
        state.apply(ex(10**18, "1"), BASE)
        assert state.counters()["executions_too_new"] == 1
        assert state.counters()["executions"] == 0
