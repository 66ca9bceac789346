"""The book cursor's highlight on the ladder's fast drawing path matches Textual's general
path cell by cell, and marks exactly the cursor's level."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

from sor_tui.core.book_cursor import BookCursor
from tests.ui.conftest import AppBuilder
from tests.ui.test_ladder_drawing import cells


async def test_the_cursor_row_is_reversed_on_both_paths(desk_app: AppBuilder) -> None:
    app = desk_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.render_frame()
        await pilot.pause()
        ladder = app.desk.ladders()[0]
        before = [cells(ladder.render_line(y)) for y in range(ladder.size.height)]
        await pilot.press("up", "up")  # the best ask, then the next one up
        assert ladder.cursor == BookCursor("ask", 1)
        await pilot.pause()
        crop = Region(0, 0, *ladder.size)
        fast = ladder.render_lines(crop)
        ladder._styles_cache.clear()
        general = Widget.render_lines(ladder, crop)
        assert [cells(s) for s in fast] == [cells(s) for s in general]
        after = [cells(s) for s in fast]
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert len(changed) == 1  # only the cursor's level line
        (row,) = changed
        price = ladder.view.asks[1].price  # type: ignore[union-attr]
        text = "".join(char for char, _ in after[row])
        assert f"{price:,}".split(".")[0] in text
        styles = {style for _, style in after[row][:-1]}  # the right-hand rule is not the level
        assert all(style is not None and style.reverse for style in styles)
        await pilot.press("escape")
        await pilot.pause()
        assert ladder.cursor is None
        assert [cells(ladder.render_line(y)) for y in range(ladder.size.height)] == before
