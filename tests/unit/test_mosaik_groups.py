"""Unit groups: bad inputs name the group or the member, outputs are lists in member
order and set-points only while the MAS emits them."""

from __future__ import annotations

import math
import re

import pytest

from massca.compat.mosaik.groups import UnitGroup, group_outputs, read_forecast, read_group
from massca.model import ConfigurationError, Flexibility, InvalidStateError, State

GROUP = UnitGroup("Units_0", ("Agent_3", "Agent_4"), ("production", "consumption"))
SRC = "Sim-0.units-0"


def read(data: dict, group: UnitGroup = GROUP) -> dict:
    into: dict = {}
    read_group(group, data, 0.25, 900, into)
    return into


def test_members_get_their_states_in_list_order() -> None:
    into = read(
        {
            "current": {SRC: [2.0, -1.0]},  # magnitudes: a load may report negative power
            "min": {SRC: [0.0, 0.5]},
            "max": {SRC: [3.0, 1.5]},
        }
    )
    assert into == {
        "Agent_3": State(production=Flexibility(0.0, 3.0, 2.0)),
        "Agent_4": State(consumption=Flexibility(0.5, 1.5, 1.0)),
    }


def test_without_a_band_a_member_has_no_flexibility() -> None:
    into = read({"current": {SRC: [2.0, 1.0]}})
    assert into["Agent_3"] == State(production=Flexibility(2.0, 2.0, 2.0))


@pytest.mark.parametrize(
    ("data", "error", "said"),
    [
        (
            {"current": {SRC: [1.0]}},
            ConfigurationError,
            "unit group 'Units_0' at time 900: current from 'Sim-0.units-0' has 1 values for "
            "2 units",
        ),
        (
            {"current": {SRC: 1.0}},
            ConfigurationError,
            "unit group 'Units_0' at time 900: current from 'Sim-0.units-0' is float, not a "
            "list with one value per unit",
        ),
        (
            {"current": {SRC: [1.0, 1.0], "Sim-0.units-1": [1.0, 1.0]}},
            ConfigurationError,
            "unit group 'Units_0': current comes from ['Sim-0.units-0', 'Sim-0.units-1']; "
            "connect one list per attribute",
        ),
        (
            {"current": {SRC: [1.0, 1.0]}, "min": {SRC: [0.0, 0.0]}},
            ConfigurationError,
            "unit group 'Units_0': connect both 'min' and 'max' or neither",
        ),
        (
            {"current": {SRC: [1.0, math.nan]}},
            InvalidStateError,
            "unit agent 'Agent_4' at time 900: current from 'Sim-0.units-0' is nan; every "
            "measurement must be a finite number of MW",
        ),
        (
            {"current": {SRC: [5.0, 1.0]}, "min": {SRC: [0.0, 0.0]}, "max": {SRC: [4.0, 2.0]}},
            InvalidStateError,
            "unit agent 'Agent_3' at time 900: current = 5.0 lies outside [min, max] = "
            "[0.0, 4.0]: widen the band or report the measurement inside it",
        ),
    ],
)
def test_a_bad_input_names_the_group_or_the_member(data, error, said) -> None:
    with pytest.raises(error) as caught:
        read(data)
    assert str(caught.value) == said


def test_a_storage_group_reads_each_battery() -> None:
    group = UnitGroup("Units_1", ("Agent_5", "Agent_6"), ("storage", "storage"))
    into = read(
        {
            "current": {SRC: [0.0, 0.0]},
            "soc": {SRC: [0.5, 1.0]},
            "capacity": {SRC: [2.0, 2.0]},
            "charge_max": {SRC: [1.0, 1.0]},
            "discharge_max": {SRC: [1.0, 1.0]},
        },
        group,
    )
    assert into["Agent_5"].storage.min == -1.0  # half full: it may charge at full power
    assert into["Agent_6"].storage.min == 0.0  # full: it may not charge
    with pytest.raises(ConfigurationError, match="storage unit agent 'Agent_5' at time 900: no"):
        read({"current": {SRC: [0.0, 0.0]}}, group)


def test_outputs_are_lists_in_member_order_and_set_points_only_when_emitted() -> None:
    measured = {
        "Agent_3": State(production=Flexibility(0.0, 3.0, 2.0)),
        "Agent_4": State(consumption=Flexibility(0.5, 1.5, 1.0)),
    }
    targets = {
        "Agent_3": State(production=Flexibility(0.0, 3.0, 1.0)),
        "Agent_4": State(consumption=Flexibility(0.5, 1.5, 1.5)),
    }
    attrs = ["P_target[MW]", "scale_factor", "current"]
    assert group_outputs(GROUP, attrs, measured, targets, True) == {
        "P_target[MW]": [1.0, 1.5],
        "scale_factor": [0.5, 1.5],
        "current": [2.0, 1.0],
    }
    assert group_outputs(GROUP, attrs, measured, targets, False) == {"current": [2.0, 1.0]}


def test_a_forecast_gives_each_member_a_state_per_later_interval() -> None:
    into: dict = {}
    forecast = [[[0.0, 3.0, 2.5], [0.0, 3.0, 1.0]], [[0.5, 1.5, 1.0], [0.5, 1.5, 1.5]]]
    read_forecast(GROUP, {"forecast": {SRC: forecast}}, 900, into)
    assert into == {
        "Agent_3": (
            State(production=Flexibility(0.0, 3.0, 2.5)),
            State(production=Flexibility(0.0, 3.0, 1.0)),
        ),
        "Agent_4": (
            State(consumption=Flexibility(0.5, 1.5, 1.0)),
            State(consumption=Flexibility(0.5, 1.5, 1.5)),
        ),
    }


@pytest.mark.parametrize(
    ("forecast", "said"),
    [
        ([[], 3.0], "the forecast of 'Agent_4' from 'Sim-0.units-0' is 3.0, not a list"),
        ([[[0.0, 1.0]], []], "interval 1 of the forecast of 'Agent_3' is [0.0, 1.0]"),
        ([[[0.0, 1.0, math.inf]], []], "forecast[1] current from 'Sim-0.units-0' is inf"),
    ],
)
def test_a_bad_forecast_names_the_member_and_the_interval(forecast, said) -> None:
    with pytest.raises((ConfigurationError, InvalidStateError), match=re.escape(said)):
        read_forecast(GROUP, {"forecast": {SRC: forecast}}, 900, {})
    storage = UnitGroup("Units_1", ("Agent_5",), ("storage",))
    with pytest.raises(ConfigurationError, match="a storage group takes no forecast"):
        read_forecast(storage, {"forecast": {SRC: [[]]}}, 900, {})
