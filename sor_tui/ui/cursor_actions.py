"""The book cursor's keys: move along the first ladder's levels, read them, alert there.

The status line shows the level under the cursor: its side and price, the cumulative
size and notional from the best level down to it, and its distance from the mid. A key
sets a one-shot alert for the mid crossing that level's price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from sor_tui.core.alerts.machine import Timing
from sor_tui.core.alerts.rules import AlertRule, RuleKind
from sor_tui.core.book_cursor import cursor_figures, move_cursor
from sor_tui.core.number_text import exact_text, fit_number, rounded_text
from sor_tui.core.numbers import canonical_text
from sor_tui.ui.alert_messages import AlertRuleAddRequested

if TYPE_CHECKING:
    from sor_tui.ui.screens.desk import DeskScreen

CURSOR_BINDINGS: list[BindingType] = [
    Binding("up", "cursor(1)", "Cursor up", id="desk.cursor_up", show=False),
    Binding("down", "cursor(-1)", "Cursor down", id="desk.cursor_down", show=False),
    Binding("escape", "cursor_clear", "No cursor", id="desk.cursor_clear", show=False),
    Binding(
        "a",
        "cursor_alert",
        "Alert here",
        id="desk.cursor_alert",
        show=False,
        tooltip="Alert when the mid crosses the cursor's level",
    ),
]
CURSOR_ACTIONS = ("cursor", "cursor_clear", "cursor_alert")


def step_cursor(desk: DeskScreen, step: int) -> None:
    """Move the first ladder's cursor ``step`` levels up (or down)."""
    ladder = desk.ladders()[0]
    if ladder.view is not None:
        ladder.set_cursor(move_cursor(ladder.cursor, step, ladder.view, max(1, ladder.rows)))


def cursor_text(desk: DeskScreen) -> str:
    """The status line's text for the cursor's level ("" without a cursor)."""
    if not desk.ready:
        return ""
    ladder = desk.ladders()[0]
    if ladder.cursor is None or ladder.view is None:
        return ""
    figures = cursor_figures(ladder.view, ladder.cursor)
    if figures is None:
        return ""
    side = "ASK" if figures.side == "ask" else "BID"
    # Each figure exact, or rounded and marked, or left out with its label (never cut).
    parts = [f"{side} {exact_text(figures.price, ladder.places or 0)}"]
    for label, value, width in (("cum", figures.cumulative, 14), ("ntl", figures.notional, 16)):
        text = fit_number(value, width)
        if text is not None:
            parts.append(f"{label} {text}")
    if figures.bps_from_mid is not None:
        parts.append(f"{rounded_text(figures.bps_from_mid, 2)} bps")
    return " ".join(parts)


def cursor_alert(desk: DeskScreen) -> AlertRule | None:
    """Ask for a one-shot alert when the mid crosses the cursor's price (None: no cursor)."""
    ladder = desk.ladders()[0]
    view, cursor = ladder.view, ladder.cursor
    figures = None if view is None or cursor is None else cursor_figures(view, cursor)
    if view is None or figures is None:
        desk.notify("Move the cursor to a level first (up/down)", timeout=3)
        return None
    direction = "up" if view.mid is None or figures.price > view.mid else "down"
    price = canonical_text(figures.price)
    rule = AlertRule(
        f"cursor-{view.market}-{price}",
        RuleKind.PRICE_CROSS,
        view.market,
        price=figures.price,
        watch="mid",
        direction=direction,
        timing=Timing(clear=1.0, repeat=False),
        severity="info",
    )
    desk.post_message(AlertRuleAddRequested(rule))
    return rule
