"""``python -m bench [--only NAME ...] [--quick]``: run the benchmarks and report them.

Prints one table of absolute figures with their spread, the baselines measured in the same
run and ours-vs-baseline ratios (>1 means ours is better), then writes every row to
``bench/results/latest.json``. Never part of ``make test``: timings assert nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import Row, cpu_pressure, load_average

RESULTS = Path(__file__).with_name("results") / "latest.json"


def _benchmarks() -> dict[str, Callable[[bool], list[Row]]]:
    # Imported lazily so that ``--only core`` does not import Textual.
    def core(quick: bool) -> list[Row]:
        from bench import bench_core

        return bench_core.run(quick)

    def e2e(quick: bool) -> list[Row]:
        from bench import bench_e2e

        return bench_e2e.run(quick)

    def tui(quick: bool) -> list[Row]:
        from bench import bench_tui

        return bench_tui.run(quick)

    def memory(quick: bool) -> list[Row]:
        from bench import bench_memory

        return bench_memory.run(quick)

    def startup(quick: bool) -> list[Row]:
        from bench import bench_startup

        return bench_startup.run(quick)

    def link(quick: bool) -> list[Row]:
        from bench import bench_link

        return bench_link.run(quick)

    return {
        "core": core,
        "e2e": e2e,
        "tui": tui,
        "memory": memory,
        "startup": startup,
        "link": link,
    }


def _figure(value: float) -> str:
    if value >= 100_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.1f}"
    return f"{value:.3g}" if value < 10 else f"{value:.2f}"


def format_table(rows: list[Row]) -> str:
    """A plain-text table: figure, spread, target (and whether it holds), baselines, ratios."""
    lines = []
    header = f"{'benchmark':<54} {'ours':>14} {'spread':>21}  {'target':<22} vs baselines"
    lines.append(header)
    lines.append("-" * len(header))
    for row in rows:
        spread = f"{_figure(row.spread[0])}..{_figure(row.spread[1])}" if row.spread else ""
        verdict = "" if row.holds is None else (" OK" if row.holds else " MISSED")
        target = f"{row.target}{verdict}" if row.target else ""
        versus = "; ".join(
            f"{name} {_figure(row.baselines[name])} (x{ratio:.2f})"
            for name, ratio in row.ratios().items()
        )
        value = f"{_figure(row.value)} {row.unit}"
        lines.append(
            f"{row.bench + ': ' + row.name:<54} {value:>14} {spread:>21}  {target:<22} {versus}"
        )
        if row.note:
            lines.append(f"{'':<56}note: {row.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, print the table and write the JSON results."""
    benchmarks = _benchmarks()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(benchmarks), help="repeatable")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness runs")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    chosen = args.only or list(benchmarks)
    rows: list[Row] = []
    started = time.time()
    load_before = load_average()
    pressure: dict[str, float | None] = {}
    failed: list[str] = []
    for name in chosen:
        print(f"running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(benchmarks[name](args.quick))
        except Exception as exc:  # one broken benchmark must not lose the others' figures
            print(f"{name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
            rows.append(Row(name, "FAILED", 0.0, "", note=f"{type(exc).__name__}: {exc}"[:300]))
        pressure[name] = cpu_pressure()
    print(format_table(rows))
    load_after = load_average()
    cpus = os.cpu_count()
    print(f"\nload average (1 min) before/after: {load_before:.2f}/{load_after:.2f}, {cpus} CPUs")
    shown = ", ".join(f"{k} {v:.0%}" for k, v in pressure.items() if v is not None)
    if shown:
        print(f"CPU pressure (share of time something waited for a CPU) after: {shown}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started,
        "seconds": time.time() - started,
        "quick": args.quick,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [load_before, load_after],
        "cpu_pressure_after": pressure,
        "rows": [row.as_json() for row in rows],
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.output}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
