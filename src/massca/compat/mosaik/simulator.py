"""`MosaikAgents`: the MAS as a mosaik simulator. It converts, it does not decide.

Belongs here: the mosaik API (init, create, setup_done, step, get_data, finalize) and the
bookkeeping of one co-simulation: which entity is which agent, the same-time iteration
and convergence, the outputs of the last step. Every decision is the model's, made by the
agents of the chosen runtime (`massca.compat.runtimes`).

Entities, as in the prototype: the first ``MosaikAgents`` created is the coordinator (the
prototype's "mosaik agent"); ``MosaikAgents.create(num, controller=None)`` creates cell
controllers; ``create(num, controller=<eid>)`` creates agents under that one. Whether an
agent under a cell is an intermediate controller or a unit agent follows from the tree
when the simulation starts: agents with children are controllers, the others units.

Same-time (weak) loops: mosaik steps this simulator again at the same time when the
units answered a ``scale_factor``; each such step is the next *iteration*, and
`massca.compat.mosaik.weakloop` says when the loop ends (running past
``convergence_max_steps`` raises `ConvergenceError` naming the time and the last
balance, or warns, if so configured) and what the time step adds up to per cell.

The step's strategy (``between_cells``, ``within_cell``, or the ``execute_method`` hook)
and aggregation (or the ``aggregation_method`` hook) come from `massca.compat.mosaik.hooks`;
cells' interface limits from their ``import_max``/``export_max`` params, units' merit
levels from their ``priority`` params.

mosaik runs this simulator on its own event loop: ``setup_done`` and ``step`` are
generators that yield the runtime's coroutines for mosaik to await (no nested loops).
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import mosaik_api_v3
import structlog

from massca.actors.deadline import enforced, mark
from massca.actors.gcpause import gc_paused
from massca.compat.mosaik.config import MasConfig
from massca.compat.mosaik.convert import (
    STORAGE_INPUTS,
    band_params,
    infer_band,
    interface_params,
    merit_level,
    scale_factor,
    scale_factor_mw,
    seed_dict,
    state_from_seed,
    states_from_inputs,
    storage_state_from_inputs,
)
from massca.compat.mosaik.groups import (
    GROUP_ATTRS,
    GROUP_MODEL,
    UnitGroup,
    group_outputs,
    read_forecast,
    read_group,
)
from massca.compat.mosaik.hooks import COORDINATOR_EID, aggregation_for, strategy_for
from massca.compat.mosaik.hosting import Hosting, hosting_for
from massca.compat.mosaik.weakloop import CellTally, Outcome, WeakLoop, tally
from massca.compat.runtimes import open_runtime
from massca.errors import AgentError, ConvergenceError
from massca.model import (
    ConfigurationError,
    ExchangeLimits,
    Hierarchy,
    Node,
    NodeKind,
    State,
    StepConfig,
    StepResult,
)
from massca.model.network import Network

__all__ = ["META", "MODEL", "MosaikAgents"]

MODEL = "MosaikAgents"

META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {
        MODEL: {
            "public": True,
            "any_inputs": True,
            "params": [
                "controller",
                "unit",
                "min",
                "max",
                "priority",
                "import_max",
                "export_max",
                "delay",
            ],
            "attrs": [
                "current",
                "min",
                "max",
                *(attr for attr in STORAGE_INPUTS if attr != "current"),
                "scale_factor",
                "P_target[MW]",
                "balance",
                "production",
                "consumption",
                "storage",
                "classification",
                "balance_after",
                "classification_after",
                "production_change",
                "consumption_change",
                "storage_change",
                "exchange",
                "grid",
                "unresolved",
                "steptime",
                "steptime_total",
                "iterations",
                "negotiation_messages",
                "negotiations_capped",
                "missing",
                "settled",
                "cells",
            ],
        },
        GROUP_MODEL: {
            "public": True,
            "params": ["controller", "units", "priorities"],
            "attrs": GROUP_ATTRS,
        },
    },
}

log = structlog.get_logger("massca.mosaik")
_SETPOINTS = frozenset({"scale_factor", "P_target[MW]"})
_SCALE_FACTOR_ONLY = ["scale_factor"]
_UNKNOWN_BAND = "production"
"""What a unit's outputs read while its band is unknown (an input_method hook is used)."""


