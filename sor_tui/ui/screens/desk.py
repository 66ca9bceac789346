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
from textual.widgets import Footer, Static, TabbedContent, TabPane

from sor_tui.core.desk_layout import MAX_LADDERS, MIN_HEIGHT, MIN_WIDTH, TapePlace, desk_layout
from sor_tui.core.markets import market as market_info
from sor_tui.core.views import BookView
from sor_tui.runtime.clock import Clock
from sor_tui.ui.bindings import DESK_BINDINGS, GROUP_MULTIPLES, MARKET_DIGIT_BINDINGS
from sor_tui.ui.copy_record_actions import COPY_BINDINGS, copy_book, copy_tape
from sor_tui.ui.cursor_actions import CURSOR_ACTIONS, CURSOR_BINDINGS, cursor_alert, step_cursor
from sor_tui.ui.messages import MarketFocused, ResyncRequested
from sor_tui.ui.view_bindings import CHART_BINDINGS
from sor_tui.ui.widgets.alerts_panel import AlertsPanel
from sor_tui.ui.widgets.book_ladder import BookLadder, badge_of
from sor_tui.ui.widgets.chart_panel import CHART_WIDTH, WIDE, ChartPanel
from sor_tui.ui.widgets.error_log import ErrorLog
from sor_tui.ui.widgets.market_bar import MarketBar
from sor_tui.ui.widgets.status_bar import StatusBar
from sor_tui.ui.widgets.subscription_panel import SubscriptionPanel
from sor_tui.ui.widgets.trade_tape import TradeTape

QUIET_COPY_BINDINGS: list[BindingType] = [
    replace(b, show=False) if isinstance(b, Binding) else b for b in COPY_BINDINGS
]
DESK_TAB_ACTIONS = (
    "market",
    "jump",
    "group",
    "filter_tape",
    "toggle_tape",
    "resync",
    "depth",
    "chart",
    "timeframe",
    *CURSOR_ACTIONS,
)
"""Actions that work only while the books tab is shown."""


