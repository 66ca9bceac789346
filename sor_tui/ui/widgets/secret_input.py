"""A masked input whose value never travels in a message or to the clipboard.

Textual's ``Input`` posts ``Changed`` and ``Submitted`` messages carrying the value; for a
secret those would put it in message reprs (and in devtools logs), so they are dropped.
Its copy and cut would put the selection on the system clipboard (OSC 52, readable by
every program and often synced to other machines), so they do nothing here.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input


class SecretInput(Input):
    """A password input that keeps its value to itself."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(password=True, placeholder=placeholder, id=id)

    def post_message(self, message: Message) -> bool:
        """Drop the messages that would carry the secret; pass everything else on."""
        if isinstance(message, Input.Changed | Input.Submitted):
            return False
        return super().post_message(message)

    def action_copy(self) -> None:
        """Never copy a secret to the clipboard."""
        self.app.bell()

    def action_cut(self) -> None:
        """Never cut a secret to the clipboard (the text stays where it is)."""
        self.app.bell()

    def __repr__(self) -> str:
        return f"SecretInput(id={self.id!r})"
