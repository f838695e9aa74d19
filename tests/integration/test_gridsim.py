"""The recycling grid simulator writes what mosaik-pandapower-2 writes and solves to the
same power flow within pandapower's tolerance, step after step."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
from mosaik_components.pandapower.simulator import Simulator

from massca.model import ConfigurationError
from massca.scenario.grid import build_grid
from massca.scenario.gridsim import RecyclingGrid


def started(kind: type, net):
    sim = kind()
    sim.init("Grid-0", 1.0, step_size=900)
    grid = sim.create(1, "Grid", net=copy.deepcopy(net))[0]
    buses = [c["eid"] for c in grid["children"] if c["eid"].startswith("Bus-")]
    sim.setup_done()
    return sim, buses


def random_inputs(rng: random.Random, buses: list[str]) -> dict:
    return {
        bus: {
            "P_load[MW]": {"Units-0.a": rng.uniform(0, 2), "Units-0.b": rng.uniform(0, 1)},
            "P_gen[MW]": {"Units-0.c": rng.uniform(0, 3)},
        }
        for bus in rng.sample(buses, k=len(buses) // 2)
    }


SLACK = {"ExternalGrid-0": ["P[MW]", "Q[MVar]"]}


def test_the_recycled_power_flow_matches_the_full_one_step_after_step() -> None:
    net, _ = build_grid(3)
    original, buses = started(Simulator, net)
    recycling, same_buses = started(RecyclingGrid, net)
    assert buses == same_buses
    outputs = {**SLACK, buses[5]: ["Vm[pu]"], "Line-3": ["loading[%]"]}
    rng = random.Random(7)
    for step in range(6):
        inputs = random_inputs(rng, buses)
        original.step(step * 900, inputs, 10**9)
        recycling.step(step * 900, inputs, 10**9)
        assert original.get_data(outputs).keys() == recycling.get_data(outputs).keys()
        a, b = original._net, recycling._net
        assert a.load.p_mw.equals(b.load.p_mw)  # the same inputs, written the same
        assert a.sgen.p_mw.equals(b.sgen.p_mw)
        assert np.abs(a.res_bus.vm_pu - b.res_bus.vm_pu).max() < 1e-7
        assert np.abs(a.res_ext_grid.p_mw - b.res_ext_grid.p_mw).max() < 1e-6
        assert np.abs(a.res_line.loading_percent - b.res_line.loading_percent).max() < 1e-4


def test_steps_read_for_the_external_grid_alone_solve_voltages_only_to_the_same_power() -> None:
    net, _ = build_grid(3)
    full, buses = started(RecyclingGrid, net)
    lean, _ = started(RecyclingGrid, net)
    rng = random.Random(11)
    for step in range(5):
        inputs = random_inputs(rng, buses)
        full.step(step * 900, inputs, 10**9)
        lean.step(step * 900, inputs, 10**9)
        full.get_data({**SLACK, buses[0]: ["Vm[pu]"]})  # asks for more: every table
        got, expected = lean.get_data(SLACK), full.get_data(SLACK)
        for attr in SLACK["ExternalGrid-0"]:  # the full one ran one more iteration
            assert got["ExternalGrid-0"][attr] == pytest.approx(
                expected["ExternalGrid-0"][attr], rel=0, abs=1e-9
            )
    assert lean._voltages_only
    stale = lean._net.res_bus.vm_pu.copy()  # written by the first power flow only
    assert not stale.equals(full._net.res_bus.vm_pu)
    # a request for anything else writes this step's tables, and every later step's
    vm = lean.get_data({buses[0]: ["Vm[pu]"]})[buses[0]]["Vm[pu]"]
    assert vm == pytest.approx(full.get_data({buses[0]: ["Vm[pu]"]})[buses[0]]["Vm[pu]"], abs=1e-9)
    assert not lean._voltages_only
    assert np.abs(lean._net.res_bus.vm_pu - full._net.res_bus.vm_pu).max() < 1e-9
    lean.step(5 * 900, {}, 10**9)
    assert not lean._net.res_bus.vm_pu.equals(stale)


def test_a_grid_the_shortcut_does_not_hold_for_writes_every_table() -> None:
    net, _ = build_grid(1)
    import pandapower as pp

    pp.create_ext_grid(net, bus=int(net.bus.index[-1]), vm_pu=1.0)  # a second slack
    sim, _ = started(RecyclingGrid, net)
    sim.step(0, {}, 10**9)
    assert not sim._voltages_only


def test_a_power_flow_that_does_not_converge_in_a_voltages_only_step_raises() -> None:
    from pandapower.auxiliary import LoadflowNotConverged

    net, _ = build_grid(1)
    sim, buses = started(RecyclingGrid, net)
    sim.step(0, {}, 10**9)
    assert sim._voltages_only
    overload = {bus: {"P_load[MW]": {"Units-0.a": 1e5}} for bus in buses}
    with pytest.raises(LoadflowNotConverged, match="did not converge"):
        sim.step(900, overload, 10**9)


def test_switching_elements_after_the_first_power_flow_is_refused() -> None:
    net, _ = build_grid(1)
    sim, _ = started(RecyclingGrid, net)
    sim.disable_elements(["Load-0"])  # before the first power flow: fine
    sim.step(0, {}, 10**9)
    with pytest.raises(ValueError, match="cannot enable elements after the first power flow"):
        sim.enable_elements(["Load-0"])


def test_injections_lists_write_what_the_buses_inputs_write() -> None:
    net, _ = build_grid(2)
    by_bus, buses = started(RecyclingGrid, net)
    by_list, _ = started(RecyclingGrid, net)
    chosen = [int(b.split("-")[1]) for b in buses[3:9]] + [int(buses[3].split("-")[1])]
    injections = by_list.create(1, "Injections", buses=chosen)[0]["eid"]
    gen = [0.5, 1.0, 0.0, 2.0, 0.25, 0.0, 0.75]  # the last on the first bus again: adds up
    load = [1.0, 0.0, 3.0, 0.5, 0.0, 1.5, 0.25]
    by_list.step(
        0, {injections: {"P_gen[MW]": {"Units-0.u": gen}, "P_load[MW]": {"Units-0.u": load}}}, 10**9
    )
    per_bus = {}
    for bus, generated, consumed in zip(chosen, gen, load, strict=True):
        data = per_bus.setdefault(f"Bus-{bus}", {"P_gen[MW]": {}, "P_load[MW]": {}})
        data["P_gen[MW]"][f"Units-0.{len(data['P_gen[MW]'])}"] = generated
        data["P_load[MW]"][f"Units-0.{len(data['P_load[MW]'])}"] = consumed
    by_bus.step(0, per_bus, 10**9)
    assert by_list._net.sgen.p_mw.equals(by_bus._net.sgen.p_mw)
    assert by_list._net.load.p_mw.equals(by_bus._net.load.p_mw)
    assert by_list._net.res_ext_grid.p_mw.equals(by_bus._net.res_ext_grid.p_mw)


def test_bad_injections_are_named() -> None:
    net, _ = build_grid(1)
    sim, _ = started(RecyclingGrid, net)
    with pytest.raises(ConfigurationError, match=r"Injections: no bus \[999\] in the grid"):
        sim.create(1, "Injections", buses=[1, 999])
    eid = sim.create(1, "Injections", buses=[1, 2])[0]["eid"]
    with pytest.raises(
        ConfigurationError, match=r"Injections-0: P_gen\[MW\] has 1 values for 2 buses"
    ):
        sim.step(0, {eid: {"P_gen[MW]": {"Units-0.u": [1.0]}}}, 10**9)
