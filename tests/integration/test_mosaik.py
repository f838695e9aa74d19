"""The MAS inside a real mosaik World, written as the prototype's README uses it."""

from __future__ import annotations

import contextlib
import math
import sys

import mosaik
import pytest

from massca.actors import config_from_json, replay_file
from massca.compat.mosaik.convert import scale_factor
from massca.log import read_log
from massca.model import Flexibility, LogFormatError, State, reference_step

UNITS = "tests.integration.unitsim:UnitSim"
STEP = 900


def world_with(mas_starter: dict, **mas_config):
    """A seed-style scenario: coordinator, cell A (3 units at depth 1), cell B (2 units
    under two intermediate controllers, depth 3). Returns (world, unit sim, entities)."""
    world = mosaik.World({"Units": {"python": UNITS}, "MAS": mas_starter})
    with world.group():
        massim = world.start("MAS", step_size=STEP, **mas_config)
        unitsim = world.start("Units", step_size=STEP)
    coordinator = massim.MosaikAgents()  # core agent for the mosaik communication
    cells = massim.MosaikAgents.create(num=2, controller=None)
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
    assert "1 unit agent(s) connected to nothing" in text
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
        value = sum(abs(v) for v in input_data["current"].values())
        band = {"min": value, "max": value, "current": value}
        zero = {"min": 0.0, "max": 0.0, "current": 0.0}
        if aeid == generator:
            return {"production": band, "consumption": zero}
        return {"production": zero, "consumption": band}

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


def test_the_seed_hooks_are_called_with_the_seed_signatures(tmp_path) -> None:
    calls: dict[str, int] = {}
    log = tmp_path / "mas.jsonl"

    def count(name):
        calls[name] = calls.get(name, 0) + 1

    def initialize(**kwargs):
        count("initialize")
        assert len(kwargs["hierarchy"].units) == 5

    def finalize(**kwargs):
        count("finalize")

    def aggregation_method(aeid, aid, requested_states, current_state, **kwargs):
        count("aggregation_method")
        total = {
            band: {"min": 0.0, "max": 0.0, "current": 0.0} for band in ("production", "consumption")
        }
        for state in requested_states.values():
            for band, values in total.items():
                for key in values:
                    values[key] += state[band][key]
        return total

    def execute_method(current_state, requested_states, config, **kwargs):
        count("execute_method")
        from massca.model import plan

        return plan(
            State(
                Flexibility(**current_state["production"]),
                Flexibility(**current_state["consumption"]),
            )
        )

    def output_method(aeid, aid, attrs, current_state, converged, **kwargs):
        count("output_method")
        band = "production" if "scale_factor" in current_state["production"] else "consumption"
        return {} if converged else {"scale_factor": current_state[band]["scale_factor"]}

    world, _, _ = world_with(
        LOCAL,
        log=str(log),
        initialize=initialize,
        finalize=finalize,
        states_agg_method=aggregation_method,
        execute_method=execute_method,
        output_method=output_method,
    )
    world.run(until=2 * STEP, print_progress=False)
    world.shutdown()
    assert calls["initialize"] == 1
    assert calls["finalize"] == 1
    assert calls["aggregation_method"] > 0
    assert calls["execute_method"] == 4  # two iterations per time step
    assert calls["output_method"] > 0
    assert all(len(r) >= 2 for r in unit_sim_of(world).received.values())
    with pytest.raises(LogFormatError, match="recorded with the policy 'aggregation_method="):
        replay_file(log)


def test_mosaik_and_the_alias_package_import_side_by_side() -> None:
    import mosaik_components.pandapower as pandapower

    import mosaik_components.mas as mas
    from massca.compat.mosaik import MosaikAgents

    assert mas.MosaikAgents is MosaikAgents
    assert hasattr(pandapower, "Simulator")
