"""The same-time loop of a mosaik time step, without mosaik: iterations, when the loop
ends, when units get set-points, and what a time step adds up to per cell."""

import pytest

from massca.compat.mosaik.weakloop import Outcome, WeakLoop, tally
from massca.model import Balance, ConfigurationError, State, cells_hierarchy, reference_step


def run(loop: WeakLoop, time: int, verdicts: list[bool]) -> list[tuple[int, Outcome, bool]]:
    """Enter and leave the loop once per verdict: (iteration, outcome, set-points)."""
    seen = []
    for converged in verdicts:
        loop = loop.enter(time)
        loop, outcome = loop.leave(converged)
        seen.append((loop.iteration, outcome, loop.emits_setpoints(outcome)))
    return seen


def test_a_time_step_ends_once_the_model_has_converged_and_set_points_stop() -> None:
    assert run(WeakLoop(), 0, [False, True]) == [
        (0, Outcome.CONTINUE, True),
        (1, Outcome.CONVERGED, False),
    ]


def test_the_first_iteration_always_sends_set_points() -> None:
    assert run(WeakLoop(), 900, [True]) == [(0, Outcome.CONVERGED, True)]


def test_convergence_steps_need_that_many_converged_iterations_in_a_row() -> None:
    seen = run(WeakLoop(convergence_steps=2, max_iterations=9), 0, [True, False, True, True])
    assert [outcome for _, outcome, _ in seen] == [
        Outcome.CONTINUE,
        Outcome.CONTINUE,
        Outcome.CONTINUE,
        Outcome.CONVERGED,
    ]


def test_a_loop_that_does_not_converge_is_exhausted_at_its_last_iteration() -> None:
    seen = run(WeakLoop(max_iterations=3), 0, [False, False, False])
    assert seen[-1] == (2, Outcome.EXHAUSTED, False)


def test_a_new_time_starts_at_iteration_zero_with_a_fresh_count() -> None:
    loop = WeakLoop(convergence_steps=2).enter(0)
    loop, _ = loop.leave(True)
    loop = loop.enter(900)
    assert (loop.time, loop.iteration, loop.converged_in_row) == (900, 0, 0)
    with pytest.raises(ConfigurationError, match="both must be >= 1"):
        WeakLoop(convergence_steps=0)


def test_a_tally_keeps_the_first_measurement_and_sums_the_changes() -> None:
    hierarchy = cells_hierarchy(1, depth=0, loads=1, generators=1)
    states = {
        "cell-0.gen-0": State.of(production=(0.0, 5.0, 5.0)),
        "cell-0.load-0": State.of(consumption=(1.0, 2.0, 2.0)),
    }
    first = reference_step(hierarchy, states)
    second = reference_step(hierarchy, dict(first.targets))
    after_first = tally(None, first)
    after_second = tally(after_first, second)["cell-0"]
    assert after_second.before == first.aggregates["cell-0"]
    assert after_second.balance_before is Balance.OVERSUPPLIED
    assert after_second.production_change == -3.0  # decided in the first, none in the second
    assert after_second.latest is second.cells["cell-0"]
    assert after_second.latest.balance is Balance.BALANCED
