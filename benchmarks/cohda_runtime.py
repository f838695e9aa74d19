"""COHDA on the agents: how long the cells' negotiation takes inside a step, per runtime.

    python benchmarks/cohda_runtime.py [--cells 50] [--levels 8] [--horizon 1]
                                       [--instances 15] [--rounds 3]

The issue's case: 50 cells, about 10 candidates each (`CohdaStrategy` with 8 levels plus
"stay" and "balance yourself"), H = 1, a small-world overlay (k = 2). Each cell has one
generator and one load (`massca.workload.synthetic_states`, a new seed per instance), so
that the step around the negotiation is small; with ``--horizon H`` each unit's forecast
is its synthetic states of the next H - 1 steps. For every instance the same states are
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
    Hierarchy,
    State,
    StepConfig,
    Strategy,
    aggregate,
    cells_hierarchy,
)
from massca.model.forecast import combined, padded
from massca.workload import synthetic_states

CONFIG = StepConfig()


def _forecasts(hierarchy: Hierarchy, n: int, horizon: int) -> dict[str, tuple[State, ...]]:
    """Each unit's states of the next ``horizon - 1`` instances, as its forecast."""
    later = [synthetic_states(hierarchy, seed=n + k, step=n + k) for k in range(1, horizon)]
    return {unit: tuple(states[unit] for states in later) for unit in hierarchy.units}


async def _negotiations(
    kind: str, cells: int, levels: int, horizon: int, instances: int, log: Path | None
) -> tuple[list[float], list[int], list[int]]:
    """Per instance: the negotiation's ms (cohda step minus cellular step), views, rounds."""
    hierarchy = cells_hierarchy(cells=cells, depth=1, loads=1, generators=1)
    cohda = Strategy(CohdaStrategy(levels=levels, horizon=horizon))
    ms, views, rounds = [], [], []
    async with (
        open_runtime(kind, hierarchy, CONFIG, strategy=cohda, log=log) as negotiating,
        open_runtime(kind, hierarchy, CONFIG, strategy=Strategy.of("cellular")) as plain,
    ):
        for n in range(instances + 1):  # the first warms up
            states = synthetic_states(hierarchy, seed=n, step=n)
            forecasts = _forecasts(hierarchy, n, horizon)
            started = time.perf_counter()
            result = await negotiating.step(n * 900, 0, states, forecasts)
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


def _reference(cells: int, levels: int, horizon: int, instances: int) -> list[float]:
    """The pure reference negotiation's ms on the same cells (the views as the oracle
    reports them, timed apart)."""
    hierarchy = cells_hierarchy(cells=cells, depth=1, loads=1, generators=1)
    strategy = Strategy(CohdaStrategy(levels=levels, horizon=horizon))
    times = []
    for n in range(1, instances + 1):
        states = synthetic_states(hierarchy, seed=n, step=n)
        ahead = _forecasts(hierarchy, n, horizon)
        below = {cell: hierarchy.units_below(cell) for cell in hierarchy.cells}
        views = {
            cell: CellView(
                aggregate(states[u] for u in units),
                CONFIG.interface(cell),
                None,
                combined([padded(states[u], ahead[u], horizon - 1) for u in units], horizon - 1),
            )
            for cell, units in below.items()
        }
        started = time.perf_counter()
        strategy.between.decide(views, CONFIG)
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
    parser.add_argument("--horizon", type=int, default=1)
    parser.add_argument("--instances", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    hierarchy = cells_hierarchy(cells=args.cells, depth=1, loads=1, generators=1)
    states = synthetic_states(hierarchy, seed=1, step=1)
    one = next(iter(hierarchy.cells))
    cell_state = aggregate(states[u] for u in hierarchy.units_below(one))
    strategy = CohdaStrategy(levels=args.levels, horizon=args.horizon)
    candidates = len(strategy.options(cell_state, CONFIG))
    print(
        f"{args.cells} cells, {candidates} candidates for {one}, H = {args.horizon}, "
        "small world k = 2"
    )
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(1, args.rounds + 1):
            reference = _reference(args.cells, args.levels, args.horizon, 15)
            print(_show(f"round {round_} reference      ", reference))
            for kind, logged in (("native", False), ("native", True), ("mango", False)):
                log = Path(folder) / f"{kind}-{round_}.zst" if logged else None
                with asyncio.Runner(loop_factory=loop_for(kind)) as runner:
                    ms, views, rounds = runner.run(
                        _negotiations(
                            kind, args.cells, args.levels, args.horizon, args.instances, log
                        )
                    )
                label = f"{kind}{' + log' if logged else ''}"
                print(
                    _show(f"round {round_} {label:15s}", ms)
                    + f"; views {statistics.median(views):.0f} "
                    f"({min(views)}-{max(views)}), rounds {statistics.median(rounds):.0f}"
                )


if __name__ == "__main__":
    main()
