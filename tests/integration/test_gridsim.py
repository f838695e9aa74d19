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


def test_the_recycled_power_flow_matches_the_full_one_step_after_step() -> None:
    net, _ = build_grid(3)
    original, buses = started(Simulator, net)
    recycling, same_buses = started(RecyclingGrid, net)
    assert buses == same_buses
    rng = random.Random(7)
    for step in range(6):
        inputs = {
            bus: {
                "P_load[MW]": {"Units-0.a": rng.uniform(0, 2), "Units-0.b": rng.uniform(0, 1)},
                "P_gen[MW]": {"Units-0.c": rng.uniform(0, 3)},
            }
            for bus in rng.sample(buses, k=len(buses) // 2)
        }
        original.step(step * 900, inputs, 10**9)
        recycling.step(step * 900, inputs, 10**9)
        a, b = original._net, recycling._net
        assert a.load.p_mw.equals(b.load.p_mw)  # the same inputs, written the same
        assert a.sgen.p_mw.equals(b.sgen.p_mw)
        assert np.abs(a.res_bus.vm_pu - b.res_bus.vm_pu).max() < 1e-7
        assert np.abs(a.res_ext_grid.p_mw - b.res_ext_grid.p_mw).max() < 1e-6
        assert np.abs(a.res_line.loading_percent - b.res_line.loading_percent).max() < 1e-4


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


def test_numba_is_used_only_where_it_pays_off_over_the_run(monkeypatch) -> None:
    import pandapower as pp

    from massca.scenario.gridsim import numba_pays_off

    monkeypatch.setattr(pp, "NUMBA_INSTALLED", True)
    assert not numba_pays_off(2, 96)  # the default day: compiling costs more than it saves
    assert numba_pays_off(50, 96 * 3)  # three days of 50 cells
    assert numba_pays_off(2, 96 * 11)
    monkeypatch.setattr(pp, "NUMBA_INSTALLED", False)
    assert not numba_pays_off(50, 96 * 365)
    sim = RecyclingGrid()
    sim.init("Grid-0", 1.0, step_size=900, numba=True)
    assert sim._numba is False  # asked for, but not installed
