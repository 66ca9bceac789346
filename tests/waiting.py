"""The tests' one wait helper: poll a condition that has no event to wait on, bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def wait_until(
    condition: Callable[[], object],
    within: float | None = None,
    what: str = "condition",
    *,
    pilot: Pilot[Any] | None = None,
) -> None:
    """Poll ``condition`` until true; fail after ``within`` seconds (15 with an app, else 10).

    With a ``pilot`` the app under test runs (and refreshes) between polls.
    """
    limit = within if within is not None else (15.0 if pilot is not None else 10.0)
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit} s waiting for {what}")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.01)
