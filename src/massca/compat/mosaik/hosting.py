"""Where the mosaik shell runs its runtime: on mosaik's own loop, or on a private one.

Belongs here: `Hosting` and its two kinds. mosaik calls ``finalize`` synchronously from
inside its running loop and closes that loop right after, so a runtime whose shutdown
must await (mango's container) cannot finish it there. Such a runtime runs on its own
event loop in a private thread: each step is handed over and awaited; shutting down is
a blocking call that completes before ``finalize`` returns. The native core needs no
shutdown but closing its log, so it runs on mosaik's loop directly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from massca.actors import Runtime
from massca.model import State, StepResult

__all__ = ["Hosting", "OwnThread", "SameLoop", "hosting_for"]

T = TypeVar("T")


class Hosting:
    """Runs one runtime: ``await start()``, ``await step(...)``, then ``close()``."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def start(self) -> None:
        """Start the runtime."""
        await self.runtime.start()

    async def step(self, time: int, iteration: int, states: Mapping[str, State]) -> StepResult:
        """One step of the runtime."""
        return await self.runtime.step(time, iteration, states)

    def close(self) -> None:
        """Shut the runtime down and close its log; blocks until done."""
        raise NotImplementedError


class SameLoop(Hosting):
    """The runtime runs on the caller's loop (the native core)."""

    def close(self) -> None:
        self.runtime.close_log()


class OwnThread(Hosting):
    """The runtime runs on a private event loop in a daemon thread (mango)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="massca-runtime", daemon=True
        )
        self._thread.start()

    async def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wrap_future(future)

    async def start(self) -> None:
        await self._call(self.runtime.start())

    async def step(self, time: int, iteration: int, states: Mapping[str, State]) -> StepResult:
        return await self._call(self.runtime.step(time, iteration, states))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.runtime.close(), self._loop).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


def hosting_for(runtime: Runtime) -> Hosting:
    """`OwnThread` for runtimes whose shutdown must await, else `SameLoop`."""
    return SameLoop(runtime) if runtime.name == "native" else OwnThread(runtime)
