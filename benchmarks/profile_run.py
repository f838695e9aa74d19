"""Where the time of `massca run` goes: power flow, mosaik, unit simulators, MAS.

    python benchmarks/profile_run.py [--cells 50] [--depth 1] [--days 1]

Runs the default scenario under cProfile and groups the cumulative time of the
simulators' entry points: the power flow (``pandapower.runpp``), the mosaik shell's own
part, the unit and battery simulators and the results collector. The agents' steps are coroutines
that mosaik awaits, which cProfile does not attribute to the shell's generator: their
time is the run's own measurement (``results.csv``). What remains is mosaik's own
scheduling and data handling. cProfile slows Python code: the shares matter more than
the seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import pstats
import tempfile
import time
from pathlib import Path

from massca.scenario import ScenarioConfig, run_scenario

GROUPS = {
    "grid simulator's step (inputs and power flow)": [
        ("mosaik_components/pandapower/simulator.py", "step"),
        ("massca/scenario/gridsim.py", "step"),
    ],
    "  of which the power flow (pandapower.runpp)": [("pandapower/run.py", "runpp")],
    "MAS shell's own part (conversion in step, get_data)": [
        ("massca/compat/mosaik/simulator.py", "step"),
        ("massca/compat/mosaik/simulator.py", "get_data"),
    ],
    "unit simulator": [
        ("massca/scenario/units.py", "step"),
        ("massca/scenario/units.py", "get_data"),
    ],
    "battery simulator": [
        ("massca/scenario/batteries.py", "step"),
        ("massca/scenario/batteries.py", "get_data"),
    ],
    "results collector": [
        ("massca/scenario/results.py", "step"),
    ],
    "scenario set-up (grid, profiles, entities)": [("massca/scenario/world.py", "build_world")],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--days", type=float, default=1.0)
    args = parser.parse_args()
    config = ScenarioConfig(cells=args.cells, depth=args.depth, days=args.days, log=True)
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        profiler.enable()
        run_scenario(config, Path(scratch) / "run", progress=False)
        profiler.disable()
        wall = time.perf_counter() - started
        with (Path(scratch) / "run" / "results.csv").open(newline="") as file:
            agents_s = sum(float(r["mas_step_ms"]) for r in csv.DictReader(file)) / 1e3
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, _, tt, _) in stats.values())
    print(
        f"{args.cells} cells x depth {args.depth}, {args.days:g} day(s): wall under "
        f"cProfile {wall:.1f} s"
    )
    print(
        f"  {'MAS agents (runtime steps, timed by the run)':45s} {agents_s:7.1f} s  "
        f"{agents_s / wall:6.1%}   (awaited by mosaik: not in cProfile's groups)"
    )
    accounted = agents_s
    for group, entries in GROUPS.items():
        seconds = sum(
            cumulative
            for (path, _, function), (_, _, _, cumulative, _) in stats.items()
            if any(path.endswith(p) and function == f for p, f in entries)
        )
        if not group.startswith(" "):  # a part of the group above is not counted twice
            accounted += seconds
        print(f"  {group:45s} {seconds:7.1f} s  {seconds / wall:6.1%}")
    print(
        f"  {'mosaik and the rest':45s} {wall - accounted:7.1f} s  "
        f"{(wall - accounted) / wall:6.1%}   (total profiled {total:.1f} s)"
    )


if __name__ == "__main__":
    main()
