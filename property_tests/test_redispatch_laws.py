"""Laws of redispatch: plan conservation, bounds, conservation down the tree, idempotence,
tree-shape invariance, and the oracle's agreement with them."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from massca.model import (
    REDISPATCH_RTOL,
    ExchangeLimits,
    Hierarchy,
    Node,
    NodeKind,
    State,
    StepConfig,
    aggregate,
    apply,
    decompose,
    instruction_for,
    plan,
    reference_step,
)
from property_tests.strategies import (
    hierarchy_with_states,
    limits,
    merit_orders,
    states,
    tolerances,
)


def near(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=REDISPATCH_RTOL * max(scale, 1.0))


def magnitude(*items: State) -> float:
    return max((max(s.production.max, s.consumption.max) for s in items), default=0.0) * max(
        len(items), 1
    )


@given(states, limits, tolerances, merit_orders)
def test_a_plan_accounts_for_the_whole_imbalance(s, lim, tol, order) -> None:
    p = plan(s, lim, tol, order)
    assert p.imbalance == s.balance
    lhs = p.imbalance + p.production_delta - p.consumption_delta
    assert near(lhs, p.exchange + p.unresolved, magnitude(s))


@given(states, limits, tolerances, merit_orders)
def test_a_plan_stays_within_every_limit_and_moves_against_the_imbalance(s, lim, tol, order):
    p = plan(s, lim, tol, order)
    assert -s.production.headroom_down <= p.production_delta <= s.production.headroom_up
    assert -s.consumption.headroom_down <= p.consumption_delta <= s.consumption.headroom_up
    assert -lim.import_max <= p.exchange <= lim.export_max
    sign = 1.0 if s.balance >= 0 else -1.0
    assert sign * p.production_delta <= 0 <= sign * p.consumption_delta
    assert sign * p.exchange >= 0
    assert sign * p.unresolved >= 0


@given(states, tolerances, merit_orders)
def test_with_an_unlimited_grid_nothing_stays_unresolved(s, tol, order) -> None:
    assert plan(s, ExchangeLimits(), tol, order).unresolved == 0.0


@given(states, limits, tolerances, merit_orders)
def test_a_balanced_state_gets_no_change(s, lim, tol, order) -> None:
    if abs(s.balance) <= tol:
        p = plan(s, lim, tol, order)
        assert p.production_delta == 0.0
        assert p.consumption_delta == 0.0
        assert instruction_for(p, s).is_no_change
        assert apply(instruction_for(p, s), s) == s


@given(states, limits, tolerances, merit_orders)
def test_the_instruction_realises_the_plan_within_the_bands(s, lim, tol, order) -> None:
    p = plan(s, lim, tol, order)
    target = apply(instruction_for(p, s), s)
    assert near(target.production.current - s.production.current, p.production_delta, magnitude(s))
    assert near(
        target.consumption.current - s.consumption.current, p.consumption_delta, magnitude(s)
    )


@given(st.lists(states, min_size=1, max_size=10), limits, tolerances, merit_orders)
def test_children_deltas_sum_to_the_parent_delta_and_stay_in_their_bands(
    children, lim, tol, order
) -> None:
    named = {f"c{i}": s for i, s in enumerate(children)}
    parent = aggregate(named.values())
    p = plan(parent, lim, tol, order)
    instruction = instruction_for(p, parent)
    targets = decompose(instruction, named)
    for child, target in targets.items():
        for band in ("production", "consumption"):
            before, after = getattr(named[child], band), getattr(target, band)
            assert before.min <= after.current <= before.max
            assert (before.min, before.max) == (after.min, after.max)
    scale = magnitude(*children)
    dp = math.fsum(targets[c].production.current - named[c].production.current for c in named)
    dc = math.fsum(targets[c].consumption.current - named[c].consumption.current for c in named)
    assert near(dp, p.production_delta, scale)
    assert near(dc, p.consumption_delta, scale)


def flattened(hierarchy: Hierarchy) -> Hierarchy:
    """The same units, each directly under its cell (depth 0)."""
    nodes = [Node(hierarchy.root, NodeKind.COORDINATOR)]
    nodes += [Node(c, NodeKind.CELL, hierarchy.root) for c in hierarchy.cells]
    nodes += [Node(u, NodeKind.UNIT, hierarchy.cell_of[u]) for u in hierarchy.units]
    return Hierarchy(tuple(nodes))


def chained(hierarchy: Hierarchy, depth: int) -> Hierarchy:
    """The same units under one chain of ``depth`` controllers per cell, last one holding all."""
    nodes = [Node(hierarchy.root, NodeKind.COORDINATOR)]
    for cell in hierarchy.cells:
        nodes.append(Node(cell, NodeKind.CELL, hierarchy.root))
        parent = cell
        for k in range(depth):
            nodes.append(Node(f"{cell}/chain{k}", NodeKind.CONTROLLER, parent))
            parent = f"{cell}/chain{k}"
        nodes += [Node(u, NodeKind.UNIT, parent) for u in hierarchy.units_below(cell)]
    return Hierarchy(tuple(nodes))


@given(hierarchy_with_states(), limits, tolerances, merit_orders)
def test_tree_shape_does_not_change_totals_or_unit_targets(tree_and_states, lim, tol, order):
    hierarchy, unit_states = tree_and_states
    config = StepConfig(lim, tol, order)
    results = [
        reference_step(shape, unit_states, config)
        for shape in (hierarchy, flattened(hierarchy), chained(hierarchy, 10))
    ]
    scale = magnitude(*unit_states.values())
    first = results[0]
    for other in results[1:]:
        root_a = first.aggregates[hierarchy.root]
        root_b = other.aggregates[hierarchy.root]
        assert near(root_a.balance, root_b.balance, scale)
        assert other.balances == first.balances or _all_near_tolerance(first, other, tol, scale)
        for unit in hierarchy.units:
            a, b = first.targets[unit], other.targets[unit]
            assert near(a.production.current, b.production.current, scale)
            assert near(a.consumption.current, b.consumption.current, scale)


def _all_near_tolerance(first, other, tol: float, scale: float) -> bool:
    """Classes may differ only for cells whose balance sits on the tolerance edge."""
    for cell, balance in first.balances.items():
        if other.balances[cell] != balance:
            edge = abs(abs(first.aggregates[cell].balance) - tol)
            if edge > REDISPATCH_RTOL * max(scale, 1.0):
                return False
    return True


@given(hierarchy_with_states(), limits, tolerances)
def test_the_oracle_conserves_the_plan_across_all_units(tree_and_states, lim, tol) -> None:
    hierarchy, unit_states = tree_and_states
    result = reference_step(hierarchy, unit_states, StepConfig(lim, tol))
    dp = math.fsum(
        result.targets[u].production.current - unit_states[u].production.current
        for u in hierarchy.units
    )
    assert near(dp, result.plan.production_delta, magnitude(*unit_states.values()))
    root = result.aggregates[hierarchy.root]
    assert root == aggregate(result.aggregates[c] for c in hierarchy.cells)
