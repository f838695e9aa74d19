"""The MAS spread over processes: the coordinator here, whole cells in worker processes,
all talking through mango's TCP containers.

Belongs here: `ProcessRuntime` (the coordinator's side: starting and watching the
workers, routing, logging, results). Not here: the workers' side (`worker`), the wire
format (`wire`), which worker holds which cells (`massca.compat.spread`).

How a step travels: the coordinator agent runs in this process. Whatever it sends to
agents in a worker goes to that worker in one `Batch` per worker (a multicast cut down to
the worker's receivers: an update carries only their states). A worker runs its agents'
messages to each other itself and answers with one `Batch` of everything they sent; this
process writes those messages to the log first, then hands the coordinator its own and
passes on the ones for agents in other workers (cells that negotiate with ``cohda``). So
the log is the one a single process writes, in an order every agent could have seen, and
`massca replay` checks it the same way; the results are bit-identical.

Failure: a worker whose handler raises fails the step with `AgentError`, as in one process.
A worker process that ends (killed, out of memory) is seen at once (`watch`): the
step fails with `StepTimeoutError` naming the worker, its pid and exit status and the
cells it held; so does the end of the MQTT broker massca started (naming it). Over
MQTT each worker also leaves a last will at the broker (`containers.LastWill`): a worker
whose connection ends without a goodbye (its host stopped answering, which no process
watch sees) fails the step the same way, naming it and its cells. Closing
stops every worker and waits for it (killing one that does not end), so no process
outlives the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import mango

from massca.actors import DEFAULT_TIMEOUT, MODEL_AGGREGATION, Aggregation, Runtime
from massca.actors.deadline import SLACK
from massca.actors.messages import ProtocolCodec, Report, StepStart
from massca.compat.mango.broker import Broker
from massca.compat.mango.containers import agent_address, open_container, open_mqtt_container
from massca.compat.mango.local import LOOPBACK
from massca.compat.mango.watch import Watch
from massca.compat.mango.wire import (
    COORDINATOR_AID,
    Assign,
    Batch,
    Entry,
    Failed,
    Gone,
    Hello,
    Ready,
    Stop,
    Unreadable,
    narrowed,
)
from massca.compat.spread import TRANSPORTS, place
from massca.errors import AgentError, StepTimeoutError
from massca.log import ENVIRONMENT
from massca.model import (
    ConfigurationError,
    Hierarchy,
    ProtocolError,
    State,
    StepConfig,
    Strategy,
    strategy_from_description,
)
from massca.model.network import Network

__all__ = ["STARTUP_TIMEOUT", "ProcessRuntime", "RemoteError"]
STARTUP_TIMEOUT = 60.0
"""Seconds the workers may take to start and build their agents."""
STOP_TIMEOUT = 5.0
"""Seconds a worker may take to end after `Stop` before it is killed."""


class RemoteError(Exception):
    """An exception raised in a worker process, as its text (the exception itself is never
    sent: nothing from the wire is executed or unpickled)."""


@dataclass(eq=False)
class _Worker:
    """One worker process as the coordinator knows it."""

    name: str
    agents: tuple[str, ...]
    cells: tuple[str, ...]
    hello: asyncio.Future[None]
    ready: asyncio.Future[None]
    process: subprocess.Popen[bytes] | None = None
    address: mango.AgentAddress | None = None
    watch: Watch | None = None  # notices the process's end
    sent: list[Entry] = field(default_factory=list)  # this process's batch to it, building


class _Gateway(mango.Agent):  # type: ignore[misc]
    """The coordinator process's one mango agent: hands what arrives to the runtime."""

    def __init__(self, runtime: ProcessRuntime) -> None:
        super().__init__()
        self.runtime = runtime

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        self.runtime._receive(str(meta.get("sender_id")), content)


