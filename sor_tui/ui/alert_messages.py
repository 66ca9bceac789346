"""Messages of the Alerts tab and the book cursor: intents end in ``Requested``."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from sor_tui.core.alerts.engine import AlertKey
from sor_tui.core.alerts.rules import AlertRule


@dataclass
class AlertAcknowledgeRequested(Message):
    """The user acknowledged an alert."""

    key: AlertKey


@dataclass
class AlertSnoozeRequested(Message):
    """The user snoozed an alert for some seconds."""

    key: AlertKey
    seconds: float


@dataclass
class AlertRuleAddRequested(Message):
    """The user made a market rule (in the form, or at the book cursor)."""

    rule: AlertRule


@dataclass
class AlertRuleRemoveRequested(Message):
    """The user removed a market rule."""

    rule_id: str


AlertRequest = (
    AlertAcknowledgeRequested
    | AlertSnoozeRequested
    | AlertRuleAddRequested
    | AlertRuleRemoveRequested
)
"""Every request the Alerts tab and the book cursor make."""
