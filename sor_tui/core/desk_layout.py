"""How the desk uses the terminal it has: size classes, ladder count, where the tape goes.

- below ``MIN_WIDTH`` x ``MIN_HEIGHT``: too small, the desk says so instead of drawing;
- narrow (no room for a ladder beside the tape): the selected market's ladder comes first;
  the tape goes below it on a tall screen and is hidden on a short one (a key brings it
  back, below the ladder);
- normal: ladders side by side with the tape on the right;
- wide (``WIDE_FROM`` columns): a wider tape (milliseconds and full market names) and as
  many ladders as fit, up to ``MAX_LADDERS``; taller screens show more levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MIN_WIDTH = 40
MIN_HEIGHT = 12
LADDER_MIN_WIDTH = 40
TAPE_WIDTH = 38
WIDE_TAPE_WIDTH = 50
WIDE_FROM = 220
TALL_FROM = 40
"""Rows from which a narrow desk stacks the tape below the ladder instead of hiding it."""
MAX_LADDERS = 6


class TapePlace(StrEnum):
    """Where the trade tape is shown."""

    SIDE = "side"
    BELOW = "below"
    HIDDEN = "hidden"


@dataclass(frozen=True, slots=True)
class DeskLayout:
    """The desk's arrangement for one terminal size."""

    too_small: bool
    ladders: int
    tape: TapePlace
    tape_width: int  # cells of the tape when it is beside the ladders

    @property
    def size_class(self) -> str:
        """``too-small``, ``narrow``, ``normal`` or ``wide`` (a CSS class of the desk)."""
        if self.too_small:
            return "too-small"
        if self.tape is not TapePlace.SIDE and self.ladders == 1:
            return "narrow"
        return "wide" if self.tape_width == WIDE_TAPE_WIDTH else "normal"


def desk_layout(width: int, height: int, markets: int, tape_wanted: bool | None) -> DeskLayout:
    """The layout for a ``width`` x ``height`` desk (``tape_wanted`` None: by size)."""
    too_small = width < MIN_WIDTH or height < MIN_HEIGHT
    tape_width = WIDE_TAPE_WIDTH if width >= WIDE_FROM else TAPE_WIDTH
    if width >= LADDER_MIN_WIDTH + tape_width:
        tape = TapePlace.HIDDEN if tape_wanted is False else TapePlace.SIDE
    elif tape_wanted is None:
        tape = TapePlace.BELOW if height >= TALL_FROM else TapePlace.HIDDEN
    else:
        tape = TapePlace.BELOW if tape_wanted else TapePlace.HIDDEN
    beside = tape_width if tape is TapePlace.SIDE else 0
    ladders = max(1, min(MAX_LADDERS, markets, (width - beside) // LADDER_MIN_WIDTH))
    return DeskLayout(too_small, ladders, tape, tape_width)
