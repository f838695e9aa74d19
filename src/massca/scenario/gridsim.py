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

Only what the scenario does is allowed: elements switched in or out of service after the
first power flow, or profiles inside the grid simulator, would make the recycled model
stale, so both are refused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandapower as pp
from mosaik_components.pandapower.simulator import MODEL_TO_ELEMENT_SPECS, Simulator

__all__ = ["RECYCLE", "RecyclingGrid"]

RECYCLE = {"bus_pq": True, "gen": False, "trafo": False}
"""What pandapower recomputes each step: the buses' P and Q only."""

_Target = tuple[str, str, Any, Any]  # (table, column, row index, aggregator)


class RecyclingGrid(Simulator):  # type: ignore[misc]
    """mosaik-pandapower-2's ``Simulator`` with a recycled power flow; see the module."""

    def __init__(self) -> None:
        super().__init__()
        self._targets: dict[tuple[str, str], _Target] = {}
        self._solved = False

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
        columns: dict[tuple[str, str], tuple[list[Any], list[float]]] = defaultdict(
            lambda: ([], [])
        )
        for eid, data in inputs.items():
            for attr, values in data.items():
                table, column, row, aggregator = self._target(eid, attr)
                rows, written = columns[table, column]
                rows.append(row)
                written.append(aggregator(values.values()))
        net = self._net
        for (table, column), (rows, written) in columns.items():
            net[table].loc[rows, column] = np.asarray(written, dtype=float)
        pp.runpp(net, numba=pp.NUMBA_INSTALLED, recycle=RECYCLE)
        self._solved = True
        return time + self._step_size if self._step_size else None

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
