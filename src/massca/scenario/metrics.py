"""What a run's results add up to: how often cells were balanced, how much energy was
curtailed, shifted, exchanged and left unresolved, and what that cost.

Belongs here: reading ``results.csv`` rows into these figures (`figures`) and each time
step's breakdown of how the cells' imbalance was resolved (`resolution`). Not here:
writing the CSV (`results`), drawing (`report`) or printing (the CLI).

Energies are in MWh: each time step's MW times the step's length in hours, summed.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from massca.model import CellPlan, Costs, dispatch_cost

__all__ = ["FIGURE_LABELS", "RunFigures", "cell_names", "figures", "read_rows", "resolution"]

Row = Mapping[str, str]


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a ``results.csv``."""
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def cell_names(rows: Sequence[Row]) -> list[str]:
    """The cells of a results table, in column order."""
    return [c[: -len("_class")] for c in (rows[0] if rows else {}) if c.endswith("_class")]


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


def figures(rows: Sequence[Row], step_s: int, costs: Costs = Costs()) -> RunFigures:
    """The figures of a run's rows, whose time steps are ``step_s`` seconds long."""
    cells = cell_names(rows)
    hours = step_s / 3600
    cell_steps = len(rows) * len(cells)
    parts: dict[str, list[float]] = {name: [] for name in RunFigures.__slots__}
    for index, row in enumerate(rows):
        for cell in cells:
            produced = _mw(row, f"{cell}_production_change")
            shifted = _mw(row, f"{cell}_consumption_change")
            discharged = _mw(row, f"{cell}_storage_change")
            battery = _mw(row, f"{cell}_storage") + discharged  # its power in the step
            exchange = _mw(row, f"{cell}_exchange")
            grid = _mw(row, f"{cell}_grid")
            unresolved = _mw(row, f"{cell}_unresolved")
            parts["balanced_before"].append(row[f"{cell}_class"] == "balanced")
            parts["balanced_after"].append(row.get(f"{cell}_class_after") == "balanced")
            parts["curtailed_mwh"].append(max(-produced, 0.0) * hours)
            parts["raised_mwh"].append(max(produced, 0.0) * hours)
            parts["shifted_mwh"].append(abs(shifted) * hours)
            parts["stored_mwh"].append(max(-battery, 0.0) * hours)
            parts["released_mwh"].append(max(battery, 0.0) * hours)
            if index < len(rows) - 1:  # the content this step ended with is in the next row
                flow = -battery * hours
                rise = _mw(rows[index + 1], f"{cell}_energy") - _mw(row, f"{cell}_energy")
                parts["storage_losses_mwh"].append(flow - rise)  # drawn minus given, minus kept
            parts["between_cells_mwh"].append(max(exchange, 0.0) * hours)
            parts["grid_import_mwh"].append(max(-grid, 0.0) * hours)
            parts["grid_export_mwh"].append(max(grid, 0.0) * hours)
            parts["unresolved_mwh"].append(abs(unresolved) * hours)
            decided = CellPlan(produced, shifted, exchange, grid, unresolved, None, discharged)
            parts["cost"].append(hours * dispatch_cost([decided], costs))
    share = 100.0 / cell_steps if cell_steps else 0.0
    return RunFigures(
        balanced_before=share * sum(parts["balanced_before"]),
        balanced_after=share * sum(parts["balanced_after"]),
        **{
            name: math.fsum(values)
            for name, values in parts.items()
            if name not in ("balanced_before", "balanced_after")
        },
    )
