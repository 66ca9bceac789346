"""The desk's alerts: feeds the monitor from the frame's facts and delivers what it says.

Delivery: a toast, the terminal bell, a desktop notification (OSC 9 and OSC 777, through
tmux when inside it) and the optional webhook, each switchable in the settings. Snoozed
alerts are recorded but not delivered. The webhook posts from its own thread and a failure
lands in the error pane; saving rules runs in a thread worker: the desk never waits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.notifications import SeverityLevel

from sor_tui.config.alert_rules import rule_settings, save_rules
from sor_tui.core.alerts.engine import AlertEvent, AlertKey
from sor_tui.core.alerts.machine import AlertPhase, Transition
from sor_tui.core.alerts.monitor import AlertMonitor
from sor_tui.core.alerts.rules import MARKET_KINDS, AlertRule
from sor_tui.core.events import Execution
from sor_tui.core.subscriptions import SubscriptionEntry
from sor_tui.runtime.problem_log import LoggedProblem
from sor_tui.runtime.services import AlertWebhook, open_webhook
from sor_tui.transport.status import FeedStatus, Problem
from sor_tui.ui.alert_messages import (
    AlertAcknowledgeRequested,
    AlertRequest,
    AlertRuleAddRequested,
    AlertSnoozeRequested,
)
from sor_tui.ui.desk_config import AlertDelivery
from sor_tui.ui.desktop_notify import inside_tmux, notification_bytes, terminal_writer

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp

MAX_TOASTS = 3
"""Toasts per evaluation; the Alerts tab lists the rest."""


class DeskAlerts:
    """The app's alert controller (facts in from the app's handlers, deliveries out)."""

    def __init__(self, app: SorApp, rules: Iterable[AlertRule], delivery: AlertDelivery) -> None:
        self.app = app
        self.delivery = delivery
        self.monitor = AlertMonitor(rules)
        self.write = terminal_writer(app)
        self.tmux = inside_tmux()
        self.webhook: AlertWebhook | None = None
        if delivery.webhook_url:
            self.webhook = open_webhook(
                delivery.webhook_url,
                timeout=delivery.webhook_timeout,
                retries=delivery.webhook_retries,
                on_failure=self._webhook_failed,
            )

    # ---- facts ---------------------------------------------------------------------------

    def on_status(self, status: FeedStatus) -> None:
        """The connection state changed."""
        self.monitor.health.on_status(status.state.value, self.app.clock.monotonic())

    def on_problems(self, problems: Iterable[LoggedProblem]) -> None:
        """Problems of this frame (token failures and resyncs count for health)."""
        now = self.app.clock.monotonic()
        for problem in problems:
            health = self.monitor.health
            health.on_problem(problem.source, problem.code, problem.message, problem.market, now)

    def on_subscriptions(self, entries: Iterable[SubscriptionEntry]) -> None:
        """The subscription registry changed."""
        self.monitor.health.on_subscriptions(entries)

    def on_prints(self, executions: Iterable[Execution]) -> None:
        """New prints of this frame."""
        self.monitor.health.on_prints(executions)

    def tick(self, state: Any, markets: Iterable[str]) -> list[AlertEvent]:
        """Evaluate (a few times a second), deliver, and refresh the Alerts tab (the caller
        holds the state's lock)."""
        clock = self.app.clock
        now = clock.monotonic()
        if not self.monitor.due(now):
            return []
        names = [*subscribed_markets(state), *markets]
        events = self.monitor.evaluate(state, names, now, clock.wall_ns())
        self.deliver(events)
        self.refresh()
        return events

    def refresh(self) -> None:
        """Hand the Alerts tab the current alerts and history."""
        desk = self.app.desk
        if desk.ready:
            engine = self.monitor.engine
            now = self.app.clock.monotonic()
            views = engine.views(now)
            desk.alerts_panel.show(views, tuple(engine.history))
            unseen = [v for v in views if v.phase is AlertPhase.FIRING and not v.acknowledged]
            desk.show_firing_count(len(unseen))

    # ---- delivery ------------------------------------------------------------------------

    def deliver(self, events: list[AlertEvent]) -> None:
        """Toast, bell, desktop and webhook for the events that are not snoozed."""
        delivery = self.delivery
        due = [event for event in events if not event.snoozed]
        fired = [event for event in due if event.transition is Transition.FIRED]
        if delivery.toast:
            for event in due[:MAX_TOASTS]:
                self._toast(event)
        if fired and delivery.bell:
            self.app.bell()
        if delivery.desktop:
            for event in fired[:MAX_TOASTS]:
                self.write(notification_bytes(event.title, event.detail, tmux=self.tmux))
        if self.webhook is not None:
            for event in due:
                self.webhook.send(event.to_json())

    def _toast(self, event: AlertEvent) -> None:
        fired = event.transition is Transition.FIRED
        severity: SeverityLevel = "warning"
        if not fired:
            severity = "information"
        elif event.severity == "error":
            severity = "error"
        self.app.notify(
            f"{event.title}: {event.detail}" if event.detail else event.title,
            title=f"Alert {event.transition.value}",
            severity=severity,
            timeout=8 if fired else 4,
            markup=False,
        )

    def _webhook_failed(self, text: str) -> None:
        """Called on the webhook's thread: the inbox's deque is safe to append to."""
        self.app.inbox.add_problem(Problem("alerts", "webhook_failed", text))

    # ---- requests --------------------------------------------------------------------------

    def act_on(self, request: AlertRequest) -> None:
        """Carry out a request of the Alerts tab or the book cursor."""
        if isinstance(request, AlertAcknowledgeRequested):
            self.acknowledge(request.key)
        elif isinstance(request, AlertSnoozeRequested):
            self.snooze(request.key, request.seconds)
        elif isinstance(request, AlertRuleAddRequested):
            self.add_rule(request.rule)
        else:
            self.remove_rule(request.rule_id)

    def acknowledge(self, key: AlertKey) -> None:
        """Acknowledge one alert."""
        self.monitor.engine.acknowledge(key)
        self.refresh()

    def snooze(self, key: AlertKey, seconds: float) -> None:
        """Hold back one alert's deliveries for ``seconds``."""
        self.monitor.engine.snooze(key, self.app.clock.monotonic() + seconds)
        self.app.notify(f"Snoozed for {seconds / 60:g} min", timeout=2)
        self.refresh()

    def add_rule(self, rule: AlertRule) -> None:
        """Add a market rule (an id already in use gets a number) and save the rules."""
        engine = self.monitor.engine
        taken = {existing.id for existing in engine.rules}
        rule_id, number = rule.id, 1
        while rule_id in taken:
            number += 1
            rule_id = f"{rule.id}-{number}"
        if rule_id != rule.id:
            rule = replace(rule, id=rule_id)
        engine.set_rules([*engine.rules, rule])
        self.app.notify(f"Alert added: {rule.describe()}", timeout=3, markup=False)
        self.save()

    def remove_rule(self, rule_id: str) -> None:
        """Remove a market rule and save the rules."""
        engine = self.monitor.engine
        engine.set_rules([rule for rule in engine.rules if rule.id != rule_id])
        self.app.notify(f"Alert rule {rule_id} removed", timeout=3, markup=False)
        self.save()
        self.refresh()

    def market_rules(self) -> tuple[AlertRule, ...]:
        """The user's market rules in force."""
        return tuple(rule for rule in self.monitor.engine.rules if rule.kind in MARKET_KINDS)

    def save(self) -> None:
        """Write the market rules to the config file, off the event loop."""
        path = self.delivery.config_path
        if path is None:
            return
        settings = tuple(rule_settings(rule) for rule in self.market_rules())

        def write() -> None:
            try:
                save_rules(path, settings)
            except (OSError, ValueError) as error:
                text = f"cannot save alert rules to {path}: {error}"
                self.app.inbox.add_problem(Problem("alerts", "rules_not_saved", text))

        self.app.run_worker(write, thread=True, group="alert-rules", exit_on_error=False)

    def close(self) -> None:
        """Let queued webhook posts go out (briefly) when the app ends."""
        if self.webhook is not None:
            self.webhook.close(wait=1.0)


def subscribed_markets(state: Any) -> tuple[str, ...]:
    """The markets the state has books for (the caller holds the state's lock)."""
    if state is None:
        return ()
    return tuple(getattr(state, "markets", ()))
