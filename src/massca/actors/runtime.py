"""What every agent runtime shares: building agents, recording messages, one step's frame,
collecting results, naming silent agents. And the native runtime: the asyncio actor core.

Belongs here: `Runtime` (the abstract frame) and `NativeRuntime`. Not here: the mango
host (`massca.compat.mango`), agent logic (`agents`), the log format (`massca.log`).

The native core: `send` records the event in the log and appends the same event,
``(sender, receiver or receivers, message)``, to the run queue, which one loop drains in
FIFO order, handing each message to its receiver's handler (a multicast's to each of its
receivers in turn: what they send meanwhile queues behind, as if each receiver had its
own entry). No task is created per message, nothing is copied or serialised in-process
(messages are immutable). The loop yields to the event loop every `YIELD_EVERY`
deliveries, so other coroutines (mosaik's I/O) progress and the step timeout is checked;
the log is flushed there too once `FLUSH_EVERY` events are buffered, which bounds the
memory of very large steps. A queue that runs dry before the
coordinator reports is a stalled step: `StepTimeoutError` names the agents that never
answered, at once.

Over a simulated network (``network``, `massca.model.network`; the native core only) the
run queue becomes a queue in simulated time: each message is delivered at its arrival
(sent at the time its sender handled the message that made it send, plus its link's
delay), lost ones never (ties: `massca.model.network.Wiring.rank`); a step's clock
starts at 0, and whatever is still on its way when the coordinator reports arrives after
the step and is dropped, timers included. The agents are ``timed``: parents go on
without children that missed their deadline.

The step timeout, on both runtimes: on the main thread a hard deadline
(`massca.actors.deadline`) cuts a handler or hook that runs past it, blocking or not, and
names the agent and hook; a step that ends after its timeout fails all the same. The log
is flushed before the error propagates.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from time import monotonic
from types import MappingProxyType, TracebackType
from typing import Any, Self

from massca import __version__
from massca.actors.agents import (
    MODEL_AGGREGATION,
    Agent,
    Aggregation,
    ControllerAgent,
    CoordinatorAgent,
    Send,
    UnitAgent,
    build_agents,
)
from massca.actors.deadline import Site, enforced, mark, shielded
from massca.actors.gcpause import gc_paused
from massca.actors.messages import ProtocolCodec, Report, StepStart, config_to_json
from massca.errors import AgentError, StepTimeoutError
from massca.log import ENVIRONMENT, EventLog, LogHeader
from massca.model import (
    ConfigurationError,
    Hierarchy,
    MasscaError,
    ProtocolError,
    State,
    StepConfig,
    StepResult,
    Strategy,
)
from massca.model.cohda_between import CohdaStrategy
from massca.model.cohda_within import CohdaWithin
from massca.model.network import Network, Wiring
from massca.model.realized import realized_result
from massca.model.step import check_forecasts, check_unit_states

__all__ = ["DEFAULT_TIMEOUT", "FLUSH_EVERY", "YIELD_EVERY", "NativeRuntime", "Runtime"]

DEFAULT_TIMEOUT = 30.0
"""Seconds one step may take before `StepTimeoutError`."""
YIELD_EVERY = 4096
"""Deliveries the native core makes between yields to the event loop (a multicast counts
once per receiver and is never split)."""
FLUSH_EVERY = 1 << 18
"""Buffered log events (262,144, some 25 MB) that make the native core flush the log in
the middle of a step; it flushes at every step's end anyway. This only bounds the memory
of very large steps: measured on 31,001 agents (97,005 events per step), flushing every
65,536 events made the step ~8 % slower for 0.4 KB per agent less."""


class Runtime(ABC):
    """One MAS: agents for ``hierarchy``, stepped with ``await step(...)``.

    ``log`` is a path for the event log or None for no log. Use as an async context
    manager or call `close` (which flushes and closes the log). After a failed step the
    runtime refuses further steps: its agents are mid-protocol.

    ``strategy``: how the agents decide (`massca.model.Strategy`; default ``cellular``
    with ``proportional``). ``aggregation``: how parents combine their children's states
    (a user hook, or the model's). Both are recorded in the log's header.

    ``pause_gc``: pause Python's cyclic garbage collector while a step runs and restore
    it afterwards (see `massca.actors.gcpause` for why and what it gains). Set it False
    if other code on the loop relies on collection during a step.

    ``network``: simulate the ICT network between the agents (delays, loss, deadlines;
    `massca.model.network`), on a runtime that can (``simulates_network``); recorded in
    the log's header. Then a step's result reports what happened rather than what the
    agents believed (`massca.model.realized`), and names the agents that were
    ``missing``.
    """

    name = "abstract"
    simulates_network = False
    """Whether this runtime can run over a simulated network."""

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
        network: Network | None = None,
    ) -> None:
        if not (isinstance(timeout, int | float) and timeout > 0 and math.isfinite(timeout)):
            raise ConfigurationError(f"timeout = {timeout!r}: must be a number of seconds > 0")
        self.hierarchy = hierarchy
        self.config = config
        self.timeout = float(timeout)
        self.pause_gc = pause_gc
        self.strategy = strategy
        self.aggregation = aggregation
        self.network = network
        self._wiring: Wiring | None = None
        if network is not None:
            self._check_network(network)
            self._wiring = network.wired(hierarchy)
        self.agents: dict[str, Agent] = build_agents(
            hierarchy, config, self._agents_send(), strategy, aggregation, network is not None
        )
        self._log: EventLog | None = None
        if log is not None:
            self._log = EventLog(log, self.header(), ProtocolCodec())
        coordinator = self.agents[hierarchy.root]
        assert isinstance(coordinator, CoordinatorAgent)
        self._coordinator: CoordinatorAgent = coordinator
        agents = self.agents.values()
        self._units = [agent for agent in agents if isinstance(agent, UnitAgent)]
        self._parents = [a for a in agents if isinstance(a, ControllerAgent | CoordinatorAgent)]
        self._sent_before = 0
        self._unlogged: list[tuple[str, str | tuple[str, ...], Any]] = []  # without a log
        self._record = self._unlogged.append if self._log is None else self._log.recorder
        self._time = 0
        self._iteration = 0
        self._report: Report | None = None
        self._failure: MasscaError | None = None
        self.steps = 0
        self._ready()

    def _check_network(self, network: Network) -> None:
        """`ConfigurationError` unless this runtime and strategy can run over ``network``."""
        if not self.simulates_network:
            raise ConfigurationError(
                f"a simulated network (delay, loss) runs on the native runtime, not on "
                f"{self.name}: choose runtime native in one process"
            )
        between, within = self.strategy.between, self.strategy.within
        if isinstance(between, CohdaStrategy) or isinstance(within, CohdaWithin):
            raise ConfigurationError(
                "a simulated network (delay, loss) is not supported with cohda: its "
                "negotiation counts rounds and would wait for a lost view forever; choose "
                "another strategy"
            )

    def _agents_send(self) -> Send:
        """The ``send`` the agents are built with."""
        return self.send

    def header(self) -> LogHeader:
        """What a log of this MAS starts with: the hierarchy, the step configuration,
        the runtime, the strategy's description and the aggregation's name (enough to
        build its agents again: `massca.actors.agents_for`)."""
        settings = {
            **config_to_json(self.config),
            "runtime": self.name,
            "strategy": self.strategy.describe(),
            "aggregation": self.aggregation.name,
        }
        if self.network is not None:
            settings["network"] = self.network.to_json()
        return LogHeader(__version__, self.hierarchy, settings)

    @property
    def messages_sent(self) -> int:
        """Messages sent so far, the environment's included (the log's last ``seq``); a
        multicast counts once."""
        if self._log is not None:
            return self._log.events_recorded
        return self._sent_before + len(self._unlogged)

    @property
    def log_path(self) -> str | None:
        """Where the event log is written, or None when logging is off."""
        return None if self._log is None else str(self._log.path)

    def _ready(self) -> None:  # noqa: B027 - an optional hook, not an abstract one
        """Set up what ``send`` needs, once the agents exist (they send nothing before)."""

    @abstractmethod
    def send(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        """Record ``message`` in the log, then deliver it to ``to``: one id, or a tuple of
        ids for a multicast (runtime-specific delivery)."""

    @abstractmethod
    async def _run(self, start: StepStart) -> None:
        """Deliver ``start`` to the coordinator and return once it has reported."""

    async def step(
        self,
        time: int,
        iteration: int,
        unit_states: Mapping[str, State],
        forecasts: Mapping[str, tuple[State, ...]] | None = None,
    ) -> StepResult:
        """Run one step (update, request/answer, redispatch, done) for ``unit_states``
        (and ``forecasts``: unit -> its states in the intervals after this one, for a
        strategy with a horizon).

        Returns the same `StepResult` as `massca.model.reference_step`, bit for bit.
        Raises `AgentError` if a handler raised, `StepTimeoutError` if agents did not
        answer in time; the log is flushed before either propagates.
        """
        if self._failure is not None:
            raise ProtocolError(
                f"this runtime failed earlier ({self._failure}); its agents are mid-step: "
                "start a new runtime"
            ) from self._failure
        check_unit_states(self.hierarchy, unit_states)
        ahead = check_forecasts(self.hierarchy, forecasts)
        self._time, self._iteration = int(time), int(iteration)
        if self._log is not None:
            self._log.begin(self._time, self._iteration)
        else:  # nothing keeps the events: count them and let them go
            self._sent_before += len(self._unlogged)
            self._unlogged.clear()
        self._report = None
        with gc_paused(self.pause_gc):
            try:
                started = monotonic()
                with enforced(self.timeout, self._step_name):
                    await self._run(StepStart(unit_states, ahead))
                took = monotonic() - started
                if took > self.timeout:  # ended, but late (no hard deadline cut it)
                    raise StepTimeoutError(
                        f"{self._step_name()} took {took:.3g} s, beyond its timeout of "
                        f"{self.timeout:g} s",
                        (),
                    )
                if self._report is None:
                    raise self._stalled("ended without a report from the coordinator")
            except MasscaError as error:
                self._failure = error
                raise
            finally:
                if self._log is not None:
                    with shielded():
                        self._log.flush()
            self.steps += 1
            result = self._result()
            if self.network is not None:
                combine = self.aggregation.combine
                return realized_result(
                    self.hierarchy, unit_states, result, self.config.tolerance, combine
                )
            return result

    async def start(self) -> None:  # noqa: B027 - an optional hook, not an abstract one
        """Prepare the runtime (the native core needs nothing); idempotent."""

    async def close(self) -> None:
        """Flush and close the log; idempotent."""
        self.close_log()

    def close_log(self) -> None:
        """Flush and close the log, synchronously; idempotent."""
        if self._log is not None:
            self._log.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _agent_failed(self, agent: str, message: Any, error: Exception) -> AgentError:
        return AgentError(
            agent, self._time, self._iteration, f"handling {kind_of(message)!r}", error
        )

    def _step_name(self) -> str:
        return f"step at time {self._time}, iteration {self._iteration}"

    def _stalled(self, why: str) -> StepTimeoutError:
        """A `StepTimeoutError` naming the agents that were asked but never answered."""
        waiting = {a.id: a.awaiting() for a in self.agents.values() if a.awaiting()}
        silent = tuple(sorted({c for ws in waiting.values() for c in ws if c not in waiting}))
        shown = ", ".join(repr(s) for s in silent[:10])
        more = f" and {len(silent) - 10} more" if len(silent) > 10 else ""
        return StepTimeoutError(
            f"step at time {self._time}, iteration {self._iteration} {why}: "
            f"{len(silent)} agent(s) did not answer: {shown}{more} "
            f"(coordinator phase: {self._coordinator.phase})",
            silent,
        )

    def _result(self) -> StepResult:
        coordinator = self._coordinator
        assert coordinator.dispatch is not None
        aggregates, targets = self._outcomes()
        return StepResult(
            aggregates=MappingProxyType(aggregates),
            balances=MappingProxyType(dict(coordinator.balances)),
            plan=coordinator.dispatch.plan,
            cells=MappingProxyType(dict(coordinator.results)),
            targets=MappingProxyType(targets),
            negotiation=coordinator.dispatch.negotiation,
            missing=coordinator.missing,
        )

    def _outcomes(self) -> tuple[dict[str, State], dict[str, State]]:
        """Every parent's aggregate and every unit's target, in the agents' order."""
        # Every unit and parent has reported once the coordinator has: no None left.
        aggregates = {parent.id: parent.aggregate for parent in self._parents}
        targets = {unit.id: unit.target for unit in self._units}
        return aggregates, targets  # type: ignore[return-value]


