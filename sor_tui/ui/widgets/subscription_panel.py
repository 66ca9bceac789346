"""The subscription panel: desired set, the server's answers, its list, and data state.

Rows are keyed by channel and updated cell by cell; the panel only *requests* changes
(``SubscribeRequested`` …); the app decides and the feed acts.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Static

from sor_tui.core.events import MARKET_CHANNELS, Channel, ChannelType
from sor_tui.core.explain import explain
from sor_tui.core.markets import DEFAULT_MARKETS
from sor_tui.core.sanitize import sanitize
from sor_tui.core.subscriptions import ServerAnswer, SubscriptionEntry
from sor_tui.ui.messages import (
    ResyncRequested,
    SubscribeRequested,
    SubscriptionListRequested,
    UnsubscribeRequested,
)

CHANNEL_NAMES = [c.value for c in ChannelType]
_COLUMNS = ("channel", "market", "want", "server", "listed", "data")
_HINT = "a add · d remove · r resync · l refresh list · → completes"


def parse_request(text: str) -> tuple[Channel, ...]:
    """'ETHUSD' → book and trades; 'ETHUSD execution_data' → one; 'heartbeat' → heartbeat."""
    words = text.strip().split()
    if not words:
        return ()
    if words[0].lower() == ChannelType.HEARTBEAT.value:
        return (Channel(ChannelType.HEARTBEAT.value),)
    market = words[0].upper()
    if len(words) == 1:
        return (
            Channel(ChannelType.MARKET_DATA.value, market),
            Channel(ChannelType.EXECUTION_DATA.value, market),
        )
    return tuple(Channel(name.lower(), market) for name in words[1:])


def entry_cells(entry: SubscriptionEntry) -> tuple[Text, ...]:
    """The row cells of one entry, as plain (sanitized) text."""
    answer = entry.answer.value
    if entry.answer is ServerAnswer.ERROR and entry.error:
        answer = entry.error
    elif entry.answer is ServerAnswer.PENDING:
        answer = "…pending"
    listed = "?" if entry.listed is None else ("yes" if entry.listed else "no")
    server_style = "bold" if entry.answer is ServerAnswer.ERROR else ""
    data = "waiting" if entry.data.value == "WAITING" else entry.data.value.lower()
    return (
        Text(sanitize(entry.channel.type.replace("market_data.", ""), 28)),
        Text(sanitize(entry.channel.market or "", 12)),
        Text("yes" if entry.desired else "no"),
        Text(sanitize(answer, 40), style=server_style),
        Text(listed),
        Text(data),
    )


class SubscriptionPanel(Vertical):
    """Add and remove (market, channel) by keyboard and see what the server says."""

    BINDINGS = [
        Binding("a", "add", "Add", id="subs.add", tooltip="Subscribe a market or channel"),
        Binding("d", "remove", "Remove", id="subs.remove", tooltip="Unsubscribe the row"),
        Binding("r", "resync", "Resync", id="subs.resync", tooltip="Fresh snapshot of the row"),
        Binding("l", "refresh", "List", id="subs.refresh", tooltip="Refresh the server's list"),
    ]

    def __init__(
        self, markets: Iterable[str] = (), *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.markets = list(markets)
        self.entries: tuple[SubscriptionEntry, ...] = ()

    def compose(self) -> ComposeResult:
        """An entry box with market completion, the table and a hint line."""
        known = list(dict.fromkeys([*self.markets, *(m.symbol for m in DEFAULT_MARKETS)]))
        with_channel = [f"{m} {c}" for m in known for c in sorted(MARKET_CHANNELS)]
        suggestions = [*known, *with_channel, "heartbeat"]
        yield Input(
            placeholder="a: add MARKET [channel] e.g. SOLUSD or LTCUSD execution_data",
            suggester=SuggestFromList(suggestions, case_sensitive=False),
            id="subscription-input",
        )
        table: DataTable[Text] = DataTable(id="subscription-table", cursor_type="row")
        for name, width in zip(_COLUMNS, (14, 7, 4, 24, 6, 7), strict=True):
            table.add_column(name.capitalize(), key=name, width=width)
        yield table
        yield Static(Text(_HINT), id="subscription-hint")

    def on_mount(self) -> None:
        """Keep references: handlers may run while the app is tearing the DOM down."""
        self._table: DataTable[Text] = self.query_one("#subscription-table", DataTable)
        self._hint = self.query_one("#subscription-hint", Static)

    @property
    def table(self) -> DataTable[Text]:
        """The subscriptions table."""
        return self._table

    def show(self, entries: tuple[SubscriptionEntry, ...]) -> None:
        """Diff rows by channel key: update changed cells, add new rows, drop vanished ones."""
        table = self.table
        wanted = {str(entry.channel): entry for entry in entries}
        for key in [k.value for k in table.rows if k.value not in wanted]:
            if key is not None:
                table.remove_row(key)
        for key, entry in wanted.items():
            cells = entry_cells(entry)
            if key in table.rows:
                for column, cell in zip(_COLUMNS, cells, strict=True):
                    if table.get_cell(key, column) != cell:
                        table.update_cell(key, column, cell)
            else:
                table.add_row(*cells, key=key)
        self.entries = entries
        self.explain_selected()

    @on(DataTable.RowHighlighted, "#subscription-table")
    def explain_selected(self) -> None:
        """Explain the highlighted row's error code, or show the key hint."""
        entry = self.selected()
        hint = self._hint
        if entry is not None and entry.error:
            hint.update(Text(f"{sanitize(entry.error, 48)}: {sanitize(explain(entry.error), 300)}"))
        else:
            hint.update(Text(_HINT))

    def selected(self) -> SubscriptionEntry | None:
        """The entry under the cursor."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        for entry in self.entries:
            if str(entry.channel) == row_key.value:
                return entry
        return None

    @on(Input.Submitted, "#subscription-input")
    def request_subscribe(self, event: Input.Submitted) -> None:
        """Ask for the typed channels and return to the table."""
        channels = parse_request(event.value)
        if channels:
            self.post_message(SubscribeRequested(channels))
        event.input.value = ""
        self.table.focus()

    def action_add(self) -> None:
        """Focus the entry box."""
        self.query_one("#subscription-input", Input).focus()

    def action_remove(self) -> None:
        """Ask to unsubscribe the highlighted row."""
        entry = self.selected()
        if entry is not None:
            self.post_message(UnsubscribeRequested((entry.channel,)))

    def action_resync(self) -> None:
        """Ask for a fresh snapshot of the highlighted row's market."""
        entry = self.selected()
        if entry is not None and entry.channel.market:
            self.post_message(ResyncRequested(entry.channel.market))

    def action_refresh(self) -> None:
        """Ask the server for its subscription list."""
        self.post_message(SubscriptionListRequested())
