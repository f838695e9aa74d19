"""What a run's results add up to: how often cells were balanced, how much energy was
curtailed, shifted, exchanged and left unresolved, and what that cost.

Belongs here: reading ``results.csv`` row by row into these figures (`RunTally`,
`figures`) and each time step's breakdown of how the cells' imbalance was resolved
(`resolution`). Not here: writing the CSV (`results`), drawing (`report`) or printing
(the CLI).

The rows are streamed, never held: a year of 50 cells is 35,040 rows of some 800
columns, over a gigabyte as Python strings. What is kept per row is a handful of floats.
Energies are in MWh: each time step's MW times the step's length in hours, summed (each
row's cells with `math.fsum`, then the rows' totals with it).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from massca.model import CellPlan, Costs, dispatch_cost

__all__ = [
    "FIGURE_LABELS",
    "RunFigures",
    "RunTally",
    "cell_names",
    "figures",
    "read_rows",
    "resolution",
]

Row = Mapping[str, str]


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a ``results.csv``, one at a time."""
    with path.open(newline="") as file:
        yield from csv.DictReader(file)


def cell_names(path: Path) -> list[str]:
    """The cells of the results table at ``path``, in column order (from its header)."""
    with path.open(newline="") as file:
        columns = next(csv.reader(file), [])
    return [c[: -len("_class")] for c in columns if c.endswith("_class")]


def _mw(row: Row, column: str) -> float:
    value = row.get(column, "")
    return float(value) if value not in ("", None) else 0.0


def resolution(row: Row, cells: Sequence[str]) -> tuple[float, float, float, float]:
    """How one time step's cell imbalances were resolved, in MW, summed over cells:
    inside the cells (their own units), between cells, by the external grid, unresolved.

    Each cell's part is counted in the direction of its own imbalance, so the four add up
    to the sum of the cells' absolute imbalances; a cell that acts against its own
    imbalance (``global`` does so) makes the first part smaller, the second larger.
    """
    inside = between = grid = unresolved = 0.0
    for cell in cells:
        balance = _mw(row, f"{cell}_balance")
        if balance == 0.0:
            continue
        sign = 1.0 if balance > 0 else -1.0
        own = (
            _mw(row, f"{cell}_consumption_change")
            - _mw(row, f"{cell}_production_change")
            - _mw(row, f"{cell}_storage_change")
        )
        inside += sign * own
        between += sign * _mw(row, f"{cell}_exchange")
        grid += sign * _mw(row, f"{cell}_grid")
        unresolved += sign * _mw(row, f"{cell}_unresolved")
    return inside, between, grid, unresolved


FIGURE_LABELS = {
    "balanced_before": "balanced before [% cell-steps]",
    "balanced_after": "balanced after [% cell-steps]",
    "curtailed_mwh": "curtailed [MWh]",
    "raised_mwh": "production raised [MWh]",
    "shifted_mwh": "load shifted [MWh]",
    "stored_mwh": "stored in batteries [MWh]",
    "released_mwh": "released by batteries [MWh]",
    "storage_losses_mwh": "battery losses [MWh]",
    "between_cells_mwh": "between cells [MWh]",
    "grid_import_mwh": "grid import [MWh]",
    "grid_export_mwh": "grid export [MWh]",
    "unresolved_mwh": "unresolved [MWh]",
    "cost": "cost",
}
"""Every figure's name and how a table or a plot labels it."""


@dataclass(frozen=True, slots=True)
class RunFigures:
    """The figures of one run; see `FIGURE_LABELS`. ``cost`` is `massca.model.costs`'s
    linear cost of every step's decision, per MW times the step's hours, summed.
    ``stored_mwh`` / ``released_mwh``: energy the batteries drew from / gave to their
    cells; ``storage_losses_mwh``: what charging and discharging lost, the energy stored
    minus released minus the rise in the batteries' content (over the steps whose end
    content is in the table: all but the last)."""

    balanced_before: float
    balanced_after: float
    curtailed_mwh: float
    raised_mwh: float
    shifted_mwh: float
    stored_mwh: float
    released_mwh: float
    storage_losses_mwh: float
    between_cells_mwh: float
    grid_import_mwh: float
    grid_export_mwh: float
    unresolved_mwh: float
    cost: float

    def to_json(self) -> dict[str, float]:
        """The figures as a plain mapping."""
        return asdict(self)


