"""The alert engine: one state machine per (rule, subject), judged against desk signals.

``evaluate`` is called with a signals snapshot and the time; it returns the fired and
resolved events of that moment. The engine also keeps a bounded history and frozen views
of every alert for the Alerts tab. Pure: no clock of its own, no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sor_tui.core.alerts.conditions import condition
from sor_tui.core.alerts.machine import AlertMachine, AlertPhase, Transition
from sor_tui.core.alerts.rules import MARKET_KINDS, AlertRule, RuleKind
from sor_tui.core.alerts.signals import DeskSignals
from sor_tui.core.sanitize import sanitize

HISTORY = 500
"""Fired and resolved events remembered for the Alerts tab."""
MAX_SUBJECTS = 256
"""Alerts kept per rule: a server inventing markets cannot grow the engine without bound."""

AlertKey = tuple[str, str]
"""(rule id, subject): the subject is a market, or "" for the desk."""


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert fired or resolved; text is sanitized (it can quote the server)."""

    transition: Transition
    rule_id: str
    kind: RuleKind
    subject: str
    title: str
    detail: str
    severity: str
    wall_ns: int
    snoozed: bool = False

    @property
    def key(self) -> AlertKey:
        """The alert this event belongs to."""
        return (self.rule_id, self.subject)

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON object (the stream's ``{"event": "alert", ...}`` line)."""
        return {
            "event": "alert",
            "state": self.transition.value,
            "rule": self.rule_id,
            "kind": self.kind.value,
            "market": self.subject or None,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "wall_ns": self.wall_ns,
        }


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert as the Alerts tab shows it."""

    key: AlertKey
    kind: RuleKind
    phase: AlertPhase
    title: str
    detail: str
    severity: str
    acknowledged: bool
    snoozed: bool
    fired_count: int
    changed_wall_ns: int
    disarmed: bool = False
    """A one-shot rule that has fired and resolved: it will not fire again."""


@dataclass(slots=True)
class _Alert:
    rule: AlertRule
    subject: str
    machine: AlertMachine
    memory: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    changed_wall_ns: int = 0


class AlertEngine:
    """Every alert's state; rules can be replaced while running (states of kept rules stay)."""

    def __init__(self, rules: Iterable[AlertRule] = (), history: int = HISTORY) -> None:
        self._rules: tuple[AlertRule, ...] = ()
        self._alerts: dict[AlertKey, _Alert] = {}
        self.history: deque[AlertEvent] = deque(maxlen=history)
        self.set_rules(rules)

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        """The rules in force."""
        return self._rules

    def set_rules(self, rules: Iterable[AlertRule]) -> None:
        """Replace the rules; an alert whose rule is unchanged keeps its state."""
        self._rules = tuple(rules)
        kept = {rule.id: rule for rule in self._rules}
        for key, alert in list(self._alerts.items()):
            if kept.get(key[0]) != alert.rule:
                del self._alerts[key]

    def evaluate(self, signals: DeskSignals, now: float, wall_ns: int) -> list[AlertEvent]:
        """Judge every rule against ``signals`` at ``now``; the transitions of this moment."""
        events: list[AlertEvent] = []
        for rule in self._rules:
            for subject in rule.subjects(signals)[:MAX_SUBJECTS]:
                alert = self._alert(rule, subject)
                active = alert.machine.phase is AlertPhase.FIRING
                holds, detail = condition(rule, signals, subject, active, alert.memory, now)
                if holds:
                    alert.detail = sanitize(detail, 200)
                before = alert.machine.phase
                transition = alert.machine.update(holds, now)
                if alert.machine.phase is not before:
                    alert.changed_wall_ns = wall_ns  # when it went pending, firing, resolved
                if transition is None:
                    continue
                event = AlertEvent(
                    transition,
                    rule.id,
                    rule.kind,
                    subject,
                    title_of(rule, subject),
                    alert.detail,
                    rule.severity,
                    wall_ns,
                    alert.machine.snoozed(now),
                )
                self.history.append(event)
                events.append(event)
        return events

    def _alert(self, rule: AlertRule, subject: str) -> _Alert:
        key = (rule.id, subject)
        alert = self._alerts.get(key)
        if alert is None:
            alert = self._alerts[key] = _Alert(rule, subject, AlertMachine(rule.timing))
        return alert

    def acknowledge(self, key: AlertKey) -> bool:
        """Acknowledge a firing alert; False when there is no such alert."""
        alert = self._alerts.get(key)
        if alert is None:
            return False
        alert.machine.acknowledge()
        return True

    def snooze(self, key: AlertKey, until: float) -> bool:
        """Hold back the deliveries of one alert until ``until``; False when unknown."""
        alert = self._alerts.get(key)
        if alert is None:
            return False
        alert.machine.snooze(until)
        return True

    def views(self, now: float) -> tuple[AlertView, ...]:
        """Alerts pending, firing or fired, and armed market rules; firing first."""
        order = {AlertPhase.FIRING: 0, AlertPhase.PENDING: 1, AlertPhase.RESOLVED: 2}
        shown = [
            AlertView(
                key,
                alert.rule.kind,
                alert.machine.phase,
                title_of(alert.rule, alert.subject),
                alert.detail,
                alert.rule.severity,
                alert.machine.acknowledged,
                alert.machine.snoozed(now),
                alert.machine.fired_count,
                alert.changed_wall_ns,
                alert.machine.disarmed,
            )
            for key, alert in self._alerts.items()
            if alert.machine.phase is not AlertPhase.INACTIVE or alert.rule.kind in MARKET_KINDS
        ]
        shown.sort(key=lambda view: (order.get(view.phase, 3), -view.changed_wall_ns, view.key))
        return tuple(shown)


def title_of(rule: AlertRule, subject: str) -> str:
    """An alert's one-line title: the rule's description, for its subject."""
    text = rule.describe()
    if subject and rule.market is None:
        text = text.replace("each market", subject)
    return sanitize(text, 120)
