"""Running the actor core on an event loop: uvloop when it is installed, else asyncio's.

Belongs here: the choice of event loop for code that owns its loop (`massca bench`,
scripts). Under mosaik, mosaik owns the loop and massca runs on it as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["loop_factory", "run"]


def loop_factory(prefer_uvloop: bool = True) -> Callable[[], asyncio.AbstractEventLoop]:
    """``uvloop.new_event_loop`` if wanted and installed, else `asyncio.new_event_loop`."""
    if prefer_uvloop:
        try:
            import uvloop
        except ImportError:  # uvloop is optional on platforms without it (Windows)
            pass
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run[T](coroutine: Coroutine[Any, Any, T], *, prefer_uvloop: bool = True) -> T:
    """Run ``coroutine`` to completion on a fresh loop (see `loop_factory`)."""
    with asyncio.Runner(loop_factory=loop_factory(prefer_uvloop)) as runner:
        return runner.run(coroutine)
