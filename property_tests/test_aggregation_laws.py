"""Laws of `aggregate`: identity, commutativity (exact), associativity (within rounding)."""

import math
from dataclasses import astuple

from hypothesis import given
from hypothesis import strategies as st

from massca.model import AGGREGATION_RTOL, ZERO_STATE, Band, Flexibility, State, aggregate
from property_tests.strategies import states


def fields(state: State) -> tuple[float, ...]:
    p, c, s = state.production, state.consumption, state.storage
    return (p.min, p.max, p.current, c.min, c.max, c.current, s.min, s.max, s.current)


def close(a: State, b: State, scale: float) -> bool:
    tol = AGGREGATION_RTOL * max(scale, 1.0)
    return all(
        math.isclose(x, y, rel_tol=0.0, abs_tol=tol)
        for x, y in zip(fields(a), fields(b), strict=True)
    )


@given(states)
def test_zero_is_the_identity(s: State) -> None:
    assert aggregate([s, ZERO_STATE]) == s
    assert aggregate([ZERO_STATE, s]) == s
    assert aggregate([s]) == s
    assert aggregate([]) == ZERO_STATE


@given(st.lists(states, max_size=12), st.randoms(use_true_random=False))
def test_order_of_inputs_does_not_change_a_single_bit(items: list[State], rnd) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert aggregate(shuffled) == aggregate(items)


@given(st.lists(states, min_size=1, max_size=12), st.data())
def test_regrouping_agrees_within_the_stated_tolerance(items: list[State], data) -> None:
    cut = data.draw(st.integers(0, len(items)))
    grouped = aggregate([aggregate(items[:cut]), aggregate(items[cut:])])
    flat = aggregate(items)
    scale = max(max(fields(s)) for s in items)
    assert close(grouped, flat, scale * len(items))


@given(st.lists(states, max_size=12))
def test_the_aggregate_is_itself_a_valid_state_with_summed_balance(items: list[State]) -> None:
    total = aggregate(items)
    # aggregate builds without validation: rebuilding through the validating path proves it
    assert State(
        Flexibility(*astuple(total.production)),
        Flexibility(*astuple(total.consumption)),
        Band(*astuple(total.storage)),
    )
    expected = (
        math.fsum(s.production.current for s in items)
        - math.fsum(s.consumption.current for s in items)
        + math.fsum(s.storage.current for s in items)
    )
    assert total.balance == expected
