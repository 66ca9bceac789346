"""Alerts of a headless stream: the same monitor as the desk, written as JSON Lines.

``sor-tui stream`` passes its feed events and drained prints here; fired and resolved
alerts come out as ``{"event": "alert", ...}`` objects (and go to the webhook when one is
configured), so a headless run can drive other tools.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sor_tui.config.alert_rules import alert_rules
from sor_tui.config.alert_settings import AlertSettings
from sor_tui.core.alerts.monitor import AlertMonitor, BookSource
from sor_tui.core.alerts.rules import AlertRule
from sor_tui.core.events import Execution
from sor_tui.transport.status import Problem, StatusChanged, SubscriptionsChanged
from sor_tui.transport.webhook import WebhookSender


class StreamAlerts:
    """Feed events in, alert objects out."""

    def __init__(
        self,
        rules: Iterable[AlertRule],
        *,
        webhook: WebhookSender | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.monitor = AlertMonitor(rules)
        self.webhook = webhook
        self._monotonic = monotonic
        self._wall_ns = wall_ns

    def on_event(self, event: Any) -> None:
        """A feed event that is not book data (connection, problems, subscriptions)."""
        health = self.monitor.health
        if isinstance(event, StatusChanged):
            health.on_status(event.status.state.value, self._monotonic())
        elif isinstance(event, Problem):
            now = self._monotonic()
            health.on_problem(event.source, event.code, event.message, event.market, now)
        elif isinstance(event, SubscriptionsChanged):
            health.on_subscriptions(event.entries)

    def flush(
        self, state: BookSource, markets: Iterable[str], prints: Iterable[Execution]
    ) -> list[dict[str, Any]]:
        """The alert objects of this moment (evaluated a few times a second)."""
        self.monitor.health.on_prints(prints)
        now = self._monotonic()
        if not self.monitor.due(now):
            return []
        names = [*getattr(state, "markets", ()), *markets]
        lines = []
        for event in self.monitor.evaluate(state, names, now, self._wall_ns()):
            line = event.to_json()
            lines.append(line)
            if self.webhook is not None:
                self.webhook.send(line)
        return lines


def stream_alerts(settings: AlertSettings) -> StreamAlerts:
    """The stream's alerts from the ``[alerts]`` settings (webhook included)."""
    webhook = None
    if settings.webhook_url:
        webhook = WebhookSender(
            settings.webhook_url,
            timeout=settings.webhook_timeout,
            retries=settings.webhook_retries,
        )
    return StreamAlerts(alert_rules(settings), webhook=webhook)
