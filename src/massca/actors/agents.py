"""The agents of the prototype's architecture: unit agents, controllers, the coordinator.

Belongs here: thin, host-agnostic agents. Each handler receives one message, calls
`massca.model`, and sends through the ``send(sender, receiver, message)`` callable it was
built with; none of them awaits, sleeps or knows how messages travel. The same objects
run on the native core, inside mango agents and under replay. Not here: transport,
logging, time.

Fan-out (a request or an instruction to all children, the coordinator's update to all
units) is one multicast message to the receivers in canonical order; fan-in (answers,
confirmations) is one message per sender.

Every agent tracks whom it still waits for in the current phase (`awaiting`), so a
runtime whose step stalls can name the agents that did not answer. A message that does
not fit the protocol (an answer nobody asked for, a second answer) raises
`ProtocolError`; the runtime turns it into an `AgentError` naming agent and step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.actors.messages import (
    CONFIRM,
    DONE,
    REQUEST,
    Answer,
    Confirm,
    Done,
    Message,
    Redispatch,
    Report,
    Request,
    StepStart,
    Update,
)
from massca.log.events import ENVIRONMENT
from massca.model import (
    Balance,
    ConfigurationError,
    Hierarchy,
    Instruction,
    NodeKind,
    Plan,
    ProtocolError,
    State,
    StepConfig,
    aggregate,
    apply,
    classify,
    decide,
)

__all__ = [
    "MODEL_POLICY",
    "Agent",
    "ControllerAgent",
    "CoordinatorAgent",
    "Handler",
    "Policy",
    "Send",
    "UnitAgent",
    "build_agents",
]

Send = Callable[[str, "str | tuple[str, ...]", Any], None]
"""``send(sender, to, message)``: ``to`` is one agent id, or a tuple of ids for a
multicast (one message, one log event, delivered to each receiver in that order)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """The two decisions an agent makes that a user may replace (the prototype's
    ``aggregation_method`` and ``execute_method`` hooks).

    ``aggregate(states) -> State`` combines children's states (they come in canonical
    order); ``decide(system, cells, config) -> (Plan, Instruction)`` is the coordinator's
    redispatch decision for the aggregated ``system`` state, with each cell's state at
    hand. ``name`` is recorded in the log's header; replay needs the same policy.
    """

    name: str = "model"
    aggregate: Callable[[list[State]], State] = aggregate
    decide: Callable[[State, Mapping[str, State], StepConfig], tuple[Plan, Instruction]] = (
        lambda system, cells, config: decide(system, config)
    )


MODEL_POLICY = Policy()
"""The default: `massca.model.aggregate` and `massca.model.decide`."""


Handler = Callable[[Any, str, Any], None]
"""``handler(agent, sender, message)``: an ``on_<kind>`` method, unbound."""


