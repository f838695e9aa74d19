"""Where the mosaik shell runs its runtime: on mosaik's own loop, or on a private one.

Belongs here: `Hosting` and its two kinds. mosaik calls ``finalize`` synchronously from
inside its running loop and closes that loop right after, so a runtime whose shutdown
must await (mango's container) cannot finish it there. Such a runtime runs on its own
event loop in a private thread: each step is handed over and awaited; shutting down is
a blocking call that completes before ``finalize`` returns. The native core needs no
shutdown but closing its log, so it runs on mosaik's loop directly.

A private thread cannot be interrupted (Python delivers signals to the main thread only),
so `OwnThread` enforces the step timeout itself: a step that has not ended twice
`massca.actors.deadline.SLACK` after its timeout (once is the runtime's own) fails with
`StepTimeoutError` naming what the thread was running (read off its stack). Its thread
is then stuck in that code: `close` flushes and closes the log from the caller and
leaves the daemon thread behind rather than wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from massca.actors import Runtime
from massca.actors.deadline import SLACK, running
from massca.errors import StepTimeoutError
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

    async def step(
        self,
        time: int,
        iteration: int,
        states: Mapping[str, State],
        forecasts: Mapping[str, tuple[State, ...]] | None = None,
    ) -> StepResult:
        """One step of the runtime."""
        return await self.runtime.step(time, iteration, states, forecasts)

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
        self._stuck = False

    async def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wrap_future(future)

    async def start(self) -> None:
        await self._call(self.runtime.start())

    async def step(
        self,
        time: int,
        iteration: int,
        states: Mapping[str, State],
        forecasts: Mapping[str, tuple[State, ...]] | None = None,
    ) -> StepResult:
        # the step pauses the collector for the whole process: read before the runtime's
        # thread can start it (read after, it raced that thread's pause)
        collecting = gc.isenabled()
        future = asyncio.run_coroutine_threadsafe(
            self.runtime.step(time, iteration, states, forecasts), self._loop
        )
        waiting = asyncio.wrap_future(future)
        timeout = self.runtime.timeout
        try:  # the runtime's own timeout fires first, unless its thread is stuck
            return await asyncio.wait_for(asyncio.shield(waiting), timeout + 2 * SLACK)
        except TimeoutError:
            agents, where = running(sys._current_frames().get(self._thread.ident or -1))
            if not where:  # the thread is free: the runtime's own error is on its way
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(waiting, SLACK)
            self._stuck = True
            if collecting:  # the abandoned step will not restore it: restore it here
                gc.enable()
            raise StepTimeoutError(
                f"step at time {time}, iteration {iteration} exceeded its timeout of "
                f"{timeout:g} s: {where or 'the runtime thread'} was running",
                agents,
            ) from None

    def close(self) -> None:
        if self._loop.is_closed():
            return
        if self._stuck:  # its thread is held by the step that timed out: do not wait
            self.runtime.close_log()
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
