"""Batteries in a real mosaik world: massca's battery simulator, storage unit agents, the
state of charge over the steps, and a log that replays with zero divergences."""

from __future__ import annotations

import mosaik
import pytest

from massca.actors import replay_file
from massca.compat.mosaik.convert import STORAGE_INPUTS
from massca.log import read_log
from massca.model import ConfigurationError, InvalidStateError

UNITS = "tests.integration.unitsim:UnitSim"
SIM_CONFIG = {
    "Units": {"python": UNITS},
    "Batteries": {"python": "massca.scenario.batteries:BatterySimulator"},
    "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
}
STEP = 900
PV = [3.0, 3.0, 3.0, 0.0, 0.0, 0.0]  # MW: a sunny hour, then night
LOAD = 2.0  # MW, fixed


def one_cell(runtime: str, log: str | None, **battery: float):
    """One cell: PV (curtailable), a fixed load and a 1 MW / 1 MWh battery at half charge."""
    world = mosaik.World(SIM_CONFIG)
    with world.group():
        massim = world.start("MAS", step_size=STEP, runtime=runtime, log=log)
        units = world.start("Units", step_size=STEP)
        batteries = world.start("Batteries", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    pv_agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="production")[0]
    pv = units.Unit(profile=PV, band=(0.0, 1.0))
    load_agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="consumption")[0]
    load = units.Unit(profile=[LOAD], band=(1.0, 1.0))
    for unit, agent in ((pv, pv_agent), (load, load_agent)):
        world.connect(unit, agent, ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max"))
        world.connect(agent, unit, "scale_factor", weak=True)
    parameters = {"capacity": 1.0, "soc": 0.5, "charge_max": 1.0, "discharge_max": 1.0}
    parameters.update(battery)
    bat = batteries.Battery(**parameters)
    bat_agent = massim.MosaikAgents.create(num=1, controller=cell.eid)[0]  # unit inferred
    world.connect(
        bat, bat_agent, ("P[MW]", "current"), *(a for a in STORAGE_INPUTS if a != "current")
    )
    world.connect(bat_agent, bat, "P_target[MW]", weak=True)
    return world, world.sims["Batteries-0"]._proxy.sim, bat.eid


@pytest.mark.parametrize("runtime", ["native", "mango"])
def test_a_battery_charges_from_surplus_discharges_into_deficit_and_the_log_replays(
    tmp_path, runtime
) -> None:
    log = tmp_path / "mas.jsonl"
    world, sim, eid = one_cell(runtime, str(log))
    socs = []
    powers = []
    original = sim.step

    def watched(time, inputs, max_advance):  # the battery's state as each time step begins
        result = original(time, inputs, max_advance)
        if not inputs:
            socs.append(sim.battery(eid).soc)
        else:
            powers.append((time, sim.battery(eid).power))
        return result

    sim.step = watched
    world.run(until=len(PV) * STEP, print_progress=False)
    world.shutdown()
    # 1 MW of surplus: the battery takes it (storage first), 0.25 MWh per quarter hour
    # until full; then 2 MW of deficit at night: it gives 1 MW until empty
    assert socs == pytest.approx([0.5, 0.75, 1.0, 1.0, 0.75, 0.5])
    last = dict(powers)
    assert [last[t * STEP] for t in range(len(PV))] == pytest.approx(
        [-1.0, -1.0, 0.0, 1.0, 1.0, 1.0]
    )
    contents = read_log(log)
    assert any("storage" in e.body for e in contents.events if e.kind == "answer")
    _, report = replay_file(log)
    assert report.ok, report.divergence
    assert report.steps == len(PV)


def test_a_storage_agent_without_its_battery_inputs_is_refused_naming_them(tmp_path) -> None:
    world = mosaik.World(SIM_CONFIG)
    with world.group():
        massim = world.start("MAS", step_size=STEP)
        batteries = world.start("Batteries", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    bat = batteries.Battery(capacity=1.0, soc=0.5, charge_max=1.0, discharge_max=1.0)
    agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="storage")[0]
    world.connect(bat, agent, ("P[MW]", "current"), "soc")
    with pytest.raises(ConfigurationError, match="no input capacity, charge_max, discharge_max"):
        world.run(until=STEP, print_progress=False)
    world.shutdown()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capacity", 0.0, "capacity = 0.0: must be > 0 MWh"),
        ("charge_efficiency", 1.2, "charge_efficiency = 1.2: must be in (0, 1]"),
        ("soc", 1.5, "lies outside [soc_min, soc_max]"),
        ("soc", float("nan"), "state of charge = nan"),
    ],
)
def test_a_bad_battery_is_refused_when_created_naming_it_and_the_field(
    field, value, message
) -> None:
    world = mosaik.World(SIM_CONFIG)
    batteries = world.start("Batteries", step_size=STEP)
    parameters = {"capacity": 1.0, "soc": 0.5, "charge_max": 1.0, "discharge_max": 1.0}
    parameters[field] = value
    with pytest.raises(InvalidStateError, match="battery Battery-0") as caught:
        batteries.Battery(**parameters)
    assert message in str(caught.value)
    world.shutdown()
