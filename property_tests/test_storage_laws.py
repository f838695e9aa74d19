"""Laws of storage: the state of charge never leaves its bounds, energy accounting
closes, a full battery is never told to charge and an empty one never to discharge, under
every strategy."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from massca.model import (
    BETWEEN_CELLS,
    WITHIN_CELL,
    Flexibility,
    State,
    StepConfig,
    Storage,
    Strategy,
    cells_hierarchy,
    charged,
    reference_step,
    storage_band,
)

fractions = st.floats(0.0, 1.0)
efficiencies = st.floats(0.05, 1.0)
powers = st.floats(-50.0, 50.0)
hours = st.floats(1 / 3600, 24.0)


@st.composite
def batteries(draw: st.DrawFn) -> Storage:
    capacity = draw(st.floats(0.01, 100.0))
    low, high = sorted([draw(fractions), draw(fractions)])
    soc = draw(st.one_of(st.just(low), st.just(high), st.floats(low, high)))
    return Storage(
        capacity,
        min(max(soc * capacity, low * capacity), high * capacity),
        charge_max=draw(st.floats(0.0, 20.0)),
        discharge_max=draw(st.floats(0.0, 20.0)),
        soc_min=low,
        soc_max=high,
        charge_efficiency=draw(efficiencies),
        discharge_efficiency=draw(efficiencies),
        power=draw(powers),
    )


@given(batteries(), st.lists(st.tuples(powers, hours), min_size=1, max_size=30))
def test_the_state_of_charge_stays_in_bounds_and_energy_accounting_closes(
    battery: Storage, steps: list[tuple[float, float]]
) -> None:
    for power, length in steps:
        band = storage_band(battery, length)
        after = charged(battery, power, length)
        assert after.lowest <= after.content <= after.highest
        assert band.min <= after.power <= band.max  # the set-point, within its limits
        assert -battery.charge_max <= after.power <= battery.discharge_max
        into = max(-after.power, 0.0) * length  # MWh drawn from the grid
        out = max(after.power, 0.0) * length  # MWh delivered to the grid
        change = into * battery.charge_efficiency - out / battery.discharge_efficiency
        assert math.isclose(
            after.content - battery.content, change, rel_tol=1e-9, abs_tol=1e-9 * battery.capacity
        )
        battery = after


@given(batteries(), powers, hours)
def test_a_set_point_inside_the_band_is_obeyed_exactly(
    battery: Storage, power: float, length: float
) -> None:
    band = storage_band(battery, length)
    wanted = min(max(power, band.min), band.max)
    assert charged(battery, wanted, length).power == wanted


@given(batteries(), hours)
def test_a_full_battery_cannot_charge_and_an_empty_one_cannot_discharge(
    battery: Storage, length: float
) -> None:
    band = storage_band(battery, length)
    assert band.min <= band.current <= band.max
    if battery.content >= battery.highest:
        assert band.min == 0.0
    if battery.content <= battery.lowest:
        assert band.max == 0.0


@given(
    batteries(),
    st.floats(-5.0, 5.0),
    st.sampled_from(BETWEEN_CELLS),
    st.sampled_from(WITHIN_CELL),
    st.sampled_from(["full", "empty"]),
)
def test_no_strategy_tells_a_full_battery_to_charge_or_an_empty_one_to_discharge(
    battery: Storage, net: float, between: str, within: str, level: str
) -> None:
    soc = battery.soc_max if level == "full" else battery.soc_min
    battery = Storage(
        battery.capacity,
        soc * battery.capacity,
        battery.charge_max,
        battery.discharge_max,
        battery.soc_min,
        battery.soc_max,
        battery.charge_efficiency,
        battery.discharge_efficiency,
        battery.power,
    )
    hierarchy = cells_hierarchy(1, depth=0, loads=0, generators=1, storage=1)
    storage_unit, other = hierarchy.units  # bat-0, gen-0
    # the other unit makes the cell's imbalance: a surplus calls for charging, a deficit
    # for discharging
    side = (0.0, abs(net), abs(net))
    states = {
        storage_unit: State(storage=storage_band(battery, 0.25)),
        other: State.of(production=side) if net > 0 else State.of(consumption=side),  # the gen
    }
    result = reference_step(hierarchy, states, StepConfig(), Strategy.of(between, within))
    told = result.targets[storage_unit].storage.current
    if level == "full":
        assert told >= 0.0
    else:
        assert told <= 0.0


def test_a_surplus_charges_the_battery_before_curtailing_and_a_deficit_discharges_it() -> None:
    hierarchy = cells_hierarchy(1, depth=0, loads=1, generators=1, storage=1)
    battery, pv, load = hierarchy.units  # bat-0, gen-0, load-0
    half = Storage(2.0, 1.0, charge_max=1.0, discharge_max=1.0)
    for pv_mw, load_mw, expected in ((3.0, 2.5, -0.5), (1.0, 1.8, 0.8), (4.0, 2.0, -1.0)):
        states = {
            battery: State(storage=storage_band(half, 0.25)),
            pv: State(production=Flexibility(0.0, pv_mw, pv_mw)),
            load: State(consumption=Flexibility(0.9 * load_mw, load_mw, load_mw)),
        }
        result = reference_step(hierarchy, states, StepConfig())
        assert result.targets[battery].storage.current == expected
        if pv_mw - load_mw > 1.0:  # more surplus than the battery takes: then curtail
            assert result.targets[pv].production.current == load_mw + 1.0
        else:
            assert result.targets[pv] == states[pv]


def test_a_deficit_beyond_the_battery_starts_a_dispatchable_unit_from_standby() -> None:
    hierarchy = cells_hierarchy(1, depth=0, loads=1, generators=1, storage=1)
    battery, chp, load = hierarchy.units  # bat-0, gen-0, load-0
    states = {
        battery: State(storage=storage_band(Storage(2.0, 1.0, 1.0, 1.0), 0.25)),
        chp: State(production=Flexibility(0.0, 2.0, 0.0)),  # standing by, up to 2 MW
        load: State(consumption=Flexibility(2.5, 2.5, 2.5)),  # fixed
    }
    for between in BETWEEN_CELLS:
        result = reference_step(hierarchy, states, StepConfig(), Strategy.of(between))
        assert result.targets[battery].storage.current == 1.0  # the battery first
        assert result.targets[chp].production.current == 1.5  # then upward production
        assert result.cells["cell-0"].plan.grid == 0.0
