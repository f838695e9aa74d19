"""The reference step on concrete trees."""

import pytest

from massca.model import (
    Balance,
    ConfigurationError,
    ExchangeLimits,
    Resource,
    State,
    StepConfig,
    cells_hierarchy,
    reference_step,
)
from massca.workload import synthetic_states


def two_cells():
    h = cells_hierarchy(cells=2, depth=1, loads=1, generators=1)
    states = {
        "cell-0.gen-0": State.of(production=(0.0, 5.0, 5.0)),
        "cell-0.load-0": State.of(consumption=(1.0, 2.0, 2.0)),  # cell-0: +3
        "cell-1.gen-0": State.of(production=(0.0, 1.0, 1.0)),
        "cell-1.load-0": State.of(consumption=(2.0, 4.0, 3.0)),  # cell-1: -2
    }
    return h, states


def test_cells_are_classified_and_the_system_surplus_is_curtailed() -> None:
    h, states = two_cells()
    result = reference_step(h, states)
    assert result.balances == {"cell-0": Balance.OVERSUPPLIED, "cell-1": Balance.UNDERSUPPLIED}
    assert result.aggregates["coordinator"].balance == 1.0
    assert result.plan.production_delta == -1.0
    # one sixth of each generator's downward headroom
    assert result.targets["cell-0.gen-0"].production.current == pytest.approx(5.0 - 5.0 / 6)
    assert result.targets["cell-1.gen-0"].production.current == pytest.approx(1.0 - 1.0 / 6)
    assert result.targets["cell-0.load-0"] == states["cell-0.load-0"]
    assert not result.converged


def test_applying_the_targets_converges_on_the_next_iteration() -> None:
    h, states = two_cells()
    first = reference_step(h, states)
    second = reference_step(h, dict(first.targets))
    assert second.converged
    assert abs(second.aggregates["coordinator"].balance) <= 1e-6


def test_grid_limits_and_merit_order_reach_the_plan() -> None:
    h, states = two_cells()
    export_first = (Resource.EXCHANGE, Resource.PRODUCTION, Resource.CONSUMPTION)
    config = StepConfig(limits=ExchangeLimits(export_max=0.25), merit_order=export_first)
    result = reference_step(h, states, config)
    assert result.plan.exchange == 0.25  # the grid takes what it can, first
    assert result.plan.production_delta == -0.75  # production sheds the rest


def test_missing_and_unknown_unit_states_are_listed() -> None:
    h, states = two_cells()
    del states["cell-1.gen-0"]
    states["stray"] = State()
    expected = r"no state for 1 unit\(s\): 'cell-1.gen-0'.*'stray'"
    with pytest.raises(ConfigurationError, match=expected):
        reference_step(h, states)


def test_the_oracle_is_deterministic_for_a_seeded_workload() -> None:
    h = cells_hierarchy(cells=3, depth=2)
    a = reference_step(h, synthetic_states(h, seed=7, step=3))
    b = reference_step(h, synthetic_states(h, seed=7, step=3))
    assert a == b
    assert synthetic_states(h, seed=7, step=4) != synthetic_states(h, seed=7, step=3)
