"""A modal dialog whose notification toasts stay below it, clear of its controls."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from textual.screen import ModalScreen

from sor_tui.ui.textual_adapter import toast_rack

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType], Generic[ResultType]):
    """A modal screen with one ``.dialog``; toasts only use the rows below it.

    Textual docks toasts at the bottom right, where a centred dialog keeps its buttons on
    a small terminal; the toast rack is limited to the rows under the dialog (toasts that
    do not fit are clipped, and every problem is also in the error pane).
    """

    def on_mount(self) -> None:
        """Fit the toasts now and after every layout change (the dialog may grow)."""
        self.screen_layout_refresh_signal.subscribe(self, self.keep_toasts_clear)
        self.call_after_refresh(self.keep_toasts_clear)

    def keep_toasts_clear(self, _: Any = None) -> None:
        """Limit the toast rack to the rows between the dialog and the bottom."""
        rack = toast_rack(self)
        dialogs = [dialog for dialog in self.query(".dialog") if dialog.display]
        if rack is None or not dialogs:
            return
        bottom = max(dialog.region.bottom for dialog in dialogs)
        rows = max(0, self.size.height - bottom - 1)  # the rack keeps a margin of one row
        if rack.styles.max_height is None or rack.styles.max_height.value != rows:
            rack.styles.max_height = rows
