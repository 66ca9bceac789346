"""The market list: every configured market with its number key and book status."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from sor_tui.core.sanitize import sanitize

_BADGE_CLASS = {
    "LIVE": "live",
    "SYNCING": "syncing",
    "RESYNCING": "syncing",
    "STALE": "stale",
    "CROSSED": "crossed",
}


class MarketBar(Widget):
    """One line listing markets; the ones on screen are highlighted."""

    COMPONENT_CLASSES = {
        "market-bar--shown",
        "market-bar--key",
        "market-bar--live",
        "market-bar--syncing",
        "market-bar--stale",
        "market-bar--crossed",
        "market-bar--idle",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.markets: list[str] = []
        self.shown: set[str] = set()
        self.badges: dict[str, str] = {}

    def show(self, markets: list[str], shown: list[str], badges: dict[str, str]) -> None:
        """Redraw with the current markets, the visible ones and their badges."""
        if (markets, set(shown), badges) != (self.markets, self.shown, self.badges):
            self.markets, self.shown, self.badges = list(markets), set(shown), dict(badges)
            self.refresh()

    def render(self) -> Text:
        """Numbered markets with a coloured dot for their book status.

        A market that does not fit whole is left out, and the count of those is shown
        (``+3``): a name or a key is never cut.
        """
        width = self.size.width or 80
        entries: list[list[tuple[str, Style]]] = []
        for index, market in enumerate(self.markets):
            name_style = self._style("shown") if market in self.shown else Style()
            badge = _BADGE_CLASS.get(self.badges.get(market, ""), "idle")
            entry = [(f" {index + 1}", self._style("key"))] if index < 9 else []
            entry += [(f" {sanitize(market, 12)}", name_style), ("●", self._style(badge))]
            entries.append(entry)
        text = Text(no_wrap=True, overflow="crop")
        for shown, entry in enumerate(entries):
            more = len(entries) - shown - 1
            room = width - text.cell_len - (len(f" +{more}") if more else 0)
            if sum(len(part) for part, _ in entry) > room:
                text.append(f" +{len(entries) - shown}", style=self._style("key"))
                break
            for part, style in entry:
                text.append(part, style=style)
        return text

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"market-bar--{name}", partial=True)
