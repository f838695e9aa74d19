"""`massca bench`: the MAS alone (no mosaik, no grid) on a built-in hierarchy.

Belongs here: running a runtime for K steps on seeded synthetic CIGRE-sized cells and
measuring it. Not here: printing (the CLI) or the scenario with a real grid.

What is measured: per step, the wall time of ``await runtime.step(...)`` (the log's
flush included when the log is on); not the generation of the synthetic inputs. The
oracle (`reference_step`) runs on the same inputs for the ratio, with the garbage
collector paused as the runtimes pause it; so does the coordinator's between-cells
decision alone (``strategy.between.decide`` on the cells' views: for ``optimal``, building
and solving its linear programme), reported as the decision time. Memory is the process's
peak resident set (``ru_maxrss``) after the run minus the same before the runtime was
built, per agent.
"""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from massca.actors import DEFAULT_TIMEOUT
from massca.actors.gcpause import gc_paused
from massca.compat.runtimes import RUNTIMES, loop_for, open_runtime
from massca.compat.spread import broker_address
from massca.memory import check_fits
from massca.model import (
    BETWEEN_CELLS,
    CIGRE_GENERATORS,
    CIGRE_LOADS,
    WITHIN_CELL,
    ConfigurationError,
    Hierarchy,
    State,
    StepConfig,
    Strategy,
    cells_hierarchy,
    reference_step,
)
from massca.model.step import reported_views
from massca.workload import synthetic_priorities, synthetic_states

__all__ = ["BenchConfig", "BenchResult", "run_bench"]

