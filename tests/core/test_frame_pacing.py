"""Frame pacing: one frame in flight, answers measured, a silent terminal still drawn."""

from __future__ import annotations

import pytest

from sor_tui.core.frame_pacing import (
    CONFIRMED_WAIT,
    GIVE_UP_AFTER,
    UNCONFIRMED_WAIT,
    FramePacer,
)


def test_the_next_frame_waits_for_the_answer() -> None:
    pacer = FramePacer()
    assert pacer.may_draw(0.0)
    assert pacer.frame_written(0.0)  # ask after the first frame
    assert not pacer.may_draw(0.05)  # not shown yet: no new frame
    assert not pacer.figures(0.05).terminal_bound  # one late answer is no bottleneck
    assert not any(pacer.may_draw(0.1 + i * 0.05) for i in range(3))
    assert not pacer.frame_written(0.06)  # a key's frame: no second question in flight
    pacer.answered(0.3)
    assert pacer.answers is True
    assert pacer.may_draw(0.3)
    figures = pacer.figures(0.3)
    assert figures.screen_lag_ms == pytest.approx(300)
    assert figures.terminal_bound  # frames waited for the terminal
    assert figures.frames_per_second == pytest.approx(1.0)  # two frames in the 2 s window


def test_a_known_answering_terminal_that_goes_quiet_is_still_drawn_now_and_then() -> None:
    pacer = FramePacer()
    pacer.frame_written(0.0)
    pacer.answered(0.01)
    pacer.frame_written(1.0)
    assert not pacer.may_draw(1.0 + CONFIRMED_WAIT - 0.01)
    assert pacer.may_draw(1.0 + CONFIRMED_WAIT)  # overdue: draw anyway
    pacer.frame_written(1.0 + CONFIRMED_WAIT)
    assert not pacer.may_draw(1.0 + CONFIRMED_WAIT + 0.1)  # but only once per wait
    lag = pacer.figures(1.0 + CONFIRMED_WAIT + 0.1).screen_lag_ms
    assert lag is not None and lag > CONFIRMED_WAIT * 1000  # the late answer shows as lag


def test_a_terminal_that_never_answers_is_drawn_at_the_normal_rate() -> None:
    pacer = FramePacer()
    assert pacer.frame_written(0.0)
    assert not pacer.may_draw(0.5)
    assert pacer.may_draw(UNCONFIRMED_WAIT)  # unconfirmed: short waits
    now = 0.0
    while now < GIVE_UP_AFTER + 1:
        now += 0.05
        if pacer.may_draw(now):
            pacer.frame_written(now)
    assert pacer.answers is False
    assert all(pacer.may_draw(now + i * 0.05) for i in range(5))
    assert not pacer.figures(now).terminal_bound
    pacer.answered(now + 1)  # a late answer: it does answer after all
    assert pacer.answers is True


def test_pacing_off_never_asks_and_never_waits() -> None:
    pacer = FramePacer(enabled=False)
    assert not pacer.frame_written(0.0)
    assert pacer.may_draw(0.01)
    assert pacer.figures(0.01).screen_lag_ms is None
