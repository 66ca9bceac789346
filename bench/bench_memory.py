"""Benchmark 4: memory of books and of the whole app, each measured in a fresh process.

Children (``python -m bench.bench_memory IMPL``) start clean, import the implementation
and generate the snapshot frames (the input, like frames read from a socket), read their RSS,
decode and load 10 markets x 10k levels a side, collect garbage and read RSS again, so the
per-level figure is the resident growth divided by the levels held (decode buffers freed
but not returned to the OS count against us: that is what the machine pays). The frames stay
alive until the second reading, so they count on neither side; generating them inside the
measured window used to add the generator's own garbage (~30 B per level) to every book.
The whole app receives its frames one at a time (its figure is an absolute RSS).

- ``ours`` / ``vendor`` / ``c-ext``: the books alone, through each implementation's decode.
- ``app``: the whole desk: the books and 100k executions decoded into a ``DeskState``,
  shown by the real app (``make_app``, headless ``run_test`` at 200x62) for a few frames.
  Its feed is a real ``Feed`` pointed at a closed loopback port, so the app runs its
  reconnect loop while the books stay on screen (marked STALE).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from bench.harness import ROOT, Row, median_spread, rss_bytes

NAME = "memory"
MARKET_NAMES = tuple(f"M{index:02d}USD" for index in range(10))


def _frames(markets: int, depth: int) -> Iterator[str]:
    """The SNAPSHOT frame of each market, generated one at a time."""
    from bench.frames import make_stream

    for index in range(markets):
        yield make_stream(depth, 0, seed=500 + index, market=MARKET_NAMES[index]).snapshot


def _import(impl: str) -> None:
    """Load the implementation's code, which is not per-level memory."""
    if impl in ("ours", "app"):
        import sor_tui.core.protocol
        import sor_tui.core.state  # noqa: F401
    elif impl == "vendor":
        import bench.baselines.vendor_book
    else:
        import bench.baselines.c_book  # noqa: F401


def _books(impl: str, frames: Iterable[str], depth: int) -> tuple[Any, int]:
    """Build the books with one implementation; returns what keeps them alive and levels."""
    held: list[Any] = []
    state = None
    if impl in ("ours", "app"):
        from sor_tui.core.protocol import decode
        from sor_tui.core.state import DeskState

        state = DeskState()
        held.append(state)
    levels = 0
    for index, text in enumerate(frames):
        market = MARKET_NAMES[index]
        if state is not None:
            state.begin_sync(market)
            state.apply(decode(text), 0)
            view = state.book_view(market, 1)
            assert view is not None and view.bid_levels == depth and view.ask_levels == depth
        elif impl == "vendor":
            from bench.baselines.vendor_book import VendorBook

            book = VendorBook()
            book.on_frame(text)
            held.append(book)
        else:
            from bench.baselines.c_book import CBook

            cbook = CBook()
            cbook.on_frame(text)
            held.append(cbook)
        levels += 2 * depth
    return held, levels


def child(impl: str, markets: int, depth: int, executions: int) -> dict[str, float]:
    """Measure in this (fresh) process and return the figures."""
    if impl == "app":
        import sor_tui.ui.factory  # noqa: F401  (the app's code is part of its footprint)
    _import(impl)
    gc.collect()
    code = rss_bytes()
    # Per-level children hold every frame from before the first reading to after the
    # second, so frames count on neither side. The whole app's figure is an absolute RSS:
    # there the frames arrive one at a time, as from a socket, and are freed after use.
    frames: Iterable[str] = _frames(markets, depth)
    if impl != "app":
        frames = list(frames)
    gc.collect()
    before = rss_bytes()
    held, levels = _books(impl, frames, depth)
    gc.collect()
    books = rss_bytes()
    del frames  # only now: freed frames would flatter the figure
    result = {
        "rss_code": code,
        "rss_before": before,
        "rss_books": books - (before - code),  # without the frames, freed just below
        "per_level": (books - before) / levels,
    }
    if impl == "app":
        import asyncio

        result.update(asyncio.run(_app(held[0], executions)))
    return result


