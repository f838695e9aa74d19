"""Pausing Python's cyclic garbage collector around bursts of short-lived allocations.

Belongs here: `gc_paused`, the one place that pauses and restores the collector (used by
the runtimes' steps, the mosaik shell's conversions and the benchmark's oracle), and
`frozen`, which takes a built world out of the collector's scans for a run.

Why: a step allocates thousands of short-lived objects that form no reference cycles
(reference counting frees them), yet their count triggers collections that traverse
every long-lived object (agents, mosaik's world). Measured on 31,001 agents: 413 ms per
step with the collector running, 237 ms without.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RUN_THRESHOLDS", "frozen", "gc_paused"]

RUN_THRESHOLDS = (20_000, 10, 10)
"""The collector's thresholds inside `frozen` (Python's default: 700, 10, 10): a run's
steps allocate and free objects in the tens of thousands, almost none in cycles, and the
default youngest threshold collected six times per 50-cell time step, 3.1 ms of its
~70 ms; with these, 0.6 ms (see BENCHMARKS.md)."""


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Run the block with the cyclic collector paused if ``pause`` and it is running;
    afterwards it runs again. Nesting is safe: an inner pause leaves the outer one alone."""
    paused = pause and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Run the block with every object alive now frozen (``gc.freeze``): a world built
    before it (grid tables, simulators, agents) is never scanned again by the full
    collections the run's own allocations trigger; and with `RUN_THRESHOLDS`, so that
    they trigger fewer. Afterwards it is unfrozen, so collections see it again, and the
    thresholds are restored. Measured on 50 cells for a quarter day
    (``benchmarks/gc_time.py``): see BENCHMARKS.md."""
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