class Agent:
    """Base: an id, a ``send`` callable, and dispatch by message type to ``on_<kind>``.

    ``handlers`` maps each message type the agent handles to its unbound ``on_<kind>``
    method; runtimes call ``handler(agent, sender, message)`` directly. It is one table
    per class, shared by every instance (a per-agent table of bound methods cost ~0.4 KB
    per agent); assign an instance its own table to change one agent's behaviour.
    """

    __slots__ = ("_send", "handlers", "id")
    handles: ClassVar[tuple[type[Message], ...]] = ()
    handler_table: ClassVar[Mapping[type, Handler]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        table = {kind: getattr(cls, f"on_{kind.kind}") for kind in cls.handles}
        cls.handler_table = MappingProxyType(table)  # read-only: shared by all instances

    def __init__(self, agent_id: str, send: Send) -> None:
        self.id = agent_id
        self._send = send
        self.handlers: Mapping[type, Handler] = self.handler_table

    def receive(self, sender: str, message: Any) -> None:
        """Handle one message; `ProtocolError` for a kind this agent does not handle."""
        handler = self.handlers.get(type(message))
        if handler is None:
            raise ProtocolError(
                f"{type(self).__name__} {self.id!r} cannot handle "
                f"{getattr(message, 'kind', type(message).__name__)!r} from {sender!r}"
            )
        handler(self, sender, message)

    def awaiting(self) -> tuple[str, ...]:
        """The agents this one still waits for in the current phase."""
        return ()


def _expect(outstanding: set[str], sender: str, owner: str, kind: str) -> None:
    """Tick ``sender`` off ``outstanding``; `ProtocolError` if it was not awaited."""
    try:
        outstanding.remove(sender)
    except KeyError:
        raise ProtocolError(
            f"{owner!r} got {kind!r} from {sender!r}, which it was not waiting for"
        ) from None


class _Parent(Agent):
    """An agent that asks its children and waits for each of them (controllers and the
    coordinator): `awaiting` lists who has not answered in the current phase."""

    __slots__ = ("_answers", "_outstanding", "aggregate")

    def __init__(self, agent_id: str, send: Send) -> None:
        super().__init__(agent_id, send)
        self.aggregate: State | None = None
        self._answers: dict[str, State] = {}
        self._outstanding: set[str] = set()

    def awaiting(self) -> tuple[str, ...]:
        return tuple(sorted(self._outstanding))


class UnitAgent(Agent):
    """Holds one unit's measured state; answers with it and applies instructions to it."""

    __slots__ = ("coordinator", "parent", "state", "target")
    handles = (Update, Request, Redispatch)

    def __init__(self, agent_id: str, parent: str, coordinator: str, send: Send) -> None:
        super().__init__(agent_id, send)
        self.parent = parent
        self.coordinator = coordinator
        self.state: State | None = None
        self.target: State | None = None

    def on_update(self, sender: str, message: Update) -> None:
        self.state = message.states[self.id]
        self.target = None
        self._send(self.id, self.coordinator, CONFIRM)

    def on_request(self, sender: str, message: Request) -> None:
        if self.state is None:
            raise ProtocolError(f"unit {self.id!r} was asked for its state before any update")
        self._send(self.id, self.parent, Answer(self.state))

    def on_redispatch(self, sender: str, message: Redispatch) -> None:
        if self.state is None:
            raise ProtocolError(f"unit {self.id!r} got an instruction before any update")
        self.target = apply(message.instruction, self.state)
        self._send(self.id, self.parent, DONE)


class ControllerAgent(_Parent):
    """A cell controller or an intermediate controller: aggregates up, forwards down."""

    __slots__ = ("_combine", "children", "parent")
    handles = (Request, Answer, Redispatch, Done)

    def __init__(
        self,
        agent_id: str,
        parent: str,
        children: tuple[str, ...],
        send: Send,
        policy: Policy = MODEL_POLICY,
    ):
        super().__init__(agent_id, send)
        self._combine = policy.aggregate
        self.parent = parent
        self.children = children  # canonical order

    def on_request(self, sender: str, message: Request) -> None:
        self._answers = {}
        self._outstanding = set(self.children)
        self._send(self.id, self.children, REQUEST)

    def on_answer(self, sender: str, message: Answer) -> None:
        _expect(self._outstanding, sender, self.id, "answer")
        self._answers[sender] = message.state
        if not self._outstanding:
            answers = self._answers
            self.aggregate = self._combine([answers[c] for c in self.children])
            self._send(self.id, self.parent, Answer(self.aggregate))

    def on_redispatch(self, sender: str, message: Redispatch) -> None:
        self._outstanding = set(self.children)
        self._send(self.id, self.children, message)  # the same immutable message, no copy

    def on_done(self, sender: str, message: Done) -> None:
        _expect(self._outstanding, sender, self.id, "done")
        if not self._outstanding:
            self._send(self.id, self.parent, DONE)


class CoordinatorAgent(_Parent):
    """The root (the prototype's mosaik agent): runs the phases and decides the plan."""

    __slots__ = (
        "_phase",
        "_policy",
        "balances",
        "cells",
        "config",
        "instruction",
        "plan",
        "units",
    )
    handles = (StepStart, Confirm, Answer, Done)

    def __init__(
        self,
        agent_id: str,
        cells: tuple[str, ...],
        units: tuple[str, ...],
        config: StepConfig,
        send: Send,
        policy: Policy = MODEL_POLICY,
    ) -> None:
        super().__init__(agent_id, send)
        self._policy = policy
        self.cells = cells
        self.units = units
        self.config = config
        self.balances: Mapping[str, Balance] = {}
        self.plan: Plan | None = None
        self.instruction: Instruction | None = None
        self._phase = "idle"

    def on_step_start(self, sender: str, message: StepStart) -> None:
        if sender != ENVIRONMENT:
            raise ProtocolError(f"step_start must come from the environment, not {sender!r}")
        self._phase = "update"
        self._outstanding = set(self.units)
        self._send(self.id, self.units, Update(message.states))

    def on_confirm(self, sender: str, message: Confirm) -> None:
        _expect(self._outstanding, sender, self.id, "confirm")
        if not self._outstanding:
            self._phase = "request"
            self._answers = {}
            self._outstanding = set(self.cells)
            self._send(self.id, self.cells, REQUEST)

    def on_answer(self, sender: str, message: Answer) -> None:
        _expect(self._outstanding, sender, self.id, "answer")
        self._answers[sender] = message.state
        if self._outstanding:
            return
        cells = {cell: self._answers[cell] for cell in self.cells}  # canonical order
        tolerance = self.config.tolerance
        self.balances = {cell: classify(state, tolerance) for cell, state in cells.items()}
        self.aggregate = self._policy.aggregate(list(cells.values()))
        self.plan, self.instruction = self._policy.decide(self.aggregate, cells, self.config)
        self._phase = "redispatch"
        self._outstanding = set(self.cells)
        self._send(self.id, self.cells, Redispatch(self.instruction))

    def on_done(self, sender: str, message: Done) -> None:
        _expect(self._outstanding, sender, self.id, "done")
        if not self._outstanding:
            self._phase = "idle"
            assert self.plan is not None
            assert self.instruction is not None
            self._send(self.id, ENVIRONMENT, Report(self.plan, self.instruction, self.balances))

    @property
    def phase(self) -> str:
        """``idle``, ``update``, ``request`` or ``redispatch``."""
        return self._phase


def build_agents(
    hierarchy: Hierarchy, config: StepConfig, send: Send, policy: Policy = MODEL_POLICY
) -> dict[str, Agent]:
    """One agent per node of ``hierarchy``, all sending through ``send``."""
    if ENVIRONMENT in hierarchy.kinds:
        raise ConfigurationError(
            f"agent id {ENVIRONMENT!r} is reserved for the world outside the agents: rename it"
        )
    root = hierarchy.root
    agents: dict[str, Agent] = {
        root: CoordinatorAgent(root, hierarchy.cells, hierarchy.units, config, send, policy)
    }
    for node in hierarchy.nodes:
        if node.kind is NodeKind.UNIT:
            assert node.parent is not None
            agents[node.id] = UnitAgent(node.id, node.parent, root, send)
        elif node.kind is not NodeKind.COORDINATOR:
            assert node.parent is not None
            agents[node.id] = ControllerAgent(
                node.id, node.parent, hierarchy.children[node.id], send, policy
            )
    return agents
