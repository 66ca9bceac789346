"""Backoff delays and the reconnect policy iterator."""

from __future__ import annotations

import asyncio
import random

import pytest

from sor_tui.transport.backoff import MAX_RETRY_AFTER, Backoff, ReconnectPolicy


def test_delays_stay_between_floor_and_growing_ceiling() -> None:
    backoff = Backoff(0.5, 8.0, rng=random.Random(1))
    ceilings = []
    for _ in range(12):
        ceiling = backoff.ceiling()
        delay = backoff.next_delay()
        assert 0.5 <= delay <= ceiling <= 8.0
        ceilings.append(ceiling)
    assert ceilings[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert ceilings[-1] == 8.0


def test_full_jitter_spreads_delays() -> None:
    backoff = Backoff(1.0, 60.0, rng=random.Random(7))
    for _ in range(6):
        backoff.next_delay()
    delays = set()
    for _ in range(20):
        backoff.failures = 6
        delays.add(round(backoff.next_delay(), 3))
    assert len(delays) > 10


def test_reset_returns_to_floor() -> None:
    backoff = Backoff(0.2, 5.0, rng=random.Random(3))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(0.2)


def test_retry_after_is_honoured_and_bounded() -> None:
    backoff = Backoff(0.1, 1.0, rng=random.Random(3))
    assert backoff.next_delay(retry_after=30.0) == 30.0
    assert backoff.next_delay(retry_after=10**9) == MAX_RETRY_AFTER


def test_long_outage_does_not_overflow() -> None:
    backoff = Backoff(0.5, 30.0, rng=random.Random(3))
    backoff.failures = 10_000
    assert 0.5 <= backoff.next_delay() <= 30.0


def test_invalid_bounds_rejected() -> None:
    with pytest.raises(ValueError):
        Backoff(0, 1)
    with pytest.raises(ValueError):
        Backoff(2, 1)


async def test_policy_sleeps_scheduled_delay_and_counts_attempts() -> None:
    now = [100.0]
    policy = ReconnectPolicy(Backoff(0.01, 0.02, rng=random.Random(1)), clock=lambda: now[0])
    seen = []
    async for attempt in policy:
        seen.append(attempt)
        if attempt == 3:
            break
        delay = policy.failed()
        assert 0.01 <= delay <= 0.02
        assert policy.retry_at == pytest.approx(100.0 + delay)
    assert seen == [1, 2, 3]
    policy.healthy()
    assert policy.attempt == 0 and policy.total_attempts == 3


async def test_stop_wakes_a_sleeping_policy() -> None:
    policy = ReconnectPolicy(Backoff(30.0, 60.0))

    async def consume() -> list[int]:
        seen = []
        async for attempt in policy:
            seen.append(attempt)
            policy.failed()
        return seen

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    assert not task.done()
    policy.stop()
    assert await asyncio.wait_for(task, 2) == [1]


async def test_cancellation_is_reraised() -> None:
    policy = ReconnectPolicy(Backoff(30.0, 60.0))

    async def consume() -> None:
        async for _ in policy:
            policy.failed()

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)


async def test_immediate_retry_skips_the_sleep() -> None:
    policy = ReconnectPolicy(Backoff(30.0, 60.0))
    iterator = aiter(policy)
    assert await anext(iterator) == 1
    policy.failed(immediate=True)
    assert await asyncio.wait_for(anext(iterator), 1) == 2
