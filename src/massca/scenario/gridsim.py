"""The main job's grid simulator: mosaik-pandapower-2's, with a power flow that reuses
pandapower's internal model and inputs written by whole columns.

Belongs here: `RecyclingGrid`. Not here: the grid itself (`massca.scenario.grid`) or
which simulator the seed-style scenario uses (mosaik-pandapower-2's own, unchanged).

mosaik-pandapower-2 writes every input value with pandas ``.at`` and runs
``pp.runpp(net)``, which rebuilds pandapower's internal model (bus-branch matrices,
lookups) every step, although only loads' and generators' powers change. Here:

* inputs are gathered per pandapower table and column and written in one assignment
  each, through the same `MODEL_TO_ELEMENT_SPECS` as the original (one mapping, two
  write strategies; the rows an entity's attribute writes to are looked up once);
* the power flow runs with ``recycle={"bus_pq": True}``: after the first step
  pandapower keeps its model and only updates the buses' P and Q. Its results agree
  with a full run within the Newton-Raphson tolerance (pandapower's ``tolerance_mva``
  default 1e-8, `tests/integration/test_gridsim.py`): recycling starts from the last
  step's voltages, so the iterations end at a slightly different point inside it.

Model ``Injections`` (added here): many buses' injections in one entity, created after the
grid with ``buses=[<bus index>, ...]``; its inputs ``P_gen[MW]`` and ``P_load[MW]`` are
lists with one value per listed bus (a bus may be listed more than once: its values add
up), one source each, so mosaik moves a list where it moved a value per bus and unit. They
feed the same hidden generator and load per bus as the ``Bus`` entities' inputs; all
inputs that reach one row in a step add up.

The Newton-Raphson solve is lightsim2grid's (a dependency; pandapower picks it when it is
installed and the grid allows it): a voltages-only power flow (below) takes 1.6 ms at 50
cells with it, 13.0 ms with pandapower's own solver and 6.5 ms with numba, which gains
nothing beside lightsim2grid and is not used (`benchmarks/power_flow.py`).

Results on demand: pandapower spends a third of a recycled power flow (5 of 15 ms at 50
cells with its own solver; 5 of 6.7 ms with lightsim2grid) writing every result table
(buses, lines, transformers, switches), and the main job reads only the external grid's
power. So, after the first power flow, a step solves for the voltages only (pandapower's
``only_v_results``, what its own time series use) and computes the external grid's P and
Q from them as pandapower does (the slack bus's injection plus what its bus consumes):
from the same voltages, bit for bit the values pandapower writes (to 1e-9 MW after a
different number of iterations). The first get_data
that asks for anything else makes every later step write every table again (and this
step's too); so does a grid where the shortcut does not hold (not exactly one external
grid, voltage-controlled generators, or a first power flow where the two disagree).

Only what the scenario does is allowed: elements switched in or out of service after the
first power flow, or profiles inside the grid simulator, would make the recycled model
stale, so both are refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandapower as pp
from mosaik_components.pandapower.simulator import MODEL_TO_ELEMENT_SPECS, Simulator
from pandapower.auxiliary import LoadflowNotConverged
from pandapower.pypower.idx_bus import PD, QD

from massca.model import ConfigurationError

__all__ = ["INJECTIONS", "RECYCLE", "RecyclingGrid"]


def _slack_power(net: Any) -> tuple[np.ndarray, np.ndarray]:
    """The external grid's P and Q [MW, Mvar] from the last power flow's voltages, as
    pandapower's ``pfsoln`` computes them: the power injected at the slack bus plus what
    the bus itself consumes. Assumes one external grid and no voltage-controlled gens."""
    internal = net._ppc["internal"]
    ref, voltages = internal["ref"], internal["V"]
    injected = voltages[ref] * np.conj(internal["Ybus"][ref, :] @ voltages) * internal["baseMVA"]
    bus = internal["bus"]
    return injected.real + bus[ref, PD], injected.imag + bus[ref, QD]


def _slack_power_agrees(net: Any) -> bool:
    """Whether `_slack_power` holds for ``net``: exactly one external grid, no in-service
    voltage-controlled generator, and the full power flow just run gives the same P and
    Q (to 1e-9 MW, rounding)."""
    if len(net.ext_grid) != 1 or not net.ext_grid.in_service.all() or net.gen.in_service.any():
        return False
    p, q = _slack_power(net)
    full = net.res_ext_grid
    return bool(
        np.allclose(p, full.p_mw.to_numpy(), rtol=0, atol=1e-9)
        and np.allclose(q, full.q_mvar.to_numpy(), rtol=0, atol=1e-9)
    )


INJECTIONS = "Injections"
_INJECTED = {"P_gen[MW]": ("sgen", "p_mw"), "P_load[MW]": ("load", "p_mw")}
"""An ``Injections`` input -> the table and column of each bus's hidden element."""

