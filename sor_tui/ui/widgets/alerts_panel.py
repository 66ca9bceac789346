"""The Alerts tab: alerts by phase and their history; acknowledge, snooze, add, remove.

It displays what the app hands it (frozen ``AlertView`` and ``AlertEvent`` values) and
posts requests; the app's alert controller decides. Alert text is sanitized in the core.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from sor_tui.core.alerts.engine import AlertEvent, AlertKey, AlertView
from sor_tui.core.alerts.machine import AlertPhase
from sor_tui.core.alerts.rules import MARKET_KINDS, AlertRule
from sor_tui.ui.alert_messages import (
    AlertAcknowledgeRequested,
    AlertRuleAddRequested,
    AlertRuleRemoveRequested,
    AlertSnoozeRequested,
)
from sor_tui.ui.format import format_clock

MODES = ("all", "active", "pending", "resolved", "history")
SNOOZE_SECONDS = 15 * 60
_PHASE_OF_MODE = {
    "active": AlertPhase.FIRING,
    "pending": AlertPhase.PENDING,
    "resolved": AlertPhase.RESOLVED,
}


class AlertsPanel(Vertical):
    """A filterable table of alerts (or of their history) with the selected one in full."""

    BINDINGS = [
        Binding("a", "acknowledge", "Ack", id="alerts.ack", tooltip="Acknowledge the alert"),
        Binding("z", "snooze", "Snooze", id="alerts.snooze", tooltip="Snooze it 15 minutes"),
        Binding("v", "next_mode", "View", id="alerts.view", tooltip="All/active/pending/…"),
        Binding("n", "new_rule", "New rule", id="alerts.new", tooltip="Add a market alert"),
        Binding("x", "remove_rule", "Remove", id="alerts.remove", tooltip="Remove its rule"),
        Binding("slash", "focus_filter", "Filter", id="alerts.filter", tooltip="Filter alerts"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.mode = "all"
        self.filter_text = ""
        self.alerts: tuple[AlertView, ...] = ()
        self.history: tuple[AlertEvent, ...] = ()
        self._shown: object = None

    def compose(self) -> ComposeResult:
        """Mode line, filter box, table, detail line."""
        yield Static(id="alerts-mode", markup=False)
        yield Input(placeholder="filter: market, rule, text…", id="alerts-filter")
        yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="alerts-detail", markup=False)

    def on_mount(self) -> None:
        """Keep references and draw the empty table."""
        self._table: DataTable[Text] = self.query_one("#alerts-table", DataTable)
        self._detail = self.query_one("#alerts-detail", Static)
        self._mode_line = self.query_one("#alerts-mode", Static)
        self._redraw()

    @property
    def table(self) -> DataTable[Text]:
        """The alerts table."""
        return self._table

    def show(self, alerts: tuple[AlertView, ...], history: tuple[AlertEvent, ...]) -> None:
        """Take the alerts and history; redraw only when something changed."""
        self.alerts, self.history = alerts, history
        key = (alerts, len(history), history[-1] if history else None, self.mode, self.filter_text)
        if key != self._shown:
            self._shown = key
            self._redraw()

    def _matches(self, *texts: str) -> bool:
        needle = self.filter_text.casefold()
        return not needle or any(needle in text.casefold() for text in texts)

    def _redraw(self) -> None:
        table = self.table
        selected = self._selected_key()
        table.clear(columns=True)
        firing = sum(1 for a in self.alerts if a.phase is AlertPhase.FIRING)
        pending = sum(1 for a in self.alerts if a.phase is AlertPhase.PENDING)
        self._mode_line.update(
            Text(f" View: {self.mode}  (v: next)   firing {firing}  pending {pending}")
        )
        if self.mode == "history":
            self._history_rows()
        else:
            self._alert_rows()
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self._show_detail()

    def _alert_rows(self) -> None:
        table = self.table
        for name, width in (("State", 9), ("Since", 8), ("Market", 8), ("Alert", None)):
            table.add_column(name, key=name.lower(), width=width)
        phase = _PHASE_OF_MODE.get(self.mode)
        for alert in self.alerts:
            if phase is not None and alert.phase is not phase:
                continue
            rule_id, market = alert.key
            if not self._matches(alert.title, alert.detail, rule_id, market, alert.phase.value):
                continue
            state = alert.phase.value.upper()
            if alert.phase is AlertPhase.INACTIVE:
                state = "ARMED"
            elif alert.disarmed:
                state = "DONE"
            flags = ("✓" if alert.acknowledged else "") + ("z" if alert.snoozed else "")
            style = {"FIRING": "bold red", "PENDING": "yellow"}.get(state, "dim")
            table.add_row(
                Text(f"{state}{' ' + flags if flags else ''}", style=style),
                Text(format_clock(alert.changed_wall_ns)[:8] if alert.changed_wall_ns else ""),
                Text(market),
                Text(alert.title),
                key=f"{rule_id}\x1f{market}",
            )

    def _history_rows(self) -> None:
        table = self.table
        for name, width in (("Time", 8), ("Event", 8), ("Market", 8), ("Alert", None)):
            table.add_column(name, key=name.lower(), width=width)
        for index, event in reversed(list(enumerate(self.history))):
            if not self._matches(event.title, event.detail, event.rule_id, event.subject):
                continue
            table.add_row(
                Text(format_clock(event.wall_ns)[:8]),
                Text(event.transition.value, style="bold" if event.transition == "fired" else ""),
                Text(event.subject),
                Text(event.title),
                key=f"h{index}",
            )

    def _selected_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def selected(self) -> AlertView | None:
        """The alert under the cursor (None in the history view)."""
        key = self._selected_key()
        if key is None or "\x1f" not in key:
            return None
        rule_id, market = key.split("\x1f", 1)
        return next((a for a in self.alerts if a.key == (rule_id, market)), None)

    def _show_detail(self) -> None:
        alert = self.selected()
        if alert is not None:
            waiting = "armed: waiting for the condition"
            if alert.disarmed:
                waiting = "one-shot: fired once, will not fire again (x removes it)"
            text = f"{alert.title}: {alert.detail or waiting}"
            if alert.phase is AlertPhase.INACTIVE or alert.disarmed:
                text = f"{alert.title}: {waiting}"
            text += f"  (fired {alert.fired_count}x)"
        elif self.mode == "history" and self.table.row_count:
            text = "History of fired and resolved alerts, newest first."
        else:
            text = "No alerts." if not self.alerts else "No alert matches."
        self._detail.update(Text(text))

    @on(DataTable.RowHighlighted, "#alerts-table")
    def explain_selected(self) -> None:
        """Show the highlighted alert in full below the table."""
        self._show_detail()

    @on(Input.Changed, "#alerts-filter")
    def apply_filter(self, event: Input.Changed) -> None:
        """Show only alerts containing the filter text."""
        self.filter_text = event.value.strip()
        self._shown = None
        self._redraw()

    @on(Input.Submitted, "#alerts-filter")
    def leave_filter(self) -> None:
        """Enter in the filter box returns to the table."""
        self.table.focus()

    def _key(self) -> AlertKey | None:
        alert = self.selected()
        return None if alert is None else alert.key

    def action_acknowledge(self) -> None:
        """Acknowledge the highlighted alert."""
        key = self._key()
        if key is not None:
            self.post_message(AlertAcknowledgeRequested(key))

    def action_snooze(self) -> None:
        """Snooze the highlighted alert's deliveries for 15 minutes."""
        key = self._key()
        if key is not None:
            self.post_message(AlertSnoozeRequested(key, SNOOZE_SECONDS))

    def action_next_mode(self) -> None:
        """Cycle all / active / pending / resolved / history."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self._shown = None
        self._redraw()

    def action_new_rule(self) -> None:
        """Open the form for a new market rule."""
        from sor_tui.ui.screens.alert_rule_form import AlertRuleForm

        self.app.push_screen(AlertRuleForm(), self._add_rule)

    def _add_rule(self, rule: object) -> None:
        if isinstance(rule, AlertRule):
            self.post_message(AlertRuleAddRequested(rule))

    def action_remove_rule(self) -> None:
        """Remove the rule of the highlighted alert (market rules only)."""
        alert = self.selected()
        if alert is None:
            return
        if alert.kind not in MARKET_KINDS:
            self.notify("Feed-health rules are set in the config file", timeout=3)
            return
        self.post_message(AlertRuleRemoveRequested(alert.key[0]))

    def action_focus_filter(self) -> None:
        """Jump to the filter box."""
        self.query_one("#alerts-filter", Input).focus()
