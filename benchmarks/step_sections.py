"""Where a time step of `massca run` goes, in wall-clock sections (no profiler overhead).

    python benchmarks/step_sections.py [--cells 50] [--days 1]

Runs the main job in this process with a `time.perf_counter` timer around each
simulator's entry points (the grid's step and pandapower's ``runpp`` inside it, the unit,
battery and results simulators, the MAS shell's input and output conversion) and a
``gc.callbacks`` timer around every collection; the MAS agents' time is the run's own
``mas_step_ms``. Prints milliseconds and calls per time step for each; what the sections
leave of the run's wall time is mosaik's scheduling and the set-up. Sections nest where
the code does: ``runpp`` is inside the grid's step, collections may fall in any section.
"""

from __future__ import annotations

import argparse
import collections
import csv
import functools
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from massca.compat.mosaik.simulator import MosaikAgents
from massca.scenario import ScenarioConfig, gridsim, run_scenario
from massca.scenario.batteries import BatterySimulator
from massca.scenario.results import ResultsCollector
from massca.scenario.units import UnitSimulator

SECTIONS: list[tuple[str, Any, str]] = [
    ("grid step", gridsim.RecyclingGrid, "step"),
    ("  of which runpp", gridsim.pp, "runpp"),
    ("grid get_data", gridsim.RecyclingGrid, "get_data"),
    ("MAS shell inputs", MosaikAgents, "_read_inputs"),
    ("MAS shell outputs", MosaikAgents, "_outputs"),
    ("unit simulator step", UnitSimulator, "step"),
    ("unit simulator get_data", UnitSimulator, "get_data"),
    ("battery simulator step", BatterySimulator, "step"),
    ("battery simulator get_data", BatterySimulator, "get_data"),
    ("results collector", ResultsCollector, "step"),
]

seconds: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its wall time and calls added to ``label``'s section."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - started
            calls[label] += 1

    return wrapper


_collecting: list[float] = []  # when the collection under way started


def time_collections(phase: str, info: dict[str, Any]) -> None:
    """A ``gc.callbacks`` entry: each collection's wall time into its own section."""
    if phase == "start":
        _collecting.append(time.perf_counter())
    elif _collecting:
        seconds["garbage collections"] += time.perf_counter() - _collecting.pop()
        calls["garbage collections"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--days", type=float, default=1.0)
    args = parser.parse_args()
    for label, owner, name in SECTIONS:
        setattr(owner, name, timed(label, getattr(owner, name)))
    gc.callbacks.append(time_collections)
    config = ScenarioConfig(cells=args.cells, days=args.days, log=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        started = time.perf_counter()
        run_scenario(config, out, progress=False)
        wall = time.perf_counter() - started
        with (out / "results.csv").open(newline="") as file:
            rows = list(csv.DictReader(file))
    steps = len(rows)
    agents_ms = sum(float(r["mas_step_ms"]) for r in rows) / steps
    iterations = sum(int(r["mas_iterations"]) for r in rows) / steps
    print(f"{args.cells} cells, {steps} time steps, {iterations:.1f} MAS iterations each")
    print(f"run's wall time {wall:.2f} s ({wall / steps * 1e3:.1f} ms per time step, set-up in)")
    print(f"  {'MAS agents (the run`s mas_step_ms)':34s} {agents_ms:6.1f} ms")
    for label in [s[0] for s in SECTIONS] + ["garbage collections"]:
        print(
            f"  {label:34s} {seconds[label] / steps * 1e3:6.1f} ms  "
            f"({calls[label] / steps:.1f} calls)"
        )


if __name__ == "__main__":
    main()
