"""Choosing an agent runtime by name: ``native`` (the asyncio actor core) or ``mango``.

Belongs here: `open_runtime`, `RUNTIMES` and `loop_for`, used wherever a user picks a
runtime (`massca bench`, the mosaik shell, scripts). Both runtimes take the same
arguments and produce the same results and log events.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from massca.actors import (
    DEFAULT_TIMEOUT,
    MODEL_AGGREGATION,
    Aggregation,
    NativeRuntime,
    Runtime,
    loop_factory,
)
from massca.model import ConfigurationError, Hierarchy, StepConfig, Strategy

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
) -> Runtime:
    """A runtime of kind ``runtime``; start it with ``async with`` before stepping.
    ``strategy`` and ``aggregation`` as for `massca.actors.Runtime`."""
    kind: type[Runtime]
    if runtime == "native":
        kind = NativeRuntime
    elif runtime == "mango":
        from massca.compat.mango import MangoRuntime  # imports mango only when chosen

        kind = MangoRuntime
    else:
        raise ConfigurationError(f"runtime = {runtime!r}: choose one of {', '.join(RUNTIMES)}")
    return kind(
        hierarchy, config, log=log, timeout=timeout, strategy=strategy, aggregation=aggregation
    )


def loop_for(runtime: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event-loop factory for code that owns its loop: uvloop unless ``mango``."""
    return loop_factory(prefer_uvloop=runtime != "mango")
