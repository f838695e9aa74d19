"""The same agents hosted as mango-agents 2.x agents in one mango container.

Belongs here: `MangoRuntime`, which wraps every massca agent in a mango `Agent` and
moves every message through mango's container. Not here: agent logic (it is the
`massca.actors` agents, unchanged) or the log (the shared `Runtime` frame records every
message before mango delivers it, so both runtimes write the same events).

Costs, by design: a sync handler cannot await mango's ``send_message``, and
``schedule_instant_message`` costs a scheduled task per message. Each send therefore
starts mango's coroutine as an *eager* task (Python 3.12's ``eager_start``): a local
delivery completes synchronously, and only a send that really suspends (to another
container) is left to the loop.

mango's handler loop logs and ends silently when a handler raises; here every handler
runs inside a guard that fails the step with `AgentError` instead.

mango 2.4's TCP container reads ``server.sockets[0]._sock`` when it starts, which
uvloop's servers do not have: `MangoRuntime.start` refuses a uvloop loop with a clear
error, and `massca.compat.runtimes.loop_for` picks asyncio's loop for this runtime.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import mango

from massca.actors import Agent, Runtime
from massca.actors.deadline import SLACK, Expired, mark
from massca.actors.messages import Report, StepStart
from massca.actors.runtime import handling
from massca.log import ENVIRONMENT
from massca.model import ConfigurationError, ProtocolError

__all__ = ["LOOPBACK", "MangoRuntime"]

LOOPBACK = "127.0.0.1"
"""The container listens here, on a port the operating system picks."""


class _Host(mango.Agent):  # type: ignore[misc]
    """A mango agent that hands every message to one massca agent."""

    def __init__(self, core: Agent, runtime: MangoRuntime) -> None:
        super().__init__()
        self.core = core
        self.runtime = runtime

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        self.runtime._deliver(self.core, meta["sender_id"], content)


class MangoRuntime(Runtime):
    """Runs the agents in one mango TCP container on loopback (an OS-chosen port).

    Use ``async with MangoRuntime(...) as runtime`` (or `start` and `close`).
    """

    name = "mango"

    def _ready(self) -> None:
        self._container: Any = None
        self._stack = AsyncExitStack()
        self._done: asyncio.Future[None] | None = None
        self._pending: set[asyncio.Task[bool]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Create the container, register one mango agent per massca agent, activate."""
        if self._container is not None:
            return
        loop = asyncio.get_running_loop()
        if type(loop).__module__.startswith("uvloop"):
            raise ConfigurationError(
                "the mango runtime cannot run on uvloop (mango 2.4's TCP container reads "
                "a socket attribute uvloop lacks): run it on asyncio's default event loop"
            )
        self._loop = loop
        container = mango.create_tcp_container((LOOPBACK, 0), auto_port=True)
        for agent_id, core in self.agents.items():
            container.register(_Host(core, self), suggested_aid=agent_id)
        self._container = container
        await self._stack.enter_async_context(mango.activate(container))

    async def close(self) -> None:
        """Shut the container down, then flush and close the log; idempotent."""
        try:
            await self._stack.aclose()
        finally:
            self._container = None
            await super().close()

    def send(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        self._record((sender, to, message))  # recorded before delivery
        if type(to) is tuple:
            for receiver in to:
                self._post(sender, receiver, message)
        elif to == ENVIRONMENT:
            self._finish(message)
        else:
            self._post(sender, to, message)

    def _post(self, sender: str, receiver: str, message: Any) -> None:
        container = self._container
        address = mango.AgentAddress(container.addr, receiver)
        task = asyncio.Task(
            container.send_message(message, address, sender_id=sender),
            loop=self._loop,
            eager_start=True,
        )
        if task.done():
            self._check_sent(task, receiver)
        else:
            self._pending.add(task)
            task.add_done_callback(lambda t: self._sent_later(t, receiver))

    async def _run(self, start: StepStart) -> None:
        if self._container is None:
            raise ProtocolError("the mango runtime is not started: use 'async with' or start()")
        assert self._loop is not None
        self._done = self._loop.create_future()
        self.send(ENVIRONMENT, self.hierarchy.root, start)
        try:  # on the main thread the hard deadline fires first and names who runs
            await asyncio.wait_for(asyncio.shield(self._done), self.timeout + SLACK)
        except TimeoutError:
            raise self._stalled(f"exceeded its timeout of {self.timeout:g} s") from None

    def _deliver(self, core: Agent, sender: str, message: Any) -> None:
        try:
            core.receive(sender, message)
        except Exception as error:
            self._fail(self._agent_failed(core.id, message, error))
        except Expired as expired:  # the step's deadline cut this handler: fail the step
            self._fail(expired)

    def _finish(self, report: Report) -> None:
        self._report = report
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    def _check_sent(self, task: asyncio.Task[bool], receiver: str) -> None:
        error = task.exception()
        if error is not None:
            self._fail(ProtocolError(f"mango could not deliver to {receiver!r}: {error}"))
        elif task.result() is False:
            self._fail(ProtocolError(f"mango could not deliver to {receiver!r}"))

    def _sent_later(self, task: asyncio.Task[bool], receiver: str) -> None:
        self._pending.discard(task)
        if not task.cancelled():
            self._check_sent(task, receiver)


mark(
    MangoRuntime._deliver,  # the agent the message was handed to
    lambda frame: handling(frame.f_locals["core"].id, frame.f_locals["message"]),
)