STEP_SECONDS = 900
"""Simulated seconds between steps (15 minutes, as in the prototype)."""


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to run: ``cells`` x ``depth`` on ``runtime`` for ``steps`` measured steps;
    ``storage`` batteries per cell (the CIGRE cell has two) besides its loads and
    generators."""

    cells: int = 50
    depth: int = 1
    steps: int = 50
    warmup: int = 3
    runtime: str = "native"
    seed: int = 1
    log: bool = True
    log_path: str | None = None
    strategy: str = "cellular"
    within: str = "proportional"
    storage: int = 0
    processes: int = 1
    placement: str = "blocks"
    transport: str = "tcp"
    broker: str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.processes <= max(self.cells, 1):
            problems.append(
                f"processes = {self.processes}: from 1 to the {self.cells} cells (each worker "
                "process holds whole cells)"
            )
        if self.storage < 0:
            problems.append(f"storage = {self.storage}: batteries per cell, >= 0")
        if self.steps < 1:
            problems.append(f"steps = {self.steps}: need at least 1")
        if self.warmup < 0:
            problems.append(f"warmup = {self.warmup}: must be >= 0")
        if self.transport == "mqtt" and self.processes == 1:
            problems.append("transport = 'mqtt' needs worker processes: give processes >= 2")
        if self.runtime not in RUNTIMES:
            problems.append(f"runtime = {self.runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if self.log_path is not None and not self.log:
            problems.append("a log path was given with the log switched off")
        if self.strategy not in BETWEEN_CELLS:
            problems.append(f"strategy = {self.strategy!r}: choose one of {BETWEEN_CELLS}")
        if self.within not in WITHIN_CELL:
            problems.append(f"within = {self.within!r}: choose one of {WITHIN_CELL}")
        if problems:
            raise ConfigurationError("; ".join(problems))

    def strategy_for(self, hierarchy: Hierarchy) -> Strategy:
        """The strategy to run (``merit`` with the synthetic units' levels)."""
        if self.within == "merit":
            return Strategy.of(self.strategy, "merit", priorities=synthetic_priorities(hierarchy))
        return Strategy.of(self.strategy, self.within)


@dataclass(frozen=True, slots=True)
class BenchResult:
    """The figures of one benchmark run (all times in ms)."""

    runtime: str
    strategy: str
    cells: int
    depth: int
    agents: int
    units: int
    storage: int
    steps: int
    log: bool
    log_path: str | None
    median_step_ms: float
    min_step_ms: float
    max_step_ms: float
    oracle_median_ms: float
    ratio_to_oracle: float
    decision_median_ms: float
    messages_per_step: float
    peak_rss_mb: float
    memory_per_agent_kb: float
    python: str
    machine: str
    processes: int = 1
    cpu_ms_per_step: tuple[float, ...] = ()
    """CPU time per measured step: this process's, then each worker's."""
    bytes_per_step: float = 0.0
    """Bytes between this process and the workers per measured step (sent + received)."""

    def to_json(self) -> dict[str, Any]:
        """The result as one JSON-ready object."""
        return asdict(self)


STEP_SECONDS_PER_AGENT = 1e-4
"""What the step timeout grows by per agent in a benchmark (on top of the runtimes'
default): a step takes some 27 us per agent at 870,001 agents, so huge benchmarks are
timed, not cut, while a hung one still ends."""

BYTES_PER_AGENT = 3300
"""Memory one agent takes in `run_bench`, hierarchy, states, messages and the log's
buffer included: measured 3.08 KB (peak RSS over 14,501 and 116,001 agents, native
runtime, log on), rounded up."""


def run_bench(
    config: BenchConfig, progress: Callable[[int, int], None] | None = None
) -> BenchResult:
    """Run the benchmark; ``progress(done, total)`` is called after every step.

    Refuses (`ConfigurationError`) a size whose estimate (`BYTES_PER_AGENT` per agent)
    exceeds the memory left, before building anything."""
    agents = 1 + config.cells * (1 + config.depth + CIGRE_LOADS + CIGRE_GENERATORS + config.storage)
    check_fits(
        agents * BYTES_PER_AGENT,
        f"massca bench --cells {config.cells} ({agents:,} agents at {BYTES_PER_AGENT / 1e3:g} KB)",
        "give fewer cells",
    )
    hierarchy = cells_hierarchy(config.cells, config.depth, storage=config.storage)
    assert len(hierarchy) == agents, "the estimate's agent count follows cells_hierarchy"
    baseline_kb = _peak_rss_kb()
    with tempfile.TemporaryDirectory(prefix="massca-bench-") as scratch:
        log_path = None
        if config.log:
            log_path = config.log_path or str(Path(scratch) / "bench.zst")
        with asyncio.Runner(loop_factory=loop_for(config.runtime)) as runner:
            times, oracle, decision, sent, cost = runner.run(
                _measure(config, hierarchy, log_path, progress)
            )
    peak_kb = _peak_rss_kb()
    total = config.warmup + config.steps
    return BenchResult(
        runtime=config.runtime,
        strategy=f"{config.strategy}/{config.within}",
        cells=config.cells,
        depth=config.depth,
        agents=len(hierarchy),
        units=len(hierarchy.units),
        storage=config.storage,
        steps=config.steps,
        log=config.log,
        log_path=config.log_path,
        median_step_ms=statistics.median(times),
        min_step_ms=min(times),
        max_step_ms=max(times),
        oracle_median_ms=statistics.median(oracle),
        ratio_to_oracle=statistics.median(times) / statistics.median(oracle),
        decision_median_ms=statistics.median(decision),
        messages_per_step=sent / total,
        peak_rss_mb=peak_kb / 1024,
        memory_per_agent_kb=max(peak_kb - baseline_kb, 0) / len(hierarchy),
        python=platform.python_version(),
        machine=f"{platform.machine()}, {_cores()} cores",
        processes=config.processes,
        cpu_ms_per_step=cost.cpu_ms_per_step,
        bytes_per_step=cost.bytes_per_step,
    )


@dataclass(frozen=True, slots=True)
class _Cost:
    """What the measured steps cost besides wall time (see `BenchResult`)."""

    cpu_ms_per_step: tuple[float, ...]
    bytes_per_step: float


async def _measure(
    config: BenchConfig,
    hierarchy: Any,
    log_path: str | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[float], list[float], list[float], int, _Cost]:
    times: list[float] = []
    oracle: list[float] = []
    decision: list[float] = []
    total = config.warmup + config.steps
    strategy = config.strategy_for(hierarchy)
    timeout = DEFAULT_TIMEOUT + len(hierarchy) * STEP_SECONDS_PER_AGENT
    own_cpu = 0.0
    async with open_runtime(
        config.runtime,
        hierarchy,
        log=log_path,
        strategy=strategy,
        timeout=timeout,
        processes=config.processes,
        placement=config.placement,
        transport=config.transport,
        broker=broker_address(config.broker),
    ) as rt:
        for step in range(total):
            if step == config.warmup:
                traffic, workers_cpu = _traffic(rt), _workers_cpu(rt)
            states = synthetic_states(hierarchy, config.seed, step)
            start, cpu = time.perf_counter(), time.process_time()
            result = await rt.step(step * STEP_SECONDS, 0, states)
            elapsed = time.perf_counter() - start
            if step >= config.warmup:
                own_cpu += time.process_time() - cpu
                times.append(elapsed * 1e3)
                oracle.append(_time_oracle(hierarchy, states, strategy))
                decision.append(_time_decision(hierarchy, result.aggregates, strategy))
            if progress is not None:
                progress(step + 1, total)
        sent = rt.messages_sent
        now = _workers_cpu(rt)
        workers = [after - before for before, after in zip(workers_cpu, now, strict=True)]
        cost = _Cost(
            tuple(1e3 * used / config.steps for used in (own_cpu, *workers)),
            (_traffic(rt) - traffic) / config.steps,
        )
    return times, oracle, decision, sent, cost


def _traffic(runtime: Any) -> int:
    """Bytes a multi-process runtime has moved so far (0 in one process)."""
    traffic = getattr(runtime, "traffic", None)
    return sum(traffic()) if traffic is not None else 0


def _workers_cpu(runtime: Any) -> tuple[float, ...]:
    """CPU seconds each worker process has used so far (none in one process)."""
    used = getattr(runtime, "worker_cpu_seconds", None)
    return used() if used is not None else ()


def _time_oracle(hierarchy: Hierarchy, states: dict[str, State], strategy: Strategy) -> float:
    """The oracle's time in ms, under the same garbage-collector policy as the runtime
    (paused), so the ratio compares like with like."""
    with gc_paused():
        start = time.perf_counter()
        reference_step(hierarchy, states, strategy=strategy)
        return (time.perf_counter() - start) * 1e3


def _time_decision(hierarchy: Hierarchy, aggregates: Any, strategy: Strategy) -> float:
    """The coordinator's between-cells decision alone, in ms, on the step's cells."""
    config = StepConfig()
    cells = {cell: aggregates[cell] for cell in hierarchy.cells}
    views = reported_views(cells, strategy.between, config)
    with gc_paused():
        start = time.perf_counter()
        strategy.between.decide(views, config)
        return (time.perf_counter() - start) * 1e3


def _peak_rss_kb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else float(peak)  # bytes on macOS


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