@dataclass(slots=True)
class _Entity:
    eid: str
    parent: str | None
    params: dict[str, float] = field(default_factory=dict)  # from band_params
    band: str | None = None
    priority: float | None = None  # a unit's merit level
    interface: ExchangeLimits | None = None  # a cell's
    group: str | None = None  # the unit group a member unit belongs to
    position: int = 0  # and its place in the group's lists
    delay: float | None = None  # ms of its link to its parent, over a simulated network


class MosaikAgents(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """The MAS simulator; see the module docstring and the README's mosaik section."""

    def __init__(self) -> None:
        super().__init__(META)
        self.sid = ""
        self.config = MasConfig()
        self.hierarchy: Hierarchy | None = None
        self.host: Hosting | None = None
        self._entities: dict[str, _Entity] = {}
        self._states: dict[str, State] = {}
        self._forecasts: dict[str, tuple[State, ...]] = {}  # from groups' forecast inputs
        self._loop = WeakLoop()
        self._emit_setpoints = False
        self._tally: dict[str, CellTally] = {}
        self._result: StepResult | None = None
        self._measured: dict[str, State] = {}
        self._external = 0.0
        self._steptime = 0.0
        self._steptime_total = 0.0
        self._negotiated = (0, 0)  # this time step's negotiation messages, capped negotiations
        self._missing = 0  # agents missing a deadline in this time step, over its iterations
        self._settled = True  # whether this time step's loop ended without being exhausted
        self._closed = False
        self._output_hook: Any = None
        self._bands: dict[str, str] = {}
        self._unbanded: set[str] = set()
        self._params: dict[str, dict[str, float]] = {}
        self._storage: set[str] = set()  # storage units
        self._groups: dict[str, UnitGroup] = {}
        self._inputs_checked = False
        self._hours = 0.25  # a step's length in hours, for batteries' bands

    @property
    def initialised(self) -> bool:
        """Whether mosaik has called `init` (given the MAS its configuration)."""
        return bool(self.sid)

    # -- mosaik API --------------------------------------------------------------------

    def init(self, sid: str, time_resolution: float = 1.0, **params: Any) -> dict[str, Any]:
        self.sid = sid
        self.config = MasConfig.parse(params)
        self._hours = self.config.step_size * time_resolution / 3600.0
        self._output_hook = self.config.hooks.get("output_method")
        self._loop = WeakLoop(self.config.convergence_steps, self.config.convergence_max_steps)
        return self.meta  # type: ignore[no-any-return]

    def create(
        self,
        num: int,
        model: str,
        controller: str | None = None,
        unit: str | None = None,
        min: float | None = None,
        max: float | None = None,
        priority: float | None = None,
        import_max: float | None = None,
        export_max: float | None = None,
        delay: float | None = None,
        units: list[str] | None = None,
        priorities: list[float] | None = None,
    ) -> list[dict[str, Any]]:
        if model not in (MODEL, GROUP_MODEL):
            raise ConfigurationError(
                f"unknown model {model!r}: this simulator has {MODEL!r} and {GROUP_MODEL!r}"
            )
        if self.hierarchy is not None:
            raise ConfigurationError("create every agent before the simulation starts")
        if model == GROUP_MODEL:
            return self._create_groups(num, controller, units, priorities)
        if unit not in (None, "production", "consumption", "storage"):
            raise ConfigurationError(
                f"unit = {unit!r}: give 'production', 'consumption' or 'storage'"
            )
        if unit == "storage" and (min is not None or max is not None):
            raise ConfigurationError(
                "create(unit='storage', min=..., max=...): a battery's band follows from its "
                "inputs (soc, capacity, charge_max, discharge_max), not from min/max"
            )
        parent = self._resolve(controller)
        if delay is not None and not (type(delay) in (int, float) and 0 <= delay < math.inf):
            raise ConfigurationError(
                f"create(delay={delay!r}): give the one-way delay of the agent's link to its "
                "parent in ms, a finite number >= 0"
            )
        params = band_params(min, max)
        level = merit_level(priority)
        interface = interface_params(import_max, export_max)
        created = []
        for _ in range(num):
            if not self._entities:
                eid, entity_parent = COORDINATOR_EID, None
            else:
                eid = f"Agent_{len(self._entities)}"
                entity_parent = parent if parent is not None else COORDINATOR_EID
            if interface is not None and entity_parent != COORDINATOR_EID:
                raise ConfigurationError(
                    "create(import_max=..., export_max=...): interface limits belong to "
                    "cells (controller=None), not to the coordinator or agents below a cell"
                )
            entity = _Entity(eid, entity_parent, dict(params), unit, level, interface)
            if delay is not None:
                if entity_parent is None:
                    raise ConfigurationError(
                        "create(delay=...): the coordinator has no link to a parent; give "
                        "each cell (or agent below) its link's delay"
                    )
                entity.delay = delay
            self._entities[eid] = entity
            created.append({"eid": eid, "type": model})
        return created

    def _create_groups(
        self, num: int, controller: str | None, units: Any, priorities: Any
    ) -> list[dict[str, Any]]:
        """``num`` unit groups (see `massca.compat.mosaik.groups`) under ``controller``."""
        if controller is None:
            raise ConfigurationError(
                f"{GROUP_MODEL}.create(controller=None): a unit group's members are unit "
                "agents under a cell or controller; give its eid"
            )
        parent = self._resolve(controller)
        bands, levels = UnitGroup.check_params(units, priorities)
        created = []
        for _ in range(num):
            eid = f"{GROUP_MODEL}_{len(self._groups)}"
            members = []
            for position, (band, level) in enumerate(zip(bands, levels, strict=True)):
                member = f"Agent_{len(self._entities)}"
                self._entities[member] = _Entity(
                    member, parent, {}, band, level, group=eid, position=position
                )
                members.append(member)
            self._groups[eid] = UnitGroup(eid, tuple(members), bands)
            created.append({"eid": eid, "type": GROUP_MODEL})
        return created

    def setup_done(self) -> Generator[Any, Any, None]:
        if self._groups and self._output_hook is not None:
            raise ConfigurationError(
                f"output_method is called per unit entity, but {len(self._groups)} unit "
                f"group(s) ({GROUP_MODEL}) send lists it would not see: use one or the other"
            )
        self.hierarchy = self._build_hierarchy()
        for unit in self.hierarchy.units:
            entity = self._entities[unit]
            if entity.group is not None:
                continue  # its group converts its inputs
            self._params[unit] = entity.params
            if entity.band is None:
                self._unbanded.add(unit)
            else:
                self._set_band(unit, entity.band)
        sources = [u for u in self.hierarchy.units if self._entities[u].group is None]
        sources += self._groups
        fed = [f"{self.sid}.{eid}" for eid in sources]
        related = yield self.mosaik.get_related_entities(fed)
        lonely = sorted(u.split(".", 1)[1] for u in fed if not related.get(u))
        if lonely:
            raise ConfigurationError(
                f"{len(lonely)} unit agent(s) or group(s) connected to nothing: "
                f"{', '.join(lonely)}; "
                "connect a unit's power to each, e.g. "
                "world.connect(pv, agent, ('P[MW]', 'current'))"
            )
        hooks = self.config.hooks
        runtime = open_runtime(
            self.config.runtime,
            self.hierarchy,
            self._step_config(),
            log=self.config.log,
            timeout=self.config.timeout,
            strategy=strategy_for(
                self.config.between_cells,
                self.config.within_cell,
                hooks.get("execute_method"),
                costs=self.config.costs,
                cohda=self.config.cohda,
                priorities=self._priorities(),
                state_dict=self.config.state_dict,
            ),
            aggregation=aggregation_for(hooks.get("aggregation_method"), self.config.state_dict),
            processes=self.config.processes,
            placement=self.config.placement,
            transport=self.config.transport,
            broker=self.config.broker,
            network=self._network(),
        )
        self.host = hosting_for(runtime)
        yield self.host.start()
        if "initialize" in hooks:
            self._call_hook(
                "initialize", COORDINATOR_EID, 0, hierarchy=self.hierarchy, config=self.config
            )

    def step(
        self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
    ) -> Generator[Any, Any, None]:
        assert self.host is not None
        assert self.hierarchy is not None
        self._loop = self._loop.enter(time)
        iteration = self._loop.iteration
        # The inputs here, the agents' step in the runtime: each within the timeout. A
        # deadline never spans the yield (mosaik may never resume this generator).
        with (
            enforced(self.config.timeout, lambda: f"the inputs at time {time}"),
            gc_paused(),  # thousands of short-lived values, no cycles (see gcpause)
        ):
            self._read_inputs(time, iteration, inputs)
        # The last step's result has served get_data and the inputs: let it go before
        # the agents replace its targets, so that they free them, as in `massca bench`.
        # Held across the step, the shell would hold the last reference and free them.
        self._result = None
        started = clock.perf_counter()
        result = yield self.host.step(time, iteration, self._states, self._forecasts)
        self._steptime = clock.perf_counter() - started
        self._steptime_total = self._steptime + (self._steptime_total if iteration else 0.0)
        self._negotiated = _negotiated(self._negotiated if iteration else (0, 0), result)
        self._missing = len(result.missing) + (self._missing if iteration else 0)
        self._result = result
        self._measured = self._states  # get_data runs before the next step changes it
        self._loop, outcome = self._loop.leave(result.converged)
        self._emit_setpoints = self._loop.emits_setpoints(outcome)
        if self._emit_setpoints or outcome is Outcome.CONVERGED:
            # an exhausted loop's last set-points go to nobody (see WeakLoop): the cells'
            # tallies stay as the iteration before left them
            self._tally = tally(self._tally if iteration else None, result)
        self._settled = outcome is not Outcome.EXHAUSTED
        if not self._settled:
            self._not_converged(time, result)
        self._report(time, iteration, result)
        return None

    def get_data(self, outputs: Mapping[str, list[str]]) -> dict[str, dict[str, Any]]:
        with (
            enforced(self.config.timeout, lambda: f"the outputs at time {self._loop.time}"),
            gc_paused(),  # a dictionary per unit, no cycles (see gcpause)
        ):
            return self._outputs(outputs)

    def _outputs(self, outputs: Mapping[str, list[str]]) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {}
        result = self._result
        if result is None or self.hierarchy is None:
            return data
        kinds = self.hierarchy.kinds
        silent = not self._emit_setpoints and self._output_hook is None
        plain = self._output_hook is None
        emit = self._emit_setpoints
        measured, targets, bands = self._measured, result.targets, self._bands
        groups = self._groups
        for eid, attrs in outputs.items():
            group = groups.get(eid)
            if group is not None:
                values = group_outputs(group, attrs, measured, targets, emit)
                if values:
                    data[eid] = values
                continue
            band = bands.get(eid)  # only units have one (storage units take the general path)
            if band is not None and plain and attrs == _SCALE_FACTOR_ONLY:
                if emit:  # the common case, inlined; plain attribute reads are fastest
                    if band == "production":
                        before = measured[eid].production.current
                        after = targets[eid].production.current
                    else:
                        before = measured[eid].consumption.current
                        after = targets[eid].consumption.current
                    data[eid] = {"scale_factor": scale_factor_mw(before, after)}
                continue
            kind = kinds.get(eid)
            if kind is None:
                raise ConfigurationError(f"no agent {eid!r} in {self.sid}")
            if kind is NodeKind.UNIT:
                if silent and _SETPOINTS.issuperset(attrs):
                    continue  # converged: a unit that only takes set-points gets nothing
                values = self._unit_outputs(eid, attrs, result)
            else:
                values = self._node_outputs(eid, kind, attrs, result)
            if values:
                data[eid] = values
        return data

    def finalize(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if "finalize" in self.config.hooks:
                self._call_hook("finalize", COORDINATOR_EID, self._loop.time)
        finally:
            self._close_runtime()

    # -- conversion ---------------------------------------------------------------------

    def _resolve(self, controller: str | None) -> str | None:
        if controller is None:
            return None
        eid = controller.split(".", 1)[1] if controller.startswith(f"{self.sid}.") else controller
        if eid not in self._entities:
            known = ", ".join(list(self._entities)[:8]) or "none yet"
            raise ConfigurationError(
                f"controller {controller!r} is unknown: create it before its children "
                f"(known: {known})"
            )
        entity = self._entities[eid]
        if entity.band is not None or entity.params:
            raise ConfigurationError(
                f"controller {controller!r} was created as a unit agent (with unit, min or "
                "max): a unit agent has no children, and one with children would "
                "stop being a unit; create them under a cell or controller"
            )
        return eid

    def _build_hierarchy(self) -> Hierarchy:
        if not self._entities:
            raise ConfigurationError("no agents: create the coordinator, cells and units first")
        parents = {e.parent for e in self._entities.values()}
        nodes = []
        for entity in self._entities.values():
            if entity.parent is None:
                kind = NodeKind.COORDINATOR
            elif entity.parent == COORDINATOR_EID:
                kind = NodeKind.CELL
            elif entity.eid in parents:
                kind = NodeKind.CONTROLLER
            else:
                kind = NodeKind.UNIT
            nodes.append(Node(entity.eid, kind, entity.parent))
        hierarchy = Hierarchy(tuple(nodes))
        misplaced = sorted(
            e.eid
            for e in self._entities.values()
            if e.priority is not None and hierarchy.kinds[e.eid] is not NodeKind.UNIT
        )
        if misplaced:
            raise ConfigurationError(
                f"create(priority=...) is a unit agent's merit level, but "
                f"{', '.join(misplaced)} turned out to be coordinator or controller(s)"
            )
        return hierarchy

    def _step_config(self) -> StepConfig:
        """MAS_CONFIG's step settings with the cells' interface limits."""
        interfaces = {
            e.eid: e.interface for e in self._entities.values() if e.interface is not None
        }
        return replace(self.config.step, interfaces=interfaces)

    def _network(self) -> Network | None:
        """The simulated network of MAS_CONFIG ``network`` and the agents' link delays;
        `ConfigurationError` for a link delay without a network."""
        delayed = sorted(eid for eid, e in self._entities.items() if e.delay is not None)
        if self.config.network is None:
            if delayed:
                raise ConfigurationError(
                    f"create(delay=...) for {', '.join(delayed[:5])}: link delays need a "
                    "simulated network; give MAS_CONFIG 'network', e.g. {'delay': 0}"
                )
            return None
        return _with_links(self.config.network, self._entities)

    def _priorities(self) -> dict[str, float]:
        return {e.eid: e.priority for e in self._entities.values() if e.priority is not None}

    def _read_inputs(
        self, time: int, iteration: int, inputs: Mapping[str, Mapping[str, Mapping[str, Any]]]
    ) -> None:
        assert self.hierarchy is not None
        if not self._inputs_checked:  # connections are fixed once the simulation runs
            self._check_measured_agents(inputs)
            self._inputs_checked = True
        coordinator = inputs.get(COORDINATOR_EID, {})
        readings = [
            v
            for v in coordinator.get("current", {}).values()
            if isinstance(v, int | float) and math.isfinite(v)
        ]
        if readings:  # information only: a missing reading keeps the last one
            self._external = math.fsum(readings)
        hook = self.config.hooks.get("input_method")
        if hook is None:
            self._convert(time, inputs)
        else:
            for unit in self.hierarchy.units:
                data = self._unit_inputs(unit, inputs)
                if data is None:
                    continue
                previous = self._states.get(unit)
                value = self._call_hook(
                    "input_method",
                    unit,
                    time,
                    aeid=unit,
                    aid=unit,
                    input_data=data,
                    current_state=seed_dict(previous) if previous else self.config.state_dict,
                    current_time=time,
                    first_time_step=iteration == 0,
                    state_dict=self.config.state_dict,
                )
                self._states[unit] = state_from_seed(value, unit, time, "input_method")
        if len(self._states) < len(self.hierarchy.units):  # holds units only
            missing = [u for u in self.hierarchy.units if u not in self._states]
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise ConfigurationError(
                f"time {time}: {len(missing)} unit agent(s) have had no 'current' input yet: "
                f"{shown}; connect each unit's power to its agent's (or group's) 'current'"
            )

    def _unit_inputs(
        self, unit: str, inputs: Mapping[str, Mapping[str, Mapping[str, Any]]]
    ) -> Mapping[str, Mapping[str, Any]] | None:
        """A unit's inputs in the one-entity-per-unit shape (a group member's sliced out of
        its group's lists), for the ``input_method`` hook; None if it has none."""
        entity = self._entities[unit]
        if entity.group is None:
            return inputs.get(unit)
        data = inputs.get(entity.group)
        if data is None:
            return None
        i = entity.position
        return {
            attr: {source: values[i] for source, values in sources.items()}
            for attr, sources in data.items()
        }

    def _check_measured_agents(self, inputs: Mapping[str, Mapping[str, Any]]) -> None:
        """Refuse a cell or controller that is fed a unit's power: having children made it
        a controller, so its unit would silently drop out of the MAS."""
        assert self.hierarchy is not None
        kinds = self.hierarchy.kinds
        fed = sorted(
            eid
            for eid, data in inputs.items()
            if "current" in data and kinds.get(eid) in (NodeKind.CELL, NodeKind.CONTROLLER)
        )
        if fed:
            raise ConfigurationError(
                f"{', '.join(map(repr, fed))} receive(s) 'current' but have children (cells or "
                "controllers): connect a unit's power to a unit agent without children"
            )

    def _convert(self, time: int, inputs: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        """Default conversion of every unit's inputs (no ``input_method`` hook).

        A unit's band is the ``unit`` param, or inferred from its sources when its first
        input arrives; units without a band yet have had no input and are reported.
        Report by exception: in a same-time iteration, a unit (or unit group) that sends
        nothing holds the set-point it was told (as the main job's simulators do once
        they carried it out exactly).
        """
        for unit in [u for u in self._unbanded if "current" in inputs.get(u, {})]:
            self._set_band(unit, infer_band(unit, list(inputs[unit]["current"])))
            self._unbanded.discard(unit)
        result = self._result  # the targets the units were told in this time step, if any
        if self._loop.iteration and result is not None:
            self._states.update(result.targets)  # overwritten below by every unit that reports
        states_from_inputs(inputs, self._bands, self._params, time, self._states)
        for unit in self._storage:
            data = inputs.get(unit)
            if data is not None:
                self._states[unit] = storage_state_from_inputs(unit, data, self._hours, time)
        for group in self._groups.values():
            data = inputs.get(group.eid)
            if data is not None:
                read_group(group, data, self._hours, time, self._states)
                read_forecast(group, data, time, self._forecasts)

    def _set_band(self, unit: str, band: str) -> None:
        self._entities[unit].band = band
        if band == "storage":  # its own conversion, not the bands' fast path
            self._storage.add(unit)
        else:
            self._bands[unit] = band

    def _unit_outputs(self, eid: str, attrs: list[str], result: StepResult) -> dict[str, Any]:
        band = self._entities[eid].band or _UNKNOWN_BAND
        before = getattr(self._measured[eid], band)
        after = getattr(result.targets[eid], band)
        if self._output_hook is not None:
            state = seed_dict(result.targets[eid])
            state[band]["scale_factor"] = scale_factor(before, after)
            value = self._call_hook(
                "output_method",
                eid,
                self._loop.time,
                aeid=eid,
                aid=eid,
                attrs=attrs,
                current_state=state,
                converged=not self._emit_setpoints,
                current_time_step=self._loop.time,
                first_time_step=self._loop.iteration == 0,
            )
            if not isinstance(value, Mapping):
                raise AgentError(
                    eid,
                    self._loop.time,
                    max(self._loop.iteration, 0),
                    "hook output_method",
                    TypeError(
                        f"returned {type(value).__name__}: return a mapping of attribute "
                        "names to values"
                    ),
                )
            return dict(value)
        values: dict[str, Any] = {}
        for attr in attrs:
            if attr == "scale_factor":
                if self._emit_setpoints:
                    values[attr] = scale_factor(before, after)
            elif attr == "P_target[MW]":
                if self._emit_setpoints:
                    values[attr] = after.current
            elif attr == "current":
                values[attr] = before.current
        return values

    def _node_outputs(
        self, eid: str, kind: NodeKind, attrs: list[str], result: StepResult
    ) -> dict[str, Any]:
        if kind is NodeKind.CELL:
            return self._cell_outputs(self._tally[eid], attrs)
        values: dict[str, Any] = {}
        state = result.aggregates[eid]
        for attr in attrs:
            if attr == "balance":
                values[attr] = state.balance
            elif attr == "production":
                values[attr] = state.production.current
            elif attr == "consumption":
                values[attr] = state.consumption.current
            elif kind is NodeKind.COORDINATOR:
                if attr == "exchange":
                    values[attr] = result.plan.exchange
                elif attr == "unresolved":
                    values[attr] = result.plan.unresolved
                elif attr == "current":
                    values[attr] = self._external
                elif attr == "steptime" and self.config.performance:
                    values[attr] = self._steptime
                elif attr == "steptime_total" and self.config.performance:
                    values[attr] = self._steptime_total
                elif attr == "iterations":
                    values[attr] = self._loop.iteration + 1
                elif attr == "negotiation_messages":
                    values[attr] = self._negotiated[0]
                elif attr == "negotiations_capped":
                    values[attr] = self._negotiated[1]
                elif attr == "missing":
                    values[attr] = self._missing
                elif attr == "settled":
                    values[attr] = int(self._settled)
                elif attr == "cells":  # every cell's outputs in one value
                    values[attr] = {c: self._cell_outputs(t) for c, t in self._tally.items()}
        return values

    @staticmethod
    def _cell_outputs(cell: CellTally, attrs: list[str] | None = None) -> dict[str, Any]:
        """A cell's outputs ``attrs`` (all if None): its measured state before this time
        step's redispatch, its state after the latest, the changes so far and where its
        residual goes."""
        latest = cell.latest
        values = {
            "production": cell.before.production.current,
            "consumption": cell.before.consumption.current,
            "storage": cell.before.storage.current,
            "balance": cell.before.balance,
            "classification": cell.balance_before.value,
            "balance_after": latest.state.balance,
            "classification_after": latest.balance.value,
            "production_change": cell.production_change,
            "consumption_change": cell.consumption_change,
            "storage_change": cell.storage_change,
            "exchange": latest.plan.exchange,
            "grid": latest.plan.grid,
            "unresolved": latest.plan.unresolved,
        }
        if attrs is None:
            return values
        return {attr: values[attr] for attr in attrs if attr in values}

    # -- hooks, convergence, reporting --------------------------------------------------

    def _call_hook(self, hook: str, agent: str, time: int, **kwargs: Any) -> Any:
        try:
            return self.config.hooks[hook](**kwargs)
        except Exception as error:
            iteration = max(self._loop.iteration, 0)
            raise AgentError(agent, time, iteration, f"hook {hook}", error) from error

    def _not_converged(self, time: int, result: StepResult) -> None:
        assert self.hierarchy is not None
        balance = result.aggregates[self.hierarchy.root].balance
        message = (
            f"the MAS did not converge at time {time} within "
            f"{self.config.convergence_max_steps} iterations; last system balance "
            f"{balance:.6g} MW, plan {result.plan}"
        )
        if self.config.on_no_convergence == "raise":
            raise ConvergenceError(
                message + "; raise convergence_max_steps or set on_no_convergence='warn'"
            )
        if self.config.on_no_convergence == "warn":
            log.warning("no convergence", time=time, balance=balance, plan=str(result.plan))

    def _report(self, time: int, iteration: int, result: StepResult) -> None:
        verbose = self.config.verbose
        if verbose >= 1:
            log.info(
                "mas step",
                time=time,
                iteration=iteration,
                converged=result.converged,
                balances={c: b.value for c, b in result.balances.items()},
                balances_after={c: b.value for c, b in result.balances_after.items()},
                exchange=result.plan.exchange,
                steptime_ms=round(self._steptime * 1e3, 3),
            )
        if verbose >= 2:
            for agent, state in result.aggregates.items():
                log.info(
                    "aggregate", time=time, iteration=iteration, agent=agent, state=seed_dict(state)
                )
            for unit, state in result.targets.items():
                log.info(
                    "target", time=time, iteration=iteration, agent=unit, state=seed_dict(state)
                )

    def _close_runtime(self) -> None:
        host, self.host = self.host, None
        if host is not None:
            host.close()


mark(
    MosaikAgents._call_hook,
    lambda frame: (
        frame.f_locals["agent"],
        f"hook {frame.f_locals['hook']} of {frame.f_locals['agent']!r}",
    ),
)


def _with_links(network: Network, entities: Mapping[str, _Entity]) -> Network:
    """``network`` with the link delays its agents were created with."""
    links = {eid: e.delay for eid, e in entities.items() if e.delay is not None}
    return replace(network, links=links) if links else network


def _negotiated(before: tuple[int, int], result: StepResult) -> tuple[int, int]:
    """``before`` (messages, capped negotiations) plus ``result``'s negotiation, if any."""
    negotiation = result.negotiation
    if negotiation is None:
        return before
    return before[0] + negotiation.messages, before[1] + negotiation.capped
