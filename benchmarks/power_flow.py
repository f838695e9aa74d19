"""The main job's power flow alone: pandapower with and without numba, recycled or not.

    python benchmarks/power_flow.py [--cells 50] [--steps 30] [--rounds 3]

Builds the default grid of N cells (`massca.scenario.grid.build_grid`), then times
``pp.runpp`` over ``--steps`` steps of perturbed loads and generation, the variants
alternating round by round: full, recycled (``recycle={"bus_pq": True}``) or voltages
only (recycled, pandapower's ``only_v_results``: what `massca.scenario.gridsim.RecyclingGrid`
runs while only the external grid's power is read), each with ``numba=False`` and, if
numba is installed, ``numba=True``. The first call of each variant (numba compiles then) is
timed apart as its start-up cost. Prints the median ms per step per variant and round.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import pandapower as pp

from massca.scenario.grid import build_grid
from massca.scenario.gridsim import RECYCLE

OPTIONS = {
    "full": {"recycle": None},
    "recycled": {"recycle": RECYCLE, "only_v_results": False},
    "voltages only": {"recycle": RECYCLE, "only_v_results": True},
}
"""``runpp``'s options per variant (a recycled run keeps the first call's ``only_v_results``)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    net, _ = build_grid(args.cells)
    kinds = ("full", "recycled", "voltages only")
    variants = [(kind, False) for kind in kinds]
    if pp.NUMBA_INSTALLED:
        variants += [(kind, True) for kind in kinds]
    nets = {variant: copy.deepcopy(net) for variant in variants}
    rng = np.random.default_rng(7)
    loads, sgens = net.load.p_mw.to_numpy(), net.sgen.p_mw.to_numpy()
    first: dict[tuple[str, bool], float] = {}
    for variant in variants:  # the first call: model built, numba compiled
        started = time.perf_counter()
        pp.runpp(nets[variant], numba=variant[1], **OPTIONS[variant[0]])
        first[variant] = time.perf_counter() - started
    print(
        f"{args.cells} cells: first call "
        + ", ".join(
            f"{kind}{' + numba' if numba else ''} {seconds * 1e3:.0f} ms"
            for (kind, numba), seconds in first.items()
        )
    )
    for round_ in range(1, args.rounds + 1):
        medians = {}
        for variant in variants:
            kind, numba = variant
            times = []
            for _ in range(args.steps):
                target = nets[variant]
                target.load["p_mw"] = loads * rng.uniform(0.5, 1.5, len(loads))
                target.sgen["p_mw"] = sgens * rng.uniform(0.0, 1.0, len(sgens))
                started = time.perf_counter()
                pp.runpp(target, numba=numba, **OPTIONS[kind])
                times.append(time.perf_counter() - started)
            medians[variant] = statistics.median(times) * 1e3
        print(
            f"round {round_}: "
            + ", ".join(
                f"{kind}{' + numba' if numba else ''} {ms:.1f} ms"
                for (kind, numba), ms in medians.items()
            )
        )


if __name__ == "__main__":
    main()
