"""The launchers' garbage-collector policy: frozen start-up, spaced collections, undone on exit."""

from __future__ import annotations

import gc

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.ui.app import SorApp
from sor_tui.ui.clock import FrozenClock
from sor_tui.ui.factory import make_app
from sor_tui.ui.gc_policy import FIRST_SETTLE, YOUNG_THRESHOLD
from tests.ui.fakes import MARKETS, FakeFeed, FakeSource


def _app(tune_gc: bool) -> SorApp:
    return make_app(
        Settings(markets=",".join(MARKETS)),  # type: ignore[arg-type]
        source=FakeSource(FakeFeed()),
        store=CredentialStore(),
        clock=FrozenClock(),
        tune_gc=tune_gc,
    )


async def test_the_policy_freezes_after_start_up_and_is_undone_on_exit() -> None:
    before = gc.get_threshold()
    app = _app(tune_gc=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert app.gc_policy.settles == 0
        await pilot.pause(FIRST_SETTLE + 0.5)
        assert app.gc_policy.settles == 1
        assert gc.get_freeze_count() > 1000  # start-up objects are frozen
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made after the freeze is still collected
        del garbage
        assert gc.collect() >= 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_apps_built_for_tests_keep_the_defaults() -> None:
    before = gc.get_threshold()
    app = _app(tune_gc=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
