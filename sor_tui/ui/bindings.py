"""Every app- and desk-level key binding, each with an id so that users can remap it.

Settings carry a keymap ``{binding id: "key[,key]"}`` applied with ``App.set_keymap``.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit sor-tui"),
    Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Keys and what they do"),
    Binding("b", "show_tab('desk')", "Books", id="app.books", tooltip="Order books and trades"),
    Binding(
        "s",
        "show_tab('subscriptions')",
        "Subs",
        id="app.subscriptions",
        tooltip="Subscriptions: add, remove, resync",
    ),
    Binding("e", "show_tab('errors')", "Errors", id="app.errors", tooltip="The error log"),
    Binding(
        "exclamation_mark",
        "show_tab('alerts')",
        "Alerts",
        id="app.alerts",
        show=False,
        tooltip="Alerts, rules",
    ),
    Binding("k", "credentials", "Keys", id="app.credentials", tooltip="Client id and secret"),
    Binding("ctrl+t", "next_theme", "Theme", id="app.theme", show=False, tooltip="Next theme"),
]

DESK_BINDINGS: list[BindingType] = [
    Binding(
        "right_square_bracket,n",
        "market(1)",
        "Next mkt",
        id="desk.next_market",
        tooltip="Next market in the first ladder",
    ),
    Binding(
        "left_square_bracket,p",
        "market(-1)",
        "Prev mkt",
        id="desk.prev_market",
        show=False,
        tooltip="Previous market in the first ladder",
    ),
    Binding("g", "group", "Group", id="desk.group", tooltip="Group prices by multiples of tick"),
    Binding("f", "filter_tape", "Filter", id="desk.filter_tape", tooltip="Tape: this market/all"),
    Binding("t", "toggle_tape", "Tape", id="desk.tape", tooltip="Show or hide the trade tape"),
    Binding("r", "resync", "Resync", id="desk.resync", tooltip="Fresh snapshot of this market"),
    Binding(
        "plus", "depth(5)", "Depth+", id="desk.depth_more", show=False, tooltip="5 more levels"
    ),
    Binding("minus", "depth(-5)", "Depth-", id="desk.depth_less", show=False, tooltip="5 fewer"),
]

# Digits jump to the n-th market; they are listed separately to keep the footer short.
MARKET_DIGIT_BINDINGS: list[BindingType] = [
    Binding(str(n), f"jump({n - 1})", f"Market {n}", id=f"desk.market_{n}", show=False)
    for n in range(1, 10)
]

GROUP_MULTIPLES = (1, 2, 5, 10, 25, 100)
