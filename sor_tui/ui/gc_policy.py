"""The garbage-collector policy of a running desk (its launchers turn it on).

Measured on the desk (bench/bench_tui.py, 2 markets at 200x62):

- with CPython's defaults a full collection ran every ~1.5 s at 1k msgs/s and took ~60 ms,
  walking everything start-up built (widgets, CSS, caches); that set the update-to-screen
  p99 (160 ms) and cost ~6 % of a core;
- with start-up frozen but automatic young collections, the pauses moved to the young
  generations: every frame makes new strips (each ``Strip`` carries seven caches), so at
  50k msgs/s a collection met 20-50k live young objects and paused 20-30 ms, at random
  moments, often in the middle of a frame or a key press.

So, once start-up is done, what is alive is collected and frozen (never walked again), and
automatic collection is off: the app collects the young generation itself at the start of
each frame (the previous one was painted long ago; a frame's worth of survivors takes ~1 ms)
and the middle one every tenth frame. Reference counting frees everything else at once.
Every few minutes the frozen set is released, fully collected and frozen again, so cyclic
garbage of older objects (a closed screen) is reclaimed rather than kept for the session.
"""

from __future__ import annotations

import gc
from typing import Any

from textual.app import App

FIRST_SETTLE = 2.0
"""Seconds after mount before the first freeze (start-up objects are built by then)."""
RESETTLE_EVERY = 300.0
"""Seconds between unfreeze, full collection and freeze again."""
MIDDLE_EVERY = 10
"""Frames between collections of the middle generation (the young one: every frame)."""


class GcPolicy:
    """Freezes start-up objects and collects at frame boundaries for the app's lifetime."""

    def __init__(self) -> None:
        self.settles = 0
        self.frames = 0
        self._was_enabled: bool | None = None

    @property
    def active(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._was_enabled is not None

    def start(self, app: App[Any]) -> None:
        """Turn automatic collection off now; freeze after start-up and every few minutes."""
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
            gc.disable()
        app.set_timer(FIRST_SETTLE, self.settle)
        app.set_interval(RESETTLE_EVERY, self.settle)

    def frame(self) -> None:
        """Collect the young generation (and every tenth frame the middle one)."""
        if self._was_enabled is None:
            return
        self.frames += 1
        gc.collect(1 if self.frames % MIDDLE_EVERY == 0 else 0)

    def settle(self) -> None:
        """Collect everything (frozen objects included) and freeze what survives."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.settles += 1

    def stop(self) -> None:
        """Give the process its defaults back (the app ended; tests run several apps)."""
        if self._was_enabled is not None:
            if self._was_enabled:
                gc.enable()
            self._was_enabled = None
        gc.unfreeze()
