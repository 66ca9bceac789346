"""``sor-tui serve`` in a real headless Chromium: the page loads, the book shows, keys work.

Skips (with the reason) where no Chromium is installed; ``.ci/run`` installs one.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.commands.browser import chromium, find_chromium
from tests.commands.serve_harness import SECRET_CANARY, served
from tests.transport.feed_harness import simulator

pytestmark = pytest.mark.timeout(120)

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (apt-get install chromium): the browser test cannot run",
)
SCREENSHOT = Path(__file__).parents[2] / "screenshots" / "browser.png"


@needs_chromium
async def test_the_desk_in_a_browser_shows_the_book_and_takes_keys() -> None:
    assert CHROMIUM is not None
    async with (
        simulator(client_secret=SECRET_CANARY, rate=20.0) as sim,
        served("--markets", "BTCUSD,ETHUSD", env=desk_env(sim.ws_url, sim.oauth_url)) as server,
        chromium(CHROMIUM) as page,
    ):
        await page.send("Page.navigate", url=server.url)
        await page.wait_for_text("BTCUSD", "LIVE", "Price", "CONNECTED", within=60)
        loaded = await page.evaluate("document.body.classList.contains('-first-byte')")
        assert loaded is True  # the page shows the terminal, not the intro
        assert await page.evaluate("location.search") == ""  # the token left the address bar
        await asyncio.sleep(1.0)  # let a few frames of the ladder draw
        shot = await page.screenshot()
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
        if os.environ.get("KEEP_BROWSER_SCREENSHOT"):  # refreshes the README's picture
            SCREENSHOT.write_bytes(shot)
        await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        drawn = len(page.received)
        await page.press("e")  # the errors tab
        await page.wait_for_text("filter: code, market, source", since=drawn, within=20)
        # The secret was used on this machine (the books are live) and never sent to the page.
        assert SECRET_CANARY not in page.text
        assert SECRET_CANARY not in await page.evaluate("document.documentElement.outerHTML")
        assert server.token not in await page.evaluate("document.documentElement.outerHTML")


def desk_env(ws_url: str, oauth_url: str) -> dict[str, str]:
    """The served desk's environment: the simulator, its client and (canary) secret."""
    return {"SOR_ENVIRONMENT": "demo", "SOR_WS_URL": ws_url, "SOR_OAUTH_URL": oauth_url}
