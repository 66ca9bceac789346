"""The status bar: environment, connection state, countdowns, message rate and lag."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rich.text import Text
from textual.widget import Widget

from sor_tui.core.sanitize import sanitize
from sor_tui.ui.format import format_age


@dataclass(frozen=True)
class StatusLine:
    """Everything the status bar shows, read from the feed once per frame."""

    environment: str
    state: str
    detail: str = ""
    retry_in: float | None = None
    token_expires_in: float | None = None
    messages_per_second: float | None = None
    lag_ms: float | None = None
    reconnects: int = 0
    recording: bool = False
    screen_lag_ms: float | None = None
    """Round trip of the last frame to the terminal and back."""
    frames_per_second: float | None = None
    terminal_bound: bool = False
    """Frames wait for the terminal: the link, not the feed, sets the frame rate."""
    paused_for: float | None = None
    """Seconds the display has been frozen (the age of what is on screen)."""


NUMBERS_PERIOD = 0.25
"""Seconds between redraws when only the running numbers changed (rate, lag, countdowns):
read at 4 Hz they stay legible, and the bar is not redrawn on every frame."""

_STATE_CLASS = {
    "CONNECTED": "ok",
    "CONNECTING": "warn",
    "RECONNECTING": "warn",
    "AUTH_FAILED": "bad",
    "FORBIDDEN": "bad",
    "STOPPED": "bad",
    "FAILED": "bad",
    "STARTING": "warn",
}


class StatusBar(Widget):
    """One line at the bottom of the desk showing the feed's health."""

    COMPONENT_CLASSES = {
        "status-bar--env",
        "status-bar--ok",
        "status-bar--warn",
        "status-bar--bad",
        "status-bar--dim",
        "status-bar--rec",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.line = StatusLine(environment="", state="STARTING")
        self._shown_at = float("-inf")

    def show(self, line: StatusLine, now: float | None = None) -> None:
        """Redraw at once when the state changed, at most 4 times a second for numbers."""
        if line == self.line:
            return
        now = time.monotonic() if now is None else now
        if _facts(line) == _facts(self.line) and now - self._shown_at < NUMBERS_PERIOD:
            return  # a later frame shows the newer numbers
        self.line = line
        self._shown_at = now
        self.set_class(_STATE_CLASS.get(line.state) == "bad", "-disconnected")
        self.refresh()

    def render(self) -> Text:
        """The bar's text, most important first so narrow terminals keep what matters."""
        line = self.line

        def style(name: str) -> object:
            return self.get_component_rich_style(f"status-bar--{name}", partial=True)

        parts: list[tuple[str, object]] = [
            (f" {sanitize(line.environment, 20)} ", style("env")),
            (f" {line.state}", style(_STATE_CLASS.get(line.state, "warn"))),
        ]
        if line.recording:  # early in the line: narrow terminals must still show it
            parts.insert(1, (" REC ", style("rec")))
        if line.paused_for is not None:  # first after the environment: never cut
            parts.insert(1, (f" PAUSED {format_age(line.paused_for)} ", style("rec")))
        if line.retry_in is not None and line.state in ("RECONNECTING", "CONNECTING"):
            parts.append((f" retry {format_age(line.retry_in)}", style("warn")))
        if line.detail and line.state != "CONNECTED":
            parts.append((f" {sanitize(line.detail, 60)}", style("dim")))
        if line.token_expires_in is not None:
            parts.append((f" │ token {format_age(line.token_expires_in)}", style("dim")))
        if line.messages_per_second is not None:
            parts.append((f" │ {line.messages_per_second:,.0f} msg/s", style("dim")))
        if line.lag_ms is not None:
            parts.append((f" │ lag {line.lag_ms:,.0f} ms", style("dim")))
        if line.reconnects:
            parts.append((f" │ reconnects {line.reconnects}", style("dim")))
        if line.screen_lag_ms is not None:
            rate = "" if line.frames_per_second is None else f" {line.frames_per_second:.0f} fps"
            if line.terminal_bound:  # right after the state: a narrow bar must still show it
                state = next(i for i, (text, _) in enumerate(parts) if text == f" {line.state}")
                link = f" │ slow link {line.screen_lag_ms:,.0f} ms{rate}"
                parts.insert(state + 1, (link, style("warn")))
            else:
                parts.append((f" │ screen {line.screen_lag_ms:,.0f} ms{rate}", style("dim")))
        text = Text(no_wrap=True, overflow="ellipsis")
        for part, part_style in parts:
            text.append(part, style=part_style)  # type: ignore[arg-type]
        return text


def _facts(line: StatusLine) -> StatusLine:
    """The line without its running numbers (what must show without delay)."""
    return replace(
        line,
        retry_in=None,
        token_expires_in=None,
        messages_per_second=None,
        lag_ms=None,
        screen_lag_ms=None,
        frames_per_second=None,
        paused_for=None if line.paused_for is None else 0.0,
    )
