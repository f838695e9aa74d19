"""Run N steps of the native runtime (log on) for an instruction count under callgrind.

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.N python benchmarks/count_steps.py N
        [--cells 50] [--depth 1] [--strategy cellular] [--storage 0]

Instructions per step = (total of a run with N steps - total of a run with 0 steps) / N:
the difference removes imports, building the tree and the states (all precomputed before
the first step: a fixed number, cycled). Deterministic, so unaffected by a noisy host,
unlike wall time. The states come from `massca.workload` with a fixed seed; one
unmeasured step warms up.
``--storage`` needs the storage-aware model (this issue's code); leave it at 0 to count
older commits.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import tempfile
from pathlib import Path

from massca.compat.runtimes import open_runtime
from massca.model import Strategy, cells_hierarchy
from massca.workload import synthetic_states

STATES = 11
"""Distinct steps of states, made before the first step (the runs cycle through them)."""


async def run(steps: int, cells: int, depth: int, strategy: str, storage: int) -> None:
    shape = {"storage": storage} if storage else {}
    hierarchy = cells_hierarchy(cells, depth, **shape)
    # the same number of states whatever ``steps`` is, so that the difference of two runs
    # counts the steps only
    inputs = [synthetic_states(hierarchy, 1, step) for step in range(STATES)]
    chosen = Strategy.of(strategy)
    with tempfile.TemporaryDirectory() as scratch:
        log = str(Path(scratch) / "steps.jsonl")
        async with open_runtime("native", hierarchy, log=log, strategy=chosen) as runtime:
            for step in range(steps + 1):
                await runtime.step(step * 900, 0, inputs[step % STATES])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", type=int)
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--strategy", default="cellular")
    parser.add_argument("--storage", type=int, default=0)
    args = parser.parse_args()
    if args.storage and "storage" not in inspect.signature(cells_hierarchy).parameters:
        parser.error("this massca has no storage")
    asyncio.run(run(args.steps, args.cells, args.depth, args.strategy, args.storage))


if __name__ == "__main__":
    main()
