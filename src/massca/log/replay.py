"""Replay: feed recorded inbound messages to the same agent code, check what it sends.

Belongs here: the replay engine and its report. Not here: the agents themselves; the
caller passes a builder for them and the message codec, so this layer stays below the
actors.

How it works: events are taken in ``seq`` order, each checked for its place in the log's
structure first (`massca.log.structure`: sequence numbers, steps, times and iterations,
field types). An event sent by an agent must be the next message that agent produced during
replay (same receiver, kind and body, bit for bit: its encoding against the record's);
an event addressed to an agent is handed to it (as the message its sender produced in
replay, which encodes as the record does; an event of the environment's decoded), and
whatever it sends is queued for comparison with later events. The first mismatch is the
`Divergence`.

A log recorded over a simulated network (``network``: a
`massca.model.network.Wiring`) is replayed in simulated time, as it ran: each
event is delivered at its arrival (its sender's time when it sent it, plus the transit),
lost ones never, in the runtime's order (the network's ``deliveries``, then ``seq``);
before an agent's next recorded message is checked, deliveries are made in that order
until the agent has sent one; when the coordinator reports, what is still on its way is
dropped, as the runtime drops it.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from massca.log.events import ENVIRONMENT, Event, LogHeader, dumps, receivers_of
from massca.log.reader import LogContents, LogStream
from massca.log.structure import structured
from massca.log.writer import MessageCodec

__all__ = ["Divergence", "ReplayReport", "Replayable", "replay"]

Send = Callable[[str, "str | tuple[str, ...]", Any], None]


class Network(Protocol):
    """A simulated network as replay needs it (`massca.model.network.Wiring`)."""

    def deliveries(
        self, sender: str, receivers: tuple[str, ...], seq: int, now: int
    ) -> list[tuple[int, int, int, tuple[str, ...]]]:
        """``(arrival, rank, first position, receivers)`` per run of receivers a message
        reaches at the same time; lost receivers left out."""
        ...


Produced = dict[str, deque[tuple["str | tuple[str, ...]", Any, int]]]


class Replayable(Protocol):
    """An agent as replay drives it: it receives messages and sends through ``send``."""

    def receive(self, sender: str, message: Any) -> None:
        """Handle one message."""
        ...


AgentBuilder = Callable[[LogHeader, Send], Mapping[str, Replayable]]


@dataclass(frozen=True, slots=True)
class Divergence:
    """Where replay first disagreed with the record."""

    seq: int
    time: int
    iteration: int
    agent: str
    kind: str
    expected: str
    actual: str

    def describe(self) -> str:
        """A human-readable account of the divergence."""
        return (
            f"divergence at seq {self.seq} (time {self.time}, iteration {self.iteration}), "
            f"agent {self.agent!r}, kind {self.kind!r}:\n  expected: {self.expected}\n"
            f"  actual:   {self.actual}"
        )


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """The outcome of a replay: counts, the first divergence, a torn last line."""

    steps: int
    iterations: int
    messages: int
    agents: int
    divergence: Divergence | None
    torn_line: int | None

    @property
    def ok(self) -> bool:
        """True when every replayed message matched the record."""
        return self.divergence is None


def replay(
    log: LogContents | LogStream,
    build_agents: AgentBuilder,
    codec: MessageCodec,
    where: str = "log",
    progress: Callable[[int, int], None] | None = None,
    network: Network | None = None,
) -> ReplayReport:
    """Replay ``log`` (read whole, or a stream being read: its events are taken as they
    come, so a log of any length fits in memory) with agents from ``build_agents``; see
    the module docstring. ``progress``, if given, hears ``(messages replayed, simulated
    time)`` at the start of every time step. ``network``: the simulated network the log
    was recorded over, if any (see the module docstring).

    Each event's structure is checked before it is replayed (`massca.log.structure`): a
    log with an event missing, repeated, moved, re-timed or re-numbered raises
    `LogFormatError` naming the line and the rule (``where`` names the log)."""
    produced: Produced = {}
    timeline = None

    def send(sender: str, receiver: str | tuple[str, ...], message: Any) -> None:
        now = 0 if timeline is None else timeline.now
        produced.setdefault(sender, deque()).append((receiver, message, now))

    agents = build_agents(log.header, send)
    if network is not None:
        timeline = _Timeline(network, agents, codec, produced)
    numbered = log.numbered() if isinstance(log, LogContents) else log
    divergence = None
    checked = steps = iterations = 0
    last: Event | None = None
    for _, event in structured(numbered, log.header, where):
        if timeline is None:
            divergence, message = _check_sent(event, produced, codec)
            if divergence is None:
                divergence = _deliver(event, agents, codec, message)
        else:
            divergence = timeline.replay(event)
        if divergence is not None:
            break
        checked += 1
        if last is None or event.time != last.time:
            steps += 1
            iterations += 1
            if progress is not None:
                progress(checked, event.time)
        elif event.iteration != last.iteration:
            iterations += 1
        last = event
    if divergence is None and log.torn_line is None:
        divergence = _leftover(produced, last, codec)
    return ReplayReport(
        steps=steps,
        iterations=iterations,
        messages=checked,
        agents=len(agents),
        divergence=divergence,
        torn_line=log.torn_line,
    )


class _Timeline:
    """Deliveries in simulated time, as a runtime over a simulated network made them."""

    def __init__(
        self,
        network: Network,
        agents: Mapping[str, Replayable],
        codec: MessageCodec,
        produced: Produced,
    ) -> None:
        self._network = network
        self._agents = agents
        self._codec = codec
        self._produced = produced
        # (arrival, rank, seq, first position, receivers, event, message)
        self._pending: list[tuple[int, int, int, int, tuple[str, ...], Event, Any]] = []
        self.now = 0  # the arrival of the delivery in hand

    def replay(self, event: Event) -> Divergence | None:
        """Check ``event`` against what its sender produced (delivering what arrived
        before it sent it), then schedule its deliveries."""
        sent_at, divergence, message = 0, None, None
        if event.sender == ENVIRONMENT:
            self.now = 0
        else:
            divergence = self._until_sent(event.sender)
            if divergence is None:
                queue = self._produced.get(event.sender)
                sent_at = queue[0][2] if queue else 0
                divergence, message = _check_sent(event, self._produced, self._codec)
        if divergence is not None:
            return divergence
        if event.receiver == ENVIRONMENT:  # the report: the step is over
            self._pending.clear()
            return None
        return self._schedule(event, sent_at, message)

    def _schedule(self, event: Event, sent_at: int, message: Any) -> Divergence | None:
        """Schedule ``event``'s deliveries; ``message``: the one its sender produced in
        replay (None: decode the record's)."""
        receivers = receivers_of(event)
        unknown = [r for r in receivers if r not in self._agents]
        if unknown:
            return _divergence(event, unknown[0], "a known agent", "no such agent in the header")
        runs = self._network.deliveries(event.sender, receivers, event.seq, sent_at)
        if not runs:
            return None  # lost to every receiver
        try:
            if message is None:
                message = self._codec.decode(event.kind, event.body)
        except Exception as error:
            return _divergence(event, receivers[0], "a message", f"{type(error).__name__}: {error}")
        for arrival, rank, first, run in runs:
            heapq.heappush(self._pending, (arrival, rank, event.seq, first, run, event, message))
        return None

    def _until_sent(self, sender: str) -> Divergence | None:
        """Deliver in order of arrival until ``sender`` has produced a message."""
        produced, pending = self._produced, self._pending
        while not produced.get(sender) and pending:
            divergence = self._deliver_next()
            if divergence is not None:
                return divergence
        return None

    def _deliver_next(self) -> Divergence | None:
        self.now, _, _, _, receivers, event, message = heapq.heappop(self._pending)
        for receiver in receivers:
            try:
                self._agents[receiver].receive(event.sender, message)
            except Exception as error:  # the divergence report carries it; replay stops here
                return _divergence(
                    event, receiver, "the message to be handled", f"{type(error).__name__}: {error}"
                )
        return None


def _check_sent(
    event: Event, produced: Produced, codec: MessageCodec
) -> tuple[Divergence | None, Any]:
    """Check an agent's recorded ``event`` against the next message its sender produced
    in replay: ``(the divergence or None, that message)``; ``(None, None)`` for the
    environment's events (replay has no environment to produce them)."""
    if event.sender == ENVIRONMENT:
        return None, None
    queue = produced.get(event.sender)
    if not queue:
        nothing = "the agent sent nothing more"
        return _divergence(event, event.sender, _expected(event), nothing), None
    receiver, message, _ = queue.popleft()
    kind, body = codec.encode(message)
    # bit for bit: the replayed encoding against the record's, both as orjson writes them
    # (so -0.0 is not 0.0, and 1 is not 1.0)
    if receiver != event.receiver or kind != event.kind or body != dumps(event.body):
        actual = _show(receiver, kind, orjson.loads(body))
        return _divergence(event, event.sender, _expected(event), actual), message
    return None, message


def _deliver(
    event: Event, agents: Mapping[str, Replayable], codec: MessageCodec, message: Any
) -> Divergence | None:
    """Hand ``event``'s message to its receivers: ``message``, the one its sender produced
    in replay (which encodes as the record does), or, None, the record's decoded."""
    for receiver in receivers_of(event):
        agent = agents.get(receiver)
        if agent is None:
            if receiver == ENVIRONMENT:
                continue
            return _divergence(event, receiver, "a known agent", "no such agent in the header")
        try:
            if message is None:
                message = codec.decode(event.kind, event.body)
            agent.receive(event.sender, message)
        except Exception as error:  # the divergence report carries it; replay stops here
            return _divergence(
                event, receiver, "the message to be handled", f"{type(error).__name__}: {error}"
            )
    return None


def _leftover(produced: Produced, last: Event | None, codec: MessageCodec) -> Divergence | None:
    for agent in sorted(produced):
        if produced[agent]:
            receiver, message, _ = produced[agent][0]
            kind, body = codec.encode(message)
            if last is None:
                last = Event(0, 0, 0, agent, receiver, kind, None)
            return Divergence(
                seq=last.seq + 1,
                time=last.time,
                iteration=last.iteration,
                agent=agent,
                kind=kind,
                expected="the log to end here",
                actual=_show(receiver, kind, orjson.loads(body)),
            )
    return None


def _divergence(event: Event, agent: str, expected: str, actual: str) -> Divergence:
    return Divergence(event.seq, event.time, event.iteration, agent, event.kind, expected, actual)


def _expected(event: Event) -> str:
    """What the record says ``event`` is, for a divergence."""
    return _show(event.receiver, event.kind, event.body)


def _show(receiver: str | tuple[str, ...], kind: str, body: Any) -> str:
    to = repr(receiver) if isinstance(receiver, str) else f"[{', '.join(receiver)}]"
    return f"{kind} to {to}: {orjson.dumps(body).decode()}"
