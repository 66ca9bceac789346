"""The garbage-collector policy of a running desk (its commands turn it on).

CPython's automatic collections walk everything start-up built and pause at random moments,
often in the middle of a frame or a key press. So, once start-up is done, what is alive is
collected and frozen (never walked again), and automatic collection is off: the desk
collects the young generation half-way between two frames once enough new objects are
tracked, and the middle one every tenth such collection; reference counting frees the rest.
Every few minutes the frozen set is released, fully collected and frozen again, so cyclic
garbage of older objects (a closed screen) is reclaimed. The figures behind these choices
are in ``bench/`` (``bench_tui.py``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Protocol

FIRST_SETTLE = 2.0
"""Seconds after mount before the first freeze (start-up objects are built by then)."""
RESETTLE_EVERY = 300.0
"""Seconds between unfreeze, full collection and freeze again."""
YOUNG_AT = 5_000
"""New tracked objects that make the next frame collect the young generation."""
MIDDLE_EVERY = 10
"""Young collections between collections of the middle generation (CPython's default)."""


class Timers(Protocol):
    """What schedules the policy's calls (the Textual app does)."""

    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Any:
        """Call ``callback`` once after ``delay`` seconds."""
        ...

    def set_interval(
        self, interval: float, callback: Callable[[], Any], *, name: str | None = None
    ) -> Any:
        """Call ``callback`` every ``interval`` seconds."""
        ...


class GcPolicy:
    """Freezes start-up objects and collects at frame boundaries for the app's lifetime."""

    def __init__(self) -> None:
        self.settles = 0
        self.frames = 0
        self.collections = 0
        self._was_enabled: bool | None = None

    @property
    def active(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._was_enabled is not None

    def start(self, app: Timers, frame_period: float) -> None:
        """Turn automatic collection off now; collect between frames; freeze after start-up
        and every few minutes."""
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
            gc.disable()
        app.set_timer(FIRST_SETTLE, self.settle)
        app.set_interval(RESETTLE_EVERY, self.settle)

        def between_frames() -> None:  # half a period after the frame timer's phase
            app.set_interval(frame_period, self.frame, name="gc")

        app.set_timer(frame_period / 2, between_frames)

    def frame(self) -> None:
        """Between two frames: collect the young (and middle) generation when it is due."""
        if self._was_enabled is None:
            return
        self.frames += 1
        young, middle, _ = gc.get_count()
        if young >= YOUNG_AT:
            gc.collect(1 if middle + 1 >= MIDDLE_EVERY else 0)
            self.collections += 1

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
