"""The mosaik shell's inlined input conversion agrees with the general, validating one."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from massca.compat.mosaik.convert import band_params, state_from_inputs, states_from_inputs
from massca.model import ZERO_FLEXIBILITY, Flexibility, MasscaError, State

values = st.one_of(
    st.floats(-1e6, 1e6),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan]),
    st.integers(-5, 5),
)


@given(current=values, low=values, high=values, band=st.sampled_from(["production", "consumption"]))
@example(
    current=1.4764804022140963 * (1 + 2e-16), low=0.0, high=1.4764804022140963, band="production"
)
@example(current=0.5 * (1 - 2e-16), low=0.5, high=2.0, band="consumption")  # snapped up
@example(current=2.1, low=0.0, high=2.0, band="production")  # really outside: an error
def test_the_fast_path_gives_what_the_general_path_gives(current, low, high, band) -> None:
    data = {"current": {"src": current}, "min": {"src": low}, "max": {"src": high}}
    assert_both_paths_agree(data, {}, band)


bounds = st.floats(0.0, 1e6) | st.integers(0, 5) | st.none()


@given(current=values, low=bounds, high=bounds, band=st.sampled_from(["production", "consumption"]))
@example(current=-2.0, low=0.0, high=2.0, band="production")  # a generator's negative power
@example(current=2.0 * (1 + 2e-16), low=0.0, high=2.0, band="consumption")  # snapped down
def test_with_the_measurement_alone_the_band_params_give_the_same(current, low, high, band) -> None:
    if low is not None and high is not None and low > high:
        low, high = high, low
    assert_both_paths_agree({"current": {"src": current}}, band_params(low, high), band)


bands = st.lists(st.floats(0.0, 1e6), min_size=3, max_size=3).map(sorted)


@given(
    reported=bands.map(lambda b: Flexibility(b[0], b[2], b[1])),
    other=st.just(ZERO_FLEXIBILITY) | bands.map(lambda b: Flexibility(b[0], b[2], b[1])),
    band=st.sampled_from(["production", "consumption"]),
    exact=st.booleans(),
    current=values,
    low=values,
    high=values,
)
def test_a_unit_reporting_exactly_its_target_gets_that_very_state(
    reported, other, band, exact, current, low, high
) -> None:
    target = State(reported, other) if band == "production" else State(other, reported)
    if exact:
        current, low, high = reported.current, reported.min, reported.max
    data = {"current": {"src": current}, "min": {"src": low}, "max": {"src": high}}
    got = assert_both_paths_agree(data, {}, band, told={"u": target})  # equal values
    if exact and other.max == 0.0:
        assert got is target  # and nothing built again


def assert_both_paths_agree(
    data: dict, params: dict, band: str, told: dict | None = None
) -> State | MasscaError:
    """`states_from_inputs` (inlined, given the ``told`` targets) and `state_from_inputs`
    give equal states or equal errors, and no negative zero; returns the inlined one."""
    try:
        expected = state_from_inputs("u", band, data, params, 0)
    except MasscaError as error:
        expected = error
    into: dict = {}
    try:
        states_from_inputs({"u": data}, {"u": band}, {"u": params}, 0, into, told)
        got = into["u"]
    except MasscaError as error:
        got = error
    if isinstance(expected, MasscaError):
        assert type(got) is type(expected)
        assert str(got) == str(expected)
    else:
        assert got == expected
        flexibility = getattr(got, band)
        assert math.copysign(1.0, flexibility.min) == 1.0  # no -0.0 slips through
        assert math.copysign(1.0, flexibility.current) == 1.0
    return got
