"""Demo start to first rendered book: a fresh process runs what ``sor-tui demo`` runs, headless.

The parent notes the wall time, starts ``python -m bench.bench_startup``; the child imports
the demo launcher's modules, builds the app with ``make_app`` and a demo source (the
in-process simulator, token fetch, websockets, subscribe, SNAPSHOT) and runs it with
``run_test``; it prints the wall time of the first painted ladder line showing a LIVE
book. Interpreter start and imports are included, terminal output is not (headless).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.harness import ROOT, Row, median_spread

NAME = "startup"


async def _child() -> float:
    from sor_tui.commands.demo import DEMO_MARKETS, demo_source
    from sor_tui.config.settings import load_settings
    from sor_tui.core.views import BookStatus
    from sor_tui.ui.factory import make_app

    settings = load_settings(markets=",".join(DEMO_MARKETS))
    app = make_app(settings, source=demo_source(settings, seed=1))
    first: list[float] = []
    async with app.run_test(size=(200, 62)) as pilot:
        while not app.desk.ready:
            await pilot.pause(0.005)
        for ladder in app.desk.ladders():
            original = ladder.render_line

            # render_line: Textual's per-line paint call, made when a frame is composed.
            def render_line(y: int, ladder: Any = ladder, original: Any = original) -> Any:
                result = original(y)
                view = ladder.view
                if not first and view is not None and view.status is BookStatus.LIVE:
                    first.append(time.time())
                return result

            ladder.render_line = render_line  # type: ignore[method-assign]
        deadline = time.monotonic() + 30
        while not first and time.monotonic() < deadline:
            await pilot.pause(0.005)
        await app.action_quit()
    if not first:
        raise TimeoutError("no LIVE book was rendered within 30 s")
    return first[0]


def run(quick: bool = False) -> list[Row]:
    """Median of several cold starts."""
    samples: list[float] = []
    for _ in range(1 if quick else 3):
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_startup"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"startup child failed: {done.stderr[-2000:]}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]) - started)
    value, spread = median_spread(samples)
    return [
        Row(
            NAME,
            "demo start to first rendered LIVE book",
            value,
            "s",
            spread,
            "<= 1.5 s",
            value <= 1.5,
            higher_is_better=False,
            note="fresh interpreter, imports, in-process simulator, token, subscribe, snapshot",
        )
    ]


if __name__ == "__main__":
    import asyncio

    print(json.dumps(asyncio.run(_child())))
