"""Credentials: the welcome offer, then save / test / delete against the simulator's token
endpoint, with the secret never on screen."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest
from textual.message import Message
from textual.widgets import Input, Static

from sor_tui.commands.demo import demo_source
from sor_tui.config.credentials import (
    CredentialStore,
    StoreLockedError,
    open_store,
    resolve_credentials,
)
from sor_tui.config.secret_binding import decode
from sor_tui.config.settings import Settings
from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from sor_tui.ui import messages as msg
from sor_tui.ui.factory import make_app
from sor_tui.ui.screens.credentials import CredentialsScreen
from sor_tui.ui.screens.welcome import WelcomeScreen
from tests.waiting import wait_until

SECRET = "demo-secret"


def result_text(screen: CredentialsScreen) -> str:
    return str(screen.query_one("#credentials-result", Static).render())


async def test_credentials_save_test_delete() -> None:
    seen: list[Message] = []
    async with Simulator(SimConfig(seed=2)) as sim:
        settings = Settings(oauth_url=sim.oauth_url, ws_url=sim.ws_url, markets="BTCUSD")
        app = make_app(settings, source=None, store=CredentialStore())
        async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
            # No credentials: the welcome screen offers credentials or the demo.
            await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
            await pilot.press("c")
            await wait_until(lambda: isinstance(app.screen, CredentialsScreen), pilot=pilot)
            screen = app.screen
            assert isinstance(screen, CredentialsScreen)
            screen.query_one("#client-id", Input).value = "demo-client"
            secret_input = screen.query_one("#client-secret", Input)
            secret_input.focus()
            await pilot.press(*"wrong")
            await pilot.press("ctrl+t")  # test with a wrong secret
            await wait_until(lambda: "Failed" in result_text(screen), pilot=pilot)
            assert "invalid_client" in result_text(screen)
            secret_input.value = ""
            await pilot.press(*SECRET)
            shown = app.export_screenshot()
            assert SECRET not in shown  # masked on screen
            await pilot.press("ctrl+t")  # test the typed secret
            await wait_until(lambda: result_text(screen).startswith("OK"), pilot=pilot)
            await pilot.press("ctrl+s")  # save into the keyring
            await wait_until(lambda: result_text(screen).startswith("Saved"), pilot=pilot)
            stored = decode(keyring.get_password("sor-tui", "demo-client") or "")
            assert stored is not None and stored.secret.get_secret_value() == SECRET
            assert stored.allows(sim.oauth_url, sim.ws_url)  # bound to where it was saved
            assert secret_input.value == ""
            assert any(isinstance(m, msg.CredentialsChanged) for m in seen)
            assert [type(m).__name__ for m in seen if SECRET in repr(m)] == []
            # The saved credentials start the feed on the configured (simulated) endpoint.
            await wait_until(lambda: app.feed is not None, pilot=pilot)
            await wait_until(lambda: app.desk.status_bar.line.state == "CONNECTED", pilot=pilot)
            secret_input.value = ""
            await pilot.press("ctrl+t")  # test with the stored secret
            await wait_until(lambda: result_text(screen).startswith("OK"), pilot=pilot)
            await pilot.press("ctrl+r")  # delete
            await wait_until(lambda: result_text(screen).startswith("Deleted"), pilot=pilot)
            assert keyring.get_password("sor-tui", "demo-client") is None
            await pilot.press("escape")
            assert not isinstance(app.screen, CredentialsScreen)
            assert SECRET not in app.export_screenshot()


async def test_welcome_offers_the_demo() -> None:
    settings = Settings(markets="BTCUSD")
    app = make_app(
        settings, source=None, store=CredentialStore(), demo_source=lambda: demo_source(settings)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
        await pilot.press("d")
        await wait_until(lambda: app.source is not None and app.feed is not None, pilot=pilot)
        assert app.source is not None and app.source.environment == "demo"
        await wait_until(lambda: app.desk.status_bar.line.state == "CONNECTED", pilot=pilot)
        await app.action_quit()


async def test_encrypted_file_passphrase_in_the_apps_own_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No desktop keyring: save into the encrypted file, restart, unlock with the passphrase."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    passphrase = "a long passphrase"
    async with Simulator(SimConfig(seed=2)) as sim:
        settings = Settings(oauth_url=sim.oauth_url, ws_url=sim.ws_url, markets="BTCUSD")
        store = open_store(settings)
        assert store.encrypted_file is not None
        app = make_app(settings, source=None, store=store)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
            await pilot.press("c")
            await wait_until(lambda: isinstance(app.screen, CredentialsScreen), pilot=pilot)
            screen = app.screen
            assert isinstance(screen, CredentialsScreen)
            screen.query_one("#client-id", Input).value = "demo-client"
            screen.query_one("#client-secret", Input).focus()
            await pilot.press(*SECRET)
            screen.query_one("#passphrase", Input).focus()
            await pilot.press(*passphrase)
            assert passphrase not in app.export_screenshot()
            await pilot.press("ctrl+s")
            await wait_until(lambda: result_text(screen).startswith("Saved"), 30, pilot=pilot)
            await wait_until(lambda: app.desk.status_bar.line.state == "CONNECTED", 30, pilot=pilot)
            await app.action_quit()

        # A restart: a new store on the same file knows no passphrase.
        restarted = open_store(settings)
        with pytest.raises(StoreLockedError):
            resolve_credentials(settings, restarted)
        app = make_app(settings, source=None, store=restarted)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
            await pilot.press("c")
            await wait_until(lambda: isinstance(app.screen, CredentialsScreen), pilot=pilot)
            screen = app.screen
            assert isinstance(screen, CredentialsScreen)
            await wait_until(lambda: "passphrase" in result_text(screen), pilot=pilot)
            screen.query_one("#passphrase", Input).focus()
            await pilot.press(*"wrong passphrase", "ctrl+o")
            await wait_until(lambda: "Wrong passphrase" in result_text(screen), 30, pilot=pilot)
            screen.query_one("#passphrase", Input).value = ""
            await pilot.press(*passphrase, "ctrl+o")
            await wait_until(lambda: app.desk.status_bar.line.state == "CONNECTED", 30, pilot=pilot)
            assert screen.query_one("#client-id", Input).value == "demo-client"
            assert passphrase not in app.export_screenshot()
            await app.action_quit()


async def test_the_secret_input_never_reaches_the_clipboard() -> None:
    app = make_app(Settings(markets="BTCUSD"), source=None, store=CredentialStore())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CredentialsScreen), pilot=pilot)
        secret_input = app.screen.query_one("#client-secret", Input)
        secret_input.focus()
        await pilot.press(*SECRET, "shift+home", "ctrl+c")
        assert secret_input.selected_text == SECRET  # the whole value was selected
        await pilot.press("ctrl+x")
        assert SECRET not in app.clipboard
        assert secret_input.value == SECRET


async def test_welcome_says_when_the_credentials_are_locked() -> None:
    from sor_tui.transport.status import Problem

    locked = Problem("keyring", "credentials_locked", "The encrypted file is locked.")
    app = make_app(
        Settings(markets="BTCUSD"),
        source=None,
        store=CredentialStore(),
        startup_problems=(locked,),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, WelcomeScreen), pilot=pilot)
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "encrypted credentials file" in body and "ctrl+o" in body
