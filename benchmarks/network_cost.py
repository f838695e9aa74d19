"""What simulating the ICT network costs the native core per MAS step.

    python benchmarks/network_cost.py [--cells 50] [--depth 1] [--steps 40] [--rounds 3]

Steps the same seeded synthetic states on three runtimes, in alternating rounds: the
plain native core, the core over a simulated network without loss (5 ms links: timers,
the simulated-time queue and the realized result, but every message arrives), and over
one losing 5 % of the messages. The log is off. Prints each variant's median step per
round and the ratios to the plain core: the figures for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from massca.actors import NativeRuntime
from massca.model import cells_hierarchy
from massca.model.network import Network
from massca.workload import synthetic_states

VARIANTS = {
    "plain": None,
    "network, no loss": Network(5.0),
    "network, 5 % loss": Network(5.0, loss=0.05, seed=1),
}


async def median_step(cells: int, depth: int, steps: int, network: Network | None) -> float:
    hierarchy = cells_hierarchy(cells, depth)
    inputs = [synthetic_states(hierarchy, 7, step) for step in range(steps + 2)]
    times = []
    async with NativeRuntime(hierarchy, network=network) as runtime:
        for step, states in enumerate(inputs):
            start = time.perf_counter()
            await runtime.step(step * 900, 0, states)
            if step >= 2:  # warm-up
                times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    medians: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, network in VARIANTS.items():
            step = median_step(args.cells, args.depth, args.steps, network)
            medians[name].append(asyncio.run(step))
    plain = statistics.median(medians["plain"])
    print(f"{args.cells} cells x depth {args.depth}, {args.steps} steps, log off")
    for name, values in medians.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        ratio = statistics.median(values) / plain
        print(f"  {name:<20} median step per round: {shown} ms  ({ratio:.2f}x plain)")


if __name__ == "__main__":
    main()