class DeskScreen(Screen[None]):
    """The main screen of the desk."""

    # Copy keys stay out of the footer: at 80 columns "Copy book" pushed Help off it.
    BINDINGS = (
        DESK_BINDINGS
        + CHART_BINDINGS
        + QUIET_COPY_BINDINGS
        + MARKET_DIGIT_BINDINGS
        + CURSOR_BINDINGS
    )

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
        self.tape_wanted: bool | None = None  # None: shown or not as the size suits
        self.arrangement = desk_layout(80, 24, len(self.markets), None)
        self.groups: dict[str, Decimal] = {}
        self.badges: dict[str, str] = {}
        self.ready = False  # children mounted: the frame timer may update them
        self._ladders: list[BookLadder] = []

    def compose(self) -> ComposeResult:
        """Lay out the desk."""
        yield Static(id="too-small")
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
                yield ChartPanel(id="chart-panel")
                yield TradeTape(id="trade-tape")
            with TabPane("Subscriptions", id="subscriptions"):
                yield SubscriptionPanel(self.markets, id="subscription-panel")
            with TabPane("Errors", id="errors"):
                yield ErrorLog(id="error-log")
            with TabPane("Alerts", id="alerts"):
                yield AlertsPanel(id="alerts-panel")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        """Tell the tape each market's price precision and lay the ladders out."""
        self.ready = True
        self.status_bar = self.query_one(StatusBar)
        self.error_log = self.query_one(ErrorLog)
        self.subscription_panel = self.query_one(SubscriptionPanel)
        self.alerts_panel = self.query_one(AlertsPanel)
        self.tape = tape = self.query_one(TradeTape)
        self.chart_panel = self.query_one(ChartPanel)
        tape.large_notional = self.large_trade
        tape.show_sparkline = self.sparkline
        for name in self.markets:
            info = market_info(name)
            if info is not None:
                tape.places[name] = max(0, -int(info.tick.normalize().as_tuple().exponent))
        self._arrange()

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
        elif pane == "alerts":
            self.alerts_panel.table.focus()
        else:
            self.set_focus(None)

    def on_unmount(self) -> None:
        """Stop frame updates once the children are gone."""
        self.ready = False

    @on(Resize)
    def _resized(self, event: Resize) -> None:
        self._arrange(event.size.width, event.size.height)

    # ---- what is shown ----------------------------------------------------------------

    @property
    def focused_market(self) -> str | None:
        """The market in the first ladder."""
        return self.markets[self.first] if self.markets else None

    @property
    def view_depth(self) -> int:
        """Levels per side to show: the chosen depth, or more when a tall ladder has room."""
        rows = [(ladder.size.height - 3) // 2 for ladder in self.ladders() if ladder.display]
        return max([self.depth, *rows])

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

    def _arrange(self, width: int | None = None, height: int | None = None) -> None:
        """Lay the desk out for its size: size class, ladders shown, where the tape goes."""
        width = self.size.width if width is None else width
        height = self.size.height if height is None else height
        with self.app.batch_update():  # one frame at the new size, never half laid out
            self._set_size_class(width, height)
            self._show_markets()

    def _set_size_class(self, width: int, height: int) -> None:
        """Set the size class and tape place as CSS classes of the desk (app.tcss)."""
        layout = self.arrangement = desk_layout(width, height, len(self.markets), self.tape_wanted)
        for size_class in ("too-small", "narrow", "normal", "wide"):
            self.set_class(layout.size_class == size_class, f"-{size_class}")
        for place in TapePlace:
            self.set_class(layout.tape is place, f"-tape-{place.value}")
        if layout.too_small:
            self.query_one("#too-small", Static).update(
                f"terminal too small\nneeds {MIN_WIDTH}x{MIN_HEIGHT}, has {width}x{height}"
            )
        # A chart goes next to the ladders when there is room, instead of them otherwise.
        chart = self.chart_panel
        beside = chart.shown and width >= WIDE
        self.query_one("#ladders").display = beside or not chart.shown
        if beside:
            layout = desk_layout(width - CHART_WIDTH, height, len(self.markets), self.tape_wanted)
        self.shown_count = layout.ladders

    def _show_markets(self) -> None:
        """Put the visible markets in the ladders and point the tape at the first one."""
        visible = self.visible_markets()
        for index, ladder in enumerate(self.ladders()):
            ladder.display = index < len(visible)
            if index < len(visible) and ladder.market != visible[index]:
                ladder.market = visible[index]
                info = market_info(visible[index])
                ladder.tick = info.tick if info else None
                ladder.group = self.groups.get(visible[index])
                ladder.view = None
                ladder.cursor = None
                ladder.invalidate()
        tape = self.query_one(TradeTape)
        tape.set_filter(self.focused_market if self.tape_filtered else None, self.focused_market)
        self._show_market_bar()
        if self.focused_market:
            self.post_message(MarketFocused(self.focused_market))

    def refresh_layout(self) -> None:
        """Lay every ladder out afresh (markets, grouping or chart changed all at once)."""
        for ladder in self.ladders():
            ladder.market = ""
        self._arrange(self.size.width)

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

    def show_firing_count(self, firing: int) -> None:
        """Count unacknowledged firing alerts on the Alerts tab's label (seen from every tab)."""
        label = f"Alerts {firing}" if firing else "Alerts"
        tab = self.query_one(TabbedContent).get_tab("alerts")
        if tab.label_text != label:
            tab.label = label

    def tick_frame(self) -> None:
        """Per-frame cheap refresh of fading marks and ages."""
        for ladder in self.ladders():
            if ladder.display:
                ladder.tick_frame()

    # ---- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Desk keys work only while the books tab is shown."""
        if action in DESK_TAB_ACTIONS:
            return self.query_one(TabbedContent).active == "desk"
        return True

    def action_cursor(self, step: int) -> None:
        """Move the book cursor along the first ladder's levels."""
        step_cursor(self, step)

    def action_cursor_clear(self) -> None:
        """Hide the book cursor."""
        self.ladders()[0].set_cursor(None)

    def action_cursor_alert(self) -> None:
        """A one-shot alert when the mid crosses the cursor's price."""
        cursor_alert(self)

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
            self._arrange()

    def action_jump(self, index: int) -> None:
        """Show the n-th market first."""
        if index < len(self.markets):
            self.first = index
            self._arrange()

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
        self._arrange()

    def action_toggle_tape(self) -> None:
        """Show or hide the trade tape (below the ladder when there is no room beside it)."""
        self.tape_wanted = self.arrangement.tape is TapePlace.HIDDEN
        self._arrange()

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

    def action_chart(self) -> None:
        """Cycle the chart: candles, line, depth, off."""
        self.notify(f"Chart: {self.chart_panel.next_mode()}", timeout=1.5)
        self._arrange(self.size.width)

    def action_timeframe(self) -> None:
        """Cycle the price chart's timeframe."""
        self.notify(f"Chart timeframe: {self.chart_panel.next_timeframe()}", timeout=1.5)
