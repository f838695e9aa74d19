"""Laws of the strategies, over whole trees, for every built-in pair (between x within):
conservation per cell and for the system, bands and limits, no change for balanced
systems, idempotence, tree-shape invariance inside a cell (but for ``cohda`` within
cells, whose siblings negotiate), subsidiarity and no
counter-action for ``cellular``, and ``optimal`` never costlier than the heuristics.
States near balance (within a few tolerances) are drawn on purpose."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from massca.model import (
    REDISPATCH_RTOL,
    Band,
    Flexibility,
    Hierarchy,
    Node,
    NodeKind,
    State,
    StepConfig,
    Strategy,
    aggregate,
    dispatch_cost,
    reference_step,
)
from massca.model.optimal import TIE_BREAK
from property_tests.strategies import step_cases


def magnitude(states) -> float:
    """The scale of a case: the largest band times the number of units."""
    items = list(states)
    largest = max((s.extent for s in items), default=0.0)
    return max(largest, 1.0) * max(len(items), 1)


def near(a: float, b: float, scale: float, rtol: float = REDISPATCH_RTOL) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=rtol * scale)


@given(step_cases())
def test_power_is_conserved_per_cell_and_for_the_system(case) -> None:
    hierarchy, states, config, strategy = case
    result = reference_step(hierarchy, states, config, strategy)
    scale = magnitude(states.values())
    for cell, outcome in result.cells.items():
        p, before = outcome.plan, result.aggregates[cell]
        residual = before.balance + p.production_delta - p.consumption_delta + p.storage_delta
        assert near(residual, p.exchange + p.grid + p.unresolved, scale)
        assert near(outcome.state.balance, residual, scale)
        units = hierarchy.units_below(cell)  # down the tree: the units realise the plan
        for band in ("production", "consumption", "storage"):
            moved = math.fsum(
                getattr(result.targets[u], band).current - getattr(states[u], band).current
                for u in units
            )
            assert near(moved, getattr(p, f"{band}_delta"), scale)
    plans = [outcome.plan for outcome in result.cells.values()]
    assert near(math.fsum(p.exchange for p in plans), 0.0, scale)
    system = result.plan
    assert system.imbalance == result.aggregates[hierarchy.root].balance
    left = math.fsum(p.grid + p.unresolved for p in plans)
    assert near(left, system.exchange + system.unresolved, scale)
    own = system.production_delta - system.consumption_delta + system.storage_delta
    assert near(system.imbalance + own, left, scale)


@given(step_cases())
def test_every_target_stays_in_its_band_and_every_exchange_in_its_limits(case) -> None:
    hierarchy, states, config, strategy = case
    result = reference_step(hierarchy, states, config, strategy)
    for unit, target in result.targets.items():
        for band in ("production", "consumption", "storage"):
            before, after = getattr(states[unit], band), getattr(target, band)
            assert (before.min, before.max) == (after.min, after.max)
            assert after.min <= after.current <= after.max
    scale = magnitude(states.values())
    slack = REDISPATCH_RTOL * scale
    for cell, outcome in result.cells.items():
        limits = config.interface(cell)
        through = outcome.plan.exchange + outcome.plan.grid
        assert -limits.import_max - slack <= through <= limits.export_max + slack
    to_grid = math.fsum(o.plan.grid for o in result.cells.values())
    assert -config.limits.import_max - slack <= to_grid <= config.limits.export_max + slack


@given(step_cases())
def test_balanced_systems_get_no_change(case) -> None:
    hierarchy, states, config, strategy = case
    result = reference_step(hierarchy, states, config, strategy)
    cells_balanced = all(
        abs(result.aggregates[c].balance) <= config.tolerance for c in hierarchy.cells
    )
    system_balanced = abs(result.aggregates[hierarchy.root].balance) <= config.tolerance
    # global judges the whole system; the others each cell
    if system_balanced if strategy.between.name == "global" else cells_balanced:
        assert result.converged
        assert dict(result.targets) == dict(states)


@given(step_cases())
def test_deciding_again_on_the_targets_changes_nothing(case) -> None:
    hierarchy, states, config, strategy = case
    if config.tolerance < 1e-9:
        return  # below float rounding of the sums, "balanced" cannot be reached exactly
    first = reference_step(hierarchy, states, config, strategy)
    again = reference_step(hierarchy, dict(first.targets), config, strategy)
    assert again.converged


def scaled(before: Flexibility, after: Flexibility) -> Flexibility:
    """What a unit reports after carrying out ``scale_factor = after / before`` on its
    present output, as mosaik units do: the target up to float rounding, snapped into
    the band as the mosaik shell snaps a measurement a rounding error outside it."""
    current = before.current * (after.current / before.current) if before.current else 0.0
    return Flexibility(before.min, before.max, min(max(current, before.min), before.max))


@given(step_cases())
def test_units_that_scale_to_their_targets_need_no_further_change(case) -> None:
    hierarchy, states, config, strategy = case
    if config.tolerance < 1e-9:
        return  # below float rounding of the sums, "balanced" cannot be reached exactly
    first = reference_step(hierarchy, states, config, strategy)
    reported = {}
    for unit, state in states.items():
        target = first.targets[unit]
        for band in ("production", "consumption"):
            at_zero = getattr(state, band).current <= config.tolerance
            if at_zero and getattr(target, band) != getattr(state, band):
                return  # a unit at (nearly) 0 MW cannot be scaled: mosaik sends P_target
        reported[unit] = State(
            scaled(state.production, target.production),
            scaled(state.consumption, target.consumption),
            target.storage,  # a battery gets its set-point in MW, not as a factor
        )
    assert reference_step(hierarchy, reported, config, strategy).converged


def flattened(hierarchy: Hierarchy) -> Hierarchy:
    """The same units, each directly under its cell (depth 0)."""
    nodes = [Node(hierarchy.root, NodeKind.COORDINATOR)]
    nodes += [Node(c, NodeKind.CELL, hierarchy.root) for c in hierarchy.cells]
    nodes += [Node(u, NodeKind.UNIT, hierarchy.cell_of[u]) for u in hierarchy.units]
    return Hierarchy(tuple(nodes))


def chained(hierarchy: Hierarchy, depth: int) -> Hierarchy:
    """The same units under a chain of ``depth`` controllers per cell, one more unit at
    each link (the last holds the rest), like ``cells_hierarchy(depth=...)``."""
    nodes = [Node(hierarchy.root, NodeKind.COORDINATOR)]
    for cell in hierarchy.cells:
        nodes.append(Node(cell, NodeKind.CELL, hierarchy.root))
        units = list(hierarchy.units_below(cell))
        parent = cell
        for k in range(depth):
            nodes.append(Node(f"{cell}/chain{k}", NodeKind.CONTROLLER, parent))
            parent = f"{cell}/chain{k}"
            if len(units) > 1 and k < depth - 1:
                nodes.append(Node(units.pop(0), NodeKind.UNIT, parent))
        nodes += [Node(u, NodeKind.UNIT, parent) for u in units]
    return Hierarchy(tuple(nodes))


@settings(max_examples=60)
@given(step_cases())
def test_the_shape_of_the_tree_inside_a_cell_does_not_change_any_unit_target(case) -> None:
    hierarchy, states, config, strategy = case
    # cohda within cells lets siblings negotiate: who they are is the tree's shape
    assume(strategy.within.name != "cohda")
    shapes = (hierarchy, flattened(hierarchy), chained(hierarchy, 10))
    results = [reference_step(shape, states, config, strategy) for shape in shapes]
    scale = magnitude(states.values())
    # optimal's solver works to 1e-9 of a solution; the heuristics to float rounding.
    # What is within the tolerance of balance is left alone: where a remainder sits on
    # that edge, rounding of differently grouped sums may tip it, moving a unit by at
    # most the tolerance.
    rtol = 1e-6 if strategy.between.name == "optimal" else REDISPATCH_RTOL
    slack = rtol * scale + config.tolerance
    first = results[0]
    for other in results[1:]:
        for unit in hierarchy.units:
            a, b = first.targets[unit], other.targets[unit]
            assert abs(a.production.current - b.production.current) <= slack
            assert abs(a.consumption.current - b.consumption.current) <= slack
            assert abs(a.storage.current - b.storage.current) <= slack


def usable(room: float, band: Band) -> float:
    """``room``, unless it is within float rounding of the band's size: then `plan`
    counts the band as exhausted (see `massca.model.redispatch.plan`)."""
    return room if room > REDISPATCH_RTOL * max(band.max, -band.min, 1.0) else 0.0


@given(step_cases(Strategy.of("cellular")), st.sampled_from(["proportional", "merit"]))
def test_cellular_balances_every_cell_that_can_and_never_acts_against_a_cells_imbalance(
    case, within
) -> None:
    hierarchy, states, config, _ = case
    strategy = Strategy.of("cellular", within)
    if within == "merit":
        strategy = Strategy.of("cellular", "merit", priorities={u: hash(u) % 3 for u in states})
    result = reference_step(hierarchy, states, config, strategy)
    scale = magnitude(states.values())
    for cell, outcome in result.cells.items():
        before, p = result.aggregates[cell], outcome.plan
        surplus = before.balance
        b = before
        if surplus > config.tolerance:  # oversupplied: curtail, consume or charge more
            room = (
                usable(b.production.headroom_down, b.production)
                + usable(b.consumption.headroom_up, b.consumption)
                + usable(b.storage.headroom_down, b.storage)
            )
            assert p.production_delta <= 0.0 <= p.consumption_delta
            assert p.storage_delta <= 0.0
            for unit in hierarchy.units_below(cell):
                target, measured = result.targets[unit], states[unit]
                assert target.production.current <= measured.production.current
                assert target.consumption.current >= measured.consumption.current
                assert target.storage.current <= measured.storage.current
        elif surplus < -config.tolerance:  # undersupplied: the mirror image
            room = (
                usable(b.production.headroom_up, b.production)
                + usable(b.consumption.headroom_down, b.consumption)
                + usable(b.storage.headroom_up, b.storage)
            )
            assert p.consumption_delta <= 0.0 <= p.production_delta
            assert p.storage_delta >= 0.0
            for unit in hierarchy.units_below(cell):
                target, measured = result.targets[unit], states[unit]
                assert target.production.current >= measured.production.current
                assert target.consumption.current <= measured.consumption.current
                assert target.storage.current >= measured.storage.current
        else:  # balanced already: no unit moves; what is within tolerance flows out
            assert (p.production_delta, p.consumption_delta, p.storage_delta) == (0.0, 0.0, 0.0)
            assert abs(p.exchange + p.grid + p.unresolved) <= config.tolerance
            continue
        if abs(surplus) <= room * (1 - 1e-9):  # it can balance itself
            assert abs(outcome.state.balance) <= config.tolerance + REDISPATCH_RTOL * scale
            # no exchange: only what is within the tolerance of balance may flow out
            assert abs(p.exchange) + abs(p.grid) + abs(p.unresolved) <= config.tolerance


@given(step_cases(Strategy.of("optimal")))
def test_optimal_never_costs_more_than_global_or_cellular(case) -> None:
    hierarchy, states, config, optimal = case
    costs = optimal.between.costs
    best = reference_step(hierarchy, states, config, optimal)
    cost = dispatch_cost((o.plan for o in best.cells.values()), costs)
    cells = len(hierarchy.cells)
    for heuristic in ("global", "cellular"):
        other = reference_step(hierarchy, states, config, Strategy.of(heuristic))
        theirs = dispatch_cost((o.plan for o in other.cells.values()), costs)
        # the tie-break raises costs by up to TIE_BREAK * cells; the solver works to 1e-9;
        # every strategy may leave what is within the tolerance of balance where it is
        dearest = max(
            costs.production, costs.consumption, costs.storage, costs.grid, costs.unresolved
        )
        slack = theirs * TIE_BREAK * cells + 1e-6 * magnitude(states.values())
        assert cost <= theirs + slack + dearest * config.tolerance * cells


def test_the_root_aggregate_is_the_sum_of_the_cells() -> None:
    from massca.model import cells_hierarchy
    from massca.workload import synthetic_states

    hierarchy = cells_hierarchy(4, 2)
    result = reference_step(hierarchy, synthetic_states(hierarchy, 3, 0), StepConfig())
    root = result.aggregates[hierarchy.root]
    assert root == aggregate(result.aggregates[c] for c in hierarchy.cells)
    assert isinstance(root, State)
