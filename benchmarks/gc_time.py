"""How much of `massca run` Python's cyclic garbage collector takes.

    python benchmarks/gc_time.py [--cells 50] [--days 0.25]

Runs the default scenario with a `gc.callbacks` hook that times every collection, and
prints the wall time, the collections per generation and the seconds spent in them.
Compare code versions by running this alternately against each (e.g. with PYTHONPATH
pointing at a checkout's ``src``).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

from massca.scenario import ScenarioConfig, run_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--days", type=float, default=0.25)
    args = parser.parse_args()
    counts = [0, 0, 0]
    seconds = [0.0, 0.0, 0.0]
    started: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            generation = info["generation"]
            counts[generation] += 1
            seconds[generation] += time.perf_counter() - started.pop()

    gc.callbacks.append(timed)
    config = ScenarioConfig(cells=args.cells, days=args.days, log=True)
    with tempfile.TemporaryDirectory() as scratch:
        begun = time.perf_counter()
        run_scenario(config, Path(scratch) / "run", progress=False)
        wall = time.perf_counter() - begun
    gc.callbacks.remove(timed)
    print(
        f"{args.cells} cells, {args.days:g} day(s): wall {wall:.1f} s; collections "
        f"{counts[0]}/{counts[1]}/{counts[2]} (gen 0/1/2) taking "
        f"{seconds[0]:.2f}/{seconds[1]:.2f}/{seconds[2]:.2f} s, {sum(seconds):.2f} s in all"
    )


if __name__ == "__main__":
    main()
