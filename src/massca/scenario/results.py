"""The results collector: one CSV row per time step, written as soon as the step ends.

Belongs here: a mosaik simulator that receives the MAS's and the grid's outputs and
writes them. Not here: plots and the summary (`report`). Inputs are filed under the
time step (slot of ``step_size`` seconds) they belong to.

Columns: ``time`` (seconds), ``datetime``; per cell, from the MAS (its coordinator's
``cells`` output; MW, exports and surpluses positive):
``<cell>_production``, ``<cell>_consumption``, ``<cell>_storage`` (its batteries' power,
+ discharging), ``<cell>_balance`` and ``<cell>_class`` as
measured before the MAS redispatched anything in the time step; ``<cell>_balance_after``
and ``<cell>_class_after`` after its redispatch; ``<cell>_production_change``,
``<cell>_consumption_change`` and ``<cell>_storage_change`` (what the MAS changed in the
cell's units over the time step: the batteries' power in the step is ``storage +
storage_change``); ``<cell>_exchange`` (with other cells),
``<cell>_grid`` (with the external grid) and ``<cell>_unresolved``; from its batteries,
``<cell>_energy`` (MWh stored at the step's start) and ``<cell>_soc`` (that energy over
their capacity: the capacity-weighted mean state of charge; empty without batteries).
Then
``external_grid_p_mw`` (the external grid's power from the power flow, + import),
``mas_exchange_mw`` and ``mas_unresolved_mw`` (the MAS's planned exchange with the
external grid and what it left unresolved), ``mas_iterations`` and ``mas_step_ms`` (the
MAS's wall time over all iterations of the time step; the MAS sends running totals,
because mosaik passes simulators outside the weak loop's group only the last value of a
time step), ``mas_negotiation_messages`` and ``mas_negotiations_capped`` (the views the
cells exchanged in the time step's negotiations and how many of those hit their message
cap; 0 unless the strategy negotiates, ``cohda``) and ``mas_missing`` (over a simulated
network: the agents that missed a deadline, counted in every iteration of the time
step; a cell's values are then what its units really did) and ``mas_settled`` (0 when
the time step's iterations ran out before the MAS converged, which ``massca run``
accepts over a simulated network). Cells' values are those of the *last*
iteration of a time step (after redispatch converged). A row is written and flushed
when the next time step begins, and the last one at ``finalize``: a run that stops early
keeps every completed step.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO, Any

import mosaik_api_v3

from massca.interrupts import raise_pending

__all__ = ["BATTERY_OUTPUTS", "CELL_COLUMNS", "META", "ResultsCollector"]

CELL_COLUMNS = {
    "production": "production",
    "consumption": "consumption",
    "storage": "storage",
    "balance": "balance",
    "classification": "class",
    "balance_after": "balance_after",
    "classification_after": "class_after",
    "production_change": "production_change",
    "consumption_change": "consumption_change",
    "storage_change": "storage_change",
    "exchange": "exchange",
    "grid": "grid",
    "unresolved": "unresolved",
}
"""A cell's MAS output -> the suffix of its column (``<cell>_<suffix>``)."""
BATTERY_OUTPUTS = ("E[MWh]", "capacity")
"""What the collector reads from each ``Battery`` or ``Batteries`` bank of
`massca.scenario.batteries` (a bank's lists are summed)."""

META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {"Collector": {"public": True, "any_inputs": True, "params": [], "attrs": []}},
}


