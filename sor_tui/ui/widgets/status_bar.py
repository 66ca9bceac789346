"""The status bar: environment, connection state, countdowns, message rate and lag."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rich.text import Text
from textual.widget import Widget

from sor_tui.core.number_text import parts_that_fit
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
    recording_error: str = ""  # recording was asked for but fails (disk full, no folder)
    cursor: str = ""
    """The book cursor's level (side, price, cumulative size, notional, bps from mid)."""
    clock_offset_s: float | None = None
    """The server clock minus ours, shown when it is a second or more."""
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

        # (text, style, rank): lower ranks stay longest; a part is shown whole or not at all.
        parts: list[tuple[str, object, int]] = [
            (f" {sanitize(line.environment, 20)} ", style("env"), 0),
            (f" {line.state}", style(_STATE_CLASS.get(line.state, "warn")), 0),
        ]
        # Early in the line: narrow terminals must still show it.
        if line.recording_error:
            parts.insert(1, (" REC FAILED ", style("rec"), 0))
        elif line.recording:
            parts.insert(1, (" REC ", style("rec"), 0))
        if line.cursor:
            parts.append((f" │ {sanitize(line.cursor, 80)}", style("env"), 1))
        if line.paused_for is not None:  # first after the environment: never cut
            parts.insert(1, (f" PAUSED {format_age(line.paused_for)} ", style("rec"), 0))
        if line.retry_in is not None and line.state in ("RECONNECTING", "CONNECTING"):
            parts.append((f" retry {format_age(line.retry_in)}", style("warn"), 1))
        reason: tuple[str, object, int] | None = None
        if line.detail and line.state != "CONNECTED":
            reason = (f" {sanitize(line.detail, 60)}", style("dim"), 1)
            parts.append(reason)
        if line.token_expires_in is not None:
            parts.append((f" │ token {format_age(line.token_expires_in)}", style("dim"), 3))
        if line.messages_per_second is not None:
            parts.append((f" │ {line.messages_per_second:,.0f} msg/s", style("dim"), 2))
        if line.lag_ms is not None:
            parts.append((f" │ lag {round(line.lag_ms):,d} ms", style("dim"), 2))
        if line.reconnects:
            parts.append((f" │ reconnects {line.reconnects}", style("dim"), 2))
        if line.clock_offset_s is not None and abs(line.clock_offset_s) >= 1.0:
            offset = f" │ server clock {line.clock_offset_s:+,.1f} s"
            parts.append((offset, style("warn"), 2))
        if line.screen_lag_ms is not None:
            rate = "" if line.frames_per_second is None else f" {line.frames_per_second:.0f} fps"
            if line.terminal_bound:  # right after the state: a narrow bar must still show it
                state = next(i for i, p in enumerate(parts) if p[0] == f" {line.state}")
                link = f" │ slow link {line.screen_lag_ms:,.0f} ms{rate}"
                parts.insert(state + 1, (link, style("warn"), 1))
            else:
                screen = f" │ screen {line.screen_lag_ms:,.0f} ms{rate}"
                parts.append((screen, style("dim"), 3))
        width = self.size.width or 80
        kept = [parts[i] for i in parts_that_fit([(len(p[0]), p[2]) for p in parts], width)]
        room = width - sum(len(part) for part, _, _ in kept)
        if reason is not None and reason not in kept and room >= 8:
            # Words, not numbers: the reason is shortened with an ellipsis, not left out.
            words, words_style, rank = reason
            at = sum(1 for _, _, kept_rank in kept if kept_rank <= 1)
            kept.insert(at, (words[: room - 1].rstrip() + "…", words_style, rank))
        text = Text(no_wrap=True, overflow="crop")
        for part, part_style, _ in kept:
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
