"""The prototype's scalability experiment: a sweep of cells x depth x attempts.

Belongs here: running each combination in a fresh process (``massca run``) and writing
the prototype's two files with its column names: ``scalability_time.csv`` (``step``,
``cells_count``, ``hierarchy_depth``, ``agents_time`` [s]: the MAS's time in each time
step) and ``simulation_time.csv`` (``cells_count``, ``hierarchy_depth``, ``sim_time`` [s]:
the whole co-simulation's wall time, start-up included), plus ``scalability.png``.
"""

from __future__ import annotations

import csv
import itertools
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from massca.interrupts import EXIT_INTERRUPTED, stop_requests
from massca.model import ConfigurationError
from massca.scenario.config import ScenarioConfig
from massca.scenario.folder import claimed
from massca.scenario.report import plot_scalability

__all__ = ["Sweep", "SweepRow", "check_sweep", "run_sweep"]


@dataclass(frozen=True, slots=True)
class SweepRow:
    """The medians of one combination over its attempts."""

    cells: int
    depth: int
    median_step_s: float
    median_sim_s: float


@dataclass(frozen=True, slots=True)
class Sweep:
    """What a sweep did: a `SweepRow` per completed combination, and why it stopped
    early (None if it ran to the end)."""

    rows: list[SweepRow]
    stopped: str | None = None


STEP_COLUMNS = ["step", "cells_count", "hierarchy_depth", "agents_time"]
SIM_COLUMNS = ["cells_count", "hierarchy_depth", "sim_time"]


def check_sweep(
    cells: Sequence[int], depths: Sequence[int], attempts: int, days: float, runtime: str
) -> None:
    """`ConfigurationError` naming every problem of the sweep, before anything runs:
    each combination must be a valid scenario, and none may be given twice (its runs
    would share a folder)."""
    problems = []
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        problems.append(f"attempts = {attempts!r}: need a whole number >= 1")
    if not cells or not depths:
        problems.append("give at least one cell count and one depth")
    for name, values in (("cells", cells), ("depth", depths)):
        repeated = sorted({v for v in values if list(values).count(v) > 1})
        if repeated:
            problems.append(f"--{name} {' '.join(map(str, repeated))} given twice")
    for depth in depths:
        for count in cells:
            try:
                ScenarioConfig(cells=count, depth=depth, days=days, runtime=runtime)
            except ConfigurationError as error:
                problems.append(f"cells {count}, depth {depth}: {error}")
    if problems:
        raise ConfigurationError("; ".join(dict.fromkeys(problems)))


def run_sweep(
    cells: Sequence[int],
    depths: Sequence[int],
    attempts: int,
    days: float,
    out: Path,
    runtime: str = "native",
    report: Callable[[str], None] = lambda line: None,
    overwrite: bool = False,
) -> Sweep:
    """Run every combination ``attempts`` times, each in a fresh process; see module doc.

    The whole sweep is checked first (`check_sweep`); ``out`` is held for the sweep (see
    `massca.scenario.folder`; an earlier sweep in it is refused unless ``overwrite``).
    Both CSV files get their rows as each attempt completes, so Ctrl-C (reported in
    `Sweep.stopped`) or a failed run keeps everything done before it.
    """
    check_sweep(cells, depths, attempts, days, runtime)
    with (
        claimed(out, overwrite),
        _Appender(out / "scalability_time.csv", STEP_COLUMNS) as steps,
        _Appender(out / "simulation_time.csv", SIM_COLUMNS) as sims,
    ):
        return _sweep(cells, depths, attempts, days, out, runtime, report, steps, sims)


def _sweep(
    cells: Sequence[int],
    depths: Sequence[int],
    attempts: int,
    days: float,
    out: Path,
    runtime: str,
    report: Callable[[str], None],
    steps: _Appender,
    sims: _Appender,
) -> Sweep:
    rows: list[SweepRow] = []
    total = len(cells) * len(depths) * attempts
    done = 0
    stopped = None
    with stop_requests() as requests:
        try:
            for depth, count in itertools.product(depths, cells):
                step_times, sim_times = [], []
                for attempt in range(attempts):
                    folder = out / f"cells{count}-depth{depth}-{attempt}"
                    per_step, wall = _attempt(count, depth, days, runtime, folder)
                    steps.add(
                        {
                            "step": i,
                            "cells_count": count,
                            "hierarchy_depth": depth,
                            "agents_time": t,
                        }
                        for i, t in enumerate(per_step)
                    )
                    sims.add([{"cells_count": count, "hierarchy_depth": depth, "sim_time": wall}])
                    step_times += per_step
                    sim_times.append(wall)
                    done += 1
                    report(
                        f"[{done}/{total}] cells {count} depth {depth} attempt {attempt + 1}: "
                        f"median MAS step {statistics.median(per_step) * 1e3:.2f} ms, "
                        f"wall {wall:.1f} s"
                    )
                rows.append(
                    SweepRow(
                        count,
                        depth,
                        statistics.median(step_times),
                        statistics.median(sim_times),
                    )
                )
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM, here or in the child run
            stopped = f"{requests.of(stop)} after {done} of {total} runs"
    if rows:
        medians: dict[int, list[tuple[int, float]]] = {}
        for row in rows:
            medians.setdefault(row.depth, []).append((row.cells, row.median_step_s))
        plot_scalability(medians, out / "scalability.png")
    return Sweep(rows, stopped)


def _attempt(
    count: int, depth: int, days: float, runtime: str, folder: Path
) -> tuple[list[float], float]:
    """One run in a fresh process: its MAS time per step [s] and its wall time [s]."""
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
            "--overwrite",  # the sweep's own folder, held by the sweep
            "--out",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if child.returncode in (EXIT_INTERRUPTED, -signal.SIGINT):
        raise KeyboardInterrupt
    if child.returncode != 0:
        raise ConfigurationError(
            f"the run with {count} cells at depth {depth} failed: "
            f"{(child.stderr or child.stdout).strip().splitlines()[-1:]}"
        )
    with (folder / "results.csv").open(newline="") as file:
        per_step = [float(r["mas_step_ms"]) / 1e3 for r in csv.DictReader(file)]
    return per_step, wall


class _Appender:
    """A CSV file written row by row, flushed after every batch."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns

    def __enter__(self) -> _Appender:
        self.file = self.path.open("w", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=self.columns)
        self.writer.writeheader()
        self.file.flush()
        return self

    def add(self, rows: Iterable[dict[str, object]]) -> None:
        self.writer.writerows(rows)
        self.file.flush()

    def __exit__(self, *exc: object) -> None:
        self.file.close()
