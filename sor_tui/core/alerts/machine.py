"""One alert's state machine: inactive -> pending -> firing -> resolved, with no flapping.

A condition must hold for the whole pending period before the alert fires; a firing alert
stays firing while the condition holds and resolves only once the condition has been false
for the clear period (and the alert has fired for at least its minimum hold), so a signal
oscillating around a threshold fires once instead of flapping. ``None`` means "no data":
it neither fires nor resolves anything. Time is a monotonic number of seconds, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertPhase(StrEnum):
    """Where an alert is in its life."""

    INACTIVE = "inactive"
    PENDING = "pending"  # the condition holds, the pending period is not over yet
    FIRING = "firing"
    RESOLVED = "resolved"  # fired, then the condition cleared


class Transition(StrEnum):
    """What an update reports: the only two events an alert ever sends."""

    FIRED = "fired"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a condition must hold to fire and stay false to resolve, in seconds."""

    pending: float = 0.0
    clear: float = 0.0
    min_firing: float = 0.0
    repeat: bool = True
    """False: one-shot, the alert disarms once it has resolved (never fires again)."""


class AlertMachine:
    """The state of one alert; ``update`` is called with the condition at time ``now``."""

    __slots__ = (
        "acknowledged",
        "clear_since",
        "disarmed",
        "fired_at",
        "fired_count",
        "pending_since",
        "phase",
        "resolved_at",
        "snoozed_until",
        "timing",
    )

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self.phase = AlertPhase.INACTIVE
        self.pending_since: float | None = None
        self.fired_at: float | None = None
        self.resolved_at: float | None = None
        self.clear_since: float | None = None
        self.fired_count = 0
        self.acknowledged = False
        self.snoozed_until: float | None = None
        self.disarmed = False

    def update(self, condition: bool | None, now: float) -> Transition | None:
        """Advance with the condition observed at ``now``; returns a transition, if any."""
        if condition is None:
            return None
        phase = self.phase
        if phase is AlertPhase.FIRING:
            return self._firing(condition, now)
        if phase is AlertPhase.PENDING:
            if not condition:
                self.phase = AlertPhase.RESOLVED if self.fired_count else AlertPhase.INACTIVE
                self.pending_since = None
                return None
        elif not condition or self.disarmed:
            return None
        else:
            self.phase = AlertPhase.PENDING
            self.pending_since = now
        assert self.pending_since is not None
        if now - self.pending_since < self.timing.pending:
            return None
        self.phase = AlertPhase.FIRING
        self.fired_at = now
        self.clear_since = None
        self.fired_count += 1
        self.acknowledged = False
        return Transition.FIRED

    def _firing(self, condition: bool, now: float) -> Transition | None:
        if condition:
            self.clear_since = None
            return None
        if self.clear_since is None:
            self.clear_since = now
        assert self.fired_at is not None
        timing = self.timing
        if now - self.clear_since < timing.clear or now - self.fired_at < timing.min_firing:
            return None
        self.phase = AlertPhase.RESOLVED
        self.resolved_at = now
        self.pending_since = None
        self.clear_since = None
        if not timing.repeat:
            self.disarmed = True
        return Transition.RESOLVED

    def acknowledge(self) -> None:
        """The user has seen this firing (a new firing needs a new acknowledgement)."""
        if self.phase is AlertPhase.FIRING:
            self.acknowledged = True

    def snooze(self, until: float) -> None:
        """Deliver nothing of this alert until ``until`` (it keeps its state meanwhile)."""
        self.snoozed_until = until

    def snoozed(self, now: float) -> bool:
        """Whether deliveries are held back at ``now``."""
        return self.snoozed_until is not None and now < self.snoozed_until
