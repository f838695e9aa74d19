"""Laws of merit-order plans and fractional instructions: conservation, bounds, conservation
down the tree, and a balanced state getting no change. The laws of the strategies, over
whole trees, are in ``test_strategy_laws.py``."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from massca.model import (
    REDISPATCH_RTOL,
    ExchangeLimits,
    Plan,
    Share,
    State,
    aggregate,
    apply,
    decompose,
    instruction_for,
    plan,
)
from property_tests.strategies import (
    limits,
    merit_orders,
    states,
    tolerances,
)


def near(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=REDISPATCH_RTOL * max(scale, 1.0))


def share(p: Plan) -> Share:
    return Share(p.production_delta, p.consumption_delta, p.storage_delta)


def magnitude(*items: State) -> float:
    return max((s.extent for s in items), default=0.0) * max(len(items), 1)


@given(states, limits, tolerances, merit_orders)
def test_a_plan_accounts_for_the_whole_imbalance(s, lim, tol, order) -> None:
    p = plan(s, lim, tol, order)
    assert p.imbalance == s.balance
    lhs = p.imbalance + p.production_delta - p.consumption_delta + p.storage_delta
    assert near(lhs, p.exchange + p.unresolved, magnitude(s))


@given(states, limits, tolerances, merit_orders)
def test_a_plan_stays_within_every_limit_and_moves_against_the_imbalance(s, lim, tol, order):
    p = plan(s, lim, tol, order)
    assert -s.production.headroom_down <= p.production_delta <= s.production.headroom_up
    assert -s.consumption.headroom_down <= p.consumption_delta <= s.consumption.headroom_up
    assert -s.storage.headroom_down <= p.storage_delta <= s.storage.headroom_up
    assert -lim.import_max <= p.exchange <= lim.export_max
    sign = 1.0 if s.balance >= 0 else -1.0
    assert sign * p.production_delta <= 0 <= sign * p.consumption_delta
    assert sign * p.storage_delta <= 0  # a surplus charges, a deficit discharges
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
        assert p.storage_delta == 0.0
        assert instruction_for(share(p), s).is_no_change
        assert apply(instruction_for(share(p), s), s) == s


@given(states, limits, tolerances, merit_orders)
def test_the_instruction_realises_the_plan_within_the_bands(s, lim, tol, order) -> None:
    p = plan(s, lim, tol, order)
    target = apply(instruction_for(share(p), s), s)
    assert near(target.production.current - s.production.current, p.production_delta, magnitude(s))
    assert near(
        target.consumption.current - s.consumption.current, p.consumption_delta, magnitude(s)
    )
    assert near(target.storage.current - s.storage.current, p.storage_delta, magnitude(s))


@given(st.lists(states, min_size=1, max_size=10), limits, tolerances, merit_orders)
def test_children_deltas_sum_to_the_parent_delta_and_stay_in_their_bands(
    children, lim, tol, order
) -> None:
    named = {f"c{i}": s for i, s in enumerate(children)}
    parent = aggregate(named.values())
    p = plan(parent, lim, tol, order)
    instruction = instruction_for(share(p), parent)
    targets = decompose(instruction, named)
    for child, target in targets.items():
        for band in ("production", "consumption", "storage"):
            before, after = getattr(named[child], band), getattr(target, band)
            assert before.min <= after.current <= before.max
            assert (before.min, before.max) == (after.min, after.max)
    scale = magnitude(*children)
    for band in ("production", "consumption", "storage"):
        moved = math.fsum(
            getattr(targets[c], band).current - getattr(named[c], band).current for c in named
        )
        assert near(moved, getattr(p, f"{band}_delta"), scale)
