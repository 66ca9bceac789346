"""Keys of the charts, the markets board and workspaces, each with an id (remappable).

Kept apart from ``bindings.py`` so that these views can be reviewed and remapped together.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

CHART_BINDINGS: list[BindingType] = [
    Binding(
        "v",
        "chart",
        "Chart",
        id="desk.chart",
        show=False,  # the 80-column footer is full; help and the palette list it
        tooltip="Chart: candles, line, depth, off",
    ),
    Binding(
        "i",
        "timeframe",
        "Interval",
        id="desk.timeframe",
        show=False,
        tooltip="Chart timeframe: 1s, 1m, 5m, 15m",
    ),
]

VIEW_APP_BINDINGS: list[BindingType] = [
    Binding(
        "m", "markets_board", "Markets", id="app.board", show=False, tooltip="The markets board"
    ),
    Binding(
        "w", "next_workspace", "Workspace", id="app.workspace", show=False, tooltip="Next workspace"
    ),
    Binding(
        "ctrl+o",
        "switch_environment",
        "Environment",
        id="app.environment",
        show=False,
        tooltip="Switch environment: demo, sandbox, production",
    ),
]

BOARD_BINDINGS: list[BindingType] = [
    Binding("o", "sort_next", "Sort", id="board.sort", tooltip="Sort by the next column"),
    Binding(
        "O", "sort_reverse", "Reverse", id="board.reverse", show=False, tooltip="Reverse the order"
    ),
]
