"""A worker process: whole cells' agents in one mango container, stepped by the
coordinator's process (`processes`).

Belongs here: `CellHost` (a worker's agents and their run queue) and the process's main
(``python -m massca.compat.mango.worker HOST:PORT --name NAME``, which massca starts
itself; on another machine a user starts it with the coordinator's real address). Not
here: the agents' logic (`massca.actors`), the wire format (`wire`).

A worker talks to the coordinator over TCP (``HOST:PORT``: the coordinator's container)
or over MQTT (``mqtt://HOST:PORT/TOPIC``: the broker and the coordinator's inbox topic;
the worker's inbox is a topic beside it, named after the worker).

What a worker does: it says `Hello` to the coordinator, builds the agents it is assigned
(from the same header a log starts with, so they are the agents replay builds), and for
every `Batch` it gets it hands the messages to its agents and runs its queue dry, FIFO,
as the native core does; then it sends back one `Batch` with every message its agents
sent (the coordinator logs them all and passes on those for agents elsewhere), and with
the outcome (targets, aggregates) of each cell that finished its step. A handler that
raises sends `Failed` instead. A worker ends on `Stop`, and by itself when the process
that started it (``--parent``) ends, so no worker outlives its run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import mango
from mango.container.mqtt import MQTTContainer

from massca.actors.agents import Agent, ControllerAgent, UnitAgent
from massca.actors.messages import Done, ProtocolCodec
from massca.actors.replaying import agents_for
from massca.actors.runtime import kind_of
from massca.compat.mango.containers import (
    LastWill,
    address_of,
    agent_address,
    open_container,
    open_mqtt_container,
)
from massca.compat.mango.watch import Watch
from massca.compat.mango.wire import (
    COORDINATOR_AID,
    Assign,
    Batch,
    Entry,
    Failed,
    Hello,
    Ready,
    Stop,
    Unreadable,
)
from massca.log import LogHeader
from massca.model import MasscaError, State

__all__ = ["CellHost", "main"]


class CellHost:
    """A worker's agents (``agents``: the ones it holds, built with ``send`` = `send`)
    and their run queue; see the module docstring."""

    def __init__(self, header: LogHeader, held: tuple[str, ...]) -> None:
        everyone = agents_for(header, self.send)
        self.agents: dict[str, Agent] = {agent: everyone[agent] for agent in held}
        self.root = header.hierarchy.root
        self._cell_of = header.hierarchy.cell_of
        self._members: dict[str, list[str]] = {}
        for agent in held:
            self._members.setdefault(self._cell_of.get(agent, agent), []).append(agent)
        self._queue: deque[tuple[str, str, Any]] = deque()
        self._sent: list[Entry] = []
        self._leaving: list[int] = []  # indices in _sent of messages for agents elsewhere
        self._finished: list[str] = []  # cells that told the coordinator they are done
        self._codec = ProtocolCodec()

    def send(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        """An agent's send: kept for the coordinator, queued for receivers held here."""
        sent = self._sent
        agents, queue = self.agents, self._queue
        leaves = False
        if type(to) is tuple:
            for receiver in to:
                if receiver in agents:
                    queue.append((sender, receiver, message))
                else:
                    leaves = True
        elif to in agents:
            queue.append((sender, to, message))
        else:
            leaves = True
            if to == self.root and type(message) is Done:
                self._finished.append(sender)
        if leaves:
            self._leaving.append(len(sent))
        sent.append((sender, to, message))

    def run(self, batch: Batch) -> Batch | Failed:
        """Deliver ``batch``, run the queue dry; the messages sent meanwhile."""
        queue, agents, decoded = self._queue, self.agents, self._codec.decoded
        for sender, to, encoded in batch.entries:
            try:
                message = decoded(encoded)
            except MasscaError as error:
                return Failed("", "wire", f"a message from {sender!r}: {error}", ())
            for receiver in (to,) if type(to) is str else to:
                queue.append((sender, receiver, message))
        while queue:
            sender, receiver, message = queue.popleft()
            agent = agents[receiver]
            handler = agent.handlers.get(type(message))
            try:
                if handler is None:
                    agent.receive(sender, message)  # raises, naming the kind
                else:
                    handler(agent, sender, message)
            except Exception as error:
                queue.clear()
                return Failed(
                    receiver, kind_of(message), f"{type(error).__name__}: {error}", self._taken()
                )
        leaving = tuple(self._leaving)
        return Batch(batch.time, batch.iteration, self._taken(), self._outcome(), leaving)

    def _taken(self) -> tuple[Entry, ...]:
        sent, self._sent, self._leaving = self._sent, [], []
        return tuple(sent)

    def _outcome(self) -> Mapping[str, State]:
        """The targets and aggregates of the cells that finished since the last batch."""
        outcome: dict[str, State] = {}
        for cell in self._finished:
            for member in self._members[cell]:
                agent = self.agents[member]
                value = (
                    agent.target
                    if isinstance(agent, UnitAgent)
                    else agent.aggregate
                    if isinstance(agent, ControllerAgent)
                    else None
                )
                if value is not None:
                    outcome[member] = value
        self._finished = []
        return outcome


