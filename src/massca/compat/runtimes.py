"""Choosing an agent runtime by name: ``native`` (the asyncio actor core) or ``mango``,
in one process or, with ``processes`` > 1, spread over worker processes.

Belongs here: `open_runtime`, `RUNTIMES` and `loop_for`, used wherever a user picks a
runtime (`massca bench`, the mosaik shell, scripts). Every runtime takes the same
arguments and produces the same results and log events.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from massca.actors import (
    DEFAULT_TIMEOUT,
    MODEL_AGGREGATION,
    Aggregation,
    NativeRuntime,
    Runtime,
    loop_factory,
)
from massca.model import ConfigurationError, Hierarchy, StepConfig, Strategy
from massca.model.network import Network

__all__ = ["RUNTIMES", "loop_for", "open_runtime"]

RUNTIMES = ("native", "mango")


def open_runtime(
    runtime: str,
    hierarchy: Hierarchy,
    config: StepConfig = StepConfig(),
    *,
    log: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    strategy: Strategy = Strategy(),
    aggregation: Aggregation = MODEL_AGGREGATION,
    processes: int = 1,
    placement: str = "blocks",
    transport: str = "tcp",
    broker: tuple[str, int] | None = None,
    network: Network | None = None,
) -> Runtime:
    """A runtime of kind ``runtime``; start it with ``async with`` before stepping.
    ``strategy`` and ``aggregation`` as for `massca.actors.Runtime`.

    ``processes`` > 1: the agents spread over that many worker processes, cells placed
    by ``placement``, talking over ``transport`` (``tcp``, or ``mqtt`` through
    ``broker``: None starts one) (`massca.compat.mango.ProcessRuntime`; the processes
    talk through mango's containers, whichever ``runtime`` is named).

    ``network``: simulate the ICT network between the agents (`massca.model.network`;
    the native runtime in one process only)."""
    kind: type[Runtime]
    if runtime not in RUNTIMES:
        raise ConfigurationError(f"runtime = {runtime!r}: choose one of {', '.join(RUNTIMES)}")
    common: dict[str, Any] = {
        "log": log,
        "timeout": timeout,
        "strategy": strategy,
        "aggregation": aggregation,
        "network": network,  # refused by the runtimes that cannot simulate it
    }
    if processes != 1:
        from massca.compat.mango import ProcessRuntime  # imports mango only when chosen

        return ProcessRuntime(
            hierarchy,
            config,
            processes=processes,
            placement=placement,
            transport=transport,
            broker=broker,
            **common,
        )
    if runtime == "native":
        kind = NativeRuntime
    elif runtime == "mango":
        from massca.compat.mango import MangoRuntime  # imports mango only when chosen

        kind = MangoRuntime
    return kind(hierarchy, config, **common)


def loop_for(runtime: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event-loop factory for code that owns its loop: uvloop unless ``mango``."""
    return loop_factory(prefer_uvloop=runtime != "mango")