async def _app(state: Any, executions: int) -> dict[str, float]:
    import random
    import time

    from pydantic import SecretStr

    from bench.frames import execution_frame
    from sor_tui.config.credentials import Credentials
    from sor_tui.config.settings import load_settings
    from sor_tui.core.protocol import decode
    from sor_tui.runtime.sources import LiveSource
    from sor_tui.transport.feed import Feed, FeedOptions, channels_from_settings
    from sor_tui.ui.factory import make_app

    rng = random.Random(9)
    # Prints from the last ~100 s, as a live session holds them (inside the stats window).
    base_ns = time.time_ns() - executions * 1_000_003
    for index in range(executions):
        frame = execution_frame(MARKET_NAMES[index % 10], index, rng, base_ns)
        state.apply(decode(frame), 0)
    assert len(state.tape) == executions, len(state.tape)
    state.drain_new_executions()
    gc.collect()
    with_tape = rss_bytes()
    settings = load_settings(
        environment="demo",
        ws_url="ws://127.0.0.1:9/",  # the discard port: nothing listens, connects fail fast
        oauth_url="http://127.0.0.1:9/token",
        markets=",".join(MARKET_NAMES),
    )

    class HeldSource(LiveSource):
        """A real feed over the pre-filled desk state; it can never connect."""

        async def open(self) -> Feed:
            desired = channels_from_settings(settings.markets, settings.channels)
            tokens = self._feed(settings.ws_url, settings.oauth_url, self.credentials)._tokens
            return Feed(
                settings.ws_url,
                tokens,
                desired,
                options=FeedOptions(backoff_floor=5.0),
                state=state,
            )

    source = HeldSource(settings, Credentials("demo-client", SecretStr("demo-secret"), "env"))
    source.environment = "demo"
    app = make_app(settings, source=source)
    async with app.run_test(size=(200, 62)) as pilot:
        for _ in range(10):
            await pilot.pause(0.1)
        gc.collect()
        running = rss_bytes()
        shown = [ladder.view is not None for ladder in app.desk.ladders() if ladder.display]
        await app.action_quit()
    return {"rss_tape": with_tape, "rss_app": running, "ladders_with_books": sum(shown)}


def _spawn(impl: str, markets: int, depth: int, executions: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.bench_memory", impl, str(markets), str(depth)]
    command.append(str(executions))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child {impl} failed: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[Row]:
    """Per-level memory of each implementation, and the whole app's RSS."""
    markets, depth, executions = (2, 500, 2_000) if quick else (10, 10_000, 100_000)
    repeats = 1 if quick else 2
    per_level: dict[str, list[float]] = {"ours": [], "vendor": [], "c-ext": []}
    for _ in range(repeats):
        for impl in per_level:
            per_level[impl].append(_spawn(impl, markets, depth, 0)["per_level"])
    app = _spawn("app", markets, depth, executions)
    value, spread = median_spread(per_level["ours"])
    mib = 1024 * 1024
    label = (
        f"{markets} markets x {depth // 1000 or depth}{'k' if depth >= 1000 else ''} levels/side"
    )
    return [
        Row(
            NAME,
            f"RSS per book level, {label}",
            value,
            "B",
            spread,
            "<= 200 B",
            value <= 200,
            {impl: median_spread(s)[0] for impl, s in per_level.items() if impl != "ours"},
            higher_is_better=False,
        ),
        Row(
            NAME,
            f"whole app RSS, {label} + {executions // 1000}k executions",
            app["rss_app"] / mib,
            "MiB",
            target="<= 150 MB",
            holds=app["rss_app"] <= 150 * 1_000_000,
            higher_is_better=False,
            note=(
                f"code loaded {app['rss_code'] / mib:.0f} MiB, + books "
                f"{app['rss_books'] / mib:.0f}, + tape {app['rss_tape'] / mib:.0f}, app running "
                f"{app['rss_app'] / mib:.0f}; {app['ladders_with_books']:.0f} ladders showing books"
            ),
        ),
    ]


if __name__ == "__main__":
    impl, markets, depth, executions = sys.argv[1], *map(int, sys.argv[2:5])
    print(json.dumps(child(impl, markets, depth, executions)))
