"""Enter, replace, test or delete the client id and secret kept in the system keyring
(or in sor-tui's encrypted credentials file, opened with a passphrase typed here).

The secret input is masked; the secret is wrapped in ``SecretStr`` as soon as it leaves
the input and is never rendered, logged or put in a message. Keyring calls run in
threads (the store's ``a*`` methods), never on the event loop.
"""

from __future__ import annotations

import asyncio

from pydantic import SecretStr
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from sor_tui.config.credentials import CredentialStoreError
from sor_tui.config.secret_binding import origin
from sor_tui.core.explain import explain
from sor_tui.core.sanitize import sanitize
from sor_tui.runtime.services import check_token
from sor_tui.ui.desk_config import CredentialsContext
from sor_tui.ui.messages import CredentialsChanged
from sor_tui.ui.screens.dialog import DialogScreen
from sor_tui.ui.widgets.secret_input import SecretInput


class CredentialsScreen(DialogScreen[None]):
    """A dialog with the client id, a masked secret and save / test / delete."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="credentials.save", tooltip="Store in the keyring"),
        Binding("ctrl+t", "test", "Test", id="credentials.test", tooltip="Fetch a token"),
        Binding("ctrl+r", "delete", "Delete", id="credentials.delete", tooltip="Forget them"),
        Binding(
            "ctrl+o",
            "unlock",
            "Unlock",
            id="credentials.unlock",
            tooltip="Open the encrypted credentials file with the passphrase",
        ),
        Binding("escape", "close", "Close", id="credentials.close", priority=True),
    ]

    def __init__(self, context: CredentialsContext) -> None:
        super().__init__(id="credentials-screen")
        self.context = context

    def compose(self) -> ComposeResult:
        """Inputs, buttons and a result line."""
        with Vertical(id="credentials-dialog", classes="dialog"):
            yield Static(Text("Credentials", style="bold"), classes="dialog-title")
            yield Label("Client id")
            yield Input(self.context.client_id or "", placeholder="client id", id="client-id")
            yield Label("Client secret (hidden; leave empty to keep the stored one)")
            yield SecretInput(placeholder="secret", id="client-secret")
            file = self.context.store.encrypted_file if self.context.store else None
            if file is not None:
                what = "Passphrase of" if file.exists else "Choose a passphrase for"
                yield Label(f"{what} the encrypted credentials file (hidden; ^o opens it)")
                yield SecretInput(placeholder="passphrase", id="passphrase")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save ^s", id="credentials-save", variant="primary")
                yield Button("Test ^t", id="credentials-test")
                yield Button("Delete ^r", id="credentials-delete", variant="error")
                yield Button("Close esc", id="credentials-close")
            yield Static(Text(""), id="credentials-result")
            yield Static(Text(""), id="credentials-backend", classes="dim")

    def on_mount(self) -> None:
        """Fill in the remembered client id and the keyring's health."""
        self.load()

    @work(exclusive=True, group="credentials")
    async def load(self) -> None:
        """Read the keyring in a thread."""
        store = self.context.store
        if store is None:
            self._backend("No keyring configured for this session.")
            return
        if store.needs_passphrase():
            file = store.encrypted_file
            if file is not None and file.exists:
                self._result("Enter the passphrase and press ^o to read the stored id.", ok=True)
                self._backend(f"Credentials: encrypted file {sanitize(str(file.path), 200)}.")
                return
        status = await store.abackend_status()
        advice = "" if status.usable and status.secure else f" {status.advice}"
        oauth_url = self.context.oauth_url
        bound = f" Saved secrets go only to {origin(oauth_url)}." if oauth_url else ""
        text = f"Keyring: {sanitize(status.name, 60)}.{bound}{advice}"
        self._backend(sanitize(text, 600))
        client_input = self.query_one("#client-id", Input)
        if status.usable and not client_input.value:
            try:
                client_id = await store.adefault_client_id()
            except CredentialStoreError as error:
                self._result(error.message, ok=False)
                return
            if client_id:
                client_input.value = client_id

    def _backend(self, text: str) -> None:
        self.query_one("#credentials-backend", Static).update(Text(text))

    def _result(self, text: str, *, ok: bool) -> None:
        result = self.query_one("#credentials-result", Static)
        result.set_class(ok, "-ok")
        result.set_class(not ok, "-bad")
        result.update(Text(sanitize(text, 400)))

    async def _unlocked(self) -> bool:
        """Open the encrypted file with the typed passphrase if it needs one; False if not."""
        store = self.context.store
        if store is None or not store.needs_passphrase():
            return True
        typed = self.query_one("#passphrase", SecretInput).value
        if not typed:
            self._result("Enter the passphrase of the encrypted credentials file.", ok=False)
            return False
        self._result("Opening the encrypted credentials file…", ok=True)
        try:
            await store.aunlock(SecretStr(typed))
        except CredentialStoreError as error:
            self._result(error.message, ok=False)
            return False
        self.query_one("#passphrase", SecretInput).value = ""
        return True

    def _client_id(self) -> str:
        return self.query_one("#client-id", Input).value.strip()

    def _typed_secret(self) -> SecretStr | None:
        value = self.query_one("#client-secret", SecretInput).value
        return SecretStr(value) if value else None

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """Buttons run the same actions as the keys."""
        action = (event.button.id or "").removeprefix("credentials-")
        {
            "save": self.action_save,
            "test": self.action_test,
            "delete": self.action_delete,
        }.get(action, self.action_close)()

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)

    def action_save(self) -> None:
        """Store the secret for the client id and make it the default."""
        self.save(self._client_id(), self._typed_secret())

    def action_test(self) -> None:
        """Fetch a token with the typed (or stored) secret."""
        self.test(self._client_id(), self._typed_secret())

    def action_delete(self) -> None:
        """Delete the stored secret of the client id."""
        self.delete(self._client_id())

    def action_unlock(self) -> None:
        """Open the encrypted credentials file and read the stored client id."""
        self.unlock()

    @work(exclusive=True, group="credentials")
    async def unlock(self) -> None:
        """Unlock in a thread; stored credentials then start the feed."""
        store = self.context.store
        if store is None or not store.needs_passphrase():
            self._result("Nothing to unlock.", ok=True)
            return
        if not await self._unlocked():
            return
        context = self.context
        try:
            client_id = self._client_id() or await store.adefault_client_id()
            if client_id:  # say now if the stored secret is bound to other hosts
                await store.aget_secret(client_id, context.oauth_url, context.ws_url)
        except CredentialStoreError as error:
            self._result(error.message, ok=False)
            return
        self._result("The encrypted credentials file is open.", ok=True)
        self.app.post_message(CredentialsChanged(client_id or None))
        self.load()  # last: it replaces this worker (same exclusive group)

    @work(exclusive=True, group="credentials")
    async def save(self, client_id: str, secret: SecretStr | None) -> None:
        """Store in a thread; the feed restarts with the new credentials."""
        store = self.context.store
        if store is None or not client_id or secret is None:
            self._result("Enter a client id and a secret to save.", ok=False)
            return
        if not await self._unlocked():
            return
        try:
            await store.aset_secret(client_id, secret, self.context.oauth_url, self.context.ws_url)
            await store.aset_default_client_id(client_id)
        except CredentialStoreError as error:
            self._result(error.message, ok=False)
            return
        self.query_one("#client-secret", SecretInput).value = ""
        self._result(
            f"Saved the secret for {client_id}, bound to {origin(self.context.oauth_url)}.",
            ok=True,
        )
        self.app.post_message(CredentialsChanged(client_id))

    @work(exclusive=True, group="credentials")
    async def test(self, client_id: str, secret: SecretStr | None) -> None:
        """Ask the token endpoint for a token and say plainly what happened."""
        context = self.context
        if not client_id:
            self._result("Enter a client id first.", ok=False)
            return
        if secret is None and context.store is not None:
            if not await self._unlocked():
                return
            try:
                secret = await context.store.aget_secret(
                    client_id, context.oauth_url, context.ws_url
                )
            except CredentialStoreError as error:
                self._result(error.message, ok=False)
                return
        if secret is None:
            self._result("No secret typed and none stored for this client id.", ok=False)
            return
        if not context.oauth_url:
            self._result("No token URL is configured.", ok=False)
            return
        self._result("Testing…", ok=True)
        checked = await check_token(
            context.oauth_url, client_id, secret, context.scope, deadline=context.token_deadline
        )
        if checked.minutes is None:
            self._result(
                f"Failed ({checked.kind}): {checked.message} {explain(checked.kind)}", ok=False
            )
            return
        minutes = checked.minutes
        self._result(f"OK: the token endpoint issued a token valid for {minutes} min.", ok=True)

    @work(exclusive=True, group="credentials")
    async def delete(self, client_id: str) -> None:
        """Delete in a thread."""
        store = self.context.store
        if store is None or not client_id:
            self._result("Enter the client id to delete.", ok=False)
            return
        if not await self._unlocked():
            return
        try:
            deleted = await store.adelete(client_id)
            if await store.adefault_client_id() == client_id:
                await asyncio.to_thread(store.clear_default_client_id)
        except CredentialStoreError as error:
            self._result(error.message, ok=False)
            return
        text = "Deleted from the keyring." if deleted else "Nothing was stored for this id."
        self._result(text, ok=deleted)
        self.app.post_message(CredentialsChanged(None))
