"""The terminal's bell and desktop notifications by OSC 9 and OSC 777, over SSH and tmux.

OSC 9 (iTerm2, Windows Terminal, kitty, WezTerm, foot) and OSC 777 (rxvt, VTE terminals
such as GNOME Terminal, WezTerm) are both sent: a terminal ignores the one it does not
know. Inside tmux each is wrapped in tmux's DCS passthrough (tmux needs
``set -g allow-passthrough on``). Text is sanitized: nothing in an alert can end the
sequence early or smuggle in another one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from sor_tui.core.sanitize import sanitize

BEL = "\a"
ESC = "\x1b"


def osc9(body: str) -> str:
    """An OSC 9 notification."""
    return f"{ESC}]9;{sanitize(body, 200)}{BEL}"


def osc777(title: str, body: str) -> str:
    """An OSC 777 notification (its fields are separated by ';', so none may hold one)."""
    return f"{ESC}]777;notify;{sanitize(title, 80).replace(';', ',')};{sanitize(body, 200)}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """Wrap a sequence for tmux's passthrough: every ESC inside is doubled."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ESC}\\"


def inside_tmux(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app runs inside tmux ($TMUX is set)."""
    return bool((os.environ if environ is None else environ).get("TMUX"))


def notification_bytes(title: str, body: str, *, tmux: bool) -> str:
    """OSC 9 then OSC 777 for one alert, wrapped for tmux when inside it."""
    sequences = [osc9(f"{title}: {body}" if body else title), osc777(title, body)]
    if tmux:
        sequences = [tmux_passthrough(sequence) for sequence in sequences]
    return "".join(sequences)


def terminal_writer(app: Any) -> Callable[[str], None]:
    """Write straight to the app's terminal (the one adapter to Textual's driver).

    Textual sends its own OSC 52 clipboard sequence through ``App._driver.write``; there
    is no public call for other sequences, so this is the only place that reaches it.
    """

    def write(data: str) -> None:
        driver = getattr(app, "_driver", None)
        if driver is not None:
            driver.write(data)

    return write
