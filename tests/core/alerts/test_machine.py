"""The alert state machine: pending period, resolve once per firing, no flapping."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.core.alerts.machine import AlertMachine, AlertPhase, Timing, Transition

Observation = tuple[float, bool | None]
Steps = list[tuple[float, bool | None]]


def run(timing: Timing, observations: Sequence[Observation]) -> list[tuple[float, Transition]]:
    machine = AlertMachine(timing)
    out = []
    for now, holds in observations:
        transition = machine.update(holds, now)
        if transition is not None:
            out.append((now, transition))
    return out


def phase_of(machine: AlertMachine) -> AlertPhase:
    """The phase, read through a call (so the checker does not narrow it between updates)."""
    return machine.phase


def timeline(steps: list[tuple[float, bool | None]]) -> list[Observation]:
    """Observations at increasing times from (gap, value) steps."""
    now, out = 0.0, []
    for gap, value in steps:
        now += gap
        out.append((now, value))
    return out


steps_strategy = st.lists(
    st.tuples(st.floats(0.0, 3.0), st.one_of(st.booleans(), st.none())), max_size=80
)
timings = st.builds(
    Timing,
    pending=st.floats(0.0, 5.0),
    clear=st.floats(0.0, 5.0),
    min_firing=st.floats(0.0, 5.0),
    repeat=st.booleans(),
)


@given(timings, steps_strategy)
@settings(max_examples=300)
def test_fired_and_resolved_alternate_starting_with_fired(timing: Timing, steps: Steps) -> None:
    transitions = [t for _, t in run(timing, timeline(steps))]
    expected = [Transition.FIRED, Transition.RESOLVED] * len(transitions)
    assert transitions == expected[: len(transitions)]  # a resolve exactly once per firing


@given(timings, steps_strategy)
@settings(max_examples=300)
def test_fires_only_after_the_condition_held_for_the_pending_period(
    timing: Timing, steps: Steps
) -> None:
    observations = timeline(steps)
    machine = AlertMachine(timing)
    for index, (fired_at, holds) in enumerate(observations):
        if machine.update(holds, fired_at) is not Transition.FIRED:
            continue
        # Walk back: every observation with data is True back to the pending start.
        held_from = fired_at
        for now, earlier in reversed(observations[: index + 1]):
            if earlier is None:
                continue
            if not earlier:
                break
            held_from = now
        assert fired_at - held_from >= timing.pending


@given(timings, steps_strategy)
@settings(max_examples=300)
def test_one_shot_fires_at_most_once(timing: Timing, steps: Steps) -> None:
    one_shot = Timing(timing.pending, timing.clear, timing.min_firing, repeat=False)
    fired = [t for _, t in run(one_shot, timeline(steps)) if t is Transition.FIRED]
    assert len(fired) <= 1


@given(
    st.floats(0.5, 5.0),  # the clear period
    st.lists(st.floats(0.01, 0.49), min_size=2, max_size=100),  # dips shorter than clear/ ...
)
def test_a_signal_oscillating_faster_than_the_clear_period_fires_once(
    clear: float, fractions: list[float]
) -> None:
    # Around a threshold: true, then false for less than the clear period, and again.
    now, observations = 0.0, []
    for fraction in fractions:
        observations.append((now, True))
        now += fraction * clear
        observations.append((now, False))
        now += fraction * clear
    transitions = run(Timing(pending=0.0, clear=clear), observations)
    assert [t for _, t in transitions] == [Transition.FIRED]


def test_the_pending_period_and_a_clear_resolve() -> None:
    machine = AlertMachine(Timing(pending=2.0, clear=1.0))
    assert machine.update(True, 0.0) is None
    assert phase_of(machine) is AlertPhase.PENDING
    assert machine.update(True, 1.9) is None
    assert machine.update(True, 2.0) is Transition.FIRED
    assert machine.update(False, 3.0) is None  # clearing starts
    assert machine.update(None, 3.5) is None  # no data: nothing decided
    assert machine.update(False, 4.0) is Transition.RESOLVED
    assert phase_of(machine) is AlertPhase.RESOLVED
    assert machine.update(True, 5.0) is None
    assert phase_of(machine) is AlertPhase.PENDING
    assert machine.update(False, 5.5) is None
    assert phase_of(machine) is AlertPhase.RESOLVED


def test_a_pending_condition_that_drops_never_fires() -> None:
    machine = AlertMachine(Timing(pending=2.0))
    machine.update(True, 0.0)
    machine.update(False, 1.0)
    assert machine.update(True, 2.5) is None  # the pending period starts over
    assert machine.update(True, 4.5) is Transition.FIRED


def test_minimum_hold_keeps_a_short_firing_up() -> None:
    machine = AlertMachine(Timing(min_firing=10.0))
    assert machine.update(True, 0.0) is Transition.FIRED
    assert machine.update(False, 1.0) is None
    assert machine.update(False, 9.9) is None
    assert machine.update(False, 10.0) is Transition.RESOLVED


def test_acknowledge_and_snooze() -> None:
    machine = AlertMachine(Timing())
    machine.acknowledge()
    assert not machine.acknowledged  # nothing firing: nothing to acknowledge
    machine.update(True, 0.0)
    machine.acknowledge()
    assert machine.acknowledged
    machine.snooze(60.0)
    assert machine.snoozed(59.0) and not machine.snoozed(60.0)
    machine.update(False, 1.0)
    machine.update(True, 2.0)  # a new firing needs a new acknowledgement
    assert not machine.acknowledged
