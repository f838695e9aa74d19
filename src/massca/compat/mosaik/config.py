"""The MAS simulator's configuration: the prototype's MAS_CONFIG keys plus massca's own.

Belongs here: parsing the keyword arguments of ``world.start('MAS', **MAS_CONFIG)`` into a
frozen `MasConfig`, collecting every problem into one `ConfigurationError`. Not here:
what the hooks do (`hooks`) or how a step runs (`simulator`).
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from massca.actors import DEFAULT_TIMEOUT
from massca.compat.runtimes import RUNTIMES
from massca.compat.spread import PLACEMENTS, TRANSPORTS, broker_address
from massca.model import (
    BETWEEN_CELLS,
    WITHIN_CELL,
    CohdaStrategy,
    ConfigurationError,
    Costs,
    ExchangeLimits,
    StepConfig,
)
from massca.model.network import Network

__all__ = ["ALIASES", "HOOKS", "KEYS", "MasConfig"]

HOOKS = (
    "input_method",
    "output_method",
    "aggregation_method",
    "execute_method",
    "initialize",
    "finalize",
)
"""The prototype's user hooks; see the README for each one's signature."""

ALIASES = {
    "convegence_max_steps": "convergence_max_steps",  # the prototype's spelling
    "states_agg_method": "aggregation_method",
}

KEYS = {
    "step_size": "seconds between the MAS steps (default 900); also the step a battery's "
    "band is made for",
    "verbose": "0 silent, 1 one line per step, 2 every agent's state (structlog)",
    "performance": "output the MAS step's wall time as 'steptime' [s] on the coordinator",
    "convergence_steps": "converged iterations needed before outputs stop (default 1)",
    "convergence_max_steps": "iterations of one time step before it fails (default 5)",
    "on_no_convergence": "'raise' (default), 'warn' or 'accept' (silently) when "
    "convergence_max_steps is hit: the time step ends as the iteration before left it",
    "state_dict": "the prototype's state template, passed to the hooks as given",
    **dict.fromkeys(HOOKS, "a user hook (see the README)"),
    "runtime": "'native' (default) or 'mango'",
    "processes": "worker processes the agents spread over, whole cells each (default 1: "
    "all in this process)",
    "placement": "which worker holds which cells: 'blocks' (default) or 'round-robin'",
    "transport": "how worker processes talk: 'tcp' (default) or 'mqtt'",
    "broker": "the MQTT broker as 'HOST:PORT', or 'auto' (default: massca starts one)",
    "log": "path of the event log, or None/False to switch it off (default: off)",
    "timeout": (
        f"seconds reading one step's inputs, the agents' step and writing the outputs may "
        f"each take (default {DEFAULT_TIMEOUT:g})"
    ),
    "tolerance": "MW of imbalance still counted as balanced (default 1e-6)",
    "limits": "{'import_max': MW, 'export_max': MW} of the external grid (default none)",
    "merit_order": "order of 'storage', 'production', 'consumption', 'exchange' (storage "
    "may be left out, as in the seed's: it then comes first)",
    "between_cells": f"{', '.join(BETWEEN_CELLS)} or a function (default 'cellular')",
    "within_cell": f"{', '.join(WITHIN_CELL)} or a function (default 'proportional')",
    "costs": "per-MW costs for 'optimal': {'production', 'consumption', 'storage', 'exchange', "
    "'grid', 'unresolved'}",
    "cohda": "options of 'cohda': {'levels', 'topology', 'neighbours', 'seed', 'max_messages', "
    "'target'} (see massca.model.CohdaStrategy)",
    "network": "simulate the ICT network (native runtime, one process): {'delay': ms of every "
    "link, 'loss': probability, 'seed': n, 'deadline': ms} (a link's own delay: "
    "create(delay=ms); see massca.model.network)",
}
"""Every key the MAS simulator accepts, with what it means."""


@dataclass(frozen=True, slots=True)
class MasConfig:
    """The parsed configuration; build it with `MasConfig.parse`."""

    step_size: int = 900
    verbose: int = 0
    performance: bool = False
    convergence_steps: int = 1
    convergence_max_steps: int = 5
    on_no_convergence: str = "raise"
    state_dict: Any = None
    hooks: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    runtime: str = "native"
    processes: int = 1
    placement: str = "blocks"
    transport: str = "tcp"
    broker: tuple[str, int] | None = None
    log: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    step: StepConfig = field(default_factory=StepConfig)
    between_cells: str | Callable[..., Any] = "cellular"
    within_cell: str | Callable[..., Any] = "proportional"
    costs: Costs | None = None
    cohda: CohdaStrategy | None = None
    network: Network | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> MasConfig:
        """Validate ``params``; one `ConfigurationError` lists every problem."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        given: dict[str, str] = {}  # the key each setting was given by
        for key, value in params.items():
            canonical = ALIASES.get(key, key)
            if canonical not in KEYS:
                continue
            if canonical in values:
                problems.append(f"{given[canonical]!r} and {key!r} are the same setting: give one")
            values[canonical] = value
            given[canonical] = key
        unknown = sorted(k for k in params if ALIASES.get(k, k) not in KEYS)
        if unknown:
            valid = ", ".join(sorted(KEYS))
            problems.append(
                f"unknown MAS_CONFIG key(s) {', '.join(map(repr, unknown))}; valid: {valid}"
            )
        hooks = {}
        for hook in HOOKS:
            value = values.pop(hook, None)
            if value is None:
                continue
            function = _function(hook, value, problems)
            if function is not None:
                hooks[hook] = function
        config = {}
        _int(values, "step_size", 1, problems, config)
        _int(values, "verbose", 0, problems, config, high=2)
        _int(values, "convergence_steps", 1, problems, config)
        _int(values, "convergence_max_steps", 1, problems, config)
        if "performance" in values:
            config["performance"] = bool(values["performance"])
        if "state_dict" in values:
            config["state_dict"] = values["state_dict"]
        policy = values.get("on_no_convergence", "raise")
        if policy not in ("raise", "warn", "accept"):
            problems.append(f"on_no_convergence = {policy!r}: choose 'raise', 'warn' or 'accept'")
        config["on_no_convergence"] = policy
        runtime = values.get("runtime", "native")
        if runtime not in RUNTIMES:
            problems.append(f"runtime = {runtime!r}: choose one of {', '.join(RUNTIMES)}")
        config["runtime"] = runtime
        _int(values, "processes", 1, problems, config)
        placement = values.get("placement", "blocks")
        if placement not in PLACEMENTS:
            problems.append(f"placement = {placement!r}: choose one of {', '.join(PLACEMENTS)}")
        config["placement"] = placement
        transport = values.get("transport", "tcp")
        if transport not in TRANSPORTS:
            problems.append(f"transport = {transport!r}: choose one of {', '.join(TRANSPORTS)}")
        config["transport"] = transport
        if transport == "mqtt" and values.get("processes", 1) == 1:
            problems.append("transport = 'mqtt' needs worker processes: give processes >= 2")
        try:
            config["broker"] = broker_address(values.get("broker"))
        except ConfigurationError as error:
            problems.append(str(error))
        log = values.get("log")
        if log not in (None, False):
            if not isinstance(log, str | os.PathLike):
                problems.append(f"log = {log!r}: give a file path, or None to switch it off")
            else:
                config["log"] = os.fspath(log)
        timeout = values.get("timeout", DEFAULT_TIMEOUT)
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            problems.append(f"timeout = {timeout!r}: must be a number of seconds > 0")
        else:
            config["timeout"] = float(timeout)
        step = _step_config(values, problems)
        _strategy(values, hooks, problems, config)
        _network(values, problems, config)
        if problems:
            raise ConfigurationError("MAS configuration: " + "; ".join(problems))
        assert step is not None
        return cls(hooks=hooks, step=step, **config)


