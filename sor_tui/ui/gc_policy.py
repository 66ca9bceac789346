"""The garbage-collector policy of a running desk (its launchers turn it on).

Measured on the desk at 1k msgs/s (bench/bench_tui.py): with CPython's defaults a full
collection ran every ~1.5 s and took ~60 ms, because it walks everything start-up built
(widgets, CSS, caches) and every short-lived strip and view that outlived two young
collections. That set the update-to-screen p99 (160 ms) and cost ~6 % of a core.

So, once start-up is done, what is alive is collected and frozen (never walked again), and
young collections run every 50k allocations instead of 700, so a frame's strips and views
are freed by reference counting long before a collection could promote them. Every few
minutes the frozen set is released, collected and frozen again, so cyclic garbage of
objects frozen earlier (a closed screen) is reclaimed rather than kept for the session.
"""

from __future__ import annotations

import gc
from typing import Any

from textual.app import App

FIRST_SETTLE = 2.0
"""Seconds after mount before the first freeze (start-up objects are built by then)."""
RESETTLE_EVERY = 300.0
"""Seconds between unfreeze, full collection and freeze again."""
YOUNG_THRESHOLD = 50_000
"""Allocations between young collections (CPython's default is 700)."""
MIDDLE_THRESHOLD = 50
"""Young collections between middle-generation collections (default 10)."""


class GcPolicy:
    """Freezes start-up objects and spaces out collections for the app's lifetime."""

    def __init__(self) -> None:
        self.settles = 0
        self._saved: tuple[int, int, int] | None = None

    def start(self, app: App[Any]) -> None:
        """Raise the thresholds now; freeze after start-up and every few minutes."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, self._saved[2])
        app.set_timer(FIRST_SETTLE, self.settle)
        app.set_interval(RESETTLE_EVERY, self.settle)

    def settle(self) -> None:
        """Collect everything (frozen objects included) and freeze what survives."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.settles += 1

    def stop(self) -> None:
        """Give the process its defaults back (the app ended; tests run several apps)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        gc.unfreeze()
