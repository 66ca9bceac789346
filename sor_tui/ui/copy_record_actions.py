"""Keys and actions of copying the book or tape, and of recording the live feed.

Copying uses ``App.copy_to_clipboard``, which sends OSC 52, so it works over SSH in
terminals that allow it. The copy functions take any app with a feed and a desk, so the
live ``SorApp`` can bind them too.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType

from sor_tui.record.export import book_text, tape_text
from sor_tui.runtime.shared_state import reading

COPY_DEPTH = 200
COPY_TAPE_LIMIT = 500

COPY_BINDINGS: list[BindingType] = [
    Binding("c", "copy_book", "Copy book", id="desk.copy_book", tooltip="Copy this book (OSC 52)"),
    Binding(
        "y", "copy_tape", "Copy tape", id="desk.copy_tape", show=False, tooltip="Copy the tape"
    ),
]


def _focused_market(app: Any) -> str | None:
    desk = getattr(app, "desk", None)
    return getattr(desk, "focused_market", None) if desk is not None else None


def copy_book(app: App[Any]) -> bool:
    """Copy the focused market's book (full depth) to the clipboard; False when none."""
    feed = getattr(app, "feed", None)
    market = _focused_market(app)
    view = None
    if feed is not None and market:
        with reading(feed):
            view = feed.state.book_view(market, COPY_DEPTH)
    if view is None:
        app.notify("No book to copy", timeout=3)
        return False
    app.copy_to_clipboard(book_text(view))
    app.notify(f"Copied the {market} book ({len(view.bids)}+{len(view.asks)} levels)", timeout=3)
    return True


def copy_tape(app: App[Any]) -> bool:
    """Copy the tape as shown (this market when the tape is filtered) to the clipboard."""
    feed = getattr(app, "feed", None)
    if feed is None:
        app.notify("No tape to copy", timeout=3)
        return False
    desk = getattr(app, "desk", None)
    filtered = bool(getattr(desk, "tape_filtered", False))
    market = _focused_market(app) if filtered else None
    with reading(feed):
        tape = feed.state.tape_view(COPY_TAPE_LIMIT, market)
    app.copy_to_clipboard(tape_text(tape))
    app.notify(f"Copied {len(tape.entries)} prints", timeout=3)
    return True


RECORD_BINDINGS: list[BindingType] = [
    Binding(
        "ctrl+r", "toggle_recording", "Record", id="app.record", tooltip="Start/stop recording"
    ),
]


def toggle_recording(app: App[Any]) -> bool:
    """Start or stop recording the live feed (the source's ``recording``); False if none."""
    recording = getattr(getattr(app, "source", None), "recording", None)
    if recording is None:
        app.notify("Recording is not available for this source", timeout=3)
        return False
    app.notify(recording.toggle(), timeout=4, markup=False)
    return True