RECYCLE = {"bus_pq": True, "gen": False, "trafo": False}
"""What pandapower recomputes each step: the buses' P and Q only."""
_RUNPP = {"recycle": RECYCLE, "numba": False}
"""``runpp``'s options for every step: numba off (see the module docstring; asked for and
not installed, pandapower prints a warning on stderr)."""

_Target = tuple[str, str, Any, Any]  # (table, column, row index, aggregator)

_SLACK_OUTPUTS = frozenset(MODEL_TO_ELEMENT_SPECS["ExternalGrid"].out_attr_to_column)
"""The external grid's outputs, which a voltages-only step computes (P[MW], Q[MVar])."""


class RecyclingGrid(Simulator):  # type: ignore[misc]
    """mosaik-pandapower-2's ``Simulator`` with a recycled power flow; see the module."""

    def __init__(self) -> None:
        super().__init__()
        injections = {"public": True, "params": ["buses"], "attrs": list(_INJECTED)}
        # a new dictionary on the path changed: mosaik-pandapower-2's META stays as it is
        self.meta = {**self.meta, "models": {**self.meta["models"], INJECTIONS: injections}}
        self._targets: dict[tuple[str, str], _Target] = {}
        self._injections: dict[str, np.ndarray] = {}  # entity -> its buses
        self._rows: dict[tuple[str, str], np.ndarray] = {}  # see _hidden_rows
        # the inputs' (entity, attribute) order -> per table and column, the rows written
        # to and which of them each value adds to (`np.unique`'s inverse), found once
        self._scatters: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], Any]] = {}
        self._solved = False
        self._voltages_only = False  # see the module docstring: results on demand

    def create(self, num: int, model: str, **params: Any) -> Any:
        if model != INJECTIONS:
            return super().create(num, model, **params)
        if not self._net:
            raise ConfigurationError(f"create the Grid before {INJECTIONS}")
        buses = params.get("buses")
        if isinstance(buses, str) or not isinstance(buses, Sequence) or not buses:
            raise ConfigurationError(
                f"{INJECTIONS}(buses={buses!r}): give a non-empty list of bus indices"
            )
        unknown = sorted({b for b in buses if b not in self._net.bus.index})
        if unknown:
            raise ConfigurationError(f"{INJECTIONS}: no bus {unknown[:5]} in the grid")
        created = []
        for _ in range(num):
            eid = f"{INJECTIONS}-{len(self._injections)}"
            self._injections[eid] = np.asarray(buses, dtype=int)
            created.append({"eid": eid, "type": INJECTIONS, "rel": []})
        return created

    def create_grid(self, **params: Any) -> Any:
        created = super().create_grid(**params)
        if self._profiles:
            raise ValueError(
                "RecyclingGrid takes no grid with profiles (a simbench grid): feed its loads "
                "and generators through mosaik, or use mosaik_components.pandapower:Simulator"
            )
        return created

    def disable_elements(self, elements: list[str]) -> None:
        self._refuse_after_first_step("disable")
        super().disable_elements(elements)

    def enable_elements(self, elements: list[str]) -> None:
        self._refuse_after_first_step("enable")
        super().enable_elements(elements)

    def step(
        self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
    ) -> Any:
        columns: dict[tuple[str, str], tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
        layout = []
        for eid, data in inputs.items():
            buses = self._injections.get(eid)
            for attr, values in data.items():
                if buses is not None:
                    table, column = _INJECTED[attr]
                    rows = self._hidden_rows(eid, table)
                    written = self._injected(eid, attr, values, len(buses))
                else:
                    table, column, row, aggregator = self._target(eid, attr)
                    rows, written = [row], [aggregator(values.values())]
                into_rows, into_values = columns[table, column]
                into_rows.append(rows)
                into_values.append(written)
                layout.append((eid, attr))
        scatter = self._scatters.get(tuple(layout))
        if scatter is None:  # inputs arranged as never before: where each value goes
            scatter = self._scatters[tuple(layout)] = {
                key: np.unique(
                    np.concatenate([np.asarray(r, dtype=int) for r in rows]), return_inverse=True
                )
                for key, (rows, _) in columns.items()
            }
        net = self._net
        for (table, column), (_, written) in columns.items():
            unique, where = scatter[table, column]
            values = np.fromiter(chain.from_iterable(written), float, len(where))
            net[table].loc[unique, column] = np.bincount(where, weights=values)
        self._power_flow()
        return time + self._step_size if self._step_size else None

    def get_data(self, outputs: dict[str, list[str]]) -> Any:
        if self._voltages_only and any(
            self.get_model_and_idx(eid)[0] != "ExternalGrid" or not _SLACK_OUTPUTS.issuperset(a)
            for eid, a in outputs.items()
        ):
            self._voltages_only = False  # from now on, and for this step:
            self._recycled_power_flow()
        return super().get_data(outputs)

    def _power_flow(self) -> None:
        """This step's power flow: the first in full (pandapower builds its model, and
        the voltages-only shortcut is checked against it), then recycled, voltages only
        while nobody asked for more (see the module docstring)."""
        net = self._net
        if not self._solved:
            pp.runpp(net, only_v_results=False, **_RUNPP)
            self._solved = True
            self._voltages_only = _slack_power_agrees(net)
            return
        self._recycled_power_flow()

    def _recycled_power_flow(self) -> None:
        """A power flow on pandapower's kept model, its results as `_voltages_only` says."""
        net = self._net
        options = net._options
        options["only_v_results"] = self._voltages_only  # what a recycled run reads
        pp.runpp(net, **_RUNPP)
        if self._voltages_only:
            if not net._ppc["success"]:  # pandapower raises only where it writes results
                raise LoadflowNotConverged(
                    f"Power Flow {options['algorithm']} did not converge after "
                    f"{options['max_iteration']} iterations!"
                )
            net.res_ext_grid["p_mw"], net.res_ext_grid["q_mvar"] = _slack_power(net)

    def _hidden_rows(self, eid: str, table: str) -> np.ndarray:
        """The rows in ``table`` of the hidden elements of the ``Injections`` entity
        ``eid``'s buses (looked up once)."""
        key = (eid, table)
        rows = self._rows.get(key)
        if rows is None:
            buses = self._injections[eid]
            rows = self._rows[key] = self.bus_auto_elements.loc[buses, table].to_numpy()
        return rows

    @staticmethod
    def _injected(eid: str, attr: str, values: dict[str, Any], count: int) -> Any:
        """The one list of ``attr`` an ``Injections`` entity received, checked."""
        if len(values) != 1:
            raise ConfigurationError(
                f"{eid}: {attr} comes from {sorted(values)}; connect one list per attribute"
            )
        (written,) = values.values()
        if len(written) != count:
            raise ConfigurationError(f"{eid}: {attr} has {len(written)} values for {count} buses")
        return written

    def _target(self, eid: str, attr: str) -> _Target:
        """The table, column and row the attribute ``attr`` of ``eid`` writes to, and how
        several values for it are combined (looked up once)."""
        key = (eid, attr)
        target = self._targets.get(key)
        if target is None:
            model, idx = self.get_model_and_idx(eid)
            spec = MODEL_TO_ELEMENT_SPECS[model]
            attr_spec = spec.input_attr_specs[attr]
            table = attr_spec.target_elem or spec.elem
            row = attr_spec.idx_fn(idx, self)
            target = self._targets[key] = (table, attr_spec.column, row, attr_spec.aggregator)
        return target

    def _refuse_after_first_step(self, what: str) -> None:
        if self._solved:
            raise ValueError(
                f"RecyclingGrid cannot {what} elements after the first power flow: its "
                "recycled model would go stale"
            )
