"""The sor-tui App: a router between the feed worker, the frame timer and the screens.

The feed runs in one exclusive async worker whose callback only fills the inbox; one
timer at the render rate turns the latest state into messages. The handlers live in
focused modules mixed in here: ``feed_views`` routes a frame's facts to the desk,
``feed_requests`` turns panel requests into feed calls, ``desk_actions`` and
``view_actions`` hold the key and palette actions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.traceback import Traceback
from textual import events, on, work
from textual.app import SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from sor_tui.core.chart_data import ChartData
from sor_tui.core.frame_pacing import FramePacer
from sor_tui.core.sanitize import sanitize
from sor_tui.runtime.clock import Clock
from sor_tui.runtime.feed_thread import FeedThread
from sor_tui.runtime.frame import FrameComposer
from sor_tui.runtime.gc_policy import GcPolicy
from sor_tui.runtime.inbox import FeedInbox
from sor_tui.runtime.ports import FeedLike, FeedSource
from sor_tui.runtime.shared_state import reading
from sor_tui.transport.status import Problem
from sor_tui.ui import messages as msg
from sor_tui.ui.alert_controller import DeskAlerts
from sor_tui.ui.bindings import APP_BINDINGS
from sor_tui.ui.board_feed import BoardFeed
from sor_tui.ui.commands import desk_commands
from sor_tui.ui.copy_record_actions import RECORD_BINDINGS
from sor_tui.ui.cursor_actions import cursor_text
from sor_tui.ui.desk_actions import DeskActions
from sor_tui.ui.desk_config import DeskConfig
from sor_tui.ui.environment_switch import mark_environment
from sor_tui.ui.feed_requests import FeedRequests
from sor_tui.ui.feed_views import FeedViews
from sor_tui.ui.gaps import GapTracker
from sor_tui.ui.screens.desk import DeskScreen
from sor_tui.ui.status_view import recording_problem, status_line
from sor_tui.ui.terminal_link import PAUSE_BINDINGS, DisplayPause, with_link
from sor_tui.ui.textual_adapter import TerminalOutputApp
from sor_tui.ui.themes import DEFAULT_THEME, DESK_VARIABLES, THEMES
from sor_tui.ui.view_actions import ViewActions, refresh_board, view_commands
from sor_tui.ui.view_bindings import VIEW_APP_BINDINGS
from sor_tui.ui.workspace_actions import restore_workspace, save_workspace

STOP_TIMEOUT = 5.0  # seconds a stopping feed may take before the app moves on


class SorApp(FeedViews, FeedRequests, DeskActions, ViewActions, TerminalOutputApp[str | None]):
    """The desk terminal app; built by ``make_app``."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "sor-tui"
    BINDINGS = [*APP_BINDINGS, *RECORD_BINDINGS, *VIEW_APP_BINDINGS, *PAUSE_BINDINGS]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, config: DeskConfig, *, clock: Clock | None = None) -> None:
        super().__init__()
        self.config = config
        self.clock = clock or Clock()
        self.source: FeedSource | None = config.source
        self.runner: FeedThread | None = None
        self.last_state = ""
        self.feed_failure: str | None = None
        self.recording_failure = ""  # the recording failure already in the error pane
        self.inbox = FeedInbox(self.clock)
        self.gaps = GapTracker(self.clock)
        self.composer = FrameComposer(self.inbox, depth=config.depth)
        self.gc_policy = GcPolicy()
        self.charts = ChartData()
        self.board_feed = BoardFeed()
        self.workspaces = config.workspaces
        self.pacer = FramePacer(enabled=config.render_pacing)
        self.pause = DisplayPause()
        self.desk = DeskScreen(
            config.markets,
            clock=self.clock,
            depth=config.depth,
            large_trade=config.large_trade,
            sparkline=not config.low_bandwidth,
        )
        self.alerts = DeskAlerts(self, config.alert_rules, config.alert_delivery)

    # ---- start-up ----------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The desk's own colours, so Textual's built-in themes work too."""
        return dict(DESK_VARIABLES)

    def on_mount(self) -> None:
        """Register themes and keys, show the desk, start the frame timer and the feed."""
        for theme in THEMES:
            self.register_theme(theme)
        try:
            self.theme = self.config.theme
        except Exception:  # an unknown SOR_THEME must not stop the desk from starting
            self.theme = DEFAULT_THEME
            text = f"unknown theme {sanitize(self.config.theme, 40)!r}; using {DEFAULT_THEME}"
            self.inbox.add_problem(Problem("settings", "unknown_theme", text))
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        config = self.config
        self.use_span_writer(config.render_diff, "256" if config.low_bandwidth else None)
        self.push_screen(self.desk)
        self.call_after_refresh(restore_workspace, self)
        self.call_after_refresh(mark_environment, self)
        for problem in self.config.startup_problems:
            self.inbox.add_problem(problem)
        self.set_interval(1 / self.config.render_rate, self.render_frame, name="frame")
        if self.config.tune_gc:
            self.gc_policy.start(self, 1 / self.config.render_rate)
        if self.source is not None:
            self.start_feed(self.source)
        else:
            self.call_later(self.offer_start)

    def on_unmount(self) -> None:
        """Give the process its garbage-collector defaults back; keep the layout."""
        if self.config.tune_gc:
            self.gc_policy.stop()
        self.alerts.close()
        save_workspace(self)

    def offer_start(self) -> None:
        """No credentials: offer to enter them or to start the demo."""
        from sor_tui.ui.screens.welcome import WelcomeScreen

        locked = any(p.code == "credentials_locked" for p in self.config.startup_problems)
        welcome = WelcomeScreen(self.config.environment, locked=locked)
        self.push_screen(welcome, self.start_from_welcome)

    def start_from_welcome(self, choice: str | None) -> None:
        """Act on the welcome screen's choice."""
        if choice == "demo" and self.config.demo_source is not None:
            self.start_feed(self.config.demo_source())
        elif choice == "credentials":
            self.action_credentials()
        elif choice == "quit":
            self.exit()

    def start_feed(self, source: FeedSource) -> None:
        """(Re)start the feed worker on a source; the previous feed is stopped first."""
        self.source = source
        self.feed_failure = None
        self.run_feed(source)

    @property
    def feed(self) -> FeedLike | None:
        """The running feed (read its status and state; command it via ``on_feed``)."""
        return self.runner.feed if self.runner is not None else None

    @work(exclusive=True, group="feed", exit_on_error=False, description="SOR feed")
    async def run_feed(self, source: FeedSource) -> None:
        """Run the source's feed in its thread until it ends; failures reach the handler."""
        previous = self.runner
        if previous is not None:
            stopping = previous.request_stop()
            with contextlib.suppress(Exception):
                if stopping is not None:
                    await asyncio.wait_for(asyncio.wrap_future(stopping), STOP_TIMEOUT)
            # Not ``previous.done``: the cancelled previous worker cancelled that future, and
            # awaiting it would cancel this worker too (the new feed would never start).
            for _ in range(int(STOP_TIMEOUT / 0.02)):
                if not previous.running:
                    break
                await asyncio.sleep(0.02)
        runner = FeedThread(source, self.inbox.on_event)
        self.runner = runner
        self.composer.invalidate()
        try:
            await asyncio.wrap_future(runner.start())
        finally:
            runner.request_stop()  # the worker was cancelled (app exit): stop the feed too

    def on_feed(self, command: str, *args: Any) -> bool:
        """Run a feed command on the feed's own loop; False when no feed is running."""
        runner = self.runner
        feed = runner.feed if runner is not None else None
        if runner is None or feed is None:
            return False
        return runner.call(getattr(feed, command), *args)

    @on(Worker.StateChanged)
    def log_worker_failure(self, event: Worker.StateChanged) -> None:
        """A dead feed is never silent: show it in the error pane, status bar and a toast."""
        worker = event.worker
        if worker.group == "feed" and event.state is WorkerState.ERROR:
            error = worker.error
            text = sanitize(f"{type(error).__name__}: {error}", 300)
            self.post_message(msg.FeedFailed(text))

    # ---- the frame ---------------------------------------------------------------------

    def frame_displayed(self, written: int) -> None:
        """A frame reached the terminal's driver: ask for a round trip behind it."""
        if self.pacer.frame_written(time.monotonic()):
            self.request_round_trip()

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        """The terminal answered: everything written before the question is on screen."""
        self.pacer.answered(time.monotonic())

    def render_frame(self) -> None:
        """Turn the latest state into messages; runs at the render rate, never per message.

        Skipped while the terminal has not shown the previous frame, so frames never
        queue up on a slow link and the next one drawn shows the latest state.
        """
        desk = self.desk
        if not desk.ready or not self.pacer.may_draw(time.monotonic()):
            return
        self.composer.depth = desk.view_depth
        self.composer.groups = {m: g for m, g in desk.groups.items() if g}
        self.composer.tape_filter = desk.focused_market if desk.tape_filtered else None
        state = self.feed.state if self.feed is not None else None
        with reading(self.feed):  # one hold for all of this frame's reads
            frame = msg.frame_messages(self.composer.compose(state, desk.visible_markets()))
        for message in self.pause.shown(frame):
            self.post_message(message)
        if not self.pause.active:
            desk.tick_frame()
            first = desk.ladders()[0].view if desk.ladders() else None
            desk.chart_panel.tick(self.charts, desk.focused_market, first, self.clock.wall_ns())
        with reading(self.feed):
            self.alerts.tick(state, desk.markets)
        line = status_line(
            self.feed, self.source, self.clock, desk.focused_market, self.feed_failure
        )
        figures = self.pacer.figures(time.monotonic())
        line = with_link(line, figures, self.pause, self.clock.monotonic())
        desk.status_bar.show(replace(line, cursor=cursor_text(desk)))
        refresh_board(self, line)
        problem = recording_problem(line, self.recording_failure)
        self.recording_failure = line.recording_error
        if problem is not None:
            self.inbox.add_problem(problem)

    # ---- the command palette and quitting ----------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action in the command palette."""
        yield from super().get_system_commands(screen)
        yield from desk_commands(self)
        yield from view_commands(self)

    async def action_quit(self) -> None:
        """Stop the feed cleanly, wait (bounded) for its source to close, then exit."""
        runner = self.runner
        stopping = runner.request_stop() if runner is not None else None
        if runner is not None and stopping is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(stopping), STOP_TIMEOUT)
                # The source's close writes a recording's last frames: never cut it off.
                await asyncio.wait_for(asyncio.wrap_future(runner.finished), STOP_TIMEOUT)
        self.exit()

    def _fatal_error(self) -> None:
        # Textual's default renders tracebacks with show_locals=True; locals can hold a
        # token or a secret, so crash reports here never include them.
        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(traceback)
        self._close_messages_no_wait()
