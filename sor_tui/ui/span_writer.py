"""Write only the cells that changed: a model of the terminal's screen and a minimal diff.

Textual rewrites a changed line span whole, every segment with its full style and a reset.
``SpanWriter`` keeps what the terminal shows (a character and a style per cell), compares
each new line fragment with it, and writes only the changed runs of cells (short unchanged
gaps are rewritten when that is cheaper than a cursor move), changing only the style
attributes that differ from the terminal's current ones, and grouping the pieces by style
when the cursor moves that costs are fewer bytes than the style changes it saves. The
screen ends up identical; each style's codes are the ones Textual itself writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

UNKNOWN = "\x00"  # a cell whose content the terminal may show differently: always written
MAX_STYLES = 4096  # distinct styles remembered before the model starts afresh
GAP = 3  # unchanged cells between two changes rewritten (a skip costs a 4-byte move)
_ATTRIBUTES = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53")
"""SGR attribute codes in the order Textual writes them (bold, dim, italic ... overline)."""


# The code that turns each attribute off again.
_OFF = {
    "1": "22",
    "2": "22",
    "3": "23",
    "4": "24",
    "21": "24",
    "5": "25",
    "6": "25",
    "7": "27",
    "8": "28",
    "9": "29",
    "51": "54",
    "52": "54",
    "53": "55",
}
# Attributes that draw on a space (lines, inverse video): a space's colour shows with them.
_INK_ON_BLANKS = frozenset({"4", "7", "9", "21", "51", "52", "53"})


@dataclass(frozen=True)
class _Pen:
    """A style as the terminal sees it: attribute codes and colour codes."""

    attributes: frozenset[str]
    foreground: str
    background: str

    def codes(self) -> list[str]:
        ordered = [code for code in _ATTRIBUTES if code in self.attributes]
        return ordered + [c for c in (self.foreground, self.background) if c]


_PLAIN = _Pen(frozenset(), "", "")


def _delta(before: _Pen, after: _Pen) -> list[str]:
    """SGR codes that turn ``before`` into ``after`` without a full reset."""
    codes: list[str] = []
    dropped = before.attributes - after.attributes
    added = after.attributes - before.attributes
    for code in sorted(dropped, key=int):
        off = _OFF[code]
        if off not in codes:
            codes.append(off)
    if "22" in codes:  # 22 turns off bold and dim together: keep the one still wanted
        added |= after.attributes & {"1", "2"}
    if "54" in codes:
        added |= after.attributes & {"51", "52"}
    if "24" in codes:
        added |= after.attributes & {"4", "21"}
    codes += [code for code in _ATTRIBUTES if code in added]
    if after.foreground != before.foreground:
        codes.append(after.foreground or "39")
    if after.background != before.background:
        codes.append(after.background or "49")
    return codes


_SGR = re.compile(r"\x1b\[([\d;]*)m")


def _pen_from_codes(codes: list[str]) -> _Pen:
    """A pen from SGR codes (attributes, then foreground and background colours)."""
    attributes: set[str] = set()
    foreground = background = ""
    index = 0
    while index < len(codes):
        code = codes[index]
        if code in ("38", "48"):
            length = 3 if index + 1 < len(codes) and codes[index + 1] == "5" else 5
            value = ";".join(codes[index : index + length])
            if code == "38":
                foreground = value
            else:
                background = value
            index += length
            continue
        if code.isdigit():
            number = int(code)
            if 30 <= number <= 37 or 90 <= number <= 97:
                foreground = code
            elif 40 <= number <= 47 or 100 <= number <= 107:
                background = code
            elif code in _OFF:
                attributes.add(code)
        index += 1
    return _Pen(frozenset(attributes), foreground, background)


_Piece = tuple[int, int, int, str, int]  # row, first column, end column, text, style id


def _move(cursor: tuple[int, int] | None, column: int, row: int) -> str:
    """The shortest cursor move used to reach a cell from ``cursor`` (None: unknown)."""
    if cursor is not None and cursor[1] == row and column > cursor[0]:
        step = column - cursor[0]
        return "\x1b[C" if step == 1 else f"\x1b[{step}C"
    return f"\x1b[{row + 1}H" if column == 0 else f"\x1b[{row + 1};{column + 1}H"


def _overlapping(pieces: list[_Piece]) -> bool:
    """True when two pieces write the same cell (then their order matters)."""
    ordered = sorted((row, start, end) for row, start, end, _, _ in pieces)
    return any(a[0] == b[0] and b[1] < a[2] for a, b in pairwise(ordered))


class SpanWriter:
    """The terminal's screen as last written, and the escape sequences that change it."""

    def __init__(self, color_system: ColorSystem = ColorSystem.TRUECOLOR) -> None:
        self.color_system = color_system
        self.width = 0
        self.height = 0
        self._chars: list[list[str]] = []
        self._styles: list[list[int]] = []
        self._style_ids: dict[Style | None, int] = {None: 0}
        self._pens: list[_Pen] = [_PLAIN]
        self._pen_ids: dict[_Pen, int] = {_PLAIN: 0}
        self._transitions: dict[tuple[int, int], str] = {}
        self._blanks: dict[tuple[int, int], bool] = {}
        self._pieces: list[_Piece] = []
        self._linked: set[int] = set()

    # ---- one update --------------------------------------------------------------

    def begin(self, width: int, height: int, *, full: bool) -> None:
        """Start an update of a ``width`` x ``height`` screen (``full``: forget the model)."""
        if full or (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self._chars = [[UNKNOWN] * width for _ in range(height)]
            self._styles = [[-1] * width for _ in range(height)]
        if len(self._style_ids) > MAX_STYLES:
            self._forget_styles()
        self._pieces = []

    def put(self, y: int, x: int, segments: Iterable[Segment]) -> bool:
        """Draw one line fragment starting at column ``x`` of row ``y``.

        False when the fragment carries a hyperlink: nothing is written, the caller writes
        it whole and calls ``forget``.
        """
        if not 0 <= y < self.height or x >= self.width:
            return True
        chars, styles = self._cells(segments)
        if self._linked and not self._linked.isdisjoint(styles):
            return False
        end = min(self.width, x + len(chars))
        if end <= x:
            return True
        row_chars, row_styles = self._chars[y], self._styles[y]
        count = end - x
        if row_chars[x:end] == chars[:count] and row_styles[x:end] == styles[:count]:
            return True
        if x > 0 and row_chars[x] == "" and chars[0] != "":
            row_chars[x - 1] = UNKNOWN  # its right half is overwritten: the left goes too
        for first, last in self._changed_runs(row_chars, row_styles, chars, styles, x, end):
            self._add_pieces(y, first, last, chars, styles, x)
        row_chars[x:end] = chars[:count]
        row_styles[x:end] = styles[:count]
        if end < self.width and row_chars[end] == "":  # cut a wide character in two
            row_chars[end] = UNKNOWN
        return True

    def finish(self) -> str:
        """The escape sequences of this update (the terminal's style left plain).

        The changed pieces are written either row by row, or grouped by style (a cursor
        move is often cheaper than a style change); whichever is shorter.
        """
        pieces, self._pieces = self._pieces, []
        if not pieces:
            return ""
        in_rows = self._emit(pieces)
        by_style = sorted(pieces, key=lambda piece: (piece[4], piece[0], piece[1]))
        if _overlapping(pieces):
            return in_rows  # the order of writes matters then: keep Textual's
        grouped = self._emit(by_style)
        return grouped if len(grouped) < len(in_rows) else in_rows

    def _emit(self, pieces: list[_Piece]) -> str:
        """Write pieces in this order, from Textual's state (plain style, cursor unknown)."""
        out: list[str] = []
        pen = 0
        cursor: tuple[int, int] | None = None
        transition, move, width = self._transition, _move, self.width
        for row, start, end, text, sid in pieces:
            if cursor != (start, row):
                out.append(move(cursor, start, row))
            if sid != pen:
                out.append(transition(pen, sid))
                pen = sid
            out.append(text)
            cursor = (end, row) if end < width else None
        if pen != 0:
            out.append("\x1b[0m")
        return "".join(out)

    # ---- cells and runs ------------------------------------------------------------

    def _cells(self, segments: Iterable[Segment]) -> tuple[list[str], list[int]]:
        chars: list[str] = []
        styles: list[int] = []
        ids = self._style_ids
        for text, style, control in segments:
            if control or not text:
                continue
            sid = ids.get(style)
            if sid is None:
                sid = self._intern(style)
            if text.isascii():
                chars.extend(text)
                styles.extend([sid] * len(text))
                continue
            for char in text:
                size = get_character_cell_size(char)
                if size == 1:
                    chars.append(char)
                    styles.append(sid)
                elif size == 2:
                    chars.extend((char, ""))
                    styles.extend((sid, sid))
                elif chars:  # zero width: joins the previous cell
                    chars[-1 if chars[-1] else -2] += char
        return chars, styles

    @staticmethod
    def _changed_runs(
        row_chars: list[str],
        row_styles: list[int],
        chars: list[str],
        styles: list[int],
        x: int,
        end: int,
    ) -> list[tuple[int, int]]:
        """Runs [first, last) of columns to write, merging changes separated by short gaps."""
        changed = [
            column
            for column, old_char, new_char, old_style, new_style in zip(
                range(x, end), row_chars[x:end], chars, row_styles[x:end], styles, strict=False
            )
            if old_char != new_char or old_style != new_style
        ]
        runs: list[tuple[int, int]] = []
        first = last = -1
        for column in changed:
            if first >= 0 and column - last <= GAP:
                last = column + 1
                continue
            if first >= 0:
                runs.append((first, last))
            first, last = column, column + 1
        if first >= 0:
            runs.append((first, last))
        widened = []
        for first, last in runs:
            while first > x and chars[first - x] == "":
                first -= 1  # start on the wide character, not its right half
            if last < end and chars[last - x] == "":
                last += 1
            widened.append((first, last))
        return widened

    def _add_pieces(
        self, y: int, first: int, last: int, chars: list[str], styles: list[int], x: int
    ) -> None:
        """Cut a run of changed cells into pieces of one style each (a blank that looks the
        same in the current piece's style stays in it)."""
        blank = self._same_blank
        pieces = self._pieces
        low, high = first - x, last - x
        cuts = [i for i in range(low + 1, high) if styles[i] != styles[i - 1]]
        parts: list[str] = []
        start, pen = first, -1
        for a, b in zip([low, *cuts], [*cuts, high], strict=True):
            text = "".join(chars[a:b])  # a wide character's right half ("") adds nothing
            sid = styles[a]
            if sid != pen and not (pen >= 0 and not text.strip(" ") and blank(pen, sid)):
                if parts:
                    pieces.append((y, start, a + x, "".join(parts), pen))
                start, parts, pen = a + x, [], sid
            parts.append(text)
        if parts:
            pieces.append((y, start, last, "".join(parts), pen))

    # ---- styles ------------------------------------------------------------------

    def _intern(self, style: Style | None) -> int:
        """The id of the style's look (styles that differ only in meta share one)."""
        pen = self._pen_of(style)
        if style is not None and style.link:  # its own id: such fragments are not diffed
            linked = len(self._pens)
            self._pens.append(pen)
            self._linked.add(linked)
            self._style_ids[style] = linked
            return linked
        known = self._pen_ids.get(pen)
        sid = known if known is not None else len(self._pens)
        if known is None:
            self._pen_ids[pen] = sid
            self._pens.append(pen)
        self._style_ids[style] = sid
        return sid

    def _pen_of(self, style: Style | None) -> _Pen:
        """The style's look, from the very SGR codes Textual writes for it."""
        if style is None:
            return _PLAIN
        rendered = Strip.render_style(style, "", self.color_system)
        match = _SGR.match(rendered)
        return _pen_from_codes(match.group(1).split(";") if match else [])

    def _same_blank(self, old: int, new: int) -> bool:
        """True when a space looks the same in both styles (only the unseen colour differs)."""
        key = (old, new)
        same = self._blanks.get(key)
        if same is None:
            before, after = self._pens[old], self._pens[new]
            same = (
                before.attributes == after.attributes
                and before.background == after.background
                and not before.attributes & _INK_ON_BLANKS
            )
            self._blanks[key] = same
        return same

    def _transition(self, old: int, new: int) -> str:
        key = (old, new)
        cached = self._transitions.get(key)
        if cached is not None:
            return cached
        before, after = self._pens[old], self._pens[new]
        reset = ["0", *after.codes()]
        codes = _delta(before, after)
        if len(";".join(reset)) < len(";".join(codes)):
            codes = reset
        text = f"\x1b[{';'.join(codes)}m" if codes else ""
        self._transitions[key] = text
        return text

    def _forget_styles(self) -> None:
        self._style_ids = {None: 0}
        self._pens = [_PLAIN]
        self._pen_ids = {_PLAIN: 0}
        self._linked = set()
        self._transitions = {}
        self._blanks = {}
        self._chars = [[UNKNOWN] * self.width for _ in range(self.height)]
        self._styles = [[-1] * self.width for _ in range(self.height)]

    def forget(self, y: int, x: int, width: int) -> None:
        """Cells written by someone else: write them again next time."""
        if 0 <= y < self.height:
            end = min(self.width, x + width)
            self._chars[y][x:end] = [UNKNOWN] * max(0, end - x)
            self._styles[y][x:end] = [-1] * max(0, end - x)
