"""One mosaik time step's same-time (weak) loop, as pure values: which iteration a MAS
step is, when the loop ends, and what the time step's iterations add up to per cell.

Belongs here: `WeakLoop`, `Outcome`, `CellTally` and `tally`. No mosaik, no I/O: the
simulator (`massca.compat.mosaik.simulator`) feeds them and acts on what they say.

mosaik steps the MAS again at the same time while the units answer its set-points;
each such step is the next *iteration* of the time step. After each, the loop
*continues* (units get set-points again), has *converged* (the model said "no change"
``convergence_steps`` times in a row), or is *exhausted* (``max_iterations`` reached
without converging: the simulator raises `ConvergenceError` or warns). Units get
set-points in the first iteration of every time step, and afterwards while the loop
continues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from massca.model import Balance, CellResult, ConfigurationError, State, StepResult

__all__ = ["CellTally", "Outcome", "WeakLoop", "tally"]


class Outcome(StrEnum):
    """What happens after a MAS step within its time step."""

    CONTINUE = "continue"
    CONVERGED = "converged"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class WeakLoop:
    """Where a time step's loop stands; advance it with `enter` and `leave`."""

    convergence_steps: int = 1
    max_iterations: int = 5
    time: int = -1
    iteration: int = -1
    converged_in_row: int = 0

    def __post_init__(self) -> None:
        if self.convergence_steps < 1 or self.max_iterations < 1:
            raise ConfigurationError(
                f"convergence_steps = {self.convergence_steps}, max_iterations = "
                f"{self.max_iterations}: both must be >= 1"
            )

    def enter(self, time: int) -> WeakLoop:
        """The loop for a MAS step at ``time``: the next iteration of the same time, or
        iteration 0 of a new one."""
        if time == self.time:
            return replace(self, iteration=self.iteration + 1)
        return replace(self, time=time, iteration=0, converged_in_row=0)

    def leave(self, converged: bool) -> tuple[WeakLoop, Outcome]:
        """The loop after a MAS step whose result did (not) say "converged"."""
        row = self.converged_in_row + 1 if converged else 0
        after = replace(self, converged_in_row=row)
        if row >= self.convergence_steps:
            return after, Outcome.CONVERGED
        if self.iteration + 1 >= self.max_iterations:
            return after, Outcome.EXHAUSTED
        return after, Outcome.CONTINUE

    def emits_setpoints(self, outcome: Outcome) -> bool:
        """Whether the units get set-points after this iteration."""
        return self.iteration == 0 or outcome is Outcome.CONTINUE


@dataclass(frozen=True, slots=True)
class CellTally:
    """A cell over the iterations of one time step so far.

    ``before``: its measured state in the first iteration, and ``balance_before`` that
    state's class. ``production_change`` / ``consumption_change`` / ``storage_change``: the
    changes decided in all iterations so far, summed [MW]. ``latest``: the latest iteration's result
    (its exchange, grid, unresolved, state and class after redispatch).
    """

    before: State
    balance_before: Balance
    production_change: float
    consumption_change: float
    latest: CellResult
    storage_change: float = 0.0


def tally(previous: Mapping[str, CellTally] | None, result: StepResult) -> dict[str, CellTally]:
    """The cells' tallies after ``result``; ``previous`` is None in a time step's first
    iteration, else the tallies after the iteration before."""
    tallies = {}
    for cell, latest in result.cells.items():
        plan = latest.plan
        if previous is None:
            tallies[cell] = CellTally(
                result.aggregates[cell],
                result.balances[cell],
                plan.production_delta,
                plan.consumption_delta,
                latest,
                plan.storage_delta,
            )
        else:
            last = previous[cell]
            tallies[cell] = CellTally(
                last.before,
                last.balance_before,
                last.production_change + plan.production_delta,
                last.consumption_change + plan.consumption_delta,
                latest,
                last.storage_change + plan.storage_delta,
            )
    return tallies
