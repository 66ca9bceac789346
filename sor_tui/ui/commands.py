"""Every desk action as a command-palette entry (the palette lists what the keys do)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
        "Alerts", "Alerts: acknowledge, snooze, add rules (!)", lambda: tab("alerts")
    )
    yield SystemCommand(
        "New alert rule", "Add a market alert", on_alerts(app, desk.alerts_panel.action_new_rule)
    )
    yield SystemCommand(
        "Alert at book cursor",
        "One-shot alert when the mid crosses the cursor's level (up/down move it)",
        desk.action_cursor_alert,
    )
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
    yield SystemCommand(
        "Show or hide tape",
        "Trade tape on or off (below the ladder when narrow)",
        desk.action_toggle_tape,
    )
    yield SystemCommand("Depth +5", "More levels per side", lambda: desk.action_depth(5))
    yield SystemCommand("Depth -5", "Fewer levels per side", lambda: desk.action_depth(-5))
    yield SystemCommand(
        "Refresh subscription list",
        "Ask the server which channels it has",
        lambda: app.post_message(SubscriptionListRequested()),
    )
    yield SystemCommand(
        "Pause display",
        "Freeze the screen (the feed keeps running); again to resume",
        app.action_toggle_pause,
    )
    yield SystemCommand(
        "Next theme", "Cycle the desk themes (one is colour-blind safe)", app.action_next_theme
    )
    yield from _panel_commands(app)
    if app.config.demo_source is not None and app.source is None:
        yield SystemCommand(
            "Start demo",
            "Run the built-in simulator",
            lambda: app.start_feed(app.config.demo_source()),
        )  # type: ignore[misc]


def _panel_commands(app: SorApp) -> Iterator[SystemCommand]:
    """The subscription panel's and error log's actions, reachable from anywhere."""
    desk = app.desk

    def on_tab(name: str, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            app.action_show_tab(name)
            action()

        return run

    panel, log = desk.subscription_panel, desk.error_log
    yield SystemCommand(
        "Add subscription",
        "Subscribe a market or channel (with completion)",
        on_tab("subscriptions", panel.action_add),
    )
    yield SystemCommand(
        "Remove subscription",
        "Unsubscribe the highlighted row",
        on_tab("subscriptions", panel.action_remove),
    )
    yield SystemCommand(
        "Resync subscription",
        "Fresh snapshot of the highlighted row's market",
        on_tab("subscriptions", panel.action_resync),
    )
    yield SystemCommand(
        "Filter errors", "Type to filter the error log", on_tab("errors", log.action_focus_filter)
    )
    yield SystemCommand(
        "Copy error", "Copy the highlighted error", on_tab("errors", log.action_copy_selected)
    )
    yield SystemCommand(
        "Copy all errors", "Copy every shown error", on_tab("errors", log.action_copy_all)
    )
    yield SystemCommand(
        "Clear errors", "Forget every error in the log", on_tab("errors", log.action_clear)
    )


def on_alerts(app: SorApp, action: Callable[[], None]) -> Callable[[], None]:
    """Show the Alerts tab, then run one of its actions."""

    def run() -> None:
        app.action_show_tab("alerts")
        action()

    return run