class ResultsCollector(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """Collects inputs per time step; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.path = ""
        self.start = datetime(2016, 1, 1)
        self.cells: dict[str, str] = {}  # MAS eid -> cell name
        self.batteries: dict[str, str] = {}  # battery eid -> cell name
        self.stored: dict[str, tuple[float, float]] = {}  # battery -> (MWh, capacity)
        self.file: IO[str] | None = None
        self.writer: Any = None
        self.row: dict[str, Any] | None = None
        self.rows_written = 0
        self.last_time: int | None = None
        self.step_size = 900

    def init(
        self,
        sid: str,
        time_resolution: float = 1.0,
        path: str = "",
        start: str = "",
        cells: dict[str, str] | None = None,
        batteries: dict[str, str] | None = None,
        step_size: int = 900,
        progress: Callable[[int, str], None] | None = None,
    ) -> dict[str, Any]:
        self.path = path
        self.progress = progress
        self.step_size = step_size
        self.start = datetime.fromisoformat(start)
        self.cells = dict(cells or {})
        self.batteries = dict(batteries or {})
        columns = ["time", "datetime"]
        for name in self.cells.values():
            columns += [f"{name}_{suffix}" for suffix in CELL_COLUMNS.values()]
            columns += [f"{name}_energy", f"{name}_soc"]
        columns += [
            "external_grid_p_mw",
            "mas_exchange_mw",
            "mas_unresolved_mw",
            "mas_iterations",
            "mas_step_ms",
            "mas_negotiation_messages",
            "mas_negotiations_capped",
            "mas_missing",
            "mas_settled",
        ]
        self.file = open(path, "w", newline="")  # noqa: SIM115 - closed in finalize
        self.writer = csv.DictWriter(self.file, fieldnames=columns)
        self.writer.writeheader()
        self.file.flush()
        return self.meta  # type: ignore[no-any-return]

    def create(self, num: int, model: str) -> list[dict[str, Any]]:
        return [{"eid": f"Collector-{i}", "type": model} for i in range(num)]

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> None:
        raise_pending()  # a Ctrl-C that a library swallowed stops the run here
        # mosaik hands later same-time iterations to simulators outside the weak loop's
        # group a few seconds later: file every input under its time step's slot
        time -= time % self.step_size
        if self.row is not None and time != self.row["time"]:
            self._write()
        if self.row is None:
            when = self.start + timedelta(seconds=time)
            self.row = {
                "time": time,
                "datetime": when.isoformat(sep=" "),
                "mas_iterations": 0,
                "mas_step_ms": 0.0,
                "mas_negotiation_messages": 0,
                "mas_negotiations_capped": 0,
                "mas_missing": 0,
                "mas_settled": 1,
            }
        row = self.row
        for attr, values in inputs.get("Collector-0", {}).items():
            for source, value in values.items():
                self._take(row, attr, source, value)
        return

    def _take(self, row: dict[str, Any], attr: str, source: str, value: Any) -> None:
        eid = source.split(".", 1)[1]
        if eid in self.batteries:  # a battery's values, or a bank's lists of them
            energy, capacity = self.stored.get(eid, (0.0, 0.0))
            total = math.fsum(value) if isinstance(value, list) else value
            if attr == "E[MWh]":
                energy = total
            elif attr == "capacity":
                capacity = total
            self.stored[eid] = (energy, capacity)
        elif attr == "cells":  # the coordinator's: every cell's outputs in one value
            for cell, outputs in value.items():
                name = self.cells[cell]
                for output, number in outputs.items():
                    row[f"{name}_{CELL_COLUMNS[output]}"] = number
        elif attr == "P[MW]":
            row["external_grid_p_mw"] = value
        elif attr == "exchange":
            row["mas_exchange_mw"] = value
        elif attr == "unresolved":
            row["mas_unresolved_mw"] = value
        elif attr == "steptime_total":  # running totals of the time step: the last wins
            row["mas_step_ms"] = value * 1e3
        elif attr == "iterations":
            row["mas_iterations"] = value
        elif attr == "negotiation_messages":
            row["mas_negotiation_messages"] = value
        elif attr == "negotiations_capped":
            row["mas_negotiations_capped"] = value
        elif attr == "missing":
            row["mas_missing"] = value
        elif attr == "settled":
            row["mas_settled"] = value

    def _write(self) -> None:
        assert self.file is not None
        assert self.row is not None
        totals: dict[str, tuple[float, float]] = {}
        for eid, (energy, capacity) in self.stored.items():
            cell = self.batteries[eid]
            stored, size = totals.get(cell, (0.0, 0.0))
            totals[cell] = (stored + energy, size + capacity)
        for cell, (energy, capacity) in totals.items():
            self.row[f"{cell}_energy"] = energy
            self.row[f"{cell}_soc"] = energy / capacity if capacity > 0 else ""
        self.writer.writerow(self.row)
        self.file.flush()
        self.rows_written += 1
        self.last_time = self.row["time"]
        if self.progress is not None:
            self.progress(self.rows_written, str(self.row["datetime"]))
        self.row = None

    def finalize(self) -> None:
        if self.row is not None:
            self._write()
        if self.file is not None:
            self.file.close()
            self.file = None