class NativeRuntime(Runtime):
    """The asyncio actor core; see the module docstring."""

    name = "native"
    simulates_network = True

    def _ready(self) -> None:
        # (sender, receiver or a multicast's receivers, message): the events as recorded
        self._queue: deque[tuple[str, str | tuple[str, ...], Any]] = deque()
        # over a simulated network: (arrival, rank, seq, position, sender, receivers,
        # message), one entry per run of a multicast's receivers that arrive together
        self._timeline: list[tuple[int, int, int, int, str, tuple[str, ...], Any]] = []
        self._now = 0  # the simulated microseconds of the message in hand in its step

    def _agents_send(self) -> Send:
        return self.send if self.network is None else self._send_over_network

    def _send_over_network(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        """`send` over the simulated network: each receiver gets the message at its
        arrival, unless it is lost (`massca.model.network.Wiring.deliveries`)."""
        self._record((sender, to, message))  # recorded when sent
        if to == ENVIRONMENT:
            self._report = message
            return
        assert self._wiring is not None
        seq, timeline, push = self.messages_sent, self._timeline, heapq.heappush
        receivers: tuple[str, ...] = to if isinstance(to, tuple) else (to,)
        for arrival, rank, first, run in self._wiring.deliveries(sender, receivers, seq, self._now):
            push(timeline, (arrival, rank, seq, first, sender, run, message))

    def send(self, sender: str, to: str | tuple[str, ...], message: Any) -> None:
        event = (sender, to, message)
        self._record(event)  # recorded before delivery
        if to == ENVIRONMENT:
            self._report = message
        else:
            self._queue.append(event)

    async def _run(self, start: StepStart) -> None:
        if self._wiring is not None:
            await self._run_over_network(start)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        queue, hand_over = self._queue, self._hand_over
        self.send(ENVIRONMENT, self.hierarchy.root, start)
        handled = 0
        while queue:
            sender, to, message = queue.popleft()
            receivers = to if isinstance(to, tuple) else (to,)
            try:
                hand_over(sender, receivers, message)
            except AgentError:
                queue.clear()
                raise
            handled += len(receivers)
            if handled >= YIELD_EVERY:
                handled = 0
                await self._breathe(deadline, queue)

    async def _breathe(self, deadline: float, pending: deque[Any] | list[Any]) -> None:
        """Between bursts of messages: flush a large log buffer, let the event loop run,
        and fail the step (dropping what is ``pending``) once its ``deadline`` passed."""
        if self._log is not None and self._log.pending >= FLUSH_EVERY:
            with shielded():
                self._log.flush()
        await asyncio.sleep(0)
        if asyncio.get_running_loop().time() > deadline:
            pending.clear()
            raise self._stalled(f"exceeded its timeout of {self.timeout:g} s")

    async def _run_over_network(self, start: StepStart) -> None:
        """`_run` in simulated time: messages in order of arrival, until the coordinator
        reports; what is still on its way then is dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        timeline, hand_over, pop = self._timeline, self._hand_over, heapq.heappop
        self._now = 0
        self._send_over_network(ENVIRONMENT, self.hierarchy.root, start)
        handled = 0
        while timeline and self._report is None:
            self._now, _, _, _, sender, receivers, message = pop(timeline)
            try:  # the coordinator, the one that reports, is never among several receivers
                hand_over(sender, receivers, message)
            except AgentError:
                timeline.clear()
                raise
            handled += len(receivers)
            if handled >= YIELD_EVERY:
                handled = 0
                await self._breathe(deadline, timeline)
        timeline.clear()  # too late for this step

    def _hand_over(self, sender: str, receivers: tuple[str, ...], message: Any) -> None:
        """Hand ``message`` to each of ``receivers`` in turn, through its handler for the
        message's type (`Agent.receive` raises, naming the kind, when it has none);
        `AgentError` naming the receiver whose handler raised."""
        agents, kind = self.agents, type(message)
        for receiver in receivers:
            agent = agents[receiver]
            handler = agent.handlers.get(kind)
            try:
                if handler is None:
                    agent.receive(sender, message)
                else:
                    handler(agent, sender, message)
            except Exception as error:
                raise self._agent_failed(receiver, message, error) from error


def kind_of(message: Any) -> str:
    """A message's kind, for errors: its ``kind``, else its class's name."""
    return str(getattr(message, "kind", type(message).__name__))


def handling(agent: str, message: Any) -> Site:
    """The deadline's site for ``agent`` handling ``message`` (see `deadline.mark`)."""
    return agent, f"agent {agent!r} handling {kind_of(message)!r}"


mark(
    NativeRuntime._hand_over,  # the receiver of the message in hand
    lambda frame: handling(frame.f_locals["receiver"], frame.f_locals["message"]),
)
