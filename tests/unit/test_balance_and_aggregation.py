"""Classification and aggregation on concrete numbers."""

import pytest

from massca.model import (
    ZERO_STATE,
    Balance,
    ConfigurationError,
    State,
    aggregate,
    canonical,
    classify,
)


def test_the_three_cell_states() -> None:
    assert classify(State.of(production=(0, 2, 2), consumption=(0, 2, 1))) is Balance.OVERSUPPLIED
    assert classify(State.of(production=(0, 2, 1), consumption=(0, 2, 2))) is Balance.UNDERSUPPLIED
    assert classify(State.of(production=(0, 2, 1), consumption=(0, 2, 1))) is Balance.BALANCED


def test_an_imbalance_within_tolerance_is_balanced() -> None:
    s = State.of(production=(0, 2, 1.0005), consumption=(0, 2, 1.0))
    assert classify(s, tolerance=1e-3) is Balance.BALANCED
    assert classify(s, tolerance=1e-4) is Balance.OVERSUPPLIED


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf")])
def test_a_bad_tolerance_is_refused(tolerance: float) -> None:
    with pytest.raises(ConfigurationError, match="tolerance"):
        classify(ZERO_STATE, tolerance)


def test_aggregation_sums_every_field() -> None:
    a = State.of(production=(0.0, 2.0, 1.0), consumption=(0.5, 1.0, 0.75))
    b = State.of(production=(1.0, 3.0, 2.0))
    assert aggregate([a, b]) == State.of(production=(1.0, 5.0, 3.0), consumption=(0.5, 1.0, 0.75))


def test_aggregation_is_exactly_rounded_where_naive_sums_are_not() -> None:
    tiny, big = State.of(production=(0, 1e-16, 1e-16)), State.of(production=(0, 1.0, 1.0))
    # sum() would give 1.0 for [1.0, 1e-16, ... x10]; fsum keeps the exact 1.000000000000001
    total = aggregate([big] + [tiny] * 10)
    assert total.production.current == 1.000000000000001


def test_canonical_order_is_sorted_by_id() -> None:
    assert canonical({"b": 2, "a": 1, "c": 3}) == (1, 2, 3)
