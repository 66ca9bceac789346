"""The app's handlers that turn panel requests into feed and alert calls (mixed into the app)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work

from sor_tui.ui import alert_messages as alert_msg
from sor_tui.ui import messages as msg

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


class FeedRequests:
    """Subscribe, unsubscribe, resync, list; alert actions; new credentials."""

    def on_alert_acknowledge_requested(self, event: alert_msg.AlertAcknowledgeRequested) -> None:
        """Acknowledge an alert."""
        cast("SorApp", self).alerts.act_on(event)

    def on_alert_snooze_requested(self, event: alert_msg.AlertSnoozeRequested) -> None:
        """Snooze an alert."""
        cast("SorApp", self).alerts.act_on(event)

    def on_alert_rule_add_requested(self, event: alert_msg.AlertRuleAddRequested) -> None:
        """Add an alert rule."""
        cast("SorApp", self).alerts.act_on(event)

    def on_alert_rule_remove_requested(self, event: alert_msg.AlertRuleRemoveRequested) -> None:
        """Remove an alert rule."""
        cast("SorApp", self).alerts.act_on(event)

    def on_subscribe_requested(self, event: msg.SubscribeRequested) -> None:
        """Subscribe the requested channels."""
        cast("SorApp", self).on_feed("subscribe", event.channels)

    def on_unsubscribe_requested(self, event: msg.UnsubscribeRequested) -> None:
        """Unsubscribe the requested channels."""
        cast("SorApp", self).on_feed("unsubscribe", event.channels)

    def on_resync_requested(self, event: msg.ResyncRequested) -> None:
        """Fetch a fresh snapshot of one market."""
        app = cast("SorApp", self)
        feed = app.feed
        connected = feed is not None and str(feed.status.state) == "CONNECTED"
        if not connected or not app.on_feed("resync", event.market):
            app.notify(f"Cannot resync {event.market} now (not connected)", timeout=3)

    def on_subscription_list_requested(self) -> None:
        """Ask the server for its list."""
        cast("SorApp", self).on_feed("refresh_subscription_list")

    def on_market_focused(self) -> None:
        """Markets, grouping or depth changed: the next frame re-sends every view."""
        cast("SorApp", self).composer.invalidate()

    def on_credentials_changed(self, event: msg.CredentialsChanged) -> None:
        """New credentials saved: rebuild the source (keyring in a thread) and reconnect."""
        if cast("SorApp", self).config.live_source is not None:
            self.build_live_source()

    @work(thread=True, group="credentials", exit_on_error=False)
    def build_live_source(self) -> None:
        """Resolve credentials off the event loop, then restart the feed on the loop."""
        app = cast("SorApp", self)
        factory = app.config.live_source
        source = factory() if factory is not None else None
        if source is not None:
            app.call_from_thread(app.start_feed, source)
