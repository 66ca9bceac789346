"""``python -m bench.profiles NAME``: pyinstrument profiles behind the benchmark figures.

- ``decode-apply``: ``decode`` + ``DeskState.apply`` of UPDATE frames (``--depth`` levels a
  side, 1k by default);
- ``apply``: ``OrderBook.apply_update`` alone on pre-decoded UPDATEs;
- ``view``: ``OrderBook.view(25)`` after each UPDATE (``--depth 100`` is the costly case);
- ``tui``: the headless app on the simulator process at a fixed rate (``--rate``).

Text profiles are written to ``bench/results/profile-NAME.txt`` (gitignored) and printed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from pyinstrument import Profiler

from bench import bench_core
from bench.frames import make_stream

RESULTS = Path(__file__).with_name("results")


def _core(name: str, depth: int, profiler: Profiler) -> None:
    stream = make_stream(depth, 30_000, seed=42)
    decoded = bench_core._predecode(stream)
    _, book = bench_core._ours_book(stream)
    state, view_book = bench_core._ours_book(stream)
    events = decoded["ours"]
    profiler.start()
    if name == "decode-apply":
        bench_core._decode_apply("ours", stream)
    elif name == "apply":
        for event in events:
            book.apply_update(event)
    else:
        apply = state.apply
        for event in events:
            apply(event, 0)
            view_book.view(25)
    profiler.stop()


def _tui(rate: float, seconds: float, profiler: Profiler) -> None:
    from bench import bench_tui
    from bench.simproc import simulator

    with simulator(list(bench_tui.MARKETS), rate=rate / len(bench_tui.MARKETS)) as sim:
        profiler.start()
        asyncio.run(bench_tui.measure(sim, seconds, 1.0))
        profiler.stop()


def main() -> int:
    """Profile one benchmark body and print the call tree."""
    parser = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__)
    parser.add_argument("name", choices=("decode-apply", "apply", "view", "tui"))
    parser.add_argument("--rate", type=float, default=10_000, help="tui: offered msgs/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="tui: measured window")
    parser.add_argument("--depth", type=int, default=1_000, help="core: levels a side")
    args = parser.parse_args()
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    if args.name == "tui":
        _tui(args.rate, args.seconds, profiler)
    else:
        _core(args.name, args.depth, profiler)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"profile-{args.name}.txt").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
