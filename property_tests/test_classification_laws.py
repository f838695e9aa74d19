"""Laws of `classify`: total, and consistent with the sign of the balance and the tolerance."""

from hypothesis import given

from massca.model import Balance, State, classify
from property_tests.strategies import states, tolerances


@given(states, tolerances)
def test_every_state_gets_exactly_the_class_its_balance_implies(s: State, tol: float) -> None:
    result = classify(s, tol)
    assert isinstance(result, Balance)
    if abs(s.balance) <= tol:
        assert result is Balance.BALANCED
    elif s.balance > 0:
        assert result is Balance.OVERSUPPLIED
    else:
        assert result is Balance.UNDERSUPPLIED


@given(states, tolerances, tolerances)
def test_a_wider_tolerance_never_unbalances_a_balanced_state(s: State, a: float, b: float) -> None:
    narrow, wide = sorted((a, b))
    if classify(s, narrow) is Balance.BALANCED:
        assert classify(s, wide) is Balance.BALANCED
