"""The desk app driven by a recording: the live app and widgets plus replay controls."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from sor_tui.config.settings import Settings
from sor_tui.core.chart_data import ChartData
from sor_tui.runtime.clock import Clock
from sor_tui.runtime.replay_feed import ReplayFeed, ReplayFeedSource
from sor_tui.ui.app import SorApp
from sor_tui.ui.copy_record_actions import COPY_BINDINGS, copy_book, copy_tape
from sor_tui.ui.desk_config import DeskConfig
from sor_tui.ui.themes import DEFAULT_THEME

_UNCHOSEN_THEMES = frozenset({"", "textual-dark"})

REPLAY_BINDINGS: list[BindingType] = [
    Binding("space", "replay_pause", "Pause", id="replay.pause", tooltip="Pause or resume"),
    Binding("full_stop", "replay_step", "Step", id="replay.step", tooltip="Apply one frame"),
    Binding("greater_than_sign", "replay_speed(1)", "Faster", id="replay.faster"),
    Binding("less_than_sign", "replay_speed(-1)", "Slower", id="replay.slower"),
    Binding("shift+right", "replay_seek(10)", "+10s", id="replay.forward", show=False),
    Binding("shift+left", "replay_seek(-10)", "-10s", id="replay.back", show=False),
    Binding("home", "replay_jump('start')", "Start", id="replay.start", show=False),
    Binding("end", "replay_jump('end')", "End", id="replay.end", show=False),
]


class ReplayApp(SorApp):
    """``SorApp`` on a ``ReplayFeedSource``, with pause, step, speed, seek and copy keys."""

    BINDINGS = [*REPLAY_BINDINGS, *COPY_BINDINGS]
    TITLE = "sor-tui replay"

    @property
    def replay_feed(self) -> ReplayFeed | None:
        """The running replay feed, once the source is open."""
        return self.feed if isinstance(self.feed, ReplayFeed) else None

    _shown_state: int | None = None

    def render_frame(self) -> None:
        """Render as live; after a backwards seek (a new desk state) re-send everything."""
        feed = self.replay_feed
        if feed is not None and id(feed.state) != self._shown_state:
            self._shown_state = id(feed.state)
            self.composer.invalidate()
            self.charts = ChartData()  # the new state's prints are drained again from the start
        super().render_frame()

    def action_replay_pause(self) -> None:
        """Pause or resume the replay."""
        if (feed := self.replay_feed) is not None:
            feed.toggle_pause()
            self.render_frame()

    def action_replay_step(self) -> None:
        """Pause and apply exactly one recorded entry."""
        if (feed := self.replay_feed) is not None:
            feed.step(1)
            self.render_frame()

    def action_replay_speed(self, direction: int) -> None:
        """One step up or down the speed ladder."""
        if (feed := self.replay_feed) is not None:
            speed = feed.faster() if direction > 0 else feed.slower()
            self.notify(f"Speed x{speed:g}", timeout=2)

    def action_replay_seek(self, seconds: float) -> None:
        """Move by ``seconds`` of recording time."""
        if (feed := self.replay_feed) is not None:
            feed.request_seek_by(seconds)

    def action_replay_jump(self, where: str) -> None:
        """Jump to the start or the end of the recording (without blocking the desk)."""
        if (feed := self.replay_feed) is not None:
            replay = feed.replay
            feed.request_seek(replay.start_ns if where == "start" else replay.end_ns)

    def action_copy_book(self) -> None:
        """Copy the focused book to the clipboard (OSC 52)."""
        copy_book(self)

    def action_copy_tape(self) -> None:
        """Copy the tape to the clipboard (OSC 52)."""
        copy_tape(self)


def make_replay_app(
    settings: Settings, source: ReplayFeedSource, *, clock: Clock | None = None
) -> ReplayApp:
    """The replay app for these display settings and this recording."""
    theme = DEFAULT_THEME if settings.theme in _UNCHOSEN_THEMES else settings.theme
    config = DeskConfig(
        environment=source.environment,
        markets=tuple(settings.markets),
        depth=settings.book_depth,
        render_rate=settings.render_rate,
        large_trade=settings.large_trade,
        theme=theme,
        keymap=dict(settings.keymap),
        source=source,
    )
    return ReplayApp(config, clock=clock)
