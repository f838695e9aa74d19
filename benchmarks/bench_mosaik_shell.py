"""Benchmark the mosaik shell's own cost per step against the MAS step it wraps.

    python benchmarks/bench_mosaik_shell.py [--cells 50] [--depth 1] [--steps 100] [--no-log]
                                            [--band inputs|params]

A real mosaik World: one synthetic unit simulator (every unit of N CIGRE-sized cells,
seeded states, obeying ``scale_factor`` within the time step) and the MAS created in the
prototype's style (coordinator, cells, controllers, one agent per unit, weak
``scale_factor`` connections). A unit's band comes from its ``P_min``/``P_max`` inputs
(``--band inputs``, the default: three connected attributes, the band changing every
step) or, as in the prototype's scenario, only ``P[MW]`` is connected and the band is the
``min``/``max`` params of ``create`` (``--band params``: a generator's rated 3 MW, a
load's 2.4 MW). The MAS simulator is instrumented: the time inside its
``step`` and ``get_data`` minus the runtime's own step is the shell's cost (converting
inputs and outputs, bookkeeping). Each MAS step is paired with the ``get_data`` that
follows it; the ratio to the runtime's step is taken per MAS step and per time step (all
its iterations), then the median over the run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import mosaik
import mosaik_api_v3

from massca.compat.mosaik import MosaikAgents
from massca.model import cells_hierarchy
from massca.workload import synthetic_states

STEP = 900
RATED_MW = {"production": 3.0, "consumption": 2.4}
"""The bands of ``--band params``: the largest output and demand `synthetic_states` makes."""
RECORDS: list[dict[str, float]] = []
"""One per MAS step: its simulated time and iteration, the runtime's step, the shell's
part of ``step()`` and of the ``get_data()`` that follows it (seconds)."""


class TimedMosaikAgents(MosaikAgents):
    """`MosaikAgents` that records how long its own parts take."""

    def step(self, time: int, inputs: Any, max_advance: int) -> Any:
        started = time_now()
        result = yield from super().step(time, inputs, max_advance)
        total = time_now() - started
        RECORDS.append(
            {
                "time": time,
                "iteration": self._loop.iteration,
                "runtime": self._steptime,
                "shell": total - self._steptime,
            }
        )
        return result

    def get_data(self, outputs: Any) -> Any:
        started = time_now()
        data = super().get_data(outputs)
        RECORDS[-1]["get_data"] = time_now() - started
        return data


time_now = time.perf_counter


class SyntheticUnits(mosaik_api_v3.Simulator):
    """Every unit of the workload, reporting seeded states and obeying set-points."""

    def __init__(self) -> None:
        super().__init__(
            {
                "api_version": "3.0",
                "type": "hybrid",
                "models": {
                    "Unit": {
                        "public": True,
                        "params": ["name"],
                        "attrs": ["P[MW]", "P_min[MW]", "P_max[MW]", "scale_factor"],
                        "trigger": ["scale_factor"],
                    }
                },
            }
        )
        self.names: dict[str, str] = {}
        self.power: dict[str, float] = {}
        self.states: dict[str, Any] = {}
        self.hierarchy: Any = None
        self.seed = 1

    def init(self, sid: str, time_resolution: float = 1.0, cells: int = 50, depth: int = 1):
        self.hierarchy = cells_hierarchy(cells, depth)
        return self.meta

    def create(self, num: int, model: str, name: str) -> list[dict[str, str]]:
        eid = f"u{len(self.names)}"
        self.names[eid] = name
        return [{"eid": eid, "type": model}]

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int | None:
        if inputs:
            for eid, data in inputs.items():
                factor = next(iter(data["scale_factor"].values()))
                self.power[eid] *= factor
            return None
        self.states = synthetic_states(self.hierarchy, self.seed, time // STEP)
        for eid, name in self.names.items():
            state = self.states[name]
            band = state.production if "gen" in name else state.consumption
            self.power[eid] = band.current
        return time + STEP

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, float]]:
        data = {}
        for eid, attrs in outputs.items():
            name = self.names[eid]
            state = self.states[name]
            band = state.production if "gen" in name else state.consumption
            values = {"P[MW]": self.power[eid], "P_min[MW]": band.min, "P_max[MW]": band.max}
            data[eid] = {a: values[a] for a in attrs}
        return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--no-log", action="store_true")
    parser.add_argument("--band", choices=["inputs", "params"], default="inputs")
    args = parser.parse_args()
    sys.modules.setdefault("bench_mosaik_shell", sys.modules[__name__])
    hierarchy = cells_hierarchy(args.cells, args.depth)
    with tempfile.TemporaryDirectory() as scratch:
        log = None if args.no_log else str(Path(scratch) / "mas.jsonl")
        world = mosaik.World(
            {
                "Units": {"python": "bench_mosaik_shell:SyntheticUnits"},
                "MAS": {"python": "bench_mosaik_shell:TimedMosaikAgents"},
            }
        )
        with world.group():
            massim = world.start("MAS", step_size=STEP, log=log, convergence_max_steps=5)
            unitsim = world.start("Units", cells=args.cells, depth=args.depth)
        massim.MosaikAgents()
        agent_of = {}
        for cell in hierarchy.cells:
            agent_of[cell] = massim.MosaikAgents.create(num=1, controller=None)[0]
        for node in hierarchy.nodes:  # parents come before children in the builder's order
            if node.id in agent_of or node.parent is None:
                continue
            band = "production" if "gen" in node.id else "consumption"
            parent = agent_of[node.parent].eid
            if node.id in hierarchy.units:
                unit = unitsim.Unit(name=node.id)
                if args.band == "params":
                    rated = RATED_MW[band]
                    agent = massim.MosaikAgents.create(
                        num=1, controller=parent, unit=band, min=0.0, max=rated
                    )[0]
                    world.connect(unit, agent, ("P[MW]", "current"))
                else:
                    agent = massim.MosaikAgents.create(num=1, controller=parent, unit=band)[0]
                    world.connect(
                        unit,
                        agent,
                        ("P[MW]", "current"),
                        ("P_min[MW]", "min"),
                        ("P_max[MW]", "max"),
                    )
                world.connect(agent, unit, "scale_factor", weak=True)
            else:
                agent = massim.MosaikAgents.create(num=1, controller=parent)[0]
            agent_of[node.id] = agent
        started = time.perf_counter()
        world.run(until=args.steps * STEP, print_progress=False)
        wall = time.perf_counter() - started
    steps = [r for r in RECORDS if "get_data" in r]
    for r in steps:
        r["shell+get_data"] = r["shell"] + r["get_data"]
    print(
        f"mosaik shell, {args.cells} cells x depth {args.depth}, {len(hierarchy)} agents, "
        f"log {'off' if args.no_log else 'on'}, band from {args.band}, {len(steps)} MAS steps "
        f"({args.steps} time steps), wall {wall:.1f} s"
    )
    print(f"  MAS step (runtime)          median {median_ms(steps, 'runtime'):8.2f} ms")
    print(f"  shell in step()             median {median_ms(steps, 'shell'):8.2f} ms")
    print(f"  shell in get_data()         median {median_ms(steps, 'get_data'):8.2f} ms")
    ratios = [r["shell+get_data"] / r["runtime"] for r in steps]
    print(f"  shell / MAS, per MAS step   median {statistics.median(ratios):8.1%}")
    sums: dict[int, list[float]] = {}  # time -> [shell, runtime] over its iterations
    for r in steps:
        shell_and_runtime = sums.setdefault(r["time"], [0.0, 0.0])
        shell_and_runtime[0] += r["shell+get_data"]
        shell_and_runtime[1] += r["runtime"]
    per_time = [shell / runtime for shell, runtime in sums.values()]
    print(f"  shell / MAS, per time step  median {statistics.median(per_time):8.1%}")
    print("  by iteration (medians): MAS step, shell in step() + get_data(), ratio")
    for iteration in sorted({r["iteration"] for r in steps}):
        of = [r for r in steps if r["iteration"] == iteration]
        ratio = statistics.median(r["shell+get_data"] / r["runtime"] for r in of)
        print(
            f"    iteration {iteration}: {len(of):4d} steps {median_ms(of, 'runtime'):8.2f} ms"
            f" {median_ms(of, 'shell+get_data'):8.2f} ms {ratio:8.1%}"
        )


def median_ms(records: list[dict[str, float]], key: str) -> float:
    """The median of ``key`` over ``records``, in ms."""
    return statistics.median(r[key] for r in records) * 1e3


if __name__ == "__main__":
    main()