def _function(key: str, value: Any, problems: list[str]) -> Callable[..., Any] | None:
    """The function ``value`` is or names (``'package.module:function'``, imported here:
    how a hook reaches a MAS in another process, which mosaik's JSON cannot send a
    function to), or None with the problem noted."""
    if callable(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or value.count(":") != 1:
        problems.append(
            f"{key} must be a function or 'module:function', got {type(value).__name__}"
        )
        return None
    module, name = value.split(":")
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        problems.append(f"{key} = {value!r}: cannot import it ({type(error).__name__}: {error})")
        return None
    if not callable(function):
        problems.append(f"{key} = {value!r}: names a {type(function).__name__}, not a function")
        return None
    return function  # type: ignore[no-any-return]


NETWORK_KEYS = ("delay", "loss", "seed", "deadline")


def _network(values: Mapping[str, Any], problems: list[str], out: dict[str, Any]) -> None:
    """The ``network`` key as a `Network` (without per-link delays: those come with the
    agents, ``create(delay=...)``)."""
    given = values.get("network")
    if given is None:
        return
    if not isinstance(given, Mapping) or set(given) - set(NETWORK_KEYS):
        problems.append(
            f"network = {given!r}: give a mapping of {', '.join(map(repr, NETWORK_KEYS))}"
        )
        return
    if values.get("runtime", "native") != "native" or values.get("processes", 1) != 1:
        problems.append("network: a simulated network runs on the native runtime in one process")
    try:
        out["network"] = Network(
            given.get("delay", 0.0),
            loss=given.get("loss", 0.0),
            seed=given.get("seed", 0),
            deadline_ms=given.get("deadline"),
        )
    except ConfigurationError as error:
        problems.append(str(error))


def _int(
    values: Mapping[str, Any],
    key: str,
    low: int,
    problems: list[str],
    out: dict[str, Any],
    high: int | None = None,
) -> None:
    if key not in values:
        return
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{key} = {value!r}: must be a whole number")
    elif value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        problems.append(f"{key} = {value!r}: must be {bound}")
    else:
        out[key] = value


def _strategy(
    values: Mapping[str, Any],
    hooks: Mapping[str, Any],
    problems: list[str],
    out: dict[str, Any],
) -> None:
    chosen = [key for key in ("between_cells", "within_cell") if key in values]
    if "execute_method" in hooks and chosen:
        problems.append(
            f"execute_method decides at every level: give it or {' and '.join(chosen)}, not both"
        )
    for key, names in (("between_cells", BETWEEN_CELLS), ("within_cell", WITHIN_CELL)):
        if key not in values:
            continue
        value = values[key]
        if value in names:
            out[key] = value
        elif callable(value) or (isinstance(value, str) and ":" in value):
            function = _function(key, value, problems)
            if function is not None:
                out[key] = function
        else:
            problems.append(
                f"{key} = {value!r}: choose one of {', '.join(names)}, a function or "
                "'module:function'"
            )
    between = out.get("between_cells", "cellular")
    for spec in _PARAMETERS:
        if spec.key in values:
            spec.read(values[spec.key], between, problems, out)


@dataclass(frozen=True, slots=True)
class _Parameters:
    """A built-in strategy's parameters in MAS_CONFIG: under ``key``, for between_cells
    ``strategy``, a mapping of ``mapping`` given to ``build``; ``keys`` says which."""

    key: str
    strategy: str
    label: str
    mapping: str
    build: Callable[..., Any]
    keys: str

    def read(self, given: Any, between: Any, problems: list[str], out: dict[str, Any]) -> None:
        """``out[key]`` built from ``given``, or the problem with it in ``problems``."""
        if between != self.strategy:
            problems.append(f"{self.label} a parameter of between_cells={self.strategy!r} only")
        elif not isinstance(given, Mapping):
            problems.append(f"{self.key} = {given!r}: give a mapping of {self.mapping}")
        else:
            try:
                out[self.key] = self.build(**given)
            except TypeError:
                problems.append(f"{self.key} = {dict(given)!r}: {self.keys}")
            except ConfigurationError as error:
                problems.append(str(error))


_PARAMETERS = (
    _Parameters(
        "costs",
        "optimal",
        "costs are",
        "resource -> cost per MW",
        Costs,
        "the keys are production, consumption, storage, exchange, grid and unresolved",
    ),
    _Parameters(
        "cohda",
        "cohda",
        "cohda options are",
        "option -> value",
        CohdaStrategy,
        "the options are levels, topology, neighbours, seed, max_messages, target and horizon",
    ),
)


def _step_config(values: Mapping[str, Any], problems: list[str]) -> StepConfig | None:
    try:
        limits = values.get("limits") or {}
        if not isinstance(limits, Mapping) or set(limits) - {"import_max", "export_max"}:
            raise ConfigurationError(
                f"limits = {limits!r}: give {{'import_max': MW, 'export_max': MW}}"
            )
        order = values.get("merit_order")
        return StepConfig(
            limits=ExchangeLimits(
                float(limits.get("import_max", math.inf)), float(limits.get("export_max", math.inf))
            ),
            tolerance=values.get("tolerance", StepConfig().tolerance),
            merit_order=StepConfig().merit_order if order is None else order,
        )
    except (ConfigurationError, ValueError, TypeError) as error:
        problems.append(str(error))
        return None
