"""The scenario's list-valued simulators: a ``Units`` group and a ``Batteries`` bank
behave as their units and batteries would one entity each."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from massca.model import ConfigurationError, InvalidStateError
from massca.scenario.batteries import PARAMETERS, BatterySimulator
from massca.scenario.profiles import Profiles
from massca.scenario.units import UnitSimulator

PROFILES = Profiles(
    datetime(2016, 6, 1), {"pv": np.array([0.5, 1.0]), "residential": np.array([0.2, 0.4])}
)
UNITS = [
    {"kind": "pv", "rating": 2.0, "profile": "pv"},
    {"kind": "load", "rating": 10.0, "profile": "residential", "flexibility": 0.1},
    {"kind": "dispatchable", "rating": 0.5},
]


def units_sim() -> tuple[UnitSimulator, str]:
    sim = UnitSimulator()
    sim.init("Units-0", profiles=PROFILES, step_size=900)
    return sim, sim.create(1, "Units", units=UNITS)[0]["eid"]


def test_a_units_group_reports_each_units_output_and_band() -> None:
    sim, eid = units_sim()
    sim.step(900, {}, 10**9)  # the second slot
    assert sim.get_data({eid: ["P[MW]", "P_min[MW]", "P_max[MW]", "P_gen[MW]", "P_load[MW]"]}) == {
        eid: {
            "P[MW]": [2.0, 4.0, 0.0],  # PV at its rating, the load at 0.4 x 10 MW, CHP standby
            "P_min[MW]": [0.0, pytest.approx(3.6), 0.0],
            "P_max[MW]": [2.0, pytest.approx(4.4), 0.5],
            "P_gen[MW]": [2.0, 0.0, 0.0],
            "P_load[MW]": [0.0, 4.0, 0.0],
        }
    }


def test_set_points_are_clamped_into_each_band_and_the_next_step_starts_afresh() -> None:
    sim, eid = units_sim()
    sim.step(0, {}, 10**9)
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_0": [0.25, 9.0, 0.3]}}}, 10**9)
    assert sim.get_data({eid: ["P[MW]"]})[eid]["P[MW]"] == [0.25, pytest.approx(2.2), 0.3]
    sim.step(900, {}, 10**9)
    assert sim.get_data({eid: ["P[MW]"]})[eid]["P[MW]"] == [2.0, 4.0, 0.0]


@pytest.mark.parametrize(
    ("units", "said"),
    [
        ([], "give a non-empty list of units"),
        ([{"kind": "hydro", "rating": 1.0}], "Units unit 0: .* needs a kind of"),
        ([{"kind": "pv", "rating": -1.0, "profile": "pv"}], "rating = -1.0, give MW >= 0"),
        ([{"kind": "pv", "rating": 1.0, "profile": "sun"}], "unknown profile 'sun'"),
    ],
)
def test_a_bad_units_group_is_named(units, said) -> None:
    sim = UnitSimulator()
    sim.init("Units-0", profiles=PROFILES)
    with pytest.raises(ConfigurationError, match=said):
        sim.create(1, "Units", units=units)


BATTERIES = [
    {"capacity": 1.0, "soc": 0.5, "charge_max": 1.0, "discharge_max": 1.0},
    {
        "capacity": 2.0,
        "soc": 0.9,
        "charge_max": 0.5,
        "discharge_max": 2.0,
        "charge_efficiency": 0.9,
    },
]


def test_a_bank_behaves_as_its_batteries_one_entity_each() -> None:
    bank, single = BatterySimulator(), BatterySimulator()
    for sim in (bank, single):
        sim.init("Batteries-0", step_size=900)
    (listed,) = bank.create(1, "Batteries", batteries=BATTERIES)
    alone = [single.create(1, "Battery", **b)[0]["eid"] for b in BATTERIES]
    attrs = ["P[MW]", "P_discharge[MW]", "P_charge[MW]", "soc", "E[MWh]", *PARAMETERS]
    for time, powers in ((0, [-0.8, 1.5]), (900, [0.9, -3.0]), (1800, [0.0, 0.0])):
        for sim in (bank, single):
            sim.step(time, {}, 10**9)
        bank.step(time, {listed["eid"]: {"P_target[MW]": {"MAS-0.Units_1": powers}}}, 10**9)
        for eid, power in zip(alone, powers, strict=True):
            single.step(time, {eid: {"P_target[MW]": {"MAS-0.Agent_1": power}}}, 10**9)
        lists = bank.get_data({listed["eid"]: attrs})[listed["eid"]]
        values = single.get_data(dict.fromkeys(alone, attrs))
        for attr in attrs:
            assert lists[attr] == [values[eid][attr] for eid in alone]


def test_a_bad_bank_names_the_battery() -> None:
    sim = BatterySimulator()
    sim.init("Batteries-0")
    with pytest.raises(InvalidStateError, match=r"battery Batteries-0\[1\]: storage capacity"):
        sim.create(1, "Batteries", batteries=[BATTERIES[0], {**BATTERIES[0], "capacity": 0.0}])
    with pytest.raises(ConfigurationError, match=r"battery Batteries-0\[0\]: no charge_max"):
        sim.create(1, "Batteries", batteries=[{"capacity": 1.0, "soc": 0.5, "discharge_max": 1.0}])


def test_a_units_group_forecasts_its_next_slots_from_its_profiles() -> None:
    sim = UnitSimulator()
    sim.init("Units-0", profiles=PROFILES, step_size=900, horizon=3)
    eid = sim.create(1, "Units", units=UNITS)[0]["eid"]
    sim.step(0, {}, 10**9)
    (pv, load, chp) = sim.get_data({eid: ["forecast"]})[eid]["forecast"]
    assert pv == [[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]  # slot 1, then past the end: slot 1 again
    assert load[0] == [pytest.approx(3.6), pytest.approx(4.4), 4.0]
    assert chp == [[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]]  # standby, able to run up to its rating
    with pytest.raises(ConfigurationError, match="horizon = 0"):
        UnitSimulator().init("Units-1", profiles=PROFILES, horizon=0)


UNIT_REPORT = ["P[MW]", "P_min[MW]", "P_max[MW]", "P_gen[MW]", "P_load[MW]"]


@pytest.mark.parametrize("by_exception", [False, True])
def test_units_that_carried_out_their_set_points_exactly_report_only_injections(
    by_exception,
) -> None:
    sim = UnitSimulator()
    sim.init("Units-0", profiles=PROFILES, step_size=900, report_by_exception=by_exception)
    eid = sim.create(1, "Units", units=UNITS)[0]["eid"]
    sim.step(0, {}, 10**9)
    assert set(sim.get_data({eid: UNIT_REPORT})[eid]) == set(UNIT_REPORT)  # a new step
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_0": [0.25, 2.0, 0.3]}}}, 10**9)
    reported = sim.get_data({eid: UNIT_REPORT})[eid]
    if by_exception:  # within every band: the MAS knows all of it
        assert reported == {"P_gen[MW]": [0.25, 0.0, 0.3], "P_load[MW]": [0.0, 2.0, 0.0]}
    else:
        assert set(reported) == set(UNIT_REPORT)
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_0": [0.25, 9.0, 0.3]}}}, 10**9)
    assert set(sim.get_data({eid: UNIT_REPORT})[eid]) == set(UNIT_REPORT)  # clamped: reports
    sim.step(900, {}, 10**9)
    assert set(sim.get_data({eid: UNIT_REPORT})[eid]) == set(UNIT_REPORT)


def test_batteries_that_hold_their_set_points_exactly_report_only_injections() -> None:
    sim = BatterySimulator()
    sim.init("Batteries-0", step_size=900, report_by_exception=True)
    (bank,) = sim.create(1, "Batteries", batteries=BATTERIES)
    eid = bank["eid"]
    attrs = ["P[MW]", "P_discharge[MW]", "P_charge[MW]", "soc", "E[MWh]", *PARAMETERS]
    sim.step(0, {}, 10**9)
    assert set(sim.get_data({eid: attrs})[eid]) == set(attrs)
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_1": [-0.5, 1.0]}}}, 10**9)
    assert sim.get_data({eid: attrs})[eid] == {
        "P_discharge[MW]": [0.0, 1.0],
        "P_charge[MW]": [0.5, 0.0],
    }
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_1": [-0.5, -3.0]}}}, 10**9)
    assert set(sim.get_data({eid: attrs})[eid]) == set(attrs)  # the second is clamped


def test_reporting_by_exception_makes_all_but_the_injections_events() -> None:
    from massca.scenario.reporting import by_exception
    from massca.scenario.units import META

    meta = by_exception(META, ("P_gen[MW]", "P_load[MW]"))
    model = meta["models"]["Units"]
    assert model["persistent"] == ["P_gen[MW]", "P_load[MW]"]
    assert set(model["non-persistent"]) | set(model["persistent"]) == set(model["attrs"])
    assert "persistent" not in META["models"]["Units"]  # the module's meta stays as it is


def test_a_set_point_a_rounding_error_beyond_the_band_is_held_as_asked() -> None:
    """The MAS computes a battery's band from its reported state of charge, which can
    move the band's edge by a rounding error; that is no request beyond the band."""
    from massca.model import storage_band

    sim = BatterySimulator()
    sim.init("Batteries-0", step_size=900, report_by_exception=True)
    (bank,) = sim.create(1, "Batteries", batteries=BATTERIES)
    eid = bank["eid"]
    sim.step(0, {}, 10**9)
    edge = storage_band(sim.banks[eid][1], 0.25).max  # 2.0 MW: the second battery's limit
    beside = edge * (1 + 4e-16)  # a rounding error above
    assert beside > edge
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_1": [0.0, beside]}}}, 10**9)
    assert sim.powers[eid][1] == beside
    assert set(sim.get_data({eid: ["P[MW]", "P_discharge[MW]"]})[eid]) == {"P_discharge[MW]"}
    sim.step(0, {eid: {"P_target[MW]": {"MAS-0.Units_1": [0.0, edge + 1e-6]}}}, 10**9)
    assert sim.powers[eid][1] == edge  # beyond it: clamped
