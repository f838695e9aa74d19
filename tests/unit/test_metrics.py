"""A run's figures, added up row by row from results.csv without holding the table."""

from __future__ import annotations

import csv

import pytest

from massca.scenario.metrics import RunTally, cell_names, figures, read_rows
from massca.scenario.results import CELL_COLUMNS

CELLS = ["cell-0", "cell-1"]


def row(time: int, **values: object) -> dict[str, object]:
    """A results row: every cell column empty or 0 unless given as ``<cell>__<suffix>``."""
    data: dict[str, object] = {"time": time, "datetime": f"2016-06-01 00:{time // 60:02d}:00"}
    for cell in CELLS:
        for suffix in (*CELL_COLUMNS.values(), "energy", "soc"):
            data[f"{cell}_{suffix}"] = 0.0
        data[f"{cell}_class"] = "oversupplied"
        data[f"{cell}_class_after"] = "balanced"
    for key, value in values.items():
        cell, suffix = key.split("__")
        data[f"{cell.replace('_', '-')}_{suffix}"] = value
    data |= {"mas_step_ms": 2.0, "mas_iterations": 2, "external_grid_p_mw": 0.0}
    data |= {"mas_exchange_mw": 0.0, "mas_unresolved_mw": 0.0}
    return data


@pytest.fixture
def table(tmp_path):
    rows = [
        # cell-0 curtails 4 MW and charges 2 MW (its batteries hold 1 MWh at the start)
        row(0, cell_0__production_change=-4.0, cell_0__storage_change=-2.0, cell_0__energy=1.0),
        # 2 MW x 0.25 h = 0.5 MWh drawn, the content rose by 0.45: 0.05 MWh lost
        row(900, cell_0__energy=1.45, cell_1__class="balanced"),
        row(1800, cell_0__energy=1.45, cell_1__storage=1.0),  # cell-1 discharges 1 MW
    ]
    path = tmp_path / "results.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_figures_add_up_each_step_and_the_storage_losses_need_the_next_row(table) -> None:
    assert cell_names(table) == CELLS
    tally = RunTally(CELLS, 900)
    for each in read_rows(table):
        tally.add(each)
    result = tally.figures()
    assert result.curtailed_mwh == 1.0
    assert result.stored_mwh == 0.5
    assert result.released_mwh == 0.25
    assert result.storage_losses_mwh == pytest.approx(0.05)  # the last step's is unknown
    assert result.balanced_before == pytest.approx(100 / 6)  # 1 of 6 cell-steps
    assert result.balanced_after == 100.0
    assert tally.share() == {"cell-0": 0.0, "cell-1": pytest.approx(1 / 3)}
    assert (tally.steps, tally.last_time) == (3, "2016-06-01 00:30:00")
    assert tally.iteration_ms == [1.0, 1.0, 1.0]
    assert figures(read_rows(table), CELLS, 900) == result
