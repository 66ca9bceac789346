"""Frame pacing: never queue frames faster than the terminal shows them.

After a frame is written the app asks the terminal a question (a cursor position report);
the terminal answers only once it has processed every byte before it, so the answer's
round trip covers every buffer between the app and the screen (pty, SSH channel, TCP).
The next frame is drawn only after the answer, so at most about one frame is in flight and
every frame drawn shows the latest state. A terminal that never answers is detected and
drawn at the normal rate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

UNCONFIRMED_WAIT = 1.0
"""Seconds a frame waits for an answer before the terminal has ever answered."""
CONFIRMED_WAIT = 3.0
"""Seconds a frame waits for an answer from a terminal known to answer (then draws anyway)."""
GIVE_UP_AFTER = 5.0
"""Seconds without any answer since the first question: the terminal does not answer."""
LOST_AFTER = 10.0
"""Seconds after which an unanswered question is taken as lost and a new one may be sent."""
WINDOW = 2.0
"""Seconds of history behind the frame rate and the screen lag shown."""
BOUND_WAITS = 4
"""Frames held back within ``WINDOW`` from which the terminal counts as the bottleneck (a
single late answer on a busy machine does not)."""


@dataclass(frozen=True)
class LinkFigures:
    """What the status bar shows about the link to the terminal."""

    screen_lag_ms: float | None
    """Round trip of the last answered frame (None before any answer)."""
    frames_per_second: float
    """Frames written in the last ``WINDOW`` seconds, per second."""
    terminal_bound: bool
    """Frames waited for the terminal recently: the link, not the app, sets the rate."""
    answers: bool | None
    """Whether the terminal answers questions (None: not known yet)."""


@dataclass
class FramePacer:
    """Decides when the next frame may be drawn, from questions and answers."""

    enabled: bool = True
    answers: bool | None = None
    _asked: deque[float] = field(default_factory=deque)
    _first_question: float | None = None
    _last_draw: float = float("-inf")
    _draws: deque[float] = field(default_factory=deque)
    _waits: deque[float] = field(default_factory=deque)
    _round_trips: deque[tuple[float, float]] = field(default_factory=deque)

    def may_draw(self, now: float) -> bool:
        """True when a new frame may be drawn now (False counts as waiting for the link)."""
        if not self.enabled or not self._asked or self.answers is False:
            return True
        wait = CONFIRMED_WAIT if self.answers else UNCONFIRMED_WAIT
        if now - self._asked[0] >= wait and now - self._last_draw >= wait:
            return True  # an answer is overdue: draw anyway, at most once per wait
        self._waits.append(now)
        return False

    def frame_written(self, now: float) -> bool:
        """A frame went to the terminal; True when a question should follow it now."""
        self._last_draw = now
        self._draws.append(now)
        self._trim(now)
        if not self.enabled:
            return False
        first = self._first_question
        if self.answers is None and first is not None and now - first >= GIVE_UP_AFTER:
            self.answers = False  # a later answer turns pacing back on
        while self._asked and now - self._asked[0] >= LOST_AFTER:
            self._asked.popleft()
        if self._asked:
            return False
        self._asked.append(now)
        if self._first_question is None:
            self._first_question = now
        return True

    def answered(self, now: float) -> None:
        """The terminal answered the oldest question."""
        self.answers = True
        if self._asked:
            asked = self._asked.popleft()
            self._round_trips.append((now, now - asked))
        self._trim(now)

    def figures(self, now: float) -> LinkFigures:
        """Screen lag, frame rate and whether the terminal is the bottleneck."""
        self._trim(now)
        lag = self._round_trips[-1][1] * 1000 if self._round_trips else None
        pending = self._asked[0] if self._asked else None
        if lag is not None and pending is not None and (now - pending) * 1000 > lag:
            lag = (now - pending) * 1000  # an answer is late: show how late it already is
        return LinkFigures(
            screen_lag_ms=lag,
            frames_per_second=len(self._draws) / WINDOW,
            terminal_bound=len(self._waits) >= BOUND_WAITS and bool(self.answers),
            answers=self.answers,
        )

    def _trim(self, now: float) -> None:
        for times in (self._draws, self._waits):
            while times and now - times[0] > WINDOW:
                times.popleft()
        while self._round_trips and now - self._round_trips[0][0] > WINDOW:
            if len(self._round_trips) == 1:
                break  # keep the last round trip: the lag shown when frames are rare
            self._round_trips.popleft()
