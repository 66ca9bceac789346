"""Workspaces in the app: restore at start, save on quit, switch by key or palette.

The layout is read from and applied to the desk here so the router and the screen keep
one line each; the file format lives in ``config/workspaces``.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from sor_tui.config.workspaces import Workspace, WorkspaceBook, save_book
from sor_tui.core.events import Channel, ChannelType
from sor_tui.transport.status import Problem
from sor_tui.ui.messages import SubscribeRequested

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


def current_layout(app: SorApp, previous: Workspace) -> Workspace:
    """The desk's layout now (alert rules are carried over as they were read)."""
    desk = app.desk
    return Workspace(
        markets=tuple(desk.markets),
        first=desk.first,
        depth=desk.depth,
        groups={market: str(step) for market, step in desk.groups.items()},
        chart=desk.chart_panel.mode,
        timeframe=desk.chart_panel.timeframe,
        tape_filtered=desk.tape_filtered,
        theme=app.theme,
        alert_rules=previous.alert_rules,  # the place where alert rules are kept and saved
    )


def apply_layout(app: SorApp, workspace: Workspace) -> None:
    """Show a workspace's layout; markets new to the desk are subscribed."""
    desk = app.desk
    new = [market for market in workspace.markets if market not in desk.markets]
    if workspace.markets:
        desk.markets[:] = list(workspace.markets)
    desk.first = workspace.first if workspace.first < len(desk.markets) else 0
    if workspace.depth is not None:
        desk.depth = workspace.depth
    desk.groups = {market: Decimal(step) for market, step in workspace.groups.items()}
    desk.tape_filtered = workspace.tape_filtered
    desk.chart_panel.set_mode(workspace.chart)
    desk.chart_panel.set_timeframe(workspace.timeframe)
    if workspace.theme and workspace.theme != app.theme:
        with contextlib.suppress(Exception):  # an unknown theme keeps the current one
            app.theme = workspace.theme
    desk.refresh_layout()
    if new:
        kinds = (ChannelType.MARKET_DATA.value, ChannelType.EXECUTION_DATA.value)
        app.post_message(SubscribeRequested(tuple(Channel(k, m) for m in new for k in kinds)))


def restore_workspace(app: SorApp) -> None:
    """At start: the profile's current workspace, if workspaces are kept."""
    book = app.workspaces
    if book is not None:
        apply_layout(app, book.active())


def save_workspace(app: SorApp) -> None:
    """Write the current layout into the profile's file (a failure is shown, not raised)."""
    book, path = app.workspaces, app.config.workspace_path
    if book is None or path is None or not hasattr(app.desk, "chart_panel"):
        return  # no workspaces kept, or the desk never mounted: nothing to keep
    app.workspaces = book = book.with_active(current_layout(app, book.active()))
    try:
        save_book(path, book)
    except OSError as error:
        text = f"cannot save workspaces to {path.name}: {error.strerror}"
        app.inbox.add_problem(Problem("workspace", "workspace_not_saved", text))


def switch_workspace(app: SorApp, name: str | None = None) -> None:
    """Keep the current layout, then show the named (or next) workspace."""
    book = app.workspaces
    if book is None:
        app.notify("Workspaces are off (no profile)", timeout=2)
        return
    book = book.with_active(current_layout(app, book.active()))
    names = book.names()
    if name is None:
        name = names[(names.index(book.current) + 1) % len(names)]
    if name not in book.workspaces:
        return
    app.workspaces = replace(book, current=name)
    apply_layout(app, app.workspaces.active())
    app.notify(f"Workspace: {name}", timeout=1.5, markup=False)


def new_workspace(app: SorApp) -> None:
    """Copy the current layout into a new named workspace and switch to it."""
    book = app.workspaces
    if book is None:
        app.notify("Workspaces are off (no profile)", timeout=2)
        return
    layout = current_layout(app, book.active())
    number = len(book.workspaces) + 1
    while f"workspace {number}" in book.workspaces:
        number += 1
    name = f"workspace {number}"
    app.workspaces = WorkspaceBook(name, {**book.workspaces, name: layout})
    app.notify(f"New workspace: {name}", timeout=1.5, markup=False)
