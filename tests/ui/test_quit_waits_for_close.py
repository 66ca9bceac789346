"""Quit waits, bounded, for the feed's source to close: a recording's last flush is written."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sor_tui.config.credentials import CredentialStore
from sor_tui.config.settings import Settings
from sor_tui.runtime.clock import FrozenClock
from sor_tui.ui.factory import make_app
from tests.ui.fakes import MARKETS, FakeFeed, FakeSource


@dataclass
class SlowClosingSource(FakeSource):
    """A source whose close takes a while, as a recorder's final flush to a slow disk does."""

    async def close(self) -> None:
        await asyncio.sleep(0.5)
        self.closed = True


async def test_quit_waits_for_the_source_to_close() -> None:
    source = SlowClosingSource(FakeFeed())
    settings = Settings(markets=",".join(MARKETS))
    app = make_app(settings, source=source, store=CredentialStore(), clock=FrozenClock())
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.feed is not None:
                break
            await pilot.pause(0.02)
        await app.action_quit()
        assert source.closed
