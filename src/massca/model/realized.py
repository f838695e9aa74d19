"""What a step over a simulated network did, as opposed to what its agents believed.

Belongs here: `realized_result`, which turns the runtime's account of a step (each
agent's own view, in which a silent child is left out) into what happened to the grid:
every aggregate and class from every unit's measured state, every unit's target (its
order's, or its measured state when no order reached it), and every cell's result from
its units' targets. Not here: the network itself (`network`) or the step (`step`).

A cell whose every unit got its order keeps the result its coordinator decided, bit for
bit. For any other cell the realized result counts what its units really changed; the
exchange and grid parts stay as decided (a silent cell has none) and what they do not
cover is unresolved: the decided unresolved part plus the gap between the realized and
the decided state after (for a silent cell, its whole balance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from massca.model.balance import classify
from massca.model.dispatch import CellPlan, CellResult
from massca.model.hierarchy import Hierarchy
from massca.model.redispatch import Plan
from massca.model.state import State
from massca.model.step import StepResult

__all__ = ["realized_result"]

Combine = Callable[[str, Mapping[str, State]], State]


def _aggregates(
    hierarchy: Hierarchy, units: Mapping[str, State], combine: Combine
) -> dict[str, State]:
    states = dict(units)
    children = hierarchy.children
    for node in hierarchy.bottom_up:
        states[node] = combine(node, {c: states[c] for c in children[node]})
    return states


def realized_result(
    hierarchy: Hierarchy,
    unit_states: Mapping[str, State],
    believed: StepResult,
    tolerance: float,
    combine: Combine,
) -> StepResult:
    """The step's result as it happened; see the module docstring. ``believed``: the
    runtime's result, whose ``targets`` hold None for a unit no order reached and whose
    ``cells`` lack the cells the coordinator did not hear; ``combine(agent, children)``
    aggregates as the agents do."""
    given = believed.targets
    targets = {
        u: target if (target := given.get(u)) is not None else unit_states[u]
        for u in hierarchy.units
    }
    before = _aggregates(hierarchy, unit_states, combine)
    after = _aggregates(hierarchy, targets, combine)
    cell_of = hierarchy.cell_of
    unreached = {cell_of[u] for u in hierarchy.units if given.get(u) is None}
    cells: dict[str, CellResult] = {}
    changed = False
    for cell in hierarchy.cells:
        decided = believed.cells.get(cell)
        if decided is not None and cell not in unreached:
            cells[cell] = decided
            continue
        changed = True
        cells[cell] = _realized(before[cell], after[cell], decided, tolerance)
    plan = believed.plan
    if changed:
        plan = _totals(before[hierarchy.root], cells.values())
    return replace(
        believed,
        aggregates=MappingProxyType({n: before[n] for n in hierarchy.bottom_up}),
        balances=MappingProxyType({c: classify(before[c], tolerance) for c in hierarchy.cells}),
        plan=plan,
        cells=MappingProxyType(cells),
        targets=MappingProxyType(targets),
    )


def _realized(
    before: State, after: State, decided: CellResult | None, tolerance: float
) -> CellResult:
    """A cell's result from what its units did, against what was ``decided`` for it."""
    production = after.production.current - before.production.current
    consumption = after.consumption.current - before.consumption.current
    storage = after.storage.current - before.storage.current
    if decided is None:  # silent: nothing exchanged or bought, all of it unresolved
        plan = CellPlan(production, consumption, 0.0, 0.0, after.balance, None, storage)
    else:
        decided_plan = decided.plan
        gap = after.balance - decided.state.balance
        plan = CellPlan(
            production,
            consumption,
            decided_plan.exchange,
            decided_plan.grid,
            decided_plan.unresolved + gap,
            None,
            storage,
        )
    return CellResult(plan, after, classify(after, tolerance))


def _totals(system: State, cells: Iterable[CellResult]) -> Plan:
    """The system's plan: the sums of the cells' realized plans."""
    plans = [result.plan for result in cells]
    fsum = math.fsum
    return Plan(
        imbalance=system.balance,
        production_delta=fsum(p.production_delta for p in plans),
        consumption_delta=fsum(p.consumption_delta for p in plans),
        exchange=fsum(p.grid for p in plans),
        unresolved=fsum(p.unresolved for p in plans),
        storage_delta=fsum(p.storage_delta for p in plans),
    )
