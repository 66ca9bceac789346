"""Resizing the desk live, from any size to any other, keeps what the user chose (market,
tape filter, tab, table cursor) and lays every size out whole, numbers true."""

from __future__ import annotations

from textual.widgets import TabbedContent

from sor_tui.core.desk_layout import TapePlace, desk_layout
from sor_tui.ui.widgets.book_ladder import BookLadder
from tests.ui.scenes import SCENES, build_scene, prepare
from tests.ui.test_number_cells import assert_ladder_tells_the_truth

SIZES = [(80, 24), (40, 12), (240, 70), (60, 20), (60, 50), (39, 11), (160, 48), (70, 24)]


async def test_resizing_keeps_choices_and_lays_out_each_size() -> None:
    scene = SCENES["desk"]
    app = build_scene(scene)
    async with app.run_test(size=(80, 24)) as pilot:
        await prepare(pilot, scene)
        desk = app.desk
        await pilot.press("n", "f")  # the second market first; the tape shows it alone
        await pilot.press("s", "down", "down", "down")  # a row picked in the subscriptions
        table = desk.subscription_panel.table
        row = table.cursor_row
        assert row == 3
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert table.cursor_row == row, size
            assert desk.query_one(TabbedContent).active == "subscriptions"
        await pilot.press("b")
        for width, height in SIZES:
            await pilot.resize_terminal(width, height)
            app.render_frame()
            await pilot.pause()
            layout = desk_layout(width, height, len(desk.markets), None)
            assert desk.arrangement == layout
            assert (desk.focused_market, desk.tape_filtered) == ("ETHUSD", True)
            assert table.cursor_row == row
            shown = [ladder for ladder in desk.ladders() if ladder.display]
            assert desk.tape.display == (layout.tape is not TapePlace.HIDDEN)
            assert desk.query_one("#too-small").display == layout.too_small
            if layout.too_small:
                continue
            assert [ladder.market for ladder in shown] == desk.visible_markets()
            assert shown[0].market == "ETHUSD"
            assert len(shown) == layout.ladders
            for ladder in shown:
                assert_shown_ladder_is_true(ladder)


def assert_shown_ladder_is_true(ladder: BookLadder) -> None:
    """The ladder as drawn fits its region and shows its view's numbers."""
    assert ladder.view is not None
    width, height = ladder.size
    assert ladder.region.right <= ladder.screen.size.width
    lines = [line.removesuffix(BookLadder.RULE) for line in ladder.shown_text().splitlines()]
    assert all(len(line) == width - 1 for line in lines)
    assert_ladder_tells_the_truth(lines, ladder.view, max(1, (height - 3) // 2))
