"""Assembling the default scenario's mosaik world, the way the prototype's scenario did.

Belongs here: starting the simulators, creating entities and connecting them. Not here:
what each simulator does, running the world and reporting (`run`).

The world: the grid (`massca.scenario.gridsim`, mosaik-pandapower-2's with a recycled
power flow, every step); one unit simulator (PV, wind, loads with SimBench profiles,
dispatchable CHP and fuel cells); one battery simulator (`massca.scenario.batteries`;
none if ``storage_hours`` is 0); the MAS (massca's mosaik shell) in a group with the
units and batteries so that set-points can loop back within a time step; the results
collector.
Per cell: a cell controller with the cell's interface limits (its transformers' rating
times ``interface_scale``), a chain of ``depth`` controllers over the cell's units
(shuffled with ``seed``, then divided evenly, as the prototype did), one agent per unit
with its merit level (`MERIT_LEVELS`, used by ``within = "merit"``). The MAS decides
with the configured strategies and the external grid's ``grid_limit``.
mosaik moves lists, not a value per unit: the units under one controller are one
``Units`` entity of the unit simulator, their batteries one ``Batteries`` entity, each
read by one unit group of the MAS (`massca.compat.mosaik.groups`), which sends back one
list of ``P_target[MW]`` set-points, and each feeds its buses through one ``Injections``
entity of the grid (generators and discharging batteries into ``P_gen[MW]``, loads and
charging batteries into ``P_load[MW]``); the original grid elements are disabled. The
external grid's power reaches the coordinator one step late (time-shifted), as in the
prototype.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from massca.compat.mosaik.convert import STORAGE_INPUTS
from massca.compat.mosaik.groups import GROUP_MODEL
from massca.memory import check_fits
from massca.model.builders import split_evenly
from massca.model.network import Network
from massca.scenario.config import ScenarioConfig
from massca.scenario.grid import GridUnit, build_grid, interface_ratings
from massca.scenario.profiles import SLOT_SECONDS, load_profiles
from massca.scenario.progress import REPORT_EVERY, RunProgress
from massca.scenario.results import BATTERY_OUTPUTS

__all__ = [
    "BATTERY_EFFICIENCY",
    "BYTES_PER_CELL",
    "LOG_NAME",
    "MERIT_LEVELS",
    "ScenarioWorld",
    "build_world",
    "check_size",
]

MERIT_LEVELS = {
    "wind": 0.0,
    "pv": 1.0,
    "dispatchable": 2.0,
    "battery": 0.0,
    "commercial": 0.0,
    "residential": 1.0,
}
"""Merit levels by a unit's profile (lower is used first): wind is curtailed before PV,
and both before a dispatchable unit is turned down; commercial and industrial loads
shift before residential ones."""

SIM_CONFIG = {
    "Grid": {"python": "massca.scenario.gridsim:RecyclingGrid"},
    "Units": {"python": "massca.scenario.units:UnitSimulator"},
    "Batteries": {"python": "massca.scenario.batteries:BatterySimulator"},
    "MAS": {"python": "massca.compat.mosaik:MosaikAgents"},
    "Results": {"python": "massca.scenario.results:ResultsCollector"},
}
BYTES_PER_CELL = 650_000
"""Memory one cell of the default scenario takes (its grid, profiles, simulators' and
agents' state): measured 592 KB per cell (peak RSS over 2, 12 and 60 cells), rounded
up."""
_BANDS = {
    "pv": "production",
    "wind": "production",
    "dispatchable": "production",
    "load": "consumption",
    "battery": "storage",
}
_BATTERY_INPUTS = tuple(attr for attr in STORAGE_INPUTS if attr != "current")
LOG_NAME = "events.zst"
"""The event log in the run folder: compact and compressed (`massca.log.writer`)."""
BATTERY_EFFICIENCY = 0.95
"""The batteries' charge and discharge efficiency (about 90 % round trip, lithium-ion)."""


@dataclass(slots=True)
class ScenarioWorld:
    """A built, not yet run, world and what the report needs to know about it."""

    world: Any
    agents: int
    units: tuple[GridUnit, ...]
    cells: dict[str, str]  # MAS eid of each cell -> "cell-<i>"
    log_path: Path | None
    results_path: Path
    storage_mwh: float = 0.0  # the batteries' energy capacity, all cells


def check_size(config: ScenarioConfig) -> None:
    """Refuse (`ConfigurationError`) a world for ``config`` whose estimate
    (`BYTES_PER_CELL` per cell) exceeds the memory left, naming both."""
    check_fits(
        config.cells * BYTES_PER_CELL,
        f"massca run --cells {config.cells} (at {BYTES_PER_CELL / 1e6:g} MB per cell)",
        "give fewer cells",
    )


def build_world(
    config: ScenarioConfig, out: Path, report: Callable[[str], None] | None = None
) -> ScenarioWorld:
    """The mosaik world for ``config``, writing into the folder ``out``.

    Check its size first (`check_size`; `massca.scenario.run_scenario` does, before it
    takes the folder). ``report``, if given, hears how the
    building goes (every `REPORT_EVERY` seconds while the cells' agents are created) and
    then how the run goes (`massca.scenario.progress.RunProgress`)."""
    import mosaik

    say = report or (lambda text: None)
    say(f"building the grid of {config.cells} cell(s) ...")
    profiles = load_profiles(config.start_time(), _seconds_with_forecast(config))
    net, units = build_grid(config.cells)
    if config.storage_hours == 0:
        units = tuple(u for u in units if u.kind != "battery")
    ratings = interface_ratings(net, config.cells)
    world = mosaik.World(SIM_CONFIG, skip_greetings=True, configure_logging=False)
    gridsim = world.start("Grid", step_size=config.step)
    grid = gridsim.Grid(net=net)
    entities = {e.eid: e for e in grid.children}
    log_path = out / LOG_NAME if config.log else None
    network = config.network()
    with world.group():
        massim = world.start(
            "MAS",
            step_size=config.step,
            runtime=config.runtime,
            processes=config.processes,
            placement=config.placement,
            transport=config.transport,
            broker=config.broker,
            log=None if log_path is None else str(log_path),
            performance=True,
            convergence_max_steps=5,
            # over a lossy network a time step may not settle in its iterations: that is
            # part of what a study of loss measures, not a failure of the run
            on_no_convergence="raise" if network is None else "accept",
            between_cells=config.strategy,
            within_cell=config.within,
            **({"cohda": {"horizon": config.horizon}} if config.horizon > 1 else {}),
            **({} if network is None else {"network": _network_settings(network)}),
            limits={}
            if config.grid_limit is None
            else {"import_max": config.grid_limit, "export_max": config.grid_limit},
        )
        # over a simulated network the confirming iteration is a second round that can
        # make up for lost messages: the units report every iteration then
        by_exception = network is None  # massca.scenario.reporting
        unitsim = world.start(
            "Units",
            step_size=config.step,
            profiles=profiles,
            horizon=config.horizon,
            report_by_exception=by_exception,
        )
        batterysim = world.start(
            "Batteries", step_size=config.step, report_by_exception=by_exception
        )
    sims = _Sims(massim, unitsim, batterysim, gridsim)
    coordinator = massim.MosaikAgents()
    rng = random.Random(config.seed)
    cells: dict[str, str] = {}
    batteries: dict[str, tuple[str, Any]] = {}  # bank eid -> (its cell, the entity)
    storage_mwh = 0.0
    agents = 1
    said = time.monotonic()
    for cell in range(config.cells):
        if time.monotonic() - said > REPORT_EVERY:
            say(f"creating the agents of cell {cell + 1} of {config.cells} ...")
            said = time.monotonic()
        limit = ratings[cell] * config.interface_scale
        delay = config.cell_delays.get(f"cell-{cell}")
        cell_agent = massim.MosaikAgents.create(
            num=1,
            controller=None,
            import_max=limit,
            export_max=limit,
            **({} if delay is None else {"delay": delay}),
        )[0]
        cells[cell_agent.eid] = f"cell-{cell}"
        members = [u for u in units if u.cell == cell]
        der_factor = config.der_scale * rng.uniform(0.5, 1.5)
        rng.shuffle(members)
        chain = [cell_agent]
        groups = split_evenly(members, config.depth) if config.depth else [members]
        agents += 1
        for group in groups:
            if config.depth:
                chain.append(massim.MosaikAgents.create(num=1, controller=chain[-1].eid)[0])
                agents += 1
            _add_units(world, sims, chain[-1].eid, group, der_factor, config)
            bank = _add_batteries(world, sims, chain[-1].eid, group, der_factor, config)
            if bank is not None:
                batteries[bank.eid] = (f"cell-{cell}", bank)
                storage_mwh += sum(
                    u.rating_mw * der_factor * config.storage_hours
                    for u in group
                    if u.kind == "battery"
                )
            agents += len(group)
    # the units now feed their buses: the grid's own elements must not count twice (the
    # batteries are no grid elements: `build_grid` took them out)
    gridsim.disable_elements(
        [
            f"{'StaticGen' if u.element == 'sgen' else 'Load'}-{u.index}"
            for u in units
            if u.element != "storage"
        ]
    )
    ext_grid = next(e for eid, e in entities.items() if eid.startswith("ExternalGrid"))
    world.connect(
        ext_grid,
        coordinator,
        ("P[MW]", "current"),
        time_shifted=config.step,  # the coordinator sees the last step's power flow
    )
    results_path = out / "results.csv"
    results = world.start(
        "Results",
        path=str(results_path),
        start=config.start_time().isoformat(),
        cells=cells,
        batteries={eid: cell for eid, (cell, _) in batteries.items()},
        step_size=config.step,
        progress=None if report is None else RunProgress(config.steps, report).step_done,
    )
    collector = results.Collector()
    for _, battery in batteries.values():
        world.connect(battery, collector, *BATTERY_OUTPUTS)
    world.connect(
        coordinator,
        collector,
        "exchange",
        "unresolved",
        "steptime_total",
        "iterations",
        "negotiation_messages",
        "negotiations_capped",
        "missing",
        "settled",
        "cells",  # mosaik moves one value instead of 13 per cell (2 ms of a 50-cell step)
    )
    world.connect(ext_grid, collector, "P[MW]")
    return ScenarioWorld(world, agents, units, cells, log_path, results_path, storage_mwh)


def _seconds_with_forecast(config: ScenarioConfig) -> int:
    """The run's seconds, and the forecast's beyond its end, within the profiles' year."""
    start = config.start_time()
    year_left = int((datetime(start.year + 1, 1, 1) - start).total_seconds())
    return min(config.seconds + (config.horizon - 1) * SLOT_SECONDS, year_left)


@dataclass(frozen=True, slots=True)
class _Sims:
    """The started simulators the units are created in."""

    mas: Any
    units: Any
    batteries: Any
    grid: Any


def _add_units(
    world: Any,
    sims: _Sims,
    controller: str,
    group: list[GridUnit],
    der_factor: float,
    config: ScenarioConfig,
) -> None:
    """The group's units other than batteries (generators' ratings times ``der_factor``):
    one ``Units`` entity, its unit group of agents under ``controller`` and its
    injections into the grid, connected."""
    chosen = [u for u in group if u.kind != "battery"]
    if not chosen:
        return
    entity = sims.units.Units(
        units=[
            {
                "kind": u.kind,
                "rating": u.rating_mw * (1.0 if u.kind == "load" else der_factor),
                "profile": u.profile,
                "flexibility": config.flexibility if u.kind == "load" else 0.0,
            }
            for u in chosen
        ]
    )
    agents = _agents(sims, controller, chosen)
    world.connect(entity, agents, ("P[MW]", "current"), ("P_min[MW]", "min"), ("P_max[MW]", "max"))
    if config.horizon > 1:
        world.connect(entity, agents, "forecast")
    world.connect(agents, entity, "P_target[MW]", weak=True)
    injections = sims.grid.Injections(buses=[u.bus for u in chosen])
    world.connect(entity, injections, "P_gen[MW]", "P_load[MW]")


def _add_batteries(
    world: Any,
    sims: _Sims,
    controller: str,
    group: list[GridUnit],
    der_factor: float,
    config: ScenarioConfig,
) -> Any:
    """The group's batteries (ratings times ``der_factor``): one ``Batteries`` entity, its unit
    group of storage agents under ``controller`` and its injections, connected; returns
    the entity, or None if the group has no battery."""
    chosen = [u for u in group if u.kind == "battery"]
    if not chosen:
        return None
    bank = sims.batteries.Batteries(
        batteries=[
            {
                "capacity": u.rating_mw * der_factor * config.storage_hours,
                "soc": config.soc0,
                "charge_max": u.rating_mw * der_factor,
                "discharge_max": u.rating_mw * der_factor,
                "charge_efficiency": BATTERY_EFFICIENCY,
                "discharge_efficiency": BATTERY_EFFICIENCY,
            }
            for u in chosen
        ]
    )
    agents = _agents(sims, controller, chosen)
    world.connect(bank, agents, ("P[MW]", "current"), *_BATTERY_INPUTS)
    world.connect(agents, bank, "P_target[MW]", weak=True)
    injections = sims.grid.Injections(buses=[u.bus for u in chosen])
    world.connect(
        bank, injections, ("P_discharge[MW]", "P_gen[MW]"), ("P_charge[MW]", "P_load[MW]")
    )
    return bank


def _agents(sims: _Sims, controller: str, units: list[GridUnit]) -> Any:
    """One unit group of the MAS for ``units``, under ``controller``."""
    return getattr(sims.mas, GROUP_MODEL)(
        controller=controller,
        units=[_BANDS[u.kind] for u in units],
        priorities=[MERIT_LEVELS[u.profile] for u in units],
    )


def _network_settings(network: Network) -> dict[str, Any]:
    """MAS_CONFIG's ``network`` for ``network`` (the cells' own delays go with them)."""
    return {
        "delay": network.delay_ms,
        "loss": network.loss,
        "seed": network.seed,
        "deadline": network.deadline_ms,
    }
