"""Converting mosaik inputs into unit states."""

import math

import pytest

from massca.compat.mosaik.convert import band_params, infer_band, scale_factor, state_from_inputs
from massca.model import ConfigurationError, Flexibility, InvalidStateError


def test_a_measurement_a_rounding_error_beyond_its_band_is_snapped_onto_it() -> None:
    high = 1.4764804022140963
    current = high * (1.0 + 2e-16)  # what current * (target / current) can produce
    inputs = {"current": {"u": current}, "max": {"u": high}, "min": {"u": 0.0}}
    state = state_from_inputs("Agent_1", "production", inputs, {}, 0)
    assert state.production.current == high


def test_a_measurement_really_outside_its_band_names_unit_and_time() -> None:
    inputs = {"current": {"u": 2.0}, "max": {"u": 1.0}, "min": {"u": 0.0}}
    with pytest.raises(InvalidStateError, match=r"unit agent 'Agent_1' at time 900: current = 2.0"):
        state_from_inputs("Agent_1", "consumption", inputs, {}, 900)


def test_several_sources_add_up_and_generators_may_report_negative_power() -> None:
    inputs = {"current": {"pv": -1.5, "wind": 2.0}}
    state = state_from_inputs("A", "production", inputs, {"min": 0.0, "max": 4.0}, 0)
    assert state.production == Flexibility(0.0, 4.0, 3.5)


def test_nan_and_non_numbers_are_refused() -> None:
    with pytest.raises(InvalidStateError, match="is nan"):
        state_from_inputs("A", "production", {"current": {"pv": math.nan}}, {}, 0)
    with pytest.raises(InvalidStateError, match="not a number of MW"):
        state_from_inputs("A", "production", {"current": {"pv": "1"}}, {}, 0)


def test_the_band_is_inferred_from_the_source_like_the_prototype() -> None:
    assert infer_band("A", ["Grid-0.Load-3"]) == "consumption"
    assert infer_band("A", ["PVSim-0.PV-1"]) == "production"
    with pytest.raises(ConfigurationError, match="create it with unit='production'"):
        infer_band("A", ["Battery-0.b1"])


def test_scale_factor_is_the_set_point_relative_to_the_present_output() -> None:
    assert scale_factor(Flexibility(0, 4, 2.0), Flexibility(0, 4, 1.0)) == 0.5
    assert scale_factor(Flexibility(0, 4, 0.0), Flexibility(0, 4, 1.0)) == 1.0


def test_band_params_are_floats_and_a_missing_bound_is_left_out() -> None:
    assert band_params(0, 2) == {"min": 0.0, "max": 2.0}
    assert band_params(None, 2.5) == {"max": 2.5}
    assert band_params(-0.0, None) == {"min": 0.0}
    assert band_params(None, None) == {}
    with pytest.raises(ConfigurationError, match=r"create\(max=inf\): give a finite number"):
        band_params(0.0, math.inf)
    with pytest.raises(ConfigurationError, match=r"create\(min=False\): give a finite number"):
        band_params(False, 1.0)
