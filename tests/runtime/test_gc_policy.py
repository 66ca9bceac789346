"""The launchers' garbage-collector policy: frozen start-up, collections at frame boundaries."""

from __future__ import annotations

import gc
import weakref

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.runtime.clock import FrozenClock
from sor_tui.runtime.gc_policy import FIRST_SETTLE, MIDDLE_EVERY, YOUNG_AT
from sor_tui.ui.app import SorApp
from sor_tui.ui.factory import make_app
from tests.ui.fakes import MARKETS, FakeFeed, FakeSource


class _Node:
    me: object = None


def _app(tune_gc: bool) -> SorApp:
    return make_app(
        Settings(markets=",".join(MARKETS)),  # type: ignore[arg-type]
        source=FakeSource(FakeFeed()),
        store=CredentialStore(),
        clock=FrozenClock(),
        tune_gc=tune_gc,
    )


async def test_the_policy_freezes_start_up_and_collects_between_frames() -> None:
    assert gc.isenabled()
    app = _app(tune_gc=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not gc.isenabled()  # no collection at a random moment
        assert app.gc_policy.settles == 0
        await pilot.pause(FIRST_SETTLE + 0.5)
        assert app.gc_policy.settles == 1
        assert gc.get_freeze_count() > 1000  # start-up objects are frozen
        assert app.gc_policy.frames > 10  # its timer looks between frames
        before = gc.get_stats()[0]["collections"]
        cycle = _Node()
        cycle.me = cycle  # cyclic garbage made after the freeze: only a collection frees it
        gone = weakref.ref(cycle)
        del cycle
        middle = gc.get_stats()[1]["collections"]
        for _ in range(MIDDLE_EVERY):
            app.gc_policy.frame()  # nothing due: no collection
        assert gc.get_stats()[0]["collections"] == before
        for _ in range(MIDDLE_EVERY):
            alive = [[] for _ in range(YOUNG_AT + 500)]  # a frame's worth of live objects
            app.gc_policy.frame()
            del alive
        stats = gc.get_stats()
        assert stats[0]["collections"] >= before + MIDDLE_EVERY - 1
        assert stats[1]["collections"] >= middle + 1
        assert gone() is None
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


async def test_apps_built_for_tests_keep_the_defaults() -> None:
    app = _app(tune_gc=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.render_frame()
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
        assert app.gc_policy.frames == 0
