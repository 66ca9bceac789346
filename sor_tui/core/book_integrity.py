"""A book's integrity judgements that are not its synchronization: long crosses and flags.

A consolidated book may legitimately stay crossed for a moment, and a resync loop would
never fix one that stays crossed; so a cross is judged over consecutive messages and wall
time, flagged once per episode, and the episode ends only when the book uncrosses.
"""

from __future__ import annotations

from collections.abc import Callable


class CrossWatch:
    """Counts consecutive crossed messages and says when a long-cross episode starts or ends."""

    __slots__ = ("count", "episode", "max_ns", "max_updates", "since", "wall")

    def __init__(self, max_updates: int, max_ns: int, wall_clock_ns: Callable[[], int]) -> None:
        self.max_updates = max_updates
        self.max_ns = max_ns
        self.wall = wall_clock_ns
        self.count = 0  # consecutive crossed messages
        self.since: int | None = None  # wall time of the first of them
        self.episode = False  # a long cross was flagged; survives resyncs

    def reset(self) -> None:
        """The levels were cleared: the next message starts a new count (not a new episode)."""
        self.count = 0
        self.since = None

    def observe(self, crossed: bool) -> bool:
        """Record one message's cross state; True when a long-cross episode starts or ends."""
        if not crossed:
            self.count = 0
            self.since = None
            if self.episode:
                self.episode = False
                return True
            return False
        self.count += 1
        now = self.wall()
        if self.since is None:
            self.since = now
        if not self.episode and (self.count >= self.max_updates or now - self.since >= self.max_ns):
            self.episode = True
            return True
        return False


def integrity_flags(
    resync_reason: str | None,
    regressions: int,
    future: int,
    overflowed: bool,
    long_cross: bool = False,
) -> tuple[str, ...]:
    """Human-readable integrity warnings of a book (empty in the usual case)."""
    flags: list[str] = []
    if long_cross:
        flags.append("crossed for long")
    if resync_reason is not None:
        flags.append(f"resync needed: {resync_reason}")
    if regressions:
        flags.append(f"time went backwards {regressions}x")
    if future:
        flags.append(f"far-future time {future}x")
    if overflowed:
        flags.append("update buffer overflowed")
    return tuple(flags)
