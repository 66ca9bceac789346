"""Every desk action as a command-palette entry (the palette lists what the keys do)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from sor_tui.ui.messages import SubscriptionListRequested

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


def desk_commands(app: SorApp) -> Iterator[SystemCommand]:
    """The desk's commands, each bound to the same action its key runs."""
    desk = app.desk

    def tab(name: str) -> None:
        app.action_show_tab(name)

    yield SystemCommand("Books", "Show order books and the trade tape", lambda: tab("desk"))
    yield SystemCommand(
        "Subscriptions", "Add, remove and inspect subscriptions", lambda: tab("subscriptions")
    )
    yield SystemCommand("Errors", "Show the error log", lambda: tab("errors"))
    yield SystemCommand(
        "Credentials", "Enter, test or delete the client id and secret", app.action_credentials
    )
    yield SystemCommand("Help", "Keys and what they do", app.action_help)
    yield SystemCommand("Next market", "Show the next market first", lambda: desk.action_market(1))
    yield SystemCommand(
        "Previous market", "Show the previous market first", lambda: desk.action_market(-1)
    )
    yield SystemCommand(
        "Resync market", "Fetch a fresh snapshot of the first market", desk.action_resync
    )
    yield SystemCommand(
        "Group prices", "Cycle price grouping (multiples of the tick)", desk.action_group
    )
    yield SystemCommand(
        "Filter tape", "Tape: first market only / all markets", desk.action_filter_tape
    )
    yield SystemCommand("Depth +5", "More levels per side", lambda: desk.action_depth(5))
    yield SystemCommand("Depth -5", "Fewer levels per side", lambda: desk.action_depth(-5))
    yield SystemCommand(
        "Refresh subscription list",
        "Ask the server which channels it has",
        lambda: app.post_message(SubscriptionListRequested()),
    )
    yield SystemCommand(
        "Next theme", "Cycle the desk themes (one is colour-blind safe)", app.action_next_theme
    )
    if app.config.demo_source is not None and app.source is None:
        yield SystemCommand(
            "Start demo",
            "Run the built-in simulator",
            lambda: app.start_feed(app.config.demo_source()),
        )  # type: ignore[misc]
