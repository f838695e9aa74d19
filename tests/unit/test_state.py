"""Flexibility bands and states: valid values build, invalid ones name field and value."""

import math

import pytest

from massca.model import Flexibility, InvalidStateError, MasscaError, State


def test_a_state_reports_its_balance_as_production_minus_consumption() -> None:
    s = State.of(production=(0.0, 5.0, 4.0), consumption=(1.0, 3.0, 2.5))
    assert s.balance == 1.5
    assert s.production.headroom_up == 1.0
    assert s.production.headroom_down == 4.0


@pytest.mark.parametrize(
    ("band", "phrase"),
    [
        ((math.nan, 1.0, 0.5), "min = nan: must be a finite number"),
        ((0.0, math.inf, 0.5), "max = inf: must be a finite number"),
        ((-1.0, 1.0, 0.0), "min = -1.0: must be >= 0"),
        ((2.0, 1.0, 1.5), "min = 2.0 exceeds production.max = 1.0"),
        ((0.0, 1.0, 1.5), "current = 1.5 lies outside"),
        ((0.0, "1", 0.5), "max must be a number of MW, got str"),
        ((0.0, True, 0.5), "max must be a number of MW, got bool"),
        ((0.0, 1.7e308, 0.5), "max = 1.7e+308: beyond 1e+12 MW (`MAX_MW`)"),
        ((0.0, 2e12, 2e12), "max = 2000000000000.0: beyond 1e+12 MW"),
    ],
)
def test_invalid_bands_raise_naming_field_and_value(band, phrase) -> None:
    with pytest.raises(InvalidStateError, match="production") as caught:
        State.of(production=band)
    assert phrase in str(caught.value)
    assert isinstance(caught.value, MasscaError)
    assert isinstance(caught.value, ValueError)


def test_a_band_is_immutable() -> None:
    band = Flexibility(0.0, 1.0, 0.5)
    with pytest.raises(AttributeError):
        band.current = 0.7  # type: ignore[misc]


def test_a_state_rejects_parts_that_are_not_bands() -> None:
    with pytest.raises(InvalidStateError, match=r"State.production must be a Flexibility"):
        State((0.0, 1.0, 0.5), Flexibility(0.0, 0.0, 0.0))  # type: ignore[arg-type]


def test_a_triple_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(InvalidStateError, match="consumption must be a"):
        State.of(consumption=(0.0, 1.0))  # type: ignore[arg-type]


def test_the_largest_band_is_max_mw_and_its_sums_stay_finite() -> None:
    from massca.model import MAX_MW, aggregate

    big = State.of(production=(0.0, MAX_MW, MAX_MW))
    assert aggregate([big] * 1000).production.current == 1000 * MAX_MW
    with pytest.raises(InvalidStateError, match=r"storage\.min = -2000000000000\.0: beyond"):
        State.of(storage=(-2 * MAX_MW, 0.0, 0.0))
