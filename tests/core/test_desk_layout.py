"""The desk's size classes: how many ladders, where the tape goes, when it is too small."""

from __future__ import annotations

import pytest

from sor_tui.core.desk_layout import TapePlace, desk_layout


@pytest.mark.parametrize(
    ("size", "markets", "ladders", "tape", "size_class"),
    [
        ((39, 24), 4, 1, TapePlace.HIDDEN, "too-small"),
        ((80, 11), 4, 1, TapePlace.SIDE, "too-small"),
        ((40, 12), 4, 1, TapePlace.HIDDEN, "narrow"),  # the ladder before the tape
        ((60, 20), 4, 1, TapePlace.HIDDEN, "narrow"),
        ((60, 50), 4, 1, TapePlace.BELOW, "narrow"),  # a tall split stacks
        ((70, 24), 4, 1, TapePlace.HIDDEN, "narrow"),
        ((80, 24), 4, 1, TapePlace.SIDE, "normal"),
        ((120, 40), 4, 2, TapePlace.SIDE, "normal"),
        ((160, 48), 4, 3, TapePlace.SIDE, "normal"),
        ((200, 60), 4, 4, TapePlace.SIDE, "normal"),
        ((200, 60), 2, 2, TapePlace.SIDE, "normal"),
        ((240, 70), 4, 4, TapePlace.SIDE, "wide"),
        ((300, 70), 9, 6, TapePlace.SIDE, "wide"),  # more ladders when there are markets
    ],
)
def test_size_classes(
    size: tuple[int, int], markets: int, ladders: int, tape: TapePlace, size_class: str
) -> None:
    layout = desk_layout(*size, markets, None)
    assert (layout.ladders, layout.tape, layout.size_class) == (ladders, tape, size_class)


def test_the_tape_key_overrides_the_size_class() -> None:
    assert desk_layout(60, 20, 4, True).tape is TapePlace.BELOW  # brought back, below
    assert desk_layout(60, 50, 4, False).tape is TapePlace.HIDDEN
    hidden = desk_layout(160, 48, 4, False)
    assert (hidden.tape, hidden.ladders) == (TapePlace.HIDDEN, 4)  # its room goes to ladders
