"""The MAS inside a real mosaik World, written as the prototype's README uses it."""

from __future__ import annotations

import contextlib
import copy
import gc
import math
import sys
import time

import mosaik
import pytest

from massca.actors import config_from_json, replay_file
from massca.compat.mosaik.convert import scale_factor
from massca.compat.mosaik.hooks import hooked_aggregation, hooked_strategy
from massca.errors import LogFormatError
from massca.log import read_log
from massca.model import Flexibility, State, Strategy, reference_step
from tests.integration.remote_hooks import input_method as measured_as_band

UNITS = "tests.integration.unitsim:UnitSim"
STEP = 900


def world_with(mas_starter: dict, cell_params: dict | None = None, **mas_config):
    """A seed-style scenario: coordinator, cell A (3 units at depth 1), cell B (2 units
    under two intermediate controllers, depth 3); ``cell_params`` go to the cells'
    create. Returns (world, unit sim, entities)."""
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": mas_starter})
    with world.group():
        massim = world.start("MAS", step_size=STEP, **mas_config)
        unitsim = world.start("Units", step_size=STEP)
    coordinator = massim.MosaikAgents()  # core agent for the mosaik communication
    cells = massim.MosaikAgents.create(num=2, controller=None, **(cell_params or {}))
    agents = []
    specs = [
        (cells[0].eid, "production", [5.0, 4.0, 6.0], (0.0, 1.0)),
        (cells[0].eid, "consumption", [1.0, 1.5, 2.0], (0.8, 1.2)),
        (cells[0].eid, "consumption", [1.0, 1.5, 2.0], (0.8, 1.2)),
    ]
    upper = massim.MosaikAgents.create(num=1, controller=cells[1].eid)[0]
    lower = massim.MosaikAgents.create(num=1, controller=upper.eid)[0]
    specs += [(lower.eid, "consumption", [2.0, 3.0], (0.5, 1.0))] * 2
    units = []
    for controller, band, profile, limits in specs:
        agent = massim.MosaikAgents.create(num=1, controller=controller, unit=band)[0]
        unit = unitsim.Unit(profile=profile, band=limits)
        world.connect(unit, agent, ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max"))
        world.connect(agent, unit, "scale_factor", weak=True)
        agents.append(agent)
        units.append(unit)
    return (
        world,
        unitsim,
        {
            "coordinator": coordinator,
            "cells": cells,
            "agents": agents,
            "units": units,
            "massim": massim,
        },
    )


LOCAL = {"python": "mosaik_components.mas:MosaikAgents"}


def world_with_groups(quiet_first=False, **mas_config):
    """`world_with`'s scenario with each controller's units as one unit group (model
    ``Units``) fed by one list-valued entity: the same agents, created in the same order.
    ``quiet_first``: the first group's entity reports by exception (model ``QuietUnits``).
    Returns (world, the groups, the units' entities)."""
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    with world.group():
        massim = world.start("MAS", step_size=STEP, **mas_config)
        unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    cells = massim.MosaikAgents.create(num=2, controller=None)
    upper = massim.MosaikAgents.create(num=1, controller=cells[1].eid)[0]
    lower = massim.MosaikAgents.create(num=1, controller=upper.eid)[0]
    specs = [
        (
            cells[0].eid,
            ["production", "consumption", "consumption"],
            [[5.0, 4.0, 6.0], [1.0, 1.5, 2.0], [1.0, 1.5, 2.0]],
            [(0.0, 1.0), (0.8, 1.2), (0.8, 1.2)],
        ),
        (lower.eid, ["consumption"] * 2, [[2.0, 3.0]] * 2, [(0.5, 1.0)] * 2),
    ]
    groups, entities = [], []
    for i, (controller, bands, profiles, limits) in enumerate(specs):
        group = massim.Units(controller=controller, units=bands)
        model = unitsim.QuietUnits if quiet_first and i == 0 else unitsim.Units
        units = model(profiles=profiles, bands=limits)
        world.connect(
            units, group, ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max")
        )
        world.connect(group, units, "P_target[MW]", weak=True)
        groups.append(group)
        entities.append(units)
    return world, groups, entities


def test_a_unit_group_is_the_same_mas_as_an_entity_per_unit(tmp_path) -> None:
    single, grouped = tmp_path / "single.jsonl", tmp_path / "grouped.jsonl"
    world, _, _ = world_with(LOCAL, log=str(single))
    world.run(until=3 * STEP, print_progress=False)
    world, _, entities = world_with_groups(log=str(grouped))
    world.run(until=3 * STEP, print_progress=False)
    one, other = read_log(single), read_log(grouped)
    assert one.header.hierarchy == other.header.hierarchy  # the same agents, same names
    first = [e for e in one.events if e.iteration == 0]
    assert first == [e for e in other.events if e.iteration == 0]  # every message alike
    received = unit_sim_of(world).received
    config = config_from_json(other.header.config)
    starts = {e.time: e for e in other.events if e.kind == "step_start" and e.iteration == 0}
    for entity, first_member in zip(entities, (5, 8), strict=True):
        told = received[entity.eid]
        assert [t for t, _ in told] == [0, STEP, 2 * STEP]  # one list per time step
        for at, values in told:  # each member's value: the oracle's target for it
            states = {
                u: State(Flexibility(*s["production"]), Flexibility(*s["consumption"]))
                for u, s in starts[at].body["states"].items()
            }
            oracle = reference_step(other.header.hierarchy, states, config)
            members = [f"Agent_{first_member + i}" for i in range(len(values))]
            expected = [
                oracle.targets[m].production.current or oracle.targets[m].consumption.current
                for m in members
            ]
            assert values == expected
    _, report = replay_file(grouped)
    assert report.ok
    assert report.steps == 3


def test_a_group_that_says_nothing_in_a_later_iteration_holds_its_set_points(tmp_path) -> None:
    """The second group reports every iteration, so the MAS steps again; the first says
    nothing after obeying, and the MAS counts it at its set-points: the same steps, state
    for state, as when both report."""
    both, quiet = tmp_path / "both.jsonl", tmp_path / "quiet.jsonl"
    world, _, _ = world_with_groups(log=str(both))
    world.run(until=3 * STEP, print_progress=False)
    world, _, _ = world_with_groups(quiet_first=True, log=str(quiet))
    world.run(until=3 * STEP, print_progress=False)
    one, other = read_log(both), read_log(quiet)
    starts = [[e for e in log.events if e.kind == "step_start"] for log in (one, other)]
    assert [(e.time, e.iteration) for e in starts[0]] == [
        (t * STEP, i) for t in range(3) for i in (0, 1)
    ]
    assert starts[0] == starts[1]  # every iteration's states alike
    assert one.events == other.events


def unit_sim_of(world):
    return world.sims["Units-0"]._proxy.sim


def test_the_seed_scenario_runs_and_matches_the_oracle_and_replays(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    world, _, entities = world_with(LOCAL, log=str(log), convegence_max_steps=4)
    world.run(until=3 * STEP, print_progress=False)
    received = unit_sim_of(world).received
    assert all(len(r) >= 3 for r in received.values())  # every unit, every time step
    assert all({t for t, _ in r} == {0, STEP, 2 * STEP} for r in received.values())

    contents = read_log(log)
    hierarchy = contents.header.hierarchy
    config = config_from_json(contents.header.config)
    starts = [e for e in contents.events if e.kind == "step_start"]
    reports = [e for e in contents.events if e.kind == "report"]
    assert len(starts) == len(reports) == 6  # two iterations per time step: set, converged
    for start, report in zip(starts, reports, strict=True):
        states = {
            u: State(Flexibility(*s["production"]), Flexibility(*s["consumption"]))
            for u, s in start.body["states"].items()
        }
        oracle = reference_step(hierarchy, states, config)
        assert report.body["balances"] == {c: b.value for c, b in oracle.balances.items()}
        if start.iteration == 0:  # what the units were told equals the oracle's set-points
            for agent, unit in zip(entities["agents"], entities["units"], strict=True):
                band = "production" if states[agent.eid].production.max else "consumption"
                expected = scale_factor(
                    getattr(states[agent.eid], band), getattr(oracle.targets[agent.eid], band)
                )
                assert (start.time, expected) in received[unit.eid]
    _, report = replay_file(log)
    assert report.ok
    assert report.steps == 3


def test_the_prototypes_connection_takes_the_band_from_create_params(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    with world.group():
        massim = world.start("MAS", step_size=STEP, log=str(log))
        unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    specs = [("production", [5.0, 4.0], 0.0, 6.0), ("consumption", [1.0, 2.0], 0.5, 2.5)]
    agents = []
    for band, profile, low, high in specs:
        agent = massim.MosaikAgents.create(
            num=1, controller=cell.eid, unit=band, min=low, max=high
        )[0]
        unit = unitsim.Unit(profile=profile)
        world.connect(unit, agent, ("P[MW]", "current"))  # the measurement alone
        world.connect(agent, unit, "scale_factor", weak=True)
        agents.append(agent.eid)
    world.run(until=2 * STEP, print_progress=False)
    starts = [e for e in read_log(log).events if e.kind == "step_start" and e.iteration == 0]
    measured = [[s.body["states"][a] for a in agents] for s in starts]
    assert measured == [
        [
            {"production": [0.0, 6.0, 5.0], "consumption": [0.0, 0.0, 0.0]},
            {"production": [0.0, 0.0, 0.0], "consumption": [0.5, 2.5, 1.0]},
        ],
        [
            {"production": [0.0, 6.0, 4.0], "consumption": [0.0, 0.0, 0.0]},
            {"production": [0.0, 0.0, 0.0], "consumption": [0.5, 2.5, 2.0]},
        ],
    ]
    received = unit_sim_of(world).received.values()
    assert all({t for t, _ in r} == {0, STEP} for r in received)  # a set-point every step
    _, report = replay_file(log)
    assert report.ok


def test_a_bad_band_param_is_an_error_at_create() -> None:
    world = mosaik.World({"MAS": LOCAL})
    massim = world.start("MAS", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    try:
        for params, message in [
            ({"min": "0"}, "create(min='0'): give a finite number of MW"),
            ({"max": math.nan}, "create(max=nan): give a finite number of MW"),
            ({"min": -1.0}, "create(min=-1.0): give the band's bound as a magnitude >= 0"),
            ({"min": 3.0, "max": 2.0}, "create(min=3.0, max=2.0): min exceeds max"),
        ]:
            with pytest.raises(Exception) as caught:  # noqa: PT011
                massim.MosaikAgents.create(num=1, controller=cell.eid, **params)
            assert message in error_text(caught.value)
    finally:
        world.shutdown()


def test_the_mas_runs_as_a_separate_process(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    starter = {"cmd": f"{sys.executable} -m massca.compat.mosaik %(addr)s"}
    world, _, _ = world_with(starter, log=str(log), runtime="native")
    world.run(until=2 * STEP, print_progress=False)
    assert all(len(r) >= 2 for r in unit_sim_of(world).received.values())
    _, report = replay_file(log)
    assert report.ok
    assert report.steps == 2


def test_the_mas_serves_a_world_that_connects_to_it(tmp_path) -> None:
    """``--remote``: the MAS waits as a server (port 0: the OS picks, the ready line
    says which) and a World reaches it with ``'connect'``: the same reports as in-process."""
    import subprocess

    logs = {"local": tmp_path / "local.jsonl", "remote": tmp_path / "remote.jsonl"}
    server = subprocess.Popen(
        [sys.executable, "-m", "massca.compat.mosaik", "127.0.0.1:0", "--remote"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = server.stdout.readline()
        assert ready.startswith("massca: the MAS simulator waits for mosaik at 127.0.0.1:")
        address = ready.rsplit(" ", 1)[1].strip()
        world, _, _ = world_with({"connect": address}, log=str(logs["remote"]))
        world.run(until=2 * STEP, print_progress=False)
        assert server.wait(timeout=30) == 0  # the simulation's end ends the server
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
    world, _, _ = world_with(LOCAL, log=str(logs["local"]))
    world.run(until=2 * STEP, print_progress=False)
    reports = {
        where: [e.body for e in read_log(path).events if e.kind == "report"]
        for where, path in logs.items()
    }
    assert len(reports["remote"]) >= 2
    assert reports["remote"] == reports["local"]


def test_a_remote_mas_refuses_a_bad_address() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "massca.compat.mosaik", "nowhere", "--remote"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "address 'nowhere': give HOST:PORT, e.g. 0.0.0.0:5678" in done.stderr


def test_the_mango_runtime_drives_the_same_scenario(tmp_path) -> None:
    logs = {}
    for runtime in ("native", "mango"):
        logs[runtime] = tmp_path / f"{runtime}.jsonl"
        world, _, _ = world_with(LOCAL, log=str(logs[runtime]), runtime=runtime)
        world.run(until=2 * STEP, print_progress=False)
    reports = {
        runtime: [e.body for e in read_log(path).events if e.kind == "report"]
        for runtime, path in logs.items()
    }
    assert reports["native"] == reports["mango"]


def one_cell_world():
    """A world with the MAS (its coordinator and one cell) and the unit simulator:
    (world, MAS simulator, unit simulator, the cell)."""
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    massim = world.start("MAS", step_size=STEP)
    unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    return world, massim, unitsim, massim.MosaikAgents.create(num=1, controller=None)[0]


def run_failing(world, until: int) -> BaseException:
    """Run ``world`` expecting it to fail; shut it down (finalizing every simulator, as
    a user's world would be) and return the error."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - mosaik re-raises as it likes
        world.run(until=until, print_progress=False)
    with contextlib.suppress(Exception):  # the run's own error is the one under test
        world.shutdown()
    return caught.value


def error_text(error: BaseException) -> str:
    parts = []
    while error is not None:
        parts.append(str(error))
        error = error.__cause__ or error.__context__
    return " | ".join(parts)


def test_a_nan_measurement_names_the_unit_and_the_time() -> None:
    world, unitsim, entities = world_with(LOCAL)
    cell = entities["cells"][0]
    agent = entities["massim"].MosaikAgents.create(num=1, controller=cell.eid, unit="consumption")
    world.connect(unitsim.Unit(profile=[1.0, math.nan]), agent[0], ("P[MW]", "current"))
    text = error_text(run_failing(world, 3 * STEP))
    assert f"unit agent {agent[0].eid!r} at time {STEP}" in text
    assert "current from 'Units-0.unit-5' is nan" in text


def test_a_unit_agent_connected_to_nothing_is_named_before_the_run() -> None:
    world, _, entities = world_with(LOCAL)
    cell = entities["cells"][1]
    lonely = entities["massim"].MosaikAgents.create(num=1, controller=cell.eid)
    text = error_text(run_failing(world, STEP))
    assert "1 unit agent(s) or group(s) connected to nothing" in text
    assert lonely[0].eid in text


def test_unknown_config_keys_are_listed_with_the_valid_ones() -> None:
    world = mosaik.World({"MAS": LOCAL})
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011
            world.start("MAS", step_size=STEP, verbos=1, convegence_max_steps=3)
    finally:
        world.shutdown()
    text = error_text(caught.value)
    assert "unknown MAS_CONFIG key(s) 'verbos'" in text
    assert "valid: aggregation_method" in text


def test_an_unknown_controller_is_an_error_at_create() -> None:
    world = mosaik.World({"MAS": LOCAL})
    massim = world.start("MAS", step_size=STEP)
    massim.MosaikAgents()
    with pytest.raises(Exception) as caught:  # noqa: PT011
        massim.MosaikAgents.create(num=1, controller="Agent_99")
    assert "controller 'Agent_99' is unknown: create it before its children" in error_text(
        caught.value
    )
    world.shutdown()


def test_a_failing_hook_names_hook_agent_and_time_and_the_log_is_flushed(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"

    generator = "Agent_5"  # the first unit agent: after the coordinator, 2 cells, 2 controllers

    def input_method(aeid, input_data, current_time, **kwargs):
        if current_time == STEP and aeid == generator:
            raise ValueError("sensor offline")
        return measured_as_band(aeid=aeid, input_data=input_data, current_time=current_time)

    world, _, entities = world_with(LOCAL, log=str(log), input_method=input_method)
    assert entities["agents"][0].eid == generator
    text = error_text(run_failing(world, 3 * STEP))
    assert f"agent {generator!r} failed in hook input_method at time {STEP}" in text
    assert "sensor offline" in text
    events = read_log(log).events
    assert {e.time for e in events} == {0}  # time 0 complete on disk
    assert events[-1].kind == "report"


def test_a_unit_that_ignores_its_set_point_fails_convergence_naming_the_time(tmp_path) -> None:
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    with world.group():
        massim = world.start("MAS", step_size=STEP, convergence_max_steps=3)
        unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    gen = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="production")[0]
    load = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="consumption")[0]
    stubborn = unitsim.Unit(profile=[5.0], band=(0.0, 1.0), obey=False)
    fixed = unitsim.Unit(profile=[2.0])
    world.connect(stubborn, gen, ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max"))
    world.connect(fixed, load, ("P[MW]", "current"))
    world.connect(gen, stubborn, "scale_factor", weak=True)  # received, never obeyed
    text = error_text(run_failing(world, STEP))
    assert "did not converge at time 0 within 3 iterations" in text
    assert "last system balance 3 MW" in text


def band(low: float, high: float, current: float) -> dict[str, float]:
    return {"min": low, "max": high, "current": current}


ZERO = band(0.0, 0.0, 0.0)


def test_the_seed_hooks_get_their_real_arguments_and_their_decisions_reach_the_units(
    tmp_path,
) -> None:
    calls: dict[str, list] = {"initialize": [], "finalize": [], "aggregation": [], "execute": []}
    log = tmp_path / "mas.jsonl"

    def initialize(**kwargs):
        calls["initialize"].append(kwargs)

    def finalize(**kwargs):
        calls["finalize"].append(kwargs)

    def aggregation_method(aeid, aid, requested_states, current_state, **kwargs):
        calls["aggregation"].append((aeid, aid, copy.deepcopy(requested_states), current_state))
        total = copy.deepcopy(current_state)  # the prototype's default: add into it
        for state in requested_states.values():
            for name, values in total.items():
                for key in values:
                    values[key] += state[name][key]
        return total

    def execute_method(aeid, aid, instruction, current_state, requested_states, **params):
        calls["execute"].append(
            (aeid, aid, instruction, current_state, copy.deepcopy(requested_states), params)
        )
        targets = copy.deepcopy(requested_states)
        if instruction is None:  # the coordinator: an oversupplied cell curtails its surplus
            for state in targets.values():
                surplus = state["production"]["current"] - state["consumption"]["current"]
                room = state["production"]["current"] - state["production"]["min"]
                state["production"]["current"] -= max(0.0, min(surplus, room))
        else:  # a controller: its first producing child takes the whole change
            change = instruction["production"]["current"] - current_state["production"]["current"]
            for state in targets.values():
                if state["production"]["max"] > 0:
                    state["production"]["current"] += change
                    break
        return True, targets, instruction  # the prototype's (ok, instructions, state)

    world, _, entities = world_with(
        LOCAL,
        log=str(log),
        initialize=initialize,
        finalize=finalize,
        states_agg_method=aggregation_method,
        execute_method=execute_method,
    )
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    assert len(calls["initialize"]) == 1
    assert len(calls["initialize"][0]["hierarchy"].units) == 5
    assert len(calls["finalize"]) == 1

    # coordinator MosaikAgent; cells Agent_1 (units 5-7) and Agent_2 -> 3 -> 4 (units 8, 9)
    cell_a = {"production": band(0.0, 5.0, 5.0), "consumption": band(1.6, 2.4, 2.0)}
    cell_b = {"production": ZERO, "consumption": band(2.0, 4.0, 4.0)}
    aggregated = {(aeid, aid, tuple(states)) for aeid, aid, states, _ in calls["aggregation"]}
    assert aggregated == {
        ("Agent_1", "Agent_1", ("Agent_5", "Agent_6", "Agent_7")),
        ("Agent_4", "Agent_4", ("Agent_8", "Agent_9")),
        ("Agent_3", "Agent_3", ("Agent_4",)),
        ("Agent_2", "Agent_2", ("Agent_3",)),
        ("MosaikAgent", "MosaikAgent", ("Agent_1", "Agent_2")),
    }
    assert all(own == {"production": ZERO, "consumption": ZERO} for *_, own in calls["aggregation"])
    first = {call[0]: call for call in calls["aggregation"][:5]}
    assert first["Agent_1"][2] == {
        "Agent_5": {"production": band(0.0, 5.0, 5.0), "consumption": ZERO},
        "Agent_6": {"production": ZERO, "consumption": band(0.8, 1.2, 1.0)},
        "Agent_7": {"production": ZERO, "consumption": band(0.8, 1.2, 1.0)},
    }
    assert first["MosaikAgent"][2] == {"Agent_1": cell_a, "Agent_2": cell_b}

    coordinator, *controllers = calls["execute"][:5]  # time 0, first iteration
    assert coordinator[:3] == ("MosaikAgent", "MosaikAgent", None)
    assert coordinator[3] == {"production": band(0.0, 5.0, 5.0), "consumption": band(3.6, 6.4, 6.0)}
    assert coordinator[4] == {"Agent_1": cell_a, "Agent_2": cell_b}
    assert coordinator[5] == {"state_dict": None}
    by_agent = {call[0]: call for call in controllers}
    assert set(by_agent) == {"Agent_1", "Agent_2", "Agent_3", "Agent_4"}
    aeid, aid, instruction, own, children, _ = by_agent["Agent_1"]
    assert (aeid, aid, own) == ("Agent_1", "Agent_1", cell_a)
    assert instruction == {"production": band(0.0, 5.0, 2.0), "consumption": band(1.6, 2.4, 2.0)}
    assert set(children) == {"Agent_5", "Agent_6", "Agent_7"}
    assert tuple(by_agent["Agent_3"][4]) == ("Agent_4",)
    assert by_agent["Agent_4"][2] == {"production": ZERO, "consumption": band(2.0, 4.0, 4.0)}

    received = unit_sim_of(world).received
    generator = entities["units"][0].eid
    assert received[generator][0] == (0, pytest.approx(0.4))  # 5 MW curtailed to 2 MW
    assert all(
        factor == 1.0 for unit, r in received.items() if unit != generator for _, factor in r
    )

    with pytest.raises(LogFormatError, match=r"user's strategy.*execute_method="):
        replay_file(log)
    strategy = hooked_strategy(execute_method)
    with pytest.raises(LogFormatError, match="aggregation 'aggregation_method="):
        replay_file(log, strategy=strategy)
    _, report = replay_file(log, strategy, hooked_aggregation(aggregation_method))
    assert report.ok
    assert report.steps == 1


def test_output_method_gets_the_target_and_its_values_go_to_mosaik() -> None:
    seen = []

    def output_method(aeid, aid, attrs, current_state, converged, **kwargs):
        seen.append((aeid, converged, current_state))
        band_name = "production" if "scale_factor" in current_state["production"] else "consumption"
        return {} if converged else {"scale_factor": current_state[band_name]["scale_factor"]}

    world, _, entities = world_with(LOCAL, output_method=output_method)
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    units = {a.eid for a in entities["agents"]}
    assert {aeid for aeid, _, _ in seen} == units
    assert any(converged for _, converged, _ in seen)
    generator = entities["units"][0].eid
    # cellular: cell A (+3 MW) curtails its generator from 5 to 2 MW
    assert unit_sim_of(world).received[generator][0] == (0, pytest.approx(0.4))


def test_mosaik_and_the_alias_package_import_side_by_side() -> None:
    import mosaik_components.pandapower as pandapower

    import mosaik_components.mas as mas
    from massca.compat.mosaik import MosaikAgents

    assert mas.MosaikAgents is MosaikAgents
    assert hasattr(pandapower, "Simulator")


def test_mas_config_chooses_the_strategies_and_create_gives_levels_and_interfaces(
    tmp_path,
) -> None:
    log = tmp_path / "mas.jsonl"
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    with world.group():
        massim = world.start(
            "MAS",
            step_size=STEP,
            log=str(log),
            between_cells="optimal",
            within_cell="merit",
            costs={"grid": 5.0},
        )
        unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    cells = [
        massim.MosaikAgents.create(num=1, controller=None, import_max=1.5, export_max=9.0)[0],
        massim.MosaikAgents.create(num=1, controller=None)[0],
    ]
    specs = [
        (cells[0], "production", 5.0, 0.0),
        (cells[0], "production", 5.0, 1.0),
        (cells[0], "consumption", 2.0, 0.0),
        (cells[1], "consumption", 4.0, 0.0),
    ]
    agents = []
    for cell, band, power, level in specs:
        agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit=band, priority=level)
        unit = unitsim.Unit(profile=[power], band=(0.0, 1.0))
        world.connect(
            unit, agent[0], ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max")
        )
        world.connect(agent[0], unit, "scale_factor", weak=True)
        agents.append(unit.eid)
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    header = read_log(log).header.config
    assert header["strategy"]["between"] == {
        "name": "optimal",
        "costs": {
            "production": 1.0,
            "consumption": 2.0,
            "exchange": 0.5,
            "grid": 5.0,
            "unresolved": 1000.0,
            "storage": 0.8,
        },
    }
    assert header["strategy"]["within"]["priorities"] == {
        "Agent_3": 0.0,
        "Agent_4": 1.0,
        "Agent_5": 0.0,
        "Agent_6": 0.0,
    }
    assert header["interfaces"] == {"Agent_1": [1.5, 9.0]}
    # cell Agent_1: +8 MW; cell Agent_2 needs 4 MW; Agent_1 may export only 9 MW and
    # the grid costs 5: Agent_1 sends 4 MW to Agent_2 and curtails the other 4, level 0
    # (unit-0) first
    received = unit_sim_of(world).received
    assert received[agents[0]][0] == (0, pytest.approx(0.2))
    assert received[agents[1]][0] == (0, 1.0)
    _, report = replay_file(log)
    assert report.ok


def test_a_users_between_cells_function_in_mas_config_decides_and_replays(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    seen = []

    def keep(cells, config):
        seen.append(sorted(cells))
        return {cell: view.state for cell, view in cells.items()}

    world, _, _ = world_with(LOCAL, log=str(log), between_cells=keep)
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    assert seen[0] == ["Agent_1", "Agent_2"]
    assert all(factor == 1.0 for r in unit_sim_of(world).received.values() for _, factor in r)
    with pytest.raises(LogFormatError, match="user's strategy"):
        replay_file(log)
    _, report = replay_file(log, strategy=Strategy.of(keep))
    assert report.ok


def test_cells_negotiate_under_mosaik_with_cohda_and_the_log_replays(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": LOCAL})
    with world.group():
        massim = world.start(
            "MAS",
            step_size=STEP,
            log=str(log),
            between_cells="cohda",
            cohda={"levels": 5, "topology": "ring", "target": 1.0},
        )
        unitsim = world.start("Units", step_size=STEP)
    massim.MosaikAgents()
    cells = [massim.MosaikAgents.create(num=1, controller=None)[0] for _ in range(3)]
    for cell, band, power in [
        (cells[0], "production", 5.0),
        (cells[1], "consumption", 2.0),
        (cells[2], "consumption", 1.0),
    ]:
        agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit=band)
        unit = unitsim.Unit(profile=[power], band=(0.0, 1.0))
        world.connect(
            unit, agent[0], ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max")
        )
        world.connect(agent[0], unit, "scale_factor", weak=True)
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    contents = read_log(log)
    between = contents.header.config["strategy"]["between"]
    assert (between["name"], between["topology"], between["target"]) == ("cohda", "ring", 1.0)
    assert any(e.kind == "cohda_view" for e in contents.events)
    # +2 MW of surplus against a target export of 1 MW: the cells give up 1 MW
    received = unit_sim_of(world).received
    assert any(factor != 1.0 for r in received.values() for _, factor in r)
    _, report = replay_file(log)
    assert report.ok


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"between_cells": "bogus"}, "between_cells = 'bogus': choose one of global, cellular"),
        ({"within_cell": 3}, "within_cell = 3: choose one of proportional, merit"),
        ({"costs": {"grid": 1.0}}, "costs are a parameter of between_cells='optimal' only"),
        (
            {"between_cells": "optimal", "costs": {"grid": -1.0}},
            "Costs.grid = -1.0: must be a finite cost",
        ),
        (
            {"between_cells": "optimal", "costs": {"gird": 1.0}},
            "the keys are production, consumption, storage, exchange, grid and unresolved",
        ),
        ({"cohda": {"levels": 3}}, "cohda options are a parameter of between_cells='cohda' only"),
        ({"between_cells": "cohda", "cohda": {"levels": 0}}, "levels = 0: give a whole number"),
        ({"between_cells": "cohda", "cohda": {"k": 2}}, "the options are levels, topology"),
        (
            {"within_cell": "merit", "execute_method": lambda **kw: {}},
            "execute_method decides at every level: give it or within_cell, not both",
        ),
    ],
)
def test_bad_strategy_settings_are_one_clear_error(config, message) -> None:
    world = mosaik.World({"MAS": LOCAL})
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - mosaik wraps it
            world.start("MAS", step_size=STEP, **config)
    finally:
        world.shutdown()
    assert message in error_text(caught.value)


def test_create_refuses_interfaces_below_a_cell_and_levels_on_controllers() -> None:
    world, massim, unitsim, cell = one_cell_world()
    try:
        for params, message in [
            ({"import_max": -1.0}, "create(import_max=-1.0): give a number of MW >= 0"),
            ({"priority": "high"}, "create(priority='high'): give a finite number"),
            ({"export_max": 2.0}, "interface limits belong to cells"),
        ]:
            with pytest.raises(Exception) as caught:  # noqa: PT011
                massim.MosaikAgents.create(num=1, controller=cell.eid, **params)
            assert message in error_text(caught.value)
        controller = massim.MosaikAgents.create(num=1, controller=cell.eid, priority=1.0)[0]
        unit = massim.MosaikAgents.create(num=1, controller=controller.eid, unit="production")
        world.connect(unitsim.Unit(profile=[1.0]), unit[0], ("P[MW]", "current"))
        text = error_text(run_failing(world, STEP))
        assert "priority=...) is a unit agent's merit level" in text
        assert controller.eid in text
    finally:
        with contextlib.suppress(Exception):
            world.shutdown()


def test_a_blocking_input_hook_is_cut_at_the_timeout_naming_hook_agent_and_time(
    tmp_path,
) -> None:
    log = tmp_path / "mas.jsonl"
    generator = "Agent_5"

    def input_method(aeid, input_data, current_time, **kwargs):
        if current_time == STEP and aeid == generator:
            time.sleep(60)  # a sensor read that never returns
        return measured_as_band(aeid=aeid, input_data=input_data, current_time=current_time)

    world, _, _ = world_with(LOCAL, log=str(log), input_method=input_method, timeout=0.5)
    started = time.monotonic()
    text = error_text(run_failing(world, 3 * STEP))
    assert time.monotonic() - started < 30  # cut, not waited out
    assert f"the inputs at time {STEP} exceeded its timeout of 0.5 s" in text
    assert f"hook input_method of {generator!r} was running" in text
    events = read_log(log).events
    assert {e.time for e in events} == {0}  # time 0 complete on disk
    assert events[-1].kind == "report"


@pytest.mark.parametrize("runtime", ["native", "mango"])
def test_a_blocking_aggregation_hook_is_cut_naming_the_agent_on_both_runtimes(runtime) -> None:
    stuck = "Agent_2"  # cell B

    def aggregation_method(aeid, aid, requested_states, current_state, **kwargs):
        if aeid == stuck:
            time.sleep(60)
        total = copy.deepcopy(current_state)
        for state in requested_states.values():
            for name, values in total.items():
                for key in values:
                    values[key] += state[name][key]
        return total

    world, _, _ = world_with(
        LOCAL, runtime=runtime, timeout=0.5, states_agg_method=aggregation_method
    )
    started = time.monotonic()
    text = error_text(run_failing(world, STEP))
    assert time.monotonic() - started < 30  # cut, and the shutdown does not wait for it
    assert "step at time 0, iteration 0 exceeded its timeout of 0.5 s" in text
    assert "hook aggregation_method" in text
    assert f"agent {stuck!r} handling 'answer'" in text
    assert gc.isenabled()  # an abandoned step leaves the collector as it found it


def test_an_output_hook_that_returns_no_mapping_is_named_with_agent_and_time() -> None:
    def output_method(aeid, **kwargs):
        return ["scale_factor", 1.0]

    world, _, entities = world_with(LOCAL, output_method=output_method)
    text = error_text(run_failing(world, STEP))
    unit = entities["agents"][0].eid
    assert f"agent {unit!r} failed in hook output_method at time 0" in text
    assert "returned list: return a mapping of attribute names to values" in text


CMD = {"cmd": f"{sys.executable} -m massca.compat.mosaik %(addr)s"}


def test_hooks_reach_a_mas_in_another_process_by_name(tmp_path) -> None:
    log = tmp_path / "mas.jsonl"
    hook = "tests.integration.remote_hooks:input_method"
    world, _, _ = world_with(CMD, log=str(log), input_method=hook)
    world.run(until=STEP, print_progress=False)
    world.shutdown()
    first = read_log(log).events[0]  # the environment's step start: the units' states
    assert first.kind == "step_start"
    # the hook's fingerprint: a band that is its reading (min = max = current)
    assert first.body["states"]["Agent_5"]["production"] == [5.0, 5.0, 5.0]
    assert first.body["states"]["Agent_6"]["consumption"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("hook", "said"),
    [
        ("tests.integration.remote_hooks:nothing", "cannot import it (AttributeError"),
        ("no_such_module:f", "cannot import it (ModuleNotFoundError"),
        ("tests.integration.remote_hooks", "must be a function or 'module:function', got str"),
        (42, "must be a function or 'module:function', got int"),
    ],
)
def test_a_hook_name_that_does_not_import_is_one_clear_error(hook, said) -> None:
    world = mosaik.World({"MAS": LOCAL})
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - mosaik re-raises as it likes
            world.start("MAS", step_size=STEP, input_method=hook)
    finally:
        world.shutdown()
    assert "input_method" in error_text(caught.value)
    assert said in error_text(caught.value)


def test_a_function_hook_under_the_cmd_starter_is_one_line_from_the_mas() -> None:
    import subprocess

    script = (  # as a user's script goes: mosaik's TypeError ends it, the MAS sees EOF
        "import sys, mosaik\n"
        "cmd = sys.executable + ' -m massca.compat.mosaik %(addr)s'\n"
        "world = mosaik.World({'MAS': {'cmd': cmd}})\n"
        "world.start('MAS', step_size=900, input_method=lambda **kw: None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("massca:")]
    assert lines == [
        "massca: mosaik closed the connection before sending the MAS its configuration. "
        "With the 'cmd' starter MAS_CONFIG goes to this process as JSON, which cannot hold "
        "a Python function: give each hook as 'package.module:function', or use the "
        "in-process starter {'python': 'massca.compat.mosaik:MosaikAgents'}"
    ]
    assert "Traceback" not in done.stderr.split("massca:")[-1]  # the MAS's own: one line


def test_a_child_under_a_unit_agent_is_refused_at_create() -> None:
    world = mosaik.World({"MAS": LOCAL})
    massim = world.start("MAS", step_size=STEP)
    massim.MosaikAgents()
    cell = massim.MosaikAgents.create(num=1, controller=None)[0]
    unit = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="production")[0]
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011
            massim.MosaikAgents.create(num=1, controller=unit.eid)
    finally:
        world.shutdown()
    assert f"controller {unit.eid!r} was created as a unit agent" in error_text(caught.value)


def test_a_unit_agent_that_got_children_after_its_connection_is_named() -> None:
    world, unitsim, entities = world_with(LOCAL)
    massim, cell = entities["massim"], entities["cells"][0]
    measured = massim.MosaikAgents.create(num=1, controller=cell.eid)[0]  # its band inferred
    world.connect(unitsim.Unit(profile=[1.0]), measured, ("P[MW]", "current"))
    child = massim.MosaikAgents.create(num=1, controller=measured.eid)[0]  # now a controller
    world.connect(unitsim.Unit(profile=[2.0]), child, ("P[MW]", "current"))
    text = error_text(run_failing(world, STEP))
    assert f"{measured.eid!r} receive(s) 'current' but have children" in text


def test_an_execute_hook_returning_a_nan_plan_is_refused_naming_the_hook() -> None:
    from massca.model import CellPlan

    def execute_method(aeid, instruction, requested_states, **kwargs):
        if instruction is None:
            return {cell: CellPlan(0.0, 0.0, 0.0, 0.0, math.nan) for cell in requested_states}
        return dict(requested_states)

    world, _, _ = world_with(LOCAL, execute_method=execute_method)
    text = error_text(run_failing(world, STEP))
    assert "agent 'MosaikAgent' failed" in text
    assert "a cell plan needs finite numbers of MW" in text


def test_units_beyond_max_mw_are_refused_naming_the_unit() -> None:
    world, massim, unitsim, cell = one_cell_world()
    for _ in range(2):
        agent = massim.MosaikAgents.create(num=1, controller=cell.eid, unit="production")[0]
        unit = unitsim.Unit(profile=[1.7e308], band=(0.0, 1.0))
        world.connect(unit, agent, ("P[MW]", "current"))
    text = error_text(run_failing(world, STEP))
    assert "unit agent 'Agent_2' at time 0" in text
    assert "beyond 1e+12 MW" in text


def test_output_method_with_unit_groups_is_refused_not_skipped() -> None:
    world, _, _ = world_with_groups(output_method=lambda **kwargs: {})
    error = run_failing(world, STEP)
    assert "output_method is called per unit entity, but 2 unit group(s) (Units)" in error_text(
        error
    )


def test_input_method_sees_each_group_member_as_a_unit_entity(tmp_path) -> None:
    seen = []

    def input_method(aeid, input_data, **kwargs):
        seen.append((aeid, input_data))
        return measured_as_band(aeid=aeid, input_data=input_data, **kwargs)

    world, _, _ = world_with_groups(input_method=input_method)
    world.run(until=STEP, print_progress=False)
    first = dict(seen[:5])
    assert sorted(first) == [f"Agent_{n}" for n in range(5, 10)]
    assert first["Agent_5"]["current"] == {"Units-0.units-0": 5.0}  # its own value
    assert first["Agent_6"]["max"] == {"Units-0.units-0": pytest.approx(1.2)}


def test_the_seed_scenario_runs_over_a_lossy_simulated_network_and_replays(tmp_path) -> None:
    """MAS_CONFIG 'network' and the cells' own link delays (create(delay=...)): answers go
    missing, the run goes on (on_no_convergence 'accept'), the log names the network
    and replays."""
    log = tmp_path / "mas.jsonl"
    network = {"delay": 2, "loss": 0.3, "seed": 5}
    world, _, _ = world_with(
        LOCAL, {"delay": 7.5}, log=str(log), network=network, on_no_convergence="accept"
    )
    world.run(until=4 * STEP, print_progress=False)
    contents = read_log(log)
    described = contents.header.config["network"]
    assert (described["delay_ms"], described["loss"], described["seed"]) == (2, 0.3, 5)
    assert set(described["links"].values()) == {7.5}  # both cells' links
    reports = [e for e in contents.events if e.kind == "report"]
    assert any(e.body.get("missing") for e in reports)
    _, report = replay_file(log)
    assert report.ok, report.divergence and report.divergence.describe()
    assert report.steps == 4


def test_a_link_delay_without_a_network_is_one_clear_error() -> None:
    world, _, _ = world_with(LOCAL, {"delay": 5})
    text = error_text(run_failing(world, STEP))
    assert "create(delay=...) for Agent_1, Agent_2: link delays need a simulated network" in text
