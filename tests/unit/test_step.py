"""The reference step on concrete trees, for each built-in strategy."""

import pytest

from massca.model import (
    Balance,
    ConfigurationError,
    ExchangeLimits,
    Resource,
    State,
    StepConfig,
    Strategy,
    cells_hierarchy,
    reference_step,
)
from massca.workload import synthetic_states

GLOBAL = Strategy.of("global")


def two_cells():
    h = cells_hierarchy(cells=2, depth=1, loads=1, generators=1)
    states = {
        "cell-0.gen-0": State.of(production=(0.0, 5.0, 5.0)),
        "cell-0.load-0": State.of(consumption=(1.0, 2.0, 2.0)),  # cell-0: +3
        "cell-1.gen-0": State.of(production=(0.0, 1.0, 1.0)),
        "cell-1.load-0": State.of(consumption=(2.0, 4.0, 3.0)),  # cell-1: -2
    }
    return h, states


def test_global_curtails_the_system_surplus_in_every_cell_alike() -> None:
    h, states = two_cells()
    result = reference_step(h, states, strategy=GLOBAL)
    assert result.balances == {"cell-0": Balance.OVERSUPPLIED, "cell-1": Balance.UNDERSUPPLIED}
    assert result.aggregates["coordinator"].balance == 1.0
    assert result.plan.production_delta == -1.0
    # one sixth of each generator's downward headroom: the deficit cell curtails too
    assert result.targets["cell-0.gen-0"].production.current == pytest.approx(5.0 - 5.0 / 6)
    assert result.targets["cell-1.gen-0"].production.current == pytest.approx(1.0 - 1.0 / 6)
    assert result.targets["cell-0.load-0"] == states["cell-0.load-0"]
    # the residuals net between the cells: cell-0 exports to cell-1
    cell_0, cell_1 = result.cells["cell-0"].plan, result.cells["cell-1"].plan
    assert cell_0.exchange == pytest.approx(3.0 - 5.0 / 6)
    assert cell_1.exchange == pytest.approx(-(3.0 - 5.0 / 6))
    assert (cell_0.grid, cell_1.grid, cell_0.unresolved) == pytest.approx((0, 0, 0), abs=1e-12)
    assert not result.converged


def test_cellular_balances_each_cell_itself_and_imports_only_the_rest() -> None:
    h, states = two_cells()
    result = reference_step(h, states)  # cellular is the default
    surplus, deficit = result.cells["cell-0"], result.cells["cell-1"]
    assert surplus.plan.production_delta == -3.0  # curtails its own surplus
    assert (surplus.plan.exchange, surplus.plan.grid) == (0.0, 0.0)
    assert surplus.balance is Balance.BALANCED
    assert deficit.plan.consumption_delta == -1.0  # sheds what it can ...
    assert deficit.plan.grid == -1.0  # ... and imports the rest
    assert deficit.balance is Balance.UNDERSUPPLIED
    assert result.targets["cell-1.gen-0"] == states["cell-1.gen-0"]  # never curtailed
    assert result.plan.exchange == -1.0


def test_cell_interfaces_limit_what_cells_exchange_and_the_rest_is_unresolved() -> None:
    h, states = two_cells()
    config = StepConfig(interfaces={"cell-1": ExchangeLimits(import_max=0.25)})
    result = reference_step(h, states, config)
    deficit = result.cells["cell-1"].plan
    assert (deficit.grid, deficit.unresolved) == (-0.25, -0.75)
    with pytest.raises(ConfigurationError, match="interfaces name 1 id"):
        reference_step(h, states, StepConfig(interfaces={"cell-9": ExchangeLimits()}))


@pytest.mark.parametrize("between", ["global", "cellular", "optimal"])
def test_applying_the_targets_converges_on_the_next_iteration(between) -> None:
    h, states = two_cells()
    strategy = Strategy.of(between)
    first = reference_step(h, states, strategy=strategy)
    second = reference_step(h, dict(first.targets), strategy=strategy)
    assert second.converged


def test_grid_limits_and_merit_order_reach_the_plan() -> None:
    h, states = two_cells()
    export_first = (Resource.EXCHANGE, Resource.PRODUCTION, Resource.CONSUMPTION)
    config = StepConfig(limits=ExchangeLimits(export_max=0.25), merit_order=export_first)
    result = reference_step(h, states, config, GLOBAL)
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


@pytest.mark.parametrize("between", ["global", "cellular", "optimal"])
def test_units_that_scale_to_their_targets_converge_in_the_next_iteration(between) -> None:
    """Units carry out ``scale_factor = target / present`` and land a few ulps beside an
    exhausted band's edge; that rounding is no flexibility to order again."""
    from massca.model import Flexibility

    hierarchy = cells_hierarchy(cells=5, depth=1)
    strategy = Strategy.of(between)
    for step in range(8):
        states = synthetic_states(hierarchy, seed=1, step=step)
        first = reference_step(hierarchy, states, strategy=strategy)
        reported = {}
        for unit, state in states.items():
            bands = []
            for band in ("production", "consumption"):
                before, after = getattr(state, band), getattr(first.targets[unit], band)
                factor = after.current / before.current if before.current else 1.0
                current = min(max(before.current * factor, before.min), before.max)
                bands.append(Flexibility(before.min, before.max, current))
            reported[unit] = State(*bands)
        assert reference_step(hierarchy, reported, strategy=strategy).converged, step
