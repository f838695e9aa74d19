"""COHDA on the agents: how long the cells' negotiation takes inside a step, per runtime.

    python benchmarks/cohda_runtime.py [--cells 50] [--levels 8] [--instances 15] [--rounds 3]

The issue's case: 50 cells, about 10 candidates each (`CohdaStrategy` with 8 levels plus
"stay" and "balance yourself"), H = 1, a small-world overlay (k = 2). Each cell has one
generator and one load (`massca.workload.synthetic_states`, a new seed per instance), so
that the step around the negotiation is small. For every instance the same states are
stepped with ``cohda`` and with ``cellular`` (which negotiates nothing) on the same
runtime, alternating; the negotiation's time is the difference. The pure reference
negotiation (`CohdaStrategy.decide`) is timed on the same cells. Runtimes: native
without log, native with the compact event log, mango (one container). Prints per
runtime and round the median and range of the negotiation's time, and the views
delivered and rounds per negotiation.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from massca.compat.runtimes import loop_for, open_runtime
from massca.model import (
    CellView,
    CohdaStrategy,
    StepConfig,
    Strategy,
    aggregate,
    cells_hierarchy,
)
from massca.workload import synthetic_states

CONFIG = StepConfig()


async def _negotiations(
    kind: str, cells: int, levels: int, instances: int, log: Path | None
) -> tuple[list[float], list[int], list[int]]:
    """Per instance: the negotiation's ms (cohda step minus cellular step), views, rounds."""
    hierarchy = cells_hierarchy(cells=cells, depth=1, loads=1, generators=1)
    cohda = Strategy(CohdaStrategy(levels=levels))
    ms, views, rounds = [], [], []
    async with (
        open_runtime(kind, hierarchy, CONFIG, strategy=cohda, log=log) as negotiating,
        open_runtime(kind, hierarchy, CONFIG, strategy=Strategy.of("cellular")) as plain,
    ):
        for n in range(instances + 1):  # the first warms up
            states = synthetic_states(hierarchy, seed=n, step=n)
            started = time.perf_counter()
            result = await negotiating.step(n * 900, 0, states)
            with_negotiation = time.perf_counter() - started
            started = time.perf_counter()
            await plain.step(n * 900, 0, states)
            without = time.perf_counter() - started
            if n == 0 or result.negotiation is None:
                continue
            ms.append((with_negotiation - without) * 1e3)
            views.append(result.negotiation.messages)
            rounds.append(result.negotiation.rounds)
    return ms, views, rounds


def _reference(cells: int, levels: int, instances: int) -> list[float]:
    """The pure reference negotiation's ms on the same cells."""
    hierarchy = cells_hierarchy(cells=cells, depth=1, loads=1, generators=1)
    strategy = CohdaStrategy(levels=levels)
    times = []
    for n in range(1, instances + 1):
        states = synthetic_states(hierarchy, seed=n, step=n)
        views = {
            cell: CellView(
                aggregate(states[u] for u in hierarchy.units_below(cell)), CONFIG.interface(cell)
            )
            for cell in hierarchy.cells
        }
        started = time.perf_counter()
        strategy.decide(views, CONFIG)
        times.append((time.perf_counter() - started) * 1e3)
    return times


def _show(label: str, values: list[float], unit: str = "ms") -> str:
    return (
        f"{label} median {statistics.median(values):7.1f} {unit} "
        f"(range {min(values):.1f}-{max(values):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--levels", type=int, default=8)
    parser.add_argument("--instances", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    hierarchy = cells_hierarchy(cells=args.cells, depth=1, loads=1, generators=1)
    states = synthetic_states(hierarchy, seed=1, step=1)
    one = next(iter(hierarchy.cells))
    cell_state = aggregate(states[u] for u in hierarchy.units_below(one))
    candidates = len(CohdaStrategy(levels=args.levels).options(cell_state, CONFIG))
    print(f"{args.cells} cells, {candidates} candidates for {one}, H = 1, small world k = 2")
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(1, args.rounds + 1):
            print(_show(f"round {round_} reference      ", _reference(args.cells, args.levels, 15)))
            for kind, logged in (("native", False), ("native", True), ("mango", False)):
                log = Path(folder) / f"{kind}-{round_}.zst" if logged else None
                with asyncio.Runner(loop_factory=loop_for(kind)) as runner:
                    ms, views, rounds = runner.run(
                        _negotiations(kind, args.cells, args.levels, args.instances, log)
                    )
                label = f"{kind}{' + log' if logged else ''}"
                print(
                    _show(f"round {round_} {label:15s}", ms)
                    + f"; views {statistics.median(views):.0f} "
                    f"({min(views)}-{max(views)}), rounds {statistics.median(rounds):.0f}"
                )


if __name__ == "__main__":
    main()