class ProcessRuntime(Runtime):
    """The agents over ``processes`` worker processes that it starts itself, cells placed
    by ``placement`` (`massca.compat.spread`); the coordinator's container
    listens at ``host`` (on a port the system picks), each worker at its own address on
    the route to it. ``launch``: per worker, a command prefix to start it with (e.g.
    ``["ip", "netns", "exec", "host1"]`` to put it in a network namespace); the worker's
    command (``python -m massca.compat.mango.worker ...``) follows it. Use ``async with
    ProcessRuntime(...) as runtime``.

    Only strategies and aggregations a log can name are possible (the built-in ones):
    the workers build their agents from the same description replay uses. See the module
    docstring for how messages travel and how failures are named."""

    name = "processes"

    def __init__(
        self,
        hierarchy: Hierarchy,
        config: StepConfig = StepConfig(),
        *,
        log: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        pause_gc: bool = True,
        strategy: Strategy = Strategy(),
        aggregation: Aggregation = MODEL_AGGREGATION,
        processes: int = 2,
        placement: str = "blocks",
        host: str = LOOPBACK,
        launch: Sequence[Sequence[str]] | None = None,
        transport: str = "tcp",
        broker: tuple[str, int] | None = None,
        network: Network | None = None,
    ) -> None:
        held = place(hierarchy, processes, placement)  # checked before the log is opened
        _check_describable(strategy, aggregation)
        if launch is not None and len(launch) != processes:
            raise ConfigurationError(
                f"launch: {len(launch)} command prefix(es) for {processes} worker processes: "
                "give one per worker"
            )
        if transport not in TRANSPORTS:
            raise ConfigurationError(
                f"transport = {transport!r}: choose one of {', '.join(TRANSPORTS)}"
            )
        if broker is not None and transport != "mqtt":
            raise ConfigurationError("a broker was given, but the transport is not mqtt")
        super().__init__(
            hierarchy,
            config,
            log=log,
            timeout=timeout,
            pause_gc=pause_gc,
            strategy=strategy,
            aggregation=aggregation,
            network=network,  # refused: a simulated network runs on the native core
        )
        self.processes, self.placement, self.host = processes, placement, host
        self.transport, self._broker_address = transport, broker
        self._launch = [list(prefix) for prefix in launch] if launch else [[]] * processes
        self._held = held
        self._owner = {agent: w for w, agents in enumerate(held) for agent in agents}

    def _ready(self) -> None:
        self._stack = AsyncExitStack()
        self._container: Any = None
        self._workers: list[_Worker] = []
        self._by_name: dict[str, int] = {}
        self._outgoing: asyncio.Queue[tuple[Any, mango.AgentAddress]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._local: deque[tuple[str, str, Any]] = deque()
        self._outcome: dict[str, State] = {}
        self._codec = ProtocolCodec()
        self._done: asyncio.Future[None] | None = None
        self._lost: ProtocolError | None = None
        self._closed = False
        self._broker: Broker | None = None  # massca's own, when it started one
        self._broker_watch: Watch | None = None
        self._topics = f"massca/{uuid.uuid4().hex[:12]}"  # this run's MQTT topics

    @property
    def pids(self) -> tuple[int, ...]:
        """The worker processes' ids (for monitoring; the runtime ends them itself)."""
        return tuple(w.process.pid for w in self._workers if w.process is not None)

    @property
    def worker_addresses(self) -> tuple[str | tuple[str, int] | None, ...]:
        """Where each worker's container receives: (host, port) over TCP, its topic
        over MQTT (None until it said hello)."""
        return tuple(None if w.address is None else w.address.protocol_addr for w in self._workers)

    def traffic(self) -> tuple[int, int]:
        """Bytes this process has sent to and received from the workers so far (all the
        runtime's traffic: workers talk only to this process)."""
        if self._container is None:
            return 0, 0
        codec = self._container.codec
        return codec.bytes_encoded, codec.bytes_decoded

    def worker_cpu_seconds(self) -> tuple[float, ...]:
        """CPU seconds (user + system) each worker process has used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = []
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                used.append((int(fields[11]) + int(fields[12])) / ticks)
            except (FileNotFoundError, ProcessLookupError):
                used.append(float("nan"))
        return tuple(used)

    async def start(self) -> None:
        """Start the coordinator's container and the workers; return once every worker
        has built its agents. On failure everything started is ended again."""
        if self._container is not None:
            return
        if self._closed:
            raise ProtocolError("this runtime was closed: start a new one")
        loop = asyncio.get_running_loop()
        try:
            container = self._open_container()
            container.register(_Gateway(self), suggested_aid=COORDINATOR_AID)
            try:
                await self._stack.enter_async_context(mango.activate(container))
            except OSError as error:  # the broker given cannot be reached, or no port
                where = self._broker_address or self.host
                raise ConfigurationError(
                    f"the {self.transport} container cannot start at {where}: {error}"
                ) from None
            self._container = container
            self._sender = asyncio.create_task(self._send_all())
            for w, agents in enumerate(self._held):
                cells = tuple(a for a in agents if a in self.hierarchy.cells)
                worker = _Worker(
                    f"worker-{w}", agents, cells, loop.create_future(), loop.create_future()
                )
                self._workers.append(worker)
                self._by_name[worker.name] = w
                self._spawn(worker)
            await self._startup(lambda worker: worker.hello)
            header = self.header().to_json()
            for worker in self._workers:
                self._post(Assign(header, worker.agents), worker)
            await self._startup(lambda worker: worker.ready)
        except BaseException:
            await self.close()
            raise

    def _open_container(self) -> Any:
        """This process's container: TCP at ``host``, or MQTT at the broker (massca's
        own, started here, unless one was given) with a topic of its own per run."""
        if self.transport == "tcp":
            return open_container(self.host)
        if self._broker_address is None:
            self._broker = Broker(self.host)
            self._broker.start()
            self._broker_address = self._broker.address
            assert self._broker.process is not None
            process = self._broker.process
            self._broker_watch = Watch(process.pid, self._broker_exited, _running(process))
        return open_mqtt_container(self._broker_address, f"{self._topics}/{COORDINATOR_AID}")

    def _coordinator_spec(self) -> str:
        """How a worker's command line names this process's container."""
        if self.transport == "mqtt":
            assert self._broker_address is not None
            host, port = self._broker_address
            return f"mqtt://{host}:{port}/{self._topics}/{COORDINATOR_AID}"
        host, port = self._container.addr
        return f"{host}:{port}"

    def _spawn(self, worker: _Worker) -> None:
        command = [
            *self._launch[self._by_name[worker.name]],
            sys.executable,
            "-m",
            "massca.compat.mango.worker",
            self._coordinator_spec(),
            "--name",
            worker.name,
            "--parent",
            str(os.getpid()),
        ]
        worker.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        process = worker.process
        worker.watch = Watch(process.pid, lambda: self._exited(worker), _running(process))

    async def _startup(self, stage: Any) -> None:
        waits = [stage(worker) for worker in self._workers]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), STARTUP_TIMEOUT)
        except TimeoutError:
            late = [w.name for w in self._workers if not stage(w).done()]
            raise ProtocolError(
                f"worker(s) {', '.join(late)} did not start within {STARTUP_TIMEOUT:g} s"
            ) from None

    async def close(self) -> None:
        """Stop the workers (killing any that does not end within `STOP_TIMEOUT`), shut
        the container down, flush and close the log; idempotent."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            if self._broker_watch is not None:
                self._broker_watch.cancel()
            for worker in self._workers:
                self._unwatch(worker)
                process = worker.process
                if worker.address is not None and process is not None and process.poll() is None:
                    self._post(Stop(), worker)
            await self._ended(loop.time() + STOP_TIMEOUT)
        finally:
            for worker in self._workers:
                if worker.process is not None and worker.process.poll() is None:
                    worker.process.kill()
                    worker.process.wait()
            if self._sender is not None:
                self._sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sender
            try:
                await self._stack.aclose()
            finally:
                self._container = None
                if self._broker is not None:
                    self._broker.stop()
                await super().close()

    async def _ended(self, deadline: float) -> None:
        """Wait until every worker process has ended, or ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            if all(w.process is None or w.process.poll() is not None for w in self._workers):
                return
            await asyncio.sleep(0.01)

    def _unwatch(self, worker: _Worker) -> None:
        if worker.watch is not None:
            worker.watch.cancel()

    def _broker_exited(self) -> None:
        """massca's broker ended while the runtime was open: every worker is cut off."""
        assert self._broker is not None
        assert self._broker.process is not None
        process = self._broker.process
        cells = self.hierarchy.cells
        self._lost_all(
            StepTimeoutError(
                f"the MQTT broker (mosquitto, pid {process.pid}) {_exit_status(process.wait())} "
                f"at time {self._time}, iteration {self._iteration}: every worker is out of "
                f"reach, with all {len(cells)} cells",
                cells,
            ),
            self._workers,
        )

    def _exited(self, worker: _Worker) -> None:
        """A worker process ended while the runtime was open: name it, fail what waits."""
        self._unwatch(worker)
        assert worker.process is not None
        self._worker_lost(worker, _exit_status(worker.process.wait()))

    def _gone(self, worker: _Worker) -> None:
        """A worker's MQTT last will arrived: its connection to the broker ended without
        a goodbye (its process died, or its host stopped answering)."""
        if self._closed or self._lost is not None:
            return  # closing, or the process watch was first
        self._worker_lost(worker, "lost its connection to the MQTT broker (its last will)")

    def _worker_lost(self, worker: _Worker, what: str) -> None:
        """Fail the step (and a start waiting for ``worker``): the worker ``what`` (ended
        so, or lost its connection); the error names its pid and the cells it held."""
        pid = "?" if worker.process is None else worker.process.pid
        cells = ", ".join(repr(c) for c in worker.cells)
        error = StepTimeoutError(
            f"worker {worker.name} (pid {pid}) {what} at time {self._time}, "
            f"iteration {self._iteration}: lost its cells {cells}",
            worker.cells,
        )
        self._lost_all(error, [worker])

    def _lost_all(self, error: StepTimeoutError, workers: list[_Worker]) -> None:
        """Fail the step (and a start still waiting for ``workers``) with ``error``."""
        self._lost = error
        for worker in workers:
            for stage in (worker.hello, worker.ready):
                if not stage.done():
                    stage.set_exception(error)
        self._fail(error)

    # -- messages ---------------------------------------------------------------------

    def send(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        self._record((sender, to, message))  # recorded before delivery
        self._route(sender, to, message, None)

    def _route(
        self, sender: str, to: str | tuple[str, ...], message: Any, came: int | None
    ) -> None:
        """Deliver to the coordinator here, to a worker's agents in that worker's next
        batch (not back to the worker ``came`` from: it delivered them itself)."""
        root, owner, workers = self.hierarchy.root, self._owner, self._workers
        if type(to) is str:
            if to == root:
                self._local.append((sender, to, message))
            elif to == ENVIRONMENT:
                self._finish(message)
            elif (w := owner[to]) != came:
                workers[w].sent.append((sender, to, message))
            return
        parts: dict[int, list[str]] = {}
        for receiver in to:
            if receiver == root:
                self._local.append((sender, receiver, message))
            elif (w := owner[receiver]) != came:
                parts.setdefault(w, []).append(receiver)
        for w, receivers in parts.items():
            some = tuple(receivers)
            workers[w].sent.append((sender, some, narrowed(message, some)))

    def _receive(self, name: str, content: Any) -> None:
        """Act on one message from a worker."""
        w = self._by_name.get(name)
        if w is None:
            self._fail(ProtocolError(f"a message from {name!r}, which is no worker of this run"))
            return
        worker = self._workers[w]
        kind = type(content)
        if kind is Batch:
            self._arrived(w, content)
        elif kind is Hello:
            worker.address = agent_address(content.address, worker.name)
            if not worker.hello.done():
                worker.hello.set_result(None)
        elif kind is Ready:
            if not worker.ready.done():
                worker.ready.set_result(None)
        elif kind is Gone:
            self._gone(worker)
        elif kind is Failed:
            for entry in content.entries:
                self._record(entry)
            if not worker.ready.done():  # it could not build its agents
                worker.ready.set_exception(
                    ProtocolError(f"worker {name} could not build its agents: {content.error}")
                )
                return
            where = f"handling {content.kind!r}" if content.agent else f"worker {name}"
            self._fail(
                AgentError(
                    content.agent or name,
                    self._time,
                    self._iteration,
                    where,
                    RemoteError(content.error),
                )
            )
        else:
            problem = content.problem if kind is Unreadable else repr(content)
            self._fail(ProtocolError(f"worker {name} sent what is no massca message: {problem}"))

    def _arrived(self, w: int, batch: Batch) -> None:
        """Log a worker's batch, then deliver it: to the coordinator and on to others."""
        record = self._record
        for entry in batch.entries:
            record(entry)
        self._outcome.update(batch.outcome)
        entries, leaving = batch.entries, batch.leaving
        for sender, to, message in (
            entries if leaving is None else map(entries.__getitem__, leaving)
        ):
            self._route(sender, to, message, w)
        self._run_local()

    def _run_local(self) -> None:
        """Hand the coordinator what it was sent, then send every worker its batch."""
        local, coordinator, decoded = self._local, self._coordinator, self._codec.decoded
        while local:
            sender, receiver, message = local.popleft()
            try:
                message = decoded(message)  # from a worker: still as it travelled
                coordinator.receive(sender, message)
            except Exception as error:
                local.clear()
                self._fail(self._agent_failed(receiver, message, error))
                return
        for worker in self._workers:
            if worker.sent:
                batch = Batch(self._time, self._iteration, tuple(worker.sent))
                worker.sent.clear()
                self._post(batch, worker)

    def _post(self, content: Any, worker: _Worker) -> None:
        assert worker.address is not None
        self._outgoing.put_nowait((content, worker.address))

    async def _send_all(self) -> None:
        """Send queued messages one after another (so each worker gets them in order)."""
        container = self._container
        while True:
            content, address = await self._outgoing.get()
            if not await container.send_message(content, address, sender_id=COORDINATOR_AID):
                await self._undeliverable(address)

    async def _undeliverable(self, address: mango.AgentAddress) -> None:
        """A send failed: name the broker or the worker behind it if it has ended (the
        send may see the end before the process watch fires, and before the process has
        quite ended: it is given half a second to show), else the failure itself."""
        w = self._by_name.get(address.aid)
        candidates = [] if w is None else [self._workers[w]]
        for _ in range(50):
            broker = None if self._broker is None else self._broker.process
            if broker is not None and broker.poll() is not None:
                self._broker_exited()
                return
            for worker in candidates:
                if worker.process is not None and worker.process.poll() is not None:
                    self._exited(worker)
                    return
            await asyncio.sleep(0.01)
        self._fail(ProtocolError(f"could not send to {address.aid} at {address.protocol_addr}"))

    # -- steps ------------------------------------------------------------------------

    async def _run(self, start: StepStart) -> None:
        if self._container is None:
            raise ProtocolError("the process runtime is not started: use 'async with' or start()")
        if self._lost is not None:
            raise self._lost
        self._done = asyncio.get_running_loop().create_future()
        self._outcome = {}
        self.send(ENVIRONMENT, self.hierarchy.root, start)
        self._run_local()
        try:
            await asyncio.wait_for(asyncio.shield(self._done), self.timeout + SLACK)
        except TimeoutError:
            raise self._stalled(f"exceeded its timeout of {self.timeout:g} s") from None

    def _finish(self, report: Report) -> None:
        self._report = report
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    def _outcomes(self) -> tuple[dict[str, State], dict[str, State]]:
        """The aggregates and targets the workers sent with their cells' last batches."""
        outcome, root = self._outcome, self.hierarchy.root
        missing = [agent for agent in self._owner if agent not in outcome]
        if missing:
            raise ProtocolError(
                f"step at time {self._time}: no outcome from {len(missing)} agent(s) in the "
                f"workers, e.g. {missing[0]!r}"
            )
        aggregates = {p.id: p.aggregate if p.id == root else outcome[p.id] for p in self._parents}
        return aggregates, {unit.id: outcome[unit.id] for unit in self._units}  # type: ignore[misc]


def _check_describable(strategy: Strategy, aggregation: Aggregation) -> None:
    """Workers build their agents from descriptions: refuse what has none."""
    try:
        strategy_from_description(strategy.describe())
    except ConfigurationError as error:
        raise ConfigurationError(
            f"agents in worker processes are built from the strategy's description, and "
            f"this one names a function ({error}): use a built-in strategy, or one process"
        ) from None
    if aggregation.name != MODEL_AGGREGATION.name:
        raise ConfigurationError(
            f"aggregation {aggregation.name!r} is a function, which cannot reach worker "
            "processes: use the model's aggregation, or one process"
        )


def _running(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """Whether ``process`` still runs (for a `Watch` that polls)."""
    return lambda: process.poll() is None


def _exit_status(code: int) -> str:
    """``exited with status 1`` or ``was killed by signal 9 (SIGKILL)``."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "unknown"
    return f"was killed by signal {-code} ({name})"