class _Gateway(mango.Agent):  # type: ignore[misc]
    """The worker's one mango agent: hands what arrives to `Worker.receive`."""

    def __init__(self, receive: Callable[[Any], None]) -> None:
        super().__init__()
        self._receive = receive

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        self._receive(content)


class Worker:
    """A worker's life: hello, assignment, batches, stop."""

    def __init__(self, name: str, container: Any, coordinator: mango.AgentAddress) -> None:
        self.name = name
        self.container = container
        self.coordinator = coordinator
        self.host: CellHost | None = None
        # why it stopped: None when the coordinator stopped it
        self.stopped: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._outgoing: asyncio.Queue[Any] = asyncio.Queue()

    async def serve(self) -> str | None:
        """Say hello, then send what `receive` queues, in order, until stopped; returns
        why it stopped, None when the coordinator stopped it."""
        self._outgoing.put_nowait(Hello(self.name, os.getpid(), address_of(self.container)))
        sender = asyncio.create_task(self._send_all())
        try:
            return await self.stopped
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    async def _send_all(self) -> None:
        while True:
            content = await self._outgoing.get()
            if not await self.container.send_message(
                content, self.coordinator, sender_id=self.name
            ):
                self._stop(f"worker {self.name}: cannot reach the coordinator")

    def receive(self, content: Any) -> None:
        """Act on one message from the coordinator."""
        if type(content) is Batch and self.host is not None:
            self._outgoing.put_nowait(self.host.run(content))
        elif type(content) is Assign:
            try:
                header = LogHeader.from_json(content.header, "the coordinator's assignment")
                self.host = CellHost(header, content.agents)
            except Exception as error:  # a header or agents this massca cannot build
                text = f"{type(error).__name__}: {error}"
                self._outgoing.put_nowait(Failed("", "assign", text, ()))
            else:
                self._outgoing.put_nowait(Ready(self.name))
        elif type(content) is Stop:
            self._stop(None)
        else:
            problem = content.problem if type(content) is Unreadable else repr(content)
            self._outgoing.put_nowait(Failed("", "wire", f"worker {self.name} got {problem}", ()))

    def _stop(self, why: str | None) -> None:
        if not self.stopped.done():
            self.stopped.set_result(why)


async def serve(
    container: Any, coordinator: mango.AgentAddress, name: str, parent: int | None
) -> str | None:
    """Run one worker in ``container`` until the coordinator stops it or ``parent`` ends;
    returns why it stopped, None when the coordinator stopped it."""
    worker = Worker(name, container, coordinator)
    container.register(_Gateway(worker.receive), suggested_aid=name)
    will = None
    if isinstance(container, MQTTContainer):  # the coordinator hears if this one dies
        will = LastWill(container.broker_addr, str(coordinator.protocol_addr), name)
        will.open()
    watch = None
    if parent is not None:
        watch = Watch(
            parent,
            lambda: worker._stop("the process that started this worker ended"),
            lambda: os.getppid() == parent,
        )
    try:
        async with mango.activate(container):
            return await worker.serve()
    finally:
        if watch is not None:
            watch.cancel()
        if will is not None:
            will.close()


def main(argv: list[str] | None = None) -> None:
    """The worker process's command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m massca.compat.mango.worker",
        description="massca: a worker process holding whole cells' agents",
    )
    parser.add_argument(
        "coordinator",
        metavar="COORDINATOR",
        help="the coordinator's container: HOST:PORT over TCP, mqtt://HOST:PORT/TOPIC over "
        "MQTT (the broker and the coordinator's topic)",
    )
    parser.add_argument("--name", required=True, help="this worker's name (its mango agent id)")
    parser.add_argument(
        "--host",
        help="TCP: the address this worker listens at (default: its own address on the "
        "route to the coordinator)",
    )
    parser.add_argument("--parent", type=int, help="end when this process ends")
    args = parser.parse_args(argv)
    spec = args.coordinator
    mqtt = spec.startswith("mqtt://")
    where, _, topic = spec.removeprefix("mqtt://").partition("/") if mqtt else (spec, "", "")
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit() or (mqtt and not topic):
        parser.error(f"coordinator {spec!r}: give HOST:PORT or mqtt://HOST:PORT/TOPIC")
    peer = (host.strip("[]"), int(port))

    async def run() -> None:
        if mqtt:  # the worker's inbox: a topic beside the coordinator's
            container = open_mqtt_container(peer, f"{topic.rpartition('/')[0]}/{args.name}")
            coordinator = agent_address(topic, COORDINATOR_AID)
        else:
            container = open_container(args.host or address_towards(peer))
            coordinator = agent_address(peer, COORDINATOR_AID)
        why = await serve(container, coordinator, args.name, args.parent)
        if why is not None:
            print(f"massca: {why}", file=sys.stderr)

    asyncio.run(run())


def address_towards(peer: tuple[str, int]) -> str:
    """This machine's address on the route to ``peer`` (the source address the kernel
    picks for it; nothing is sent): reachable by the peer, on loopback, in a network
    namespace or across machines alike."""
    family = socket.AF_INET6 if ":" in peer[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(peer)
        return str(probe.getsockname()[0])


if __name__ == "__main__":
    main()
