"""The app's handlers that route a frame's facts to the desk's widgets (mixed into the app)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sor_tui.core.sanitize import sanitize
from sor_tui.transport.status import FeedStatus, Problem
from sor_tui.ui import messages as msg
from sor_tui.ui.widgets.trade_tape import last_price

if TYPE_CHECKING:
    from sor_tui.ui.app import SorApp


class FeedViews:
    """Books, tape, problems, subscriptions and statuses of each frame, to the desk."""

    def on_book_changed(self, event: msg.BookChanged) -> None:
        """Route a book view to the desk."""
        app = cast("SorApp", self)
        app.charts.add_mid(event.view.market, app.clock.wall_ns(), event.view.mid)
        if not app.desk.ready:
            return
        app.desk.show_book(event.view)

    def on_tape_changed(self, event: msg.TapeChanged) -> None:
        """Route the tape view to the tape and the last prices to the ladders."""
        app = cast("SorApp", self)
        app.alerts.on_prints(event.new_executions)
        app.charts.add_executions(event.new_executions)
        if not app.desk.ready:
            return
        app.desk.tape.show(event.tape)
        for ladder in app.desk.ladders():
            ladder.show_last_trade(last_price(event.tape, ladder.market))

    def on_problems_logged(self, event: msg.ProblemsLogged) -> None:
        """Add problems to the error pane; toast the important ones (a few per frame)."""
        app = cast("SorApp", self)
        app.alerts.on_problems(event.problems)
        if not app.desk.ready:
            return
        app.desk.error_log.add_problems(event.problems)
        for problem in [p for p in event.problems if p.important][:3]:
            market = f" {problem.market}" if problem.market else ""
            app.notify(
                f"{problem.code}{market}: {problem.explanation}",
                title=problem.source,
                severity="error",
                timeout=6,
                markup=False,
            )

    def on_subscriptions_updated(self, event: msg.SubscriptionsUpdated) -> None:
        """Route registry entries to the subscription panel."""
        app = cast("SorApp", self)
        app.alerts.on_subscriptions(event.entries)
        if not app.desk.ready:
            return
        app.desk.subscription_panel.show(event.entries)

    def on_feed_failed(self, event: msg.FeedFailed) -> None:
        """Show a crashed feed worker as a problem."""
        app = cast("SorApp", self)
        app.feed_failure = event.description
        app.inbox.add_problem(Problem("feed", "feed_failed", event.description))

    def on_feed_status_changed(self, event: msg.FeedStatusChanged) -> None:
        """Mark gaps on the tape, then toast a final status."""
        mark_gaps(cast("SorApp", self), event.status)
        toast_final_status(cast("SorApp", self), event.status)


def mark_gaps(app: SorApp, status: object) -> None:
    """A lost connection leaves a lasting gap row on the tape and an error-pane entry."""
    if not isinstance(status, FeedStatus):
        return
    app.alerts.on_status(status)
    was_open = app.gaps.open
    closed = app.gaps.on_status(status)
    if app.gaps.open and not was_open:
        app.charts.connection_lost(app.gaps.gaps[-1].start_ns)
    elif closed is not None and closed.end_ns is not None:
        app.charts.connection_restored(closed.end_ns)
    if closed is not None:
        app.inbox.add_problem(closed.problem())
    if app.desk.ready:
        app.desk.tape.show_gaps(tuple(app.gaps.gaps))


def toast_final_status(app: SorApp, status: object) -> None:
    """Final states (auth failed, forbidden) deserve a toast besides the status bar."""
    state = str(getattr(status, "state", ""))
    previous, app.last_state = app.last_state, state
    if state in ("AUTH_FAILED", "FORBIDDEN") and state != previous:
        detail = sanitize(str(getattr(status, "detail", "")), 200)
        app.notify(detail or state, title=state, severity="error", timeout=10, markup=False)
