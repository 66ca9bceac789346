"""The link to the terminal as the desk shows it: screen lag, frame rate, and the pause key.

Pausing freezes what the desk draws (books and tape) while the feed keeps running and
its state keeps being read (so nothing piles up); the status bar shows PAUSED with the
age of what is on screen. Resuming redraws everything from the latest state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from textual.binding import Binding, BindingType
from textual.message import Message

from sor_tui.core.frame_pacing import LinkFigures
from sor_tui.ui.messages import BookChanged, TapeChanged
from sor_tui.ui.widgets.status_bar import StatusLine

PAUSE_BINDINGS: list[BindingType] = [
    Binding(
        "space",
        "toggle_pause",
        "Pause",
        id="app.pause",
        show=False,
        tooltip="Freeze the display (the feed runs on)",
    ),
]
_FROZEN = (BookChanged, TapeChanged)  # what a paused display does not draw


@dataclass
class DisplayPause:
    """Whether the display is frozen, and since when (monotonic seconds)."""

    since: float | None = None

    @property
    def active(self) -> bool:
        """True while the display is frozen."""
        return self.since is not None

    def toggle(self, now: float) -> bool:
        """Freeze or resume; True when now frozen."""
        self.since = None if self.since is not None else now
        return self.since is not None

    def shown(self, messages: Sequence[Message]) -> list[Message]:
        """The frame's messages a frozen display still handles (status, problems)."""
        if self.since is None:
            return list(messages)
        return [message for message in messages if not isinstance(message, _FROZEN)]


def with_link(
    line: StatusLine, figures: LinkFigures, pause: DisplayPause, now: float
) -> StatusLine:
    """The status line with the screen lag, frame rate and pause state (``now``: the
    pause's clock) added."""
    return replace(
        line,
        screen_lag_ms=figures.screen_lag_ms,
        frames_per_second=figures.frames_per_second if figures.answers else None,
        terminal_bound=figures.terminal_bound,
        paused_for=None if pause.since is None else max(0.0, now - pause.since),
    )
