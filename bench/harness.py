"""Shared benchmark plumbing: repeated timing with medians, CPU and RSS readings, result rows.

Every figure is the median of several repetitions after a warm-up; the spread (min..max) is
kept next to it because the machine is shared and a single run can be noisy.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: benchmark children run there so that ``-m bench...`` resolves."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(slots=True)
class Row:
    """One measured figure: its value, spread, unit, and the baselines it is compared with."""

    bench: str
    name: str
    value: float
    unit: str
    spread: tuple[float, float] | None = None
    target: str = ""
    holds: bool | None = None  # None: no target for this figure
    baselines: dict[str, float] = field(default_factory=dict)
    higher_is_better: bool = True
    note: str = ""

    def ratios(self) -> dict[str, float]:
        """How many times better ours is than each baseline (>1 means ours wins)."""
        out: dict[str, float] = {}
        for name, other in self.baselines.items():
            if other and self.value:
                out[name] = self.value / other if self.higher_is_better else other / self.value
        return out

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict including the ratios."""
        data = asdict(self)
        data["ratios"] = self.ratios()
        return data


def median_spread(samples: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """The median of samples and their (min, max)."""
    return statistics.median(samples), (min(samples), max(samples))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of unsorted samples (0 when empty)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def repeat(
    body: Callable[[], float], *, repeats: int, warmup: int = 1
) -> tuple[float, tuple[float, float], list[float]]:
    """Run ``body`` (which returns its own measured figure) warm-up + repeats times.

    Garbage collection runs before each repetition and stays enabled during it, as in
    the application, so collector pauses are part of the figure.
    """
    for _ in range(warmup):
        gc.collect()
        body()
    samples: list[float] = []
    for _ in range(repeats):
        gc.collect()
        samples.append(body())
    middle, spread = median_spread(samples)
    return middle, spread, samples


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a process so far, from /proc (children not included)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rpartition(")")[2].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default) from /proc/PID/statm."""
    with open(f"/proc/{pid or 'self'}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE


def run_delay_seconds() -> float:
    """Seconds this process's main thread spent runnable but waiting for a CPU (schedstat)."""
    try:
        with open("/proc/self/schedstat", encoding="ascii") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    """CPU used by this process and optionally another one over a wall-clock interval.

    It also reads how long this process waited for a CPU while runnable: on a shared
    machine that wait, not our code, can dominate latencies, so it is reported with them.
    """

    def __init__(self, other_pid: int | None = None) -> None:
        self.other_pid = other_pid
        self._wall = self._own = self._other = self._delay = 0.0
        self.waited = 0.0  # share of the interval spent runnable but not running

    def start(self) -> None:
        """Begin the interval."""
        self._wall = time.perf_counter()
        self._own = time.process_time()
        self._delay = run_delay_seconds()
        self._other = cpu_seconds_of(self.other_pid) if self.other_pid else 0.0

    def stop(self) -> tuple[float, float, float]:
        """(wall seconds, own CPU share of one core, other process's share of one core)."""
        wall = time.perf_counter() - self._wall
        own = (time.process_time() - self._own) / wall
        other = (cpu_seconds_of(self.other_pid) - self._other) / wall if self.other_pid else 0.0
        self.waited = (run_delay_seconds() - self._delay) / wall
        return wall, own, other


def load_average() -> float:
    """The one-minute load average, recorded with the results (the machine is shared)."""
    return os.getloadavg()[0]


def cpu_pressure() -> float | None:
    """The share of the last 10 s in which some runnable task waited for a CPU (Linux PSI)."""
    try:
        with open("/proc/pressure/cpu", encoding="ascii") as handle:
            first = handle.readline().split()
        return float(first[1].partition("=")[2]) / 100
    except (OSError, IndexError, ValueError):
        return None
