"""Redispatch on the prototype's worked cases: merit order, limits, instructions."""

import math

import numpy as np  # a dependency of pandapower; the model itself never imports it
import orjson
import pytest

from massca.model import (
    DEFAULT_MERIT_ORDER,
    NO_CHANGE,
    SEED_MERIT_ORDER,
    ConfigurationError,
    ExchangeLimits,
    InfeasibleRedispatchError,
    Instruction,
    Plan,
    Resource,
    Share,
    State,
    StepConfig,
    apply,
    decompose,
    instruction_for,
    plan,
)


def test_an_oversupplied_cell_sheds_production_before_exporting() -> None:
    cell = State.of(production=(1.0, 10.0, 8.0), consumption=(2.0, 4.0, 3.0))  # +5 MW
    assert plan(cell) == Plan(5.0, -5.0, 0.0, 0.0, 0.0)


def test_an_oversupplied_cell_raises_consumption_once_production_is_at_its_minimum() -> None:
    cell = State.of(production=(6.0, 10.0, 8.0), consumption=(2.0, 4.0, 3.0))  # +5 MW
    assert plan(cell) == Plan(5.0, -2.0, 1.0, 2.0, 0.0)


def test_an_undersupplied_cell_raises_production_then_sheds_load_then_imports() -> None:
    cell = State.of(production=(0.0, 3.0, 2.0), consumption=(4.0, 8.0, 6.0))  # -4 MW
    assert plan(cell) == Plan(-4.0, 1.0, -2.0, -1.0, 0.0)


def test_what_the_grid_cannot_take_stays_unresolved() -> None:
    cell = State.of(production=(8.0, 10.0, 8.0), consumption=(3.0, 3.0, 3.0))  # +5 MW
    assert plan(cell, ExchangeLimits(import_max=10.0, export_max=2.0)) == Plan(
        5.0, 0.0, 0.0, 2.0, 3.0
    )


def test_an_export_first_merit_order_uses_the_grid_before_curtailing() -> None:
    cell = State.of(production=(0.0, 10.0, 8.0), consumption=(3.0, 3.0, 3.0))  # +5 MW
    order = (Resource.EXCHANGE, Resource.PRODUCTION, Resource.CONSUMPTION)
    assert plan(cell, ExchangeLimits(export_max=4.0), merit_order=order) == Plan(
        5.0, -1.0, 0.0, 4.0, 0.0
    )


def test_a_balanced_cell_gets_no_change_and_its_residual_goes_to_the_grid() -> None:
    cell = State.of(production=(0.0, 10.0, 3.0000001), consumption=(0.0, 5.0, 3.0))
    result = plan(cell, tolerance=1e-6)
    assert (result.production_delta, result.consumption_delta) == (0.0, 0.0)
    assert math.isclose(result.exchange, 1e-7, rel_tol=1e-6)
    assert instruction_for(
        Share(result.production_delta, result.consumption_delta), cell
    ).is_no_change


def test_an_instruction_is_a_fraction_of_headroom_applied_to_every_child() -> None:
    a = State.of(production=(0.0, 4.0, 4.0))
    b = State.of(production=(0.0, 2.0, 2.0))
    parent = State.of(production=(0.0, 6.0, 6.0), consumption=(0.0, 0.0, 0.0))
    instruction = instruction_for(Share(production=-3.0), parent)
    assert instruction == Instruction(production=-0.5)
    targets = decompose(instruction, {"a": a, "b": b})
    assert targets["a"].production.current == 2.0
    assert targets["b"].production.current == 1.0


def test_full_fractions_land_exactly_on_the_band_edges() -> None:
    s = State.of(production=(0.1, 0.7, 0.3), consumption=(0.2, 0.9, 0.4))
    moved = apply(Instruction(1.0, -1.0), s)
    assert moved.production.current == 0.7
    assert moved.consumption.current == 0.2
    assert apply(NO_CHANGE, s) is s


def test_a_delta_beyond_the_reported_headroom_is_infeasible() -> None:
    s = State.of(production=(0.0, 1.0, 0.5))
    with pytest.raises(InfeasibleRedispatchError, match=r"cannot raise production by 2.0 MW"):
        instruction_for(Share(production=2.0), s)


@pytest.mark.parametrize("fraction", [1.5, -1.01, float("nan")])
def test_an_instruction_outside_minus_one_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ConfigurationError, match="fraction in"):
        Instruction(production=fraction)


def test_merit_orders_and_limits_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="exactly once"):
        plan(State(), merit_order=(Resource.PRODUCTION, Resource.PRODUCTION, Resource.EXCHANGE))
    with pytest.raises(ConfigurationError, match="export_max = -1"):
        ExchangeLimits(export_max=-1.0)
    assert SEED_MERIT_ORDER[0] is Resource.PRODUCTION


def test_a_merit_order_given_as_names_plans_as_its_members_do() -> None:
    cell = State.of(production=(0.0, 10.0, 8.0), consumption=(3.0, 3.0, 3.0))  # +5 MW
    names = ("production", "consumption", "exchange")
    assert plan(cell, merit_order=names) == plan(cell) == Plan(5.0, -5.0, 0.0, 0.0, 0.0)
    assert StepConfig(merit_order=names).merit_order == DEFAULT_MERIT_ORDER  # storage first
    with pytest.raises(ConfigurationError, match="exactly once"):
        plan(cell, merit_order=("production", "consumption", "export"))


def test_numpy_numbers_become_plain_floats_that_the_log_can_write() -> None:
    band = State.of(production=(np.float64(0.0), np.float64(2.0), np.float32(1.5))).production
    limits = ExchangeLimits(np.float64(1.0), np.int64(2))
    values = (band.min, band.max, band.current, limits.import_max, limits.export_max)
    assert all(type(v) is float for v in values)
    assert orjson.dumps(values) == b"[0.0,2.0,1.5,1.0,2.0]"
    assert type(Instruction(np.float64(0.5)).production) is float
    assert type(StepConfig(tolerance=np.float64(1e-6)).tolerance) is float
