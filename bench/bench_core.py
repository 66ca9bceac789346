"""Benchmark 1: decode + apply of UPDATE frames, top-25 views and snapshot loads.

Three implementations run side by side on the same frames in the same process, interleaved
within each repetition: ours (``decode`` -> ``DeskState.apply`` -> ``OrderBook``), the
vendor-sample style baseline (stdlib json, dict of raw strings, sort on read) and the
``order-book`` C extension (stdlib json, ``Decimal`` keys). Each repetition uses a freshly
generated stream (new seed): the decoder's string caches see the steady state of a varied
feed, never a replay of the same strings. After every run the three books are compared
level by level, so a book that skips work (or is wrong) is reported, not timed.

Throughput and snapshot loads are CPU time of this process (``time.process_time``), views are
per-call wall-clock medians (``perf_counter``); see ``cpu_clock``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bench.baselines.c_book import CBook, parse_side
from bench.baselines.vendor_book import VendorBook
from bench.frames import MARKET, Stream, make_stream
from bench.harness import Row, median_spread, percentile
from sor_tui.core.book import OrderBook
from sor_tui.core.events import BookSnapshot, BookUpdate
from sor_tui.core.protocol import decode
from sor_tui.core.state import DeskState

NAME = "core"

cpu_clock = time.process_time
"""Batches are timed in CPU seconds of this process: on a shared, oversubscribed machine the
wall clock mostly measures the scheduler (see README). Single views are short enough that
the median of wall-clock timings is robust, so they use ``perf_counter``."""
IMPLEMENTATIONS = ("ours", "vendor", "c-ext")
VIEW_DEPTH = 25


def _ours_book(stream: Stream) -> tuple[DeskState, OrderBook]:
    state = DeskState()
    state.begin_sync(MARKET)
    state.apply(decode(stream.snapshot), time.time_ns())
    book = state.book(MARKET)
    assert book is not None and book.status.value == "LIVE", "snapshot did not make the book LIVE"
    return state, book


def _decode_apply(impl: str, stream: Stream) -> tuple[float, Any]:
    """Seconds to decode and apply every UPDATE of the stream, and the resulting book."""
    frames = stream.updates
    if impl == "ours":
        state, book = _ours_book(stream)
        apply, now = state.apply, time.time_ns
        start = cpu_clock()
        for frame in frames:
            apply(decode(frame), now())
        elapsed = cpu_clock() - start
        return elapsed, book
    baseline: VendorBook | CBook = VendorBook() if impl == "vendor" else CBook()
    baseline.on_frame(stream.snapshot)
    on_frame = baseline.on_frame
    start = cpu_clock()
    for frame in frames:
        on_frame(frame)
    return cpu_clock() - start, baseline


def _apply_only(impl: str, stream: Stream, decoded: dict[str, list[Any]]) -> tuple[float, Any]:
    """Seconds to apply already-decoded UPDATEs (the book alone), and the resulting book."""
    if impl == "ours":
        _, book = _ours_book(stream)
        events: list[BookUpdate] = decoded["ours"]
        apply_update = book.apply_update
        start = cpu_clock()
        for event in events:
            apply_update(event)
        return cpu_clock() - start, book
    if impl == "vendor":
        vendor = VendorBook()
        vendor.on_frame(stream.snapshot)
        on_message = vendor.on_message
        messages = decoded["vendor"]
        start = cpu_clock()
        for message in messages:
            on_message(message)
        return cpu_clock() - start, vendor
    cbook = CBook()
    cbook.on_frame(stream.snapshot)
    apply = cbook.apply
    pairs = decoded["c-ext"]
    start = cpu_clock()
    for bids, asks in pairs:
        apply(bids, asks)
    return cpu_clock() - start, cbook


def _predecode(stream: Stream) -> dict[str, list[Any]]:
    import json

    ours = [decode(frame) for frame in stream.updates]
    assert all(isinstance(event, BookUpdate) for event in ours), "an UPDATE failed to decode"
    vendor = [json.loads(frame) for frame in stream.updates]
    pairs = [
        (parse_side(m["payload"].get("bids")), parse_side(m["payload"].get("asks"))) for m in vendor
    ]
    return {"ours": ours, "vendor": vendor, "c-ext": pairs}


def top_levels(impl: str, book: Any, depth: int) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    """Best-first (price, amount) pairs of each side as Decimals, for cross-checking."""
    if impl == "ours":
        view = book.view(depth)
        return (
            [(lv.price, lv.amount) for lv in view.bids],
            [(lv.price, lv.amount) for lv in view.asks],
        )
    bids, asks = book.top(depth)
    return (
        [(Decimal(p), Decimal(a)) for p, a in bids],
        [(Decimal(p), Decimal(a)) for p, a in asks],
    )


def side_sizes(impl: str, book: Any) -> tuple[int, int]:
    """Levels per side."""
    if impl == "ours":
        view = book.view(1)
        return view.bid_levels, view.ask_levels
    if impl == "vendor":
        return len(book.bids), len(book.asks)
    return len(book.book.bids), len(book.book.asks)


def _cross_check(books: dict[str, Any]) -> str:
    """Empty when all books agree on sizes and the top 100 levels, else a description."""
    reference = books["vendor"]
    expected = (side_sizes("vendor", reference), top_levels("vendor", reference, 100))
    problems = []
    for impl, book in books.items():
        got = (side_sizes(impl, book), top_levels(impl, book, 100))
        if got != expected:
            problems.append(f"{impl} disagrees (sizes {got[0]} vs {expected[0]})")
    return "; ".join(problems)


def _view_times(impl: str, stream: Stream, budget: float, max_calls: int) -> list[float]:
    """Seconds per top-25 view, with one UPDATE applied (untimed) before each view.

    Applying an UPDATE first means no implementation can serve the view from a cache.
    """
    step: Callable[[str], None]
    view: Callable[[], object]
    if impl == "ours":
        state, book = _ours_book(stream)

        def step(frame: str) -> None:
            state.apply(decode(frame), 0)

        def view() -> object:
            return book.view(VIEW_DEPTH)
    else:
        baseline: VendorBook | CBook = VendorBook() if impl == "vendor" else CBook()
        baseline.on_frame(stream.snapshot)
        step = baseline.on_frame

        def view() -> object:
            return baseline.top(VIEW_DEPTH)

    times: list[float] = []
    deadline = time.perf_counter() + budget
    clock = time.perf_counter
    for frame in stream.updates[:max_calls]:
        step(frame)
        start = clock()
        view()
        times.append(clock() - start)
        if len(times) >= 20 and start > deadline:
            break
    return times


def _snapshot_load(impl: str, text: str) -> float:
    """Seconds to decode a SNAPSHOT frame and load it into an empty book."""
    if impl == "ours":
        state = DeskState()
        state.begin_sync(MARKET)
        start = cpu_clock()
        state.apply(decode(text), 0)
        elapsed = cpu_clock() - start
        book = state.book(MARKET)
        assert book is not None and book.status.value == "LIVE"
        return elapsed
    baseline: VendorBook | CBook = VendorBook() if impl == "vendor" else CBook()
    start = cpu_clock()
    baseline.on_frame(text)
    return cpu_clock() - start


def _row(
    name: str,
    per_impl: dict[str, list[float]],
    unit: str,
    *,
    higher: bool,
    target: str = "",
    check: Callable[[float], bool] | None = None,
    note: str = "",
) -> Row:
    value, spread = median_spread(per_impl["ours"])
    baselines = {impl: median_spread(s)[0] for impl, s in per_impl.items() if impl != "ours"}
    return Row(
        NAME,
        name,
        value,
        unit,
        spread,
        target,
        check(value) if check else None,
        baselines,
        higher,
        note,
    )


def run(quick: bool = False) -> list[Row]:
    """Measure every core figure; ``quick`` shrinks sizes to a smoke run."""
    depths = (100,) if quick else (100, 1_000, 10_000)
    count = 300 if quick else 10_000
    repeats = 1 if quick else 3
    rows: list[Row] = []
    for depth in depths:
        frames_per_s: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
        levels_per_s: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
        apply_levels_per_s: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
        view_us: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
        view_p99: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
        mismatch = ""
        for repetition in range(repeats + 1):  # repetition 0 is the warm-up
            print(f"  core: {depth} levels, repetition {repetition}", file=sys.stderr, flush=True)
            stream = make_stream(depth, count, seed=1000 * depth + repetition)
            decoded = _predecode(stream)
            books: dict[str, Any] = {}
            for impl in IMPLEMENTATIONS:
                elapsed, books[impl] = _decode_apply(impl, stream)
                if repetition:
                    frames_per_s[impl].append(len(stream.updates) / elapsed)
                    levels_per_s[impl].append(stream.levels / elapsed)
            mismatch = mismatch or _cross_check(books)
            for impl in IMPLEMENTATIONS:
                elapsed, books[impl] = _apply_only(impl, stream, decoded)
                if repetition:
                    apply_levels_per_s[impl].append(stream.levels / elapsed)
            mismatch = mismatch or _cross_check(books)
            for impl in IMPLEMENTATIONS:
                times = _view_times(impl, stream, 0.05 if quick else 0.3, count)
                if repetition:
                    view_us[impl].append(percentile(times, 0.5) * 1e6)
                    view_p99[impl].append(percentile(times, 0.99) * 1e6)
        note = f"BOOKS DISAGREE: {mismatch}" if mismatch else "books cross-checked equal"
        label = f"{depth} levels/side"
        rows.append(
            _row(
                f"decode+apply UPDATE frames, {label}",
                frames_per_s,
                "frames/s",
                higher=True,
                note=note,
            )
        )
        rows.append(
            _row(f"decode+apply level updates, {label}", levels_per_s, "levels/s", higher=True)
        )
        rows.append(
            _row(
                f"apply only (pre-decoded), {label}",
                apply_levels_per_s,
                "levels/s",
                higher=True,
                target=">= 1M levels/s at 1k" if depth == 1_000 else "",
                check=(lambda v: v >= 1_000_000) if depth == 1_000 else None,
                note=note,
            )
        )
        rows.append(
            _row(
                f"top-25 view after an UPDATE (median), {label}",
                view_us,
                "us",
                higher=False,
                target="<= 10 us",
                check=lambda v: v <= 10.0,
            )
        )
        rows.append(_row(f"top-25 view p99, {label}", view_p99, "us", higher=False))
    rows.append(_snapshot_rows(quick))
    return rows


def _snapshot_rows(quick: bool) -> Row:
    loads = 3 if quick else 15
    times: dict[str, list[float]] = {impl: [] for impl in IMPLEMENTATIONS}
    for index in range(loads + 1):
        # A different snapshot every time: no decoder cache can hold the previous one's strings.
        text = make_stream(1_000, 0, seed=77_000 + index).snapshot
        for impl in IMPLEMENTATIONS:
            elapsed = _snapshot_load(impl, text)
            if index:
                times[impl].append(elapsed * 1e3)
    return _row("SNAPSHOT decode+load, 1000 levels/side", times, "ms", higher=False)


def check_snapshot_event(text: str) -> BookSnapshot:
    """Decode a generated SNAPSHOT (the smoke test checks the generator's frames are valid)."""
    event = decode(text)
    assert isinstance(event, BookSnapshot), event
    return event
