"""The in-app environment switch against the simulator: a loopback "sandbox" <-> the demo.

The app starts on a second simulator configured as the sandbox (its stored credentials
come from the settings), switches to the built-in demo simulator and back; a switch to
production asks for credentials instead of reusing another environment's.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from sor_tui.commands.demo import demo_source
from sor_tui.config.credentials import Credentials, CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.runtime.sources import LiveSource
from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from sor_tui.ui.screens.environment import EnvironmentScreen, SessionCredentialsScreen
from tests.ui.test_flows_sim import SIM
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def live_on(app: SorApp, environment: str) -> bool:
    """The app's source is ``environment`` and its first book is live."""
    view = app.desk.ladders()[0].view
    source = app.source
    return (
        source is not None
        and source.environment == environment
        and app.feed is not None
        and str(app.feed.status.state) == "CONNECTED"
        and view is not None
        and view.status.value == "LIVE"
    )


async def pick(pilot: Pilot[object], app: SorApp, environment: str) -> None:
    """ctrl+o, then the environment's row."""
    await pilot.press("ctrl+o")
    await wait_until(lambda: isinstance(app.screen, EnvironmentScreen), pilot=pilot)
    screen = app.screen
    assert isinstance(screen, EnvironmentScreen)
    option_list = screen.query_one("#environment-list")
    option_list.highlighted = ("demo", "sandbox", "production").index(environment)  # type: ignore[attr-defined]
    await pilot.press("enter")


async def test_switch_between_the_demo_and_a_second_simulator() -> None:
    async with Simulator(SimConfig(seed=9, **SIM)) as sandbox:
        settings = Settings(  # type: ignore[call-arg]
            environment="sandbox",
            ws_url=sandbox.ws_url,
            oauth_url=sandbox.oauth_url,
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            markets="BTCUSD,ETHUSD",
            backoff_floor=0.05,
        )
        credentials = Credentials(sandbox.client_id, settings.client_secret, "env")  # type: ignore[arg-type]
        app = make_app(
            settings,
            source=LiveSource(settings, credentials),
            store=CredentialStore(),
            demo_source=lambda: demo_source(settings),
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(lambda: live_on(app, "sandbox"), pilot=pilot)
            await pick(pilot, app, "demo")
            await wait_until(lambda: live_on(app, "demo"), within=30, pilot=pilot)
            assert not app.desk.has_class("-production")
            await pick(pilot, app, "sandbox")
            await wait_until(lambda: live_on(app, "sandbox"), within=30, pilot=pilot)
            assert isinstance(app.source, LiveSource)
            assert app.source.settings.ws_url == sandbox.ws_url  # its own host, not the demo's
            # Production has no stored credentials here: it asks, and esc keeps the sandbox.
            await pick(pilot, app, "production")
            await wait_until(
                pilot=pilot, condition=lambda: isinstance(app.screen, SessionCredentialsScreen)
            )
            await pilot.press("escape")
            await pilot.pause()
            assert app.source is not None and app.source.environment == "sandbox"


async def test_production_is_marked_and_session_credentials_go_to_its_own_host() -> None:
    # A typed-in production secret builds a source for production's published URLs only.
    from pydantic import SecretStr

    from sor_tui.config.settings import ENVIRONMENT_URLS
    from sor_tui.ui.environment_switch import mark_environment
    from tests.ui.fakes import FakeFeed, FakeSource
    from tests.ui.scenes import SCENES, build_scene, prepare

    app = build_scene(SCENES["desk"])
    async with app.run_test(size=(80, 24)) as pilot:
        await prepare(pilot, SCENES["desk"])
        assert not app.desk.has_class("-production")
        make = app.config.environment_source
        assert make is not None
        source = make("production", Credentials("prod-id", SecretStr("s3cret"), "env"))
        assert isinstance(source, LiveSource)
        assert (source.settings.ws_url, source.settings.oauth_url) == ENVIRONMENT_URLS["production"]
        assert source.settings.client_secret is None  # the secret lives in the source only
        app.source = FakeSource(FakeFeed(), environment="production")
        mark_environment(app)
        assert app.desk.has_class("-production")
