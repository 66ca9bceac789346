"""The desk: market list, ladders and tape, subscriptions and errors, status bar and footer.

The screen lays widgets out and owns the desk-local choices (which markets are shown,
grouping, tape filter); it *displays* what the app hands it and *requests* feed actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from sor_tui.core.markets import market as market_info
from sor_tui.core.views import BookView
from sor_tui.ui.bindings import DESK_BINDINGS, GROUP_MULTIPLES, MARKET_DIGIT_BINDINGS
from sor_tui.ui.clock import Clock
from sor_tui.ui.messages import MarketFocused, ResyncRequested
from sor_tui.ui.replay_actions import COPY_BINDINGS, copy_book, copy_tape
from sor_tui.ui.widgets.book_ladder import BookLadder, badge_of
from sor_tui.ui.widgets.error_log import ErrorLog
from sor_tui.ui.widgets.market_bar import MarketBar
from sor_tui.ui.widgets.status_bar import StatusBar
from sor_tui.ui.widgets.subscription_panel import SubscriptionPanel
from sor_tui.ui.widgets.trade_tape import TradeTape

MAX_LADDERS = 4
LADDER_MIN_WIDTH = 40
QUIET_COPY_BINDINGS: list[BindingType] = [
    replace(b, show=False) if isinstance(b, Binding) else b for b in COPY_BINDINGS
]
TAPE_MIN_WIDTH = 36


def ladder_count(width: int, markets: int) -> int:
    """How many ladders fit side by side next to the tape (at least one)."""
    return max(1, min(MAX_LADDERS, markets, (width - TAPE_MIN_WIDTH) // LADDER_MIN_WIDTH))


class DeskScreen(Screen[None]):
    """The main screen of the desk."""

    # Copy keys stay out of the footer: at 80 columns "Copy book" pushed Help off it.
    BINDINGS = DESK_BINDINGS + QUIET_COPY_BINDINGS + MARKET_DIGIT_BINDINGS

    def __init__(
        self,
        markets: Sequence[str],
        *,
        clock: Clock,
        depth: int = 25,
        large_trade: Decimal = Decimal("100000"),
        sparkline: bool = True,
    ) -> None:
        super().__init__(id="desk-screen")
        self.sparkline = sparkline
        self.markets = list(markets)
        self.clock = clock
        self.depth = depth
        self.large_trade = large_trade
        self.first = 0  # index of the market in the first ladder
        self.shown_count = 1
        self.tape_filtered = False
        self.groups: dict[str, Decimal] = {}
        self.badges: dict[str, str] = {}
        self.ready = False  # children mounted: the frame timer may update them
        self._ladders: list[BookLadder] = []

    def compose(self) -> ComposeResult:
        """Lay out the desk."""
        yield MarketBar(id="market-bar")
        with TabbedContent(initial="desk", id="tabs"):
            with TabPane("Books", id="desk"), Horizontal(id="books"):
                with Horizontal(id="ladders"):
                    for index in range(MAX_LADDERS):
                        market = self.markets[index % len(self.markets)] if self.markets else ""
                        info = market_info(market)
                        yield BookLadder(
                            market,
                            tick=info.tick if info else None,
                            clock=self.clock,
                            id=f"ladder-{index}",
                            classes="ladder",
                        )
                yield TradeTape(id="trade-tape")
            with TabPane("Subscriptions", id="subscriptions"):
                yield SubscriptionPanel(self.markets, id="subscription-panel")
            with TabPane("Errors", id="errors"):
                yield ErrorLog(id="error-log")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        """Tell the tape each market's price precision and lay the ladders out."""
        self.ready = True
        self.status_bar = self.query_one(StatusBar)
        self.error_log = self.query_one(ErrorLog)
        self.subscription_panel = self.query_one(SubscriptionPanel)
        self.tape = tape = self.query_one(TradeTape)
        tape.large_notional = self.large_trade
        tape.show_sparkline = self.sparkline
        for name in self.markets:
            info = market_info(name)
            if info is not None:
                tape.places[name] = max(0, -int(info.tick.normalize().as_tuple().exponent))
        self._arrange(self.size.width)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Give each tab's keys a home: its table, or nothing on the books tab.

        Without this, focus stays on a widget of a hidden tab (or an input), and the
        desk's single-letter keys would be typed into it instead of acting.
        """
        self.focus_tab(event.pane.id or "desk")

    def focus_tab(self, pane: str) -> None:
        """Focus the tab's table (or nothing on the books tab), right now."""
        if pane == "subscriptions":
            self.subscription_panel.table.focus()
        elif pane == "errors":
            self.error_log.table.focus()
        else:
            self.set_focus(None)

    def on_unmount(self) -> None:
        """Stop frame updates once the children are gone."""
        self.ready = False

    @on(Resize)
    def _resized(self, event: Resize) -> None:
        self._arrange(event.size.width)

    # ---- what is shown ----------------------------------------------------------------

    @property
    def focused_market(self) -> str | None:
        """The market in the first ladder."""
        return self.markets[self.first] if self.markets else None

    def visible_markets(self) -> list[str]:
        """Markets whose ladders are on screen, first one first."""
        if not self.markets:
            return []
        count = min(self.shown_count, len(self.markets))
        return [self.markets[(self.first + i) % len(self.markets)] for i in range(count)]

    def ladders(self) -> list[BookLadder]:
        """The ladder widgets in order (queried once: the frame timer asks every frame)."""
        if not self._ladders:
            self._ladders = list(self.query(BookLadder))
        return self._ladders

    def _arrange(self, width: int) -> None:
        self.shown_count = ladder_count(width, len(self.markets))
        visible = self.visible_markets()
        for index, ladder in enumerate(self.ladders()):
            ladder.display = index < len(visible)
            if index < len(visible) and ladder.market != visible[index]:
                ladder.market = visible[index]
                info = market_info(visible[index])
                ladder.tick = info.tick if info else None
                ladder.group = self.groups.get(visible[index])
                ladder.view = None
                ladder.invalidate()
        tape = self.query_one(TradeTape)
        tape.set_filter(self.focused_market if self.tape_filtered else None, self.focused_market)
        self._show_market_bar()
        if self.focused_market:
            self.post_message(MarketFocused(self.focused_market))

    def _show_market_bar(self) -> None:
        self.query_one(MarketBar).show(self.markets, self.visible_markets(), self.badges)

    # ---- display, called by the app ----------------------------------------------------

    def show_book(self, view: BookView) -> None:
        """Hand a book view to its ladder (if shown) and update the market bar."""
        for ladder in self.ladders():
            if ladder.display and ladder.market == view.market:
                ladder.show(view)
        badge = badge_of(view)
        if self.badges.get(view.market) != badge:
            self.badges[view.market] = badge
            self._show_market_bar()

    def tick_frame(self) -> None:
        """Per-frame cheap refresh of fading marks and ages."""
        for ladder in self.ladders():
            if ladder.display:
                ladder.tick_frame()

    # ---- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Desk keys work only while the books tab is shown."""
        if action in ("market", "jump", "group", "filter_tape", "resync", "depth"):
            return self.query_one(TabbedContent).active == "desk"
        return True

    def action_copy_book(self) -> None:
        """Copy the focused market's book to the clipboard (OSC 52)."""
        copy_book(self.app)

    def action_copy_tape(self) -> None:
        """Copy the tape as shown to the clipboard (OSC 52)."""
        copy_tape(self.app)

    def action_market(self, step: int) -> None:
        """Scroll the ladders to the next or previous market."""
        if self.markets:
            self.first = (self.first + step) % len(self.markets)
            self._arrange(self.size.width)

    def action_jump(self, index: int) -> None:
        """Show the n-th market first."""
        if index < len(self.markets):
            self.first = index
            self._arrange(self.size.width)

    def action_group(self) -> None:
        """Cycle the focused market's price grouping through multiples of its tick."""
        market = self.focused_market
        info = market_info(market) if market else None
        if market is None or info is None:
            return
        current = self.groups.get(market)
        multiples = [info.tick * m for m in GROUP_MULTIPLES]
        position = multiples.index(current) if current in multiples else 0
        group = multiples[(position + 1) % len(multiples)]
        self.groups[market] = group
        ladder = self.ladders()[0]
        ladder.group = None if group == info.tick else group
        self.post_message(MarketFocused(market))

    def action_filter_tape(self) -> None:
        """Toggle the tape between all markets and the focused one."""
        self.tape_filtered = not self.tape_filtered
        self._arrange(self.size.width)

    def action_resync(self) -> None:
        """Ask for a fresh snapshot of the focused market."""
        if self.focused_market:
            self.post_message(ResyncRequested(self.focused_market))

    def action_depth(self, step: int) -> None:
        """Change the number of levels requested per side."""
        self.depth = max(5, min(500, self.depth + step))
        self.notify(f"Book depth {self.depth}", timeout=1.5)
        if self.focused_market:
            self.post_message(MarketFocused(self.focused_market))
