"""Every number the ladder, the tape and the stats line draw is the book's number: whole, or
marked ``≈`` and within half a unit of its last digit, or not shown (property tests through
the widgets' own drawing, at random widths and on random books)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.strip import Strip

from sor_tui.core.events import Execution
from sor_tui.core.views import BookStatus, BookView, LevelView, TapeEntry, TapeStats, TapeView, Tick
from sor_tui.ui.widgets.book_ladder import BookLadder
from sor_tui.ui.widgets.status_bar import StatusLine
from tests.core.test_number_text import check_number
from tests.ui.conftest import AppBuilder

APPROX = "\u2248"
PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
SIZES = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8)
WIDTHS = st.integers(min_value=40, max_value=260)
CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def plain(line: Text | Strip) -> str:
    """A built line's text without the ladder's right-hand rule."""
    return (line.plain if isinstance(line, Text) else line.text).removesuffix(BookLadder.RULE)


def side(levels: list[tuple[Decimal, Decimal]], descending: bool) -> tuple[LevelView, ...]:
    """Levels best first with their running totals."""
    unique = sorted({price: size for price, size in levels}.items(), reverse=descending)
    out, total = [], Decimal(0)
    for price, size in unique:
        total += size
        out.append(LevelView(price, size, total))
    return tuple(out)


def book(market: str, bids: tuple[LevelView, ...], asks: tuple[LevelView, ...]) -> BookView:
    return BookView(
        market, BookStatus.LIVE, bids, asks, None, None, None, None, None, False, False,
        None, None, len(bids), len(asks), 0, 1,
    )  # fmt: skip


def check_level(line: str, header: list[str], level: LevelView) -> None:
    tokens = line.replace("◀", " ").split()
    assert len(tokens) == len(header), (line, header)  # whole numbers only, none cut
    values = {"Price": level.price, "Size": level.amount, "Total": level.cumulative}
    for name, token in zip(header, tokens, strict=True):
        check_number(token, values[name])
    assert not tokens[0].startswith(APPROX)  # prices are never rounded


def assert_ladder_tells_the_truth(lines: list[str], view: BookView, rows: int) -> None:
    """The ladder's lines (title, header, asks, spread, bids) show ``view``'s numbers."""
    assert view.status.value in lines[0]  # the badge is never cut
    header = lines[1].split()
    assert header[:1] == ["Price"]
    asks = list(reversed(view.asks[:rows]))
    for line, level in zip(lines[2 + rows - len(asks) : 2 + rows], asks, strict=True):
        check_level(line, header, level)
    for line, level in zip(lines[3 + rows :], view.bids[:rows], strict=False):
        check_level(line, header, level)


async def test_ladder_numbers_are_the_books(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        ladder = app.desk.ladders()[0]

        @CHECKS
        @given(
            width=WIDTHS,
            bids=st.lists(st.tuples(PRICES, SIZES), min_size=1, max_size=10),
            asks=st.lists(st.tuples(PRICES, SIZES), min_size=1, max_size=10),
        )
        def check(
            width: int, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
        ) -> None:
            view = book(ladder.market, side(bids, True), side(asks, False))
            ladder.view = view
            lines = [plain(line) for line in ladder.build_lines(width, 25)]
            assert all(len(line) <= width for line in lines)
            assert "LIVE" in lines[0]  # the badge is never cut
            header = lines[1].split()
            assert header[:1] == ["Price"]
            asks_shown = [line for line in lines[2:13] if line.strip()]
            assert len(asks_shown) == len(view.asks)
            for line, level in zip(asks_shown, reversed(view.asks), strict=True):
                check_level(line, header, level)
            bids_shown = lines[14 : 14 + len(view.bids)]
            for line, level in zip(bids_shown, view.bids, strict=True):
                check_level(line, header, level)
            running = Decimal(0)
            for level in view.bids:  # the totals shown are the running sums of the sizes
                running += level.amount
                assert level.cumulative == running

        check()


async def test_tape_and_stats_numbers_are_the_prints(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        tape = app.desk.tape
        tape.set_filter(None, "BTCUSD")

        @CHECKS
        @given(
            width=WIDTHS,
            prints=st.lists(st.tuples(PRICES, SIZES), min_size=1, max_size=12),
            vwap=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999"), places=12),
        )
        def check(width: int, prints: list[tuple[Decimal, Decimal]], vwap: Decimal) -> None:
            at = 1_772_460_307_500_000_000
            entries = tuple(
                TapeEntry(Execution("BTCUSD", price, size, at - i, "t"), Tick.UP)
                for i, (price, size) in enumerate(prints)
            )
            volume = sum((size for _, size in prints), Decimal(0))
            high = max(price for price, _ in prints)
            low = min(price for price, _ in prints)
            stats = TapeStats("BTCUSD", len(prints), volume, Decimal(0), vwap, high, high, low)
            tape.tape = TapeView(entries, {"BTCUSD": stats})
            lines = [plain(line) for line in tape.build_lines(width, 40)]
            assert all(len(line) <= width for line in lines), lines
            stats_text = " ".join(lines[1:3])
            tokens = stats_text.split()
            values = {"vol": volume, "vwap": vwap, "hi": high, "lo": low}
            for label, token in itertools.pairwise(tokens):
                if label in values:
                    check_number(token, values[label])
            assert "n" in tokens  # the count stays
            rows = [line for line in lines if line.startswith(" 14:05:07")]
            assert len(rows) == len(prints)
            for row, entry in zip(rows, entries, strict=True):
                tokens = row.replace("▲", " ").split()
                assert len(tokens) in (2, 3, 4), row  # time, market, then whole numbers
                numbers = tokens[2:]
                for token, value in zip(
                    numbers, (entry.execution.price, entry.execution.amount), strict=False
                ):
                    check_number(token, value)
                assert len(numbers) == 2 or width < 60, row  # both fit at a usual width

        check()


async def test_status_bar_shows_whole_parts_only(desk_app: AppBuilder) -> None:
    line = StatusLine(
        "production",
        "RECONNECTING",
        "connection lost (1006); retrying with a long explanation",
        retry_in=12.5,
        token_expires_in=3540,
        messages_per_second=1234.0,
        lag_ms=5.0,
        reconnects=3,
        recording=True,
    )
    parts = {  # each number's part, and what shows any piece of it
        " │ token 59m00s": "token",
        " │ 1,234 msg/s": "msg/s",
        " │ lag 5 ms": "lag",
        " │ reconnects 3": "reconnects",
        " retry 12s": "retry 1",
    }
    for width in (40, 52, 64, 80, 120, 200):
        app = desk_app()
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.pause()
            bar = app.desk.status_bar
            bar.show(line, now=1000.0)
            text = bar.render().plain
            assert len(text) <= width
            assert text.startswith(" production  REC  RECONNECTING"), text  # badges whole
            for part, label in parts.items():  # a number is there whole or not at all
                assert part in text or label not in text, (width, text)
    assert all(part in text for part in parts)  # all of them at 200 columns


async def test_market_bar_leaves_out_whole_markets(desk_app: AppBuilder) -> None:
    names = ["BTCUSD", "ETHUSD", "BCHUSD", "LTCUSD", "LINKUSD", "AAVEUSD", "UNIUSD", "PAXGUSD"]
    app = desk_app(markets=",".join(names))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        text = app.desk.query_one("#market-bar").render().plain  # type: ignore[attr-defined]
        assert len(text) <= 40
        tokens = text.split()
        shown = [token.removesuffix("●") for token in tokens[1:-1:2]]
        assert shown == names[: len(shown)] and len(shown) < len(names), text  # none cut
        assert tokens[-1] == f"+{len(names) - len(shown)}", text
