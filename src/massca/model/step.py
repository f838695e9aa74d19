"""The whole-tree reference step: the oracle every agent runtime must match exactly.

Belongs here: `reference_step`, its `StepConfig` and `StepResult`. It computes in one
pass, bottom-up and then top-down, what the agents compute by exchanging messages:

1. every controller, cell and the coordinator aggregates its children's states in
   canonical (sorted id) order;
2. every cell is classified from its aggregated, measured state;
3. the coordinator plans the correction of the whole system's imbalance
   (`massca.model.redispatch.plan`) and turns it into one `Instruction`;
4. every unit's target state is that instruction applied to its state.

The agents in `massca.actors` call the same functions in the same order, so their
results are bit-identical to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from massca.model.aggregation import aggregate
from massca.model.balance import DEFAULT_TOLERANCE, Balance, check_tolerance, classify
from massca.model.errors import ConfigurationError
from massca.model.hierarchy import Hierarchy
from massca.model.redispatch import (
    SEED_MERIT_ORDER,
    UNLIMITED,
    ExchangeLimits,
    Instruction,
    Plan,
    Resource,
    apply,
    check_merit_order,
    instruction_for,
    plan,
)
from massca.model.state import State

__all__ = ["StepConfig", "StepResult", "check_unit_states", "decide", "reference_step"]


@dataclass(frozen=True, slots=True)
class StepConfig:
    """What the coordinator decides with: grid limits, balance tolerance, merit order."""

    limits: ExchangeLimits = UNLIMITED
    tolerance: float = DEFAULT_TOLERANCE
    merit_order: tuple[Resource, ...] = SEED_MERIT_ORDER

    def __post_init__(self) -> None:
        check_tolerance(self.tolerance)
        if not isinstance(self.limits, ExchangeLimits):
            raise ConfigurationError(f"limits must be ExchangeLimits, got {self.limits!r}")
        check_merit_order(self.merit_order)


@dataclass(frozen=True, slots=True)
class StepResult:
    """Everything one step decides.

    ``aggregates``: every controller, cell and the coordinator -> its aggregated state.
    ``balances``: every cell -> the class of its measured state.
    ``plan`` / ``instruction``: the coordinator's correction of the system imbalance.
    ``targets``: every unit -> its state after the instruction (its new set-point).
    """

    aggregates: Mapping[str, State]
    balances: Mapping[str, Balance]
    plan: Plan
    instruction: Instruction
    targets: Mapping[str, State] = field(repr=False)

    @property
    def converged(self) -> bool:
        """True when no unit needs to change: the weak loop of a time step can end."""
        return self.instruction.is_no_change


def decide(system: State, config: StepConfig) -> tuple[Plan, Instruction]:
    """The coordinator's decision for the system's aggregated state."""
    the_plan = plan(system, config.limits, config.tolerance, config.merit_order)
    return the_plan, instruction_for(the_plan, system)


def reference_step(
    hierarchy: Hierarchy,
    unit_states: Mapping[str, State],
    config: StepConfig = StepConfig(),
) -> StepResult:
    """Run one step of the whole tree without agents; see the module docstring.

    ``unit_states`` must hold a `State` for exactly the hierarchy's units; otherwise
    `ConfigurationError` lists the missing and the unknown ids.
    """
    check_unit_states(hierarchy, unit_states)
    states: dict[str, State] = dict(unit_states)
    children = hierarchy.children
    for node in hierarchy.bottom_up:
        states[node] = aggregate([states[c] for c in children[node]])
    aggregates = {node: states[node] for node in hierarchy.bottom_up}
    balances = {cell: classify(aggregates[cell], config.tolerance) for cell in hierarchy.cells}
    the_plan, instruction = decide(aggregates[hierarchy.root], config)
    targets = {unit: apply(instruction, unit_states[unit]) for unit in hierarchy.units}
    return StepResult(
        aggregates=MappingProxyType(aggregates),
        balances=MappingProxyType(balances),
        plan=the_plan,
        instruction=instruction,
        targets=MappingProxyType(targets),
    )


def check_unit_states(hierarchy: Hierarchy, unit_states: Mapping[str, State]) -> None:
    """Raise `ConfigurationError` unless ``unit_states`` covers exactly the units."""
    expected = set(hierarchy.units)
    given = set(unit_states)
    problems = []
    missing = sorted(expected - given)
    unknown = sorted(given - expected)
    if missing:
        problems.append(f"no state for {len(missing)} unit(s): {_preview(missing)}")
    if unknown:
        problems.append(f"states for {len(unknown)} id(s) that are no unit: {_preview(unknown)}")
    wrong = sorted(u for u in expected & given if not isinstance(unit_states[u], State))
    if wrong:
        problems.append(f"not a State for unit(s): {_preview(wrong)}")
    if problems:
        raise ConfigurationError("; ".join(problems))


def _preview(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")
