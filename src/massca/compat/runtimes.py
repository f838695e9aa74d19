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
    MODEL_POLICY,
    NativeRuntime,
    Policy,
    Runtime,
    loop_factory,
)
from massca.model import ConfigurationError, Hierarchy, StepConfig

__all__ = ["RUNTIMES", "loop_for", "open_runtime"]

RUNTIMES = ("native", "mango")


def open_runtime(
    runtime: str,
    hierarchy: Hierarchy,
    config: StepConfig = StepConfig(),
    *,
    log: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = MODEL_POLICY,
) -> Runtime:
    """A runtime of kind ``runtime``; start it with ``async with`` before stepping."""
    if runtime == "native":
        return NativeRuntime(hierarchy, config, log=log, timeout=timeout, policy=policy)
    if runtime == "mango":
        from massca.compat.mango import MangoRuntime  # imports mango only when chosen

        return MangoRuntime(hierarchy, config, log=log, timeout=timeout, policy=policy)
    raise ConfigurationError(f"runtime = {runtime!r}: choose one of {', '.join(RUNTIMES)}")


def loop_for(runtime: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event-loop factory for code that owns its loop: uvloop unless ``mango``."""
    return loop_factory(prefer_uvloop=runtime != "mango")