class RunTally:
    """The figures and timings of a run, added up row by row (`add`) over ``cells``
    whose time steps are ``step_s`` seconds long; see the module docstring."""

    def __init__(self, cells: Sequence[str], step_s: int, costs: Costs = Costs()) -> None:
        self.cells = list(cells)
        self.hours = step_s / 3600
        self.costs = costs
        self.steps = 0
        self.last_time = ""
        self.step_ms: list[float] = []
        self.iteration_ms: list[float] = []
        self.balanced = dict.fromkeys(self.cells, 0)  # cell -> steps balanced before
        self.balanced_after = dict.fromkeys(self.cells, 0)
        self._totals: dict[str, list[float]] = {name: [] for name in RunFigures.__slots__}
        self._energy: dict[str, float] | None = None  # each cell's MWh at the last row
        self._flow: dict[str, float] = {}  # and what its batteries drew in that step
        self.negotiation_messages: list[int] = []  # per time step that negotiated
        self.negotiations_capped = 0
        self.missing = 0  # agents that missed a deadline, over every iteration
        self.unsettled = 0  # time steps whose iterations ran out before convergence

    def add(self, row: Row) -> None:
        """Count one row of ``results.csv``."""
        self.steps += 1
        self.last_time = row["datetime"]
        if row["mas_step_ms"]:
            self.step_ms.append(float(row["mas_step_ms"]))
            if row["mas_iterations"] not in ("", "0"):
                self.iteration_ms.append(float(row["mas_step_ms"]) / int(row["mas_iterations"]))
        messages = int(row.get("mas_negotiation_messages") or 0)
        if messages:
            self.negotiation_messages.append(messages)
        self.negotiations_capped += int(row.get("mas_negotiations_capped") or 0)
        self.missing += int(row.get("mas_missing") or 0)
        self.unsettled += row.get("mas_settled") == "0"
        hours = self.hours
        parts: dict[str, list[float]] = {name: [] for name in self._totals}
        energy = {cell: _mw(row, f"{cell}_energy") for cell in self.cells}
        if self._energy is not None:  # the last step's end content is in this row
            for cell in self.cells:
                rise = energy[cell] - self._energy[cell]
                parts["storage_losses_mwh"].append(self._flow[cell] - rise)
        for cell in self.cells:
            produced = _mw(row, f"{cell}_production_change")
            shifted = _mw(row, f"{cell}_consumption_change")
            discharged = _mw(row, f"{cell}_storage_change")
            battery = _mw(row, f"{cell}_storage") + discharged  # its power in the step
            exchange = _mw(row, f"{cell}_exchange")
            grid = _mw(row, f"{cell}_grid")
            unresolved = _mw(row, f"{cell}_unresolved")
            self.balanced[cell] += row[f"{cell}_class"] == "balanced"
            self.balanced_after[cell] += row.get(f"{cell}_class_after") == "balanced"
            parts["curtailed_mwh"].append(max(-produced, 0.0) * hours)
            parts["raised_mwh"].append(max(produced, 0.0) * hours)
            parts["shifted_mwh"].append(abs(shifted) * hours)
            parts["stored_mwh"].append(max(-battery, 0.0) * hours)
            parts["released_mwh"].append(max(battery, 0.0) * hours)
            self._flow[cell] = -battery * hours  # drawn minus given
            parts["between_cells_mwh"].append(max(exchange, 0.0) * hours)
            parts["grid_import_mwh"].append(max(-grid, 0.0) * hours)
            parts["grid_export_mwh"].append(max(grid, 0.0) * hours)
            parts["unresolved_mwh"].append(abs(unresolved) * hours)
            decided = CellPlan(produced, shifted, exchange, grid, unresolved, None, discharged)
            parts["cost"].append(hours * dispatch_cost([decided], self.costs))
        self._energy = energy
        for name, values in parts.items():
            self._totals[name].append(math.fsum(values))

    def negotiation(self) -> dict[str, float]:
        """The negotiations' figures: ``steps`` that exchanged views, their ``messages``
        in total and the ``median`` per such step, and negotiations ``capped``; empty when
        nothing was negotiated."""
        counts = self.negotiation_messages
        if not counts and not self.negotiations_capped:
            return {}
        return {
            "steps": len(counts),
            "messages": sum(counts),
            "median": statistics.median(counts) if counts else 0,
            "capped": self.negotiations_capped,
        }

    def share(self, after: bool = False) -> dict[str, float]:
        """Each cell -> the share of steps it was balanced, before (or ``after``)
        redispatch."""
        counts = self.balanced_after if after else self.balanced
        return {cell: n / self.steps for cell, n in counts.items()} if self.steps else {}

    def figures(self) -> RunFigures:
        """The figures of the rows added so far (the balanced shares in % of cell-steps;
        the storage losses over the steps whose end content has been added: all but the
        last)."""
        cell_steps = self.steps * len(self.cells)
        share = 100.0 / cell_steps if cell_steps else 0.0
        return RunFigures(
            balanced_before=share * sum(self.balanced.values()),
            balanced_after=share * sum(self.balanced_after.values()),
            **{
                name: math.fsum(values)
                for name, values in self._totals.items()
                if name not in ("balanced_before", "balanced_after")
            },
        )


def figures(
    rows: Iterable[Row], cells: Sequence[str], step_s: int, costs: Costs = Costs()
) -> RunFigures:
    """The figures of a run's rows over ``cells``, whose time steps are ``step_s`` seconds
    long (`RunTally` over them)."""
    tally = RunTally(cells, step_s, costs)
    for row in rows:
        tally.add(row)
    return tally.figures()
