"""Benchmark: the desk over a slow link (``sor-tui demo`` in a real pty, drained by a terminal).

Each figure runs the real demo process in a pty (``tests/terminal/slow_link.py``), ours and
today's rendering interleaved, the baseline being ours with frame pacing and cell diffing
switched off (``SOR_RENDER_PACING=false SOR_RENDER_DIFF=false``): Textual's own output.

- bytes/s to the terminal: drained as fast as the app writes, at 80x24 and 160x48, at the
  demo's rate (~60 msgs/s) and at ~1k msgs/s, counted after a warm-up, with the CPU the
  demo process used meanwhile (its in-process simulator included);
- staleness: at 32 KB/s and 256 KB/s (160x48, demo rate) the terminal keeps a screen model;
  every 250 ms the newest print time on screen is compared with the wall clock; the figure
  is the worst age seen over the window;
- key latency: then ``s`` (subscriptions tab) is typed and timed until the tab is on screen;
- the same through a real ``sshd`` on loopback (``bench/ssh_link.py``), skipped with one line
  where ``sshd`` is not installed.
"""

from __future__ import annotations

import time

from bench import ssh_link
from bench.harness import Row
from bench.link_watch import KEY_CAP, staleness_and_key
from tests.terminal.slow_link import demo_argv, slow_link

NAME = "link"
BASELINE = {"SOR_RENDER_PACING": "false", "SOR_RENDER_DIFF": "false"}
THOUSAND = "170"  # --rate per market giving ~1k msgs/s over the demo's four markets


def _bytes_per_second(
    size: tuple[int, int], env: dict[str, str], rate: str | None, warm: float, window: float
) -> tuple[float, float]:
    """Bytes a second drained from the app, and the share of a core the app used."""
    options = ("--rate", rate) if rate else ()
    with slow_link(
        demo_argv(*options), columns=size[0], rows=size[1], rate=None, env=env, screen_model=False
    ) as terminal:
        time.sleep(warm)
        start, drained = time.monotonic(), terminal.stats.drained_bytes
        cpu = terminal.cpu_seconds()
        time.sleep(window)
        elapsed = time.monotonic() - start
        used = (terminal.cpu_seconds() - cpu) / elapsed
        return (terminal.stats.drained_bytes - drained) / elapsed, used


def _staleness(rate: int, env: dict[str, str], warm: float, window: float) -> tuple[float, float]:
    """Worst age of the newest print on screen over the window, and the tab-switch time."""
    with slow_link(demo_argv(), columns=160, rows=48, rate=rate, env=env) as terminal:
        terminal.wait_for(lambda text: "CONNECTED" in text, 30)
        return staleness_and_key(terminal, warm, window)


def run(
    quick: bool,
    sizes: tuple[tuple[int, int], ...] = ((80, 24), (160, 48)),
    rates: tuple[str | None, ...] = (None, THOUSAND),
    links: tuple[int, ...] = (32_000, 256_000),
    ssh: bool = True,
) -> list[Row]:
    """Bytes per second, staleness and key latency, ours and today's rendering."""
    warm, window = (3.0, 3.0) if quick else (5.0, 10.0)
    rows: list[Row] = []
    targets = {(80, 24): 15_000.0, (160, 48): 60_000.0}
    for size in sizes:
        for rate in rates:
            label = "demo rate" if rate is None else "1k msgs/s"
            ours, ours_cpu = _bytes_per_second(size, {}, rate, warm, window)
            base, base_cpu = _bytes_per_second(size, BASELINE, rate, warm, window)
            target = targets.get(size) if rate is None else None
            rows.append(
                Row(
                    NAME,
                    f"bytes/s to the terminal {size[0]}x{size[1]} {label}",
                    ours / 1000,
                    "KB/s",
                    target=f"<= {target / 1000:.0f} KB/s" if target else "",
                    holds=None if target is None else ours <= target,
                    baselines={"Textual output": base / 1000},
                    higher_is_better=False,
                )
            )
            rows.append(
                Row(
                    NAME,
                    f"app CPU (simulator included) {size[0]}x{size[1]} {label}",
                    ours_cpu * 100,
                    "% core",
                    baselines={"Textual output": base_cpu * 100},
                    higher_is_better=False,
                )
            )
    for link in links:
        ours_age, ours_key = _staleness(link, {}, warm, window)
        base_age, base_key = _staleness(link, BASELINE, warm, window)
        name = f"{link // 1000} KB/s 160x48"
        rows.append(
            Row(
                NAME,
                f"newest print behind the clock, worst, {name}",
                ours_age,
                "s",
                target="<= 2 s",
                holds=ours_age <= 2.0,
                baselines={"Textual output": base_age},
                higher_is_better=False,
            )
        )
        rows.append(
            Row(
                NAME,
                f"tab switch to screen, {name}",
                ours_key,
                "s",
                target="<= 2 s",
                holds=ours_key <= 2.0,
                baselines={"Textual output": base_key},
                higher_is_better=False,
                note=f"a key not shown within {KEY_CAP:.0f} s counts as {KEY_CAP:.0f} s",
            )
        )
    if ssh:
        rows.extend(_over_ssh(quick, sizes))
    return rows


def _over_ssh(quick: bool, sizes: tuple[tuple[int, int], ...]) -> list[Row]:
    """The SSH figures at the demo rate and 32 KB/s; a failed sshd is a row, not an abort."""
    try:
        return ssh_link.run(quick, sizes=sizes, links=(32_000,))
    except ssh_link.SshdError as exc:
        print(f"link over ssh: failed ({exc})", flush=True)
        return [Row(NAME, "over ssh: FAILED", 0.0, "", note=str(exc)[:300])]
