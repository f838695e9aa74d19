"""Benchmark the pure reference step (the oracle): the lower bound for every runtime.

    python benchmarks/bench_oracle.py [--cells 50] [--depths 1 10] [--repeats 200]
                                      [--strategy cellular] [--json]

For each depth, builds ``cells`` CIGRE-sized cells (18 loads + 9 generators each),
precomputes seeded synthetic unit states for ``repeats`` steps (not timed), then times
one `reference_step` per step with `time.perf_counter`. Reports median, min and max in
ms; the median is the figure to quote (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from massca.model import BETWEEN_CELLS, StepConfig, Strategy, cells_hierarchy, reference_step
from massca.workload import synthetic_states


def measure(
    cells: int, depth: int, repeats: int, seed: int, strategy: Strategy
) -> dict[str, float | int | str]:
    hierarchy = cells_hierarchy(cells, depth)
    inputs = [synthetic_states(hierarchy, seed, step) for step in range(repeats)]
    config = StepConfig()
    reference_step(hierarchy, inputs[0], config, strategy)  # warm-up
    times = []
    for states in inputs:
        start = time.perf_counter()
        reference_step(hierarchy, states, config, strategy)
        times.append((time.perf_counter() - start) * 1e3)
    return {
        "cells": cells,
        "depth": depth,
        "agents": len(hierarchy),
        "units": len(hierarchy.units),
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "repeats": repeats,
        "strategy": strategy.name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strategy", choices=BETWEEN_CELLS, default="cellular")
    parser.add_argument("--json", action="store_true", help="one JSON object per depth")
    args = parser.parse_args()
    strategy = Strategy.of(args.strategy)
    rows = [measure(args.cells, d, args.repeats, args.seed, strategy) for d in args.depths]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(
        f"oracle step, strategy {strategy.name}, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(f"{'cells':>5} {'depth':>5} {'agents':>6} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for r in rows:
        print(
            f"{r['cells']:>5} {r['depth']:>5} {r['agents']:>6} {r['median_ms']:>10.3f} "
            f"{r['min_ms']:>8.3f} {r['max_ms']:>8.3f}"
        )


if __name__ == "__main__":
    main()
