"""A small terminal model for output tests: every cell's character and full style.

pyte drops some attributes (dim); this model keeps every SGR attribute and colour, and
understands exactly the sequences Textual and ``SpanWriter`` write: absolute and forward
cursor moves, SGR, line feeds and text. Other sequences are ignored.
"""

from __future__ import annotations

import re

from rich.cells import get_character_cell_size

_TOKEN = re.compile(
    r"\x1b\[(?P<csi>[\d;?]*)(?P<final>[A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|(?P<char>.)",
    re.S,
)
_COLOUR_BASES = {"38": "fg", "48": "bg"}
_OFF = {"22": ("1", "2"), "23": ("3",), "24": ("4", "21"), "25": ("5", "6"), "27": ("7",)}
_OFF |= {"28": ("8",), "29": ("9",), "54": ("51", "52"), "55": ("53",)}
Cell = tuple[str, str, str, frozenset[str]]
_INK_ON_BLANKS = frozenset({"4", "7", "9", "21", "51", "52", "53"})


class CellScreen:
    """A grid of (character, foreground, background, attributes) fed with terminal output."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        blank: Cell = (" ", "", "", frozenset())
        self.cells: list[list[Cell]] = [[blank] * width for _ in range(height)]
        self.x = self.y = 0
        self.fg = self.bg = ""
        self.attributes: frozenset[str] = frozenset()

    def feed(self, text: str) -> None:
        """Interpret terminal output."""
        for match in _TOKEN.finditer(text):
            char = match.group("char")
            if char is not None:
                self._put(char)
            elif match.group("final") is not None:
                self._csi(match.group("csi"), match.group("final"))

    def _put(self, char: str) -> None:
        if char == "\n":
            self.y = min(self.height - 1, self.y + 1)
            return
        if char == "\r":
            self.x = 0
            return
        size = get_character_cell_size(char)
        if size == 0:
            return
        if 0 <= self.y < self.height and 0 <= self.x < self.width:
            self.cells[self.y][self.x] = (char, self.fg, self.bg, self.attributes)
            if size == 2 and self.x + 1 < self.width:
                self.cells[self.y][self.x + 1] = ("", self.fg, self.bg, self.attributes)
        self.x += size

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?"):
            return
        numbers = [p for p in params.split(";")] if params else []
        if final == "H":
            row = int(numbers[0]) if numbers and numbers[0] else 1
            column = int(numbers[1]) if len(numbers) > 1 and numbers[1] else 1
            self.y, self.x = row - 1, column - 1
        elif final == "C":
            self.x += int(numbers[0]) if numbers and numbers[0] else 1
        elif final == "m":
            self._sgr(numbers or ["0"])

    def _sgr(self, codes: list[str]) -> None:
        index = 0
        attributes = set(self.attributes)
        while index < len(codes):
            code = codes[index] or "0"
            if code in _COLOUR_BASES:
                length = 3 if codes[index + 1] == "5" else 5
                value = ";".join(codes[index : index + length])
                if code == "38":
                    self.fg = value
                else:
                    self.bg = value
                index += length
                continue
            if code == "0":
                attributes.clear()
                self.fg = self.bg = ""
            elif code == "39":
                self.fg = ""
            elif code == "49":
                self.bg = ""
            elif code in _OFF:
                attributes -= set(_OFF[code])
            elif 30 <= int(code) <= 37 or 90 <= int(code) <= 97:
                self.fg = code
            elif 40 <= int(code) <= 47 or 100 <= int(code) <= 107:
                self.bg = code
            else:
                attributes.add(code)
            index += 1
        self.attributes = frozenset(attributes)

    def visible(self) -> list[list[Cell]]:
        """The cells as a person sees them: a blank's foreground colour does not show."""
        return [
            [(c, "" if c == " " and not a & _INK_ON_BLANKS else fg, bg, a) for c, fg, bg, a in row]
            for row in self.cells
        ]
