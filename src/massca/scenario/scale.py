"""The prototype's scalability experiment: a sweep of cells x depth x attempts.

Belongs here: running each combination in a fresh process (``massca run``) and writing
the prototype's two files with its column names: ``scalability_time.csv`` (``step``,
``cells_count``, ``hierarchy_depth``, ``agents_time`` [s]: the MAS's time in each time
step) and ``simulation_time.csv`` (``cells_count``, ``hierarchy_depth``, ``sim_time`` [s]:
the whole co-simulation's wall time, start-up included), plus ``scalability.png``.
"""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from massca.model import ConfigurationError
from massca.scenario.report import plot_scalability
from massca.scenario.run import prepare_folder

__all__ = ["SweepRow", "run_sweep"]


@dataclass(frozen=True, slots=True)
class SweepRow:
    """The medians of one combination over its attempts."""

    cells: int
    depth: int
    median_step_s: float
    median_sim_s: float


def run_sweep(
    cells: Sequence[int],
    depths: Sequence[int],
    attempts: int,
    days: float,
    out: Path,
    runtime: str = "native",
    report: Callable[[str], None] = lambda line: None,
) -> list[SweepRow]:
    """Run every combination ``attempts`` times, each in a fresh process; see module doc."""
    if attempts < 1 or not cells or not depths:
        raise ConfigurationError("give at least one cell count, one depth and one attempt")
    prepare_folder(out)
    step_rows: list[dict[str, object]] = []
    sim_rows: list[dict[str, object]] = []
    rows = []
    total = len(cells) * len(depths) * attempts
    done = 0
    for depth in depths:
        for count in cells:
            step_times, sim_times = [], []
            for attempt in range(attempts):
                folder = out / f"cells{count}-depth{depth}-{attempt}"
                started = time.perf_counter()
                child = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "massca.cli",
                        "run",
                        "--cells",
                        str(count),
                        "--depth",
                        str(depth),
                        "--days",
                        str(days),
                        "--runtime",
                        runtime,
                        "--no-log",
                        "--quiet",
                        "--no-plots",
                        "--out",
                        str(folder),
                    ],
                    capture_output=True,
                    text=True,
                )
                wall = time.perf_counter() - started
                if child.returncode != 0:
                    raise ConfigurationError(
                        f"the run with {count} cells at depth {depth} failed: "
                        f"{(child.stderr or child.stdout).strip().splitlines()[-1:]}"
                    )
                with (folder / "results.csv").open(newline="") as file:
                    per_step = [float(r["mas_step_ms"]) / 1e3 for r in csv.DictReader(file)]
                step_rows += [
                    {"step": i, "cells_count": count, "hierarchy_depth": depth, "agents_time": t}
                    for i, t in enumerate(per_step)
                ]
                sim_rows.append({"cells_count": count, "hierarchy_depth": depth, "sim_time": wall})
                step_times += per_step
                sim_times.append(wall)
                done += 1
                report(
                    f"[{done}/{total}] cells {count} depth {depth} attempt {attempt + 1}: "
                    f"median MAS step {statistics.median(per_step) * 1e3:.2f} ms, "
                    f"wall {wall:.1f} s"
                )
            rows.append(
                SweepRow(count, depth, statistics.median(step_times), statistics.median(sim_times))
            )
    _write(
        out / "scalability_time.csv",
        ["step", "cells_count", "hierarchy_depth", "agents_time"],
        step_rows,
    )
    _write(out / "simulation_time.csv", ["cells_count", "hierarchy_depth", "sim_time"], sim_rows)
    medians: dict[int, list[tuple[int, float]]] = {}
    for row in rows:
        medians.setdefault(row.depth, []).append((row.cells, row.median_step_s))
    plot_scalability(medians, out / "scalability.png")
    return rows


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
