"""A battery's parameters, its band and its state-of-charge update, and bad input."""

from __future__ import annotations

import math

import pytest

from massca.model import (
    Band,
    InvalidStateError,
    MasscaError,
    State,
    Storage,
    aggregate,
    charged,
    storage_band,
)


def battery(**changes: float) -> Storage:
    fields = {"capacity": 2.0, "content": 1.0, "charge_max": 1.0, "discharge_max": 1.0}
    fields.update(changes)
    return Storage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": 0.0}, "capacity = 0.0: must be > 0 MWh"),
        ({"capacity": -1.0}, "capacity = -1.0: must be > 0 MWh"),
        ({"charge_efficiency": 0.0}, "charge_efficiency = 0.0: must be in (0, 1]"),
        ({"discharge_efficiency": 1.5}, "discharge_efficiency = 1.5: must be in (0, 1]"),
        ({"content": 2.5}, "state of charge 1.25) lies outside"),
        ({"soc_min": 0.6}, "state of charge 0.5) lies outside [soc_min, soc_max] = [0.6, 1.0]"),
        ({"soc_min": 0.8, "soc_max": 0.2}, "need 0 <= soc_min <= soc_max <= 1"),
        ({"content": math.nan}, "content = nan: must be a finite number"),
        ({"charge_max": -1.0}, "charge_max = -1.0: must be >= 0 MW"),
        ({"power": math.inf}, "power = inf: must be a finite number"),
    ],
)
def test_a_bad_battery_is_refused_naming_the_field(changes, message) -> None:
    with pytest.raises(InvalidStateError, match="storage") as caught:
        battery(**changes)
    assert message in str(caught.value)
    assert isinstance(caught.value, MasscaError)


def test_the_band_follows_the_state_of_charge_power_limits_and_efficiencies() -> None:
    # 1 MWh above empty, 1 MWh below full, a quarter hour, 90 % each way
    half = battery(charge_efficiency=0.9, discharge_efficiency=0.9, capacity=2.0)
    assert storage_band(half, 0.25) == Band(-1.0, 1.0, 0.0)  # the power limits bind
    assert storage_band(half, 2.0) == Band(-1.0 / (0.9 * 2.0), 0.9 / 2.0, 0.0)  # the energy
    assert storage_band(battery(content=2.0), 0.25).min == 0.0  # full: cannot charge
    assert storage_band(battery(content=0.0), 0.25).max == 0.0  # empty: cannot discharge
    # a battery that was charging and is now full holds 0 MW
    assert storage_band(battery(content=2.0, power=-0.7), 0.25).current == 0.0


def test_charging_and_discharging_apply_the_efficiencies_on_the_way_in_and_out() -> None:
    lossy = battery(charge_efficiency=0.8, discharge_efficiency=0.5)
    assert charged(lossy, -1.0, 0.5).content == pytest.approx(1.0 + 0.5 * 0.8)
    assert charged(lossy, 1.0, 0.5).content == pytest.approx(1.0 - 0.5 / 0.5)
    beyond = charged(lossy, 5.0, 0.25)  # beyond the power limit: held at 1 MW
    assert beyond.power == 1.0
    assert charged(battery(content=0.0), 1.0, 1.0).power == 0.0  # empty: nothing out


@pytest.mark.parametrize("hours", [0.0, -1.0, math.nan, math.inf])
def test_a_step_length_must_be_positive_and_finite(hours: float) -> None:
    with pytest.raises(InvalidStateError, match="step length"):
        storage_band(battery(), hours)
    with pytest.raises(InvalidStateError, match="step length"):
        charged(battery(), 0.0, hours)


def test_a_state_with_storage_balances_and_aggregates_signed() -> None:
    charging = State.of(production=(0.0, 3.0, 3.0), storage=(-1.0, 1.0, -0.5))
    assert charging.balance == 2.5
    total = aggregate([charging, State.of(storage=(-2.0, 0.0, -1.0))])
    assert total.storage == Band(-3.0, 1.0, -1.5)
    with pytest.raises(InvalidStateError, match=r"storage\.current = 2\.0 lies outside"):
        State.of(storage=(-1.0, 1.0, 2.0))
