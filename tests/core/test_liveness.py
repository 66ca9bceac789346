"""The heartbeat watchdog and the server clock estimate (issue 12)."""

from __future__ import annotations

from sor_tui.core.liveness import HeartbeatWatch, ServerClock
from tests.core.book_helpers import NOW_NS

S = 10**9


def test_heartbeat_watch_waits_for_the_first_beat_and_learns_the_interval() -> None:
    watch = HeartbeatWatch(timeout=15.0, first_gap=60.0)
    assert not watch.expired(1000.0)  # never before the first beat
    watch.beat(0.0)
    assert watch.timeout() == 60.0
    assert not watch.expired(25.0)  # a 25 s server beat is not death
    watch.beat(25.0)
    assert watch.timeout() == 75.0
    assert not watch.expired(25.0 + 70.0)
    assert watch.expired(25.0 + 76.0)


def test_heartbeat_watch_learns_from_a_first_gap_that_timed_out() -> None:
    watch = HeartbeatWatch(timeout=1.0, first_gap=2.0)
    watch.beat(0.0)
    assert watch.expired(2.5)
    assert watch.interval == 2.5
    again = HeartbeatWatch(timeout=1.0, first_gap=2.0, learned=watch.interval)
    again.beat(0.0)
    assert not again.expired(7.0)  # three times the learnt gap


def test_a_learnt_interval_times_silence_from_the_ack_of_a_new_connection() -> None:
    fresh = HeartbeatWatch(timeout=1.0, first_gap=2.0)
    fresh.subscribed(0.0)
    assert not fresh.expired(100.0)  # nothing learnt: liveness is the ping until a beat
    again = HeartbeatWatch(timeout=1.0, first_gap=2.0, learned=2.0)
    again.subscribed(0.0)
    assert not again.expired(6.0)
    assert again.expired(6.5)  # the server beat before: a reconnect that never beats is caught


def test_server_clock_prefers_heartbeats_and_ignores_absurd_samples() -> None:
    clock = ServerClock()
    assert clock.offset_ns is None and clock.server_now(5) == 5
    clock.snapshot(NOW_NS + 300 * S, NOW_NS)
    assert clock.offset_ns == 300 * S and clock.source == "snapshot"
    clock.heartbeat(NOW_NS + 360 * S - 2_000_000, NOW_NS)
    clock.heartbeat(NOW_NS + 361 * S - 1_000_000, NOW_NS + S)
    assert clock.offset_ns == 360 * S - 1_000_000 and clock.source == "heartbeat"
    clock.heartbeat(NOW_NS + 10 * 24 * 3600 * S, NOW_NS)
    assert clock.implausible == 1
    assert clock.offset_ns == 360 * S - 1_000_000
