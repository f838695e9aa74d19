"""The agents of the prototype's architecture: unit agents, controllers, the coordinator.

Belongs here: thin, host-agnostic agents. Each handler receives one message, calls
`massca.model`, and sends through the ``send(sender, receiver, message)`` callable it was
built with; none of them awaits, sleeps or knows how messages travel. The same objects
run on the native core, inside mango agents and under replay. Not here: transport,
logging, time.

Fan-out (a request or an instruction to all children, the coordinator's update to all
units) is one multicast message to the receivers in canonical order; fan-in (answers,
confirmations of orders) is one message per sender.

The coordinator sends the units their measurements (``update``) and the cells their
request at once: a unit answers once it has both, whichever arrives first (a runtime
need not deliver the coordinator's update before a request that took another path).

Every decision is the model's, made by the agent the cell concept puts it with (the
step's `massca.model.Strategy`): a cell controller makes its cell's own proposal, every
controller divides its order among its children, the coordinator decides between the
cells from what they report. With ``cohda`` the deciding agent moderates a negotiation
instead (`massca.actors.negotiation`): the coordinator among the cells, a controller
among its children; the cells or children take part with their own candidates, and the
outcome goes to the same model functions the oracle runs. With a horizon, every answer
also carries the child's forecast. Every agent tracks whom it still waits for in the current
phase (`awaiting`), so a runtime whose step stalls can name the agents that did not
answer. A message that does not fit the protocol (an answer nobody asked for, a second
answer) raises `ProtocolError`; the runtime turns it into an `AgentError` naming agent and
step.

Over a simulated network (``timed``, `massca.model.network`), a parent that asks its
children (for answers, or to carry out orders) also sends itself a `Deadline`; if it
arrives before every child has replied, the parent goes on with those that did. A silent
child counts as "no flexibility, no change": a controller counts it at the operating
point it last reported (in an earlier step), pinned (no room to move), or not at all if
it never reported; the coordinator leaves a silent cell out of its decision (a cell's
part is the cell's own proposal, which it did not send). Either way it is given no order,
and the parent's answer names it as ``missing``. A reply that comes after the parent has
gone on is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.actors.messages import (
    ANSWERS,
    DONE,
    DONE_PHASE,
    REQUEST,
    Answer,
    CellOrders,
    Deadline,
    Done,
    Message,
    Redispatch,
    Report,
    Request,
    StepStart,
    Update,
)
from massca.actors.negotiation import Moderator, Participant
from massca.actors.negotiation_messages import (
    NegotiationEnd,
    NegotiationReport,
    NegotiationResult,
    NegotiationRound,
    NegotiationStart,
    NegotiationView,
)
from massca.log.events import ENVIRONMENT
from massca.model import (
    PROPORTIONAL,
    Balance,
    CellResult,
    CellView,
    ConfigurationError,
    Dispatch,
    Hierarchy,
    Levels,
    NodeKind,
    Order,
    ProtocolError,
    Share,
    State,
    StepConfig,
    Strategy,
    WithinCell,
    aggregate,
    classify,
    merge_levels,
)
from massca.model.cohda import Negotiation, Schedule, Target
from massca.model.cohda_between import CohdaStrategy
from massca.model.cohda_within import CohdaWithin
from massca.model.dispatch import cell_results
from massca.model.forecast import combined, horizon_of, padded
from massca.model.overlay import Overlay
from massca.model.state import pinned

__all__ = [
    "MODEL_AGGREGATION",
    "Agent",
    "Aggregation",
    "ControllerAgent",
    "CoordinatorAgent",
    "Handler",
    "Send",
    "UnitAgent",
    "build_agents",
]

Send = Callable[[str, "str | tuple[str, ...]", Any], None]
"""``send(sender, to, message)``: ``to`` is one agent id, or a tuple of ids for a
multicast (one message, one log event, delivered to each receiver in that order)."""


def _model_combine(agent: str, children: Mapping[str, State]) -> State:
    return aggregate(children.values())


@dataclass(frozen=True, slots=True)
class Aggregation:
    """How a parent combines its children's states: the model's `aggregate`, or a user
    hook (the prototype's ``aggregation_method``).

    ``combine(agent, children)`` gets the parent's id and its children's states keyed by
    id, in canonical order, and returns the parent's state. ``name`` is recorded in the
    log's header; replaying such a log needs the same aggregation.
    """

    name: str = "model"
    combine: Callable[[str, Mapping[str, State]], State] = _model_combine


MODEL_AGGREGATION = Aggregation()
"""The default: `massca.model.aggregate` in canonical order."""


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


class _Participating(Agent):
    """An agent that takes part in negotiations its parent moderates (``cohda``): a cell
    between the cells, a unit or a controller among its siblings. It starts from its own
    candidates (`_options`) and reports to whoever opened the negotiation.

    A neighbour's view of the first round comes over another link than this agent's
    start, so it may come first: it is kept until the start (a later round's cannot, as
    rounds open only once every participant has reported)."""

    __slots__ = ("_early", "_participant")

    def __init__(self, agent_id: str, send: Send) -> None:
        super().__init__(agent_id, send)
        self._participant: Participant | None = None
        self._early: list[tuple[str, NegotiationView]] = []  # first views before the start

    def awaiting(self) -> tuple[str, ...]:
        if self._participant is not None:
            return self._participant.awaiting()
        return super().awaiting()

    def _options(self) -> tuple[Schedule, ...]:
        """This agent's candidate schedules for the negotiation it is asked to join."""
        raise NotImplementedError

    def on_cohda_start(self, sender: str, message: NegotiationStart) -> None:
        self._participant = participant = Participant(
            self.id, sender, self._send, self._options(), message.target, message.overlay
        )
        early, self._early = self._early, []
        for neighbour, view in early:
            participant.on_view(neighbour, view)

    def on_cohda_round(self, sender: str, message: NegotiationRound) -> None:
        self._taking_part().on_round(message)

    def on_cohda_view(self, sender: str, message: NegotiationView) -> None:
        if self._participant is None and message.round == 1:
            self._early.append((sender, message))  # it overtook this agent's start
            return
        self._taking_part().on_view(sender, message)

    def on_cohda_end(self, sender: str, message: NegotiationEnd) -> None:
        result = self._taking_part().result()
        self._participant = None
        self._send(self.id, sender, result)

    def _taking_part(self) -> Participant:
        if self._participant is None:
            raise ProtocolError(f"{self.id!r} got a negotiation message outside a negotiation")
        return self._participant


class _Parent(_Participating):
    """An agent that asks its children and waits for each of them (controllers and the
    coordinator): `awaiting` lists who has not answered in the current phase. It may
    moderate a negotiation among its children (`_moderate`); its outcome goes to
    `_negotiated`."""

    __slots__ = (
        "_answers",
        "_combine",
        "_heard",
        "_moderator",
        "_outstanding",
        "_silent",
        "_timed",
        "_waiting",
        "aggregate",
        "children",
        "missing",
    )

    def __init__(
        self,
        agent_id: str,
        children: tuple[str, ...],
        send: Send,
        aggregation: Aggregation,
        timed: bool = False,
    ) -> None:
        super().__init__(agent_id, send)
        self.children = children  # canonical order
        self._combine = aggregation.combine
        self._timed = timed  # over a simulated network: set deadlines, go on without
        self.aggregate: State | None = None
        self._answers: dict[str, Answer] = {}
        self._outstanding: set[str] = set()
        self._waiting = ""  # the phase whose deadline counts ("" when none)
        self._silent: set[str] = set()  # children that missed a deadline in this step
        self._heard: dict[str, State] = {}  # timed: each child's last reported state
        self.missing: tuple[str, ...] = ()  # agents below that missed a deadline
        self._moderator: Moderator | None = None

    def awaiting(self) -> tuple[str, ...]:
        if self._participant is not None:
            return self._participant.awaiting()
        if self._moderator is not None:
            return tuple(sorted(self._moderator.outstanding))
        return tuple(sorted(self._outstanding))

    def _wait_for(self, phase: str, children: tuple[str, ...]) -> None:
        """Wait for each of ``children`` in ``phase`` (and, ``timed``, until the deadline
        this agent sets itself); called before asking them, so that no reply can come
        first."""
        self._outstanding = set(children)
        if phase == ANSWERS:  # the step's first phase of waiting
            self._silent = set()
        if self._timed:
            self._waiting = phase
            self._send(self.id, self.id, Deadline(phase))

    def on_deadline(self, sender: str, message: Deadline) -> None:
        """The wait for ``message.phase`` is over: go on without the silent children, or
        ignore it if every child has replied already."""
        if sender != self.id:
            raise ProtocolError(f"{self.id!r} got a deadline from {sender!r}, not from itself")
        if message.phase != self._waiting or not self._outstanding:
            return  # the phase ended before its deadline
        self._silent |= self._outstanding
        self._outstanding.clear()
        self._waiting = ""
        if message.phase == ANSWERS:
            self._answered()
        else:
            self._finished()

    def _late(self, sender: str) -> bool:
        """A reply from ``sender`` after this agent went on without it in this step
        (timed only)."""
        return self._timed and sender in self._silent

    def on_answer(self, sender: str, message: Answer) -> None:
        """Record a child's answer; once every child has answered, `_answered`."""
        outstanding = self._outstanding
        try:
            outstanding.remove(sender)
        except KeyError:
            if self._late(sender):
                return
            _expect(outstanding, sender, self.id, "answer")  # raises, naming the sender
        self._answers[sender] = message
        if not outstanding:
            self._waiting = ""
            self._answered()

    def _present(self) -> tuple[str, ...]:
        """The children that answered, in canonical order; records who is ``missing``
        below this agent (its silent children and what its children name)."""
        answers = self._answers
        if not self._timed:
            return self.children
        missing = list(self._silent)
        for child, answer in answers.items():
            missing.extend(answer.missing)
            self._heard[child] = answer.state
        self.missing = tuple(sorted(missing))
        return tuple(c for c in self.children if c in answers)

    def _counted(self, states: dict[str, State]) -> dict[str, State]:
        """The children's states to aggregate: those that answered (``states``) and each
        silent one at its last reported operating point, pinned; in canonical order."""
        if not self._silent:
            return states
        heard = self._heard
        return {
            c: states[c] if c in states else pinned(heard[c])
            for c in self.children
            if c in states or c in heard
        }

    def _answered(self) -> None:
        """Every child has answered (or the deadline passed): decide, pass it on."""
        raise NotImplementedError

    def on_done(self, sender: str, message: Done) -> None:
        """A child carried out its order; once every child has, `_finished`."""
        try:
            self._outstanding.remove(sender)
        except KeyError:
            if self._late(sender):
                return
            _expect(self._outstanding, sender, self.id, "done")  # raises, naming it
        if not self._outstanding:
            self._waiting = ""
            self._finished()

    def _finished(self) -> None:
        """Every child given an order has carried it out (or the deadline passed)."""
        raise NotImplementedError

    def _moderate(self, overlay: Overlay, max_messages: int, target: Target) -> None:
        """Open a negotiation among ``overlay``'s participants towards ``target``."""
        self._moderator = Moderator(self.id, self._send, overlay, max_messages, target)

    def on_cohda_report(self, sender: str, message: NegotiationReport) -> None:
        self._moderating().on_report(sender, message)

    def on_cohda_result(self, sender: str, message: NegotiationResult) -> None:
        outcome = self._moderating().on_result(sender, message)
        if outcome is not None:
            self._moderator = None
            self._negotiated(outcome)

    def _moderating(self) -> Moderator:
        if self._moderator is None:
            raise ProtocolError(f"{self.id!r} got a negotiation message outside a negotiation")
        return self._moderator

    def _negotiated(self, outcome: Negotiation) -> None:
        """The negotiation this agent moderated has ended with ``outcome``."""
        raise NotImplementedError


_NEGOTIATING = (NegotiationStart, NegotiationRound, NegotiationView, NegotiationEnd)
"""What a participant in a negotiation handles."""


class UnitAgent(_Participating):
    """Holds one unit's measured state; answers with it and carries out its orders.
    ``level`` is the unit's merit level (used by merit orders only); ``within`` gives
    its candidates when its cell's controller lets its children negotiate (``cohda``).

    A step gives a unit its measurement (``update``, from the coordinator) and its
    parent's request, in either order: it answers once it has both. An update always
    arrives (it stands for the unit's own measurement, see `massca.model.network`); a
    request may be lost over a simulated network, and then the next step's update
    replaces the measurement it was not asked for. A unit asked whose update never comes
    has not answered: a stalled step names it (its `awaiting` stays empty)."""

    __slots__ = (
        "_ahead",
        "_asked",
        "_measured",
        "_within",
        "coordinator",
        "forecast",
        "level",
        "parent",
        "state",
        "target",
    )
    handles = (Update, Request, Redispatch, *_NEGOTIATING)

    def __init__(
        self,
        agent_id: str,
        parent: str,
        coordinator: str,
        send: Send,
        level: float = 0.0,
        within: WithinCell = PROPORTIONAL,
        ahead: int = 0,
    ) -> None:
        super().__init__(agent_id, send)
        self.parent = parent
        self.coordinator = coordinator
        self.level = level
        self._within = within
        self._ahead = ahead  # intervals after this one the strategy plans for
        self.state: State | None = None
        self.forecast: tuple[State, ...] = ()
        self.target: State | None = None
        self._measured = False  # an update not yet answered for
        self._asked = False  # a request that came before its update

    def on_update(self, sender: str, message: Update) -> None:
        self.state = message.states[self.id]
        self.forecast = message.forecasts.get(self.id, ())
        self.target = None
        if self._asked:
            self._asked = False
            self._answer(self.state)
        else:
            self._measured = True

    def on_request(self, sender: str, message: Request) -> None:
        state = self.state
        if self._measured:
            assert state is not None
            self._measured = False
            self._answer(state)
        elif self._asked:
            raise ProtocolError(f"unit {self.id!r} was asked twice before its update")
        else:
            self._asked = True  # answers when its update arrives

    def _answer(self, state: State) -> None:
        if self._ahead:
            forecast = padded(state, self.forecast, self._ahead)
            self._send(self.id, self.parent, Answer(state, forecast=forecast))
        else:
            self._send(self.id, self.parent, Answer(state))

    def on_redispatch(self, sender: str, message: Redispatch) -> None:
        if self.state is None:
            raise ProtocolError(f"unit {self.id!r} got an instruction before any update")
        self.target = message.order.applied_to(self.state, self.level)
        self._send(self.id, self.parent, DONE)

    def _options(self) -> tuple[Schedule, ...]:
        within = self._within
        if not isinstance(within, CohdaWithin) or self.state is None:
            raise ProtocolError(f"unit {self.id!r} cannot negotiate: not in a cohda cell")
        return within.options(self.state)


class ControllerAgent(_Parent):
    """A cell controller or an intermediate controller: aggregates up, divides its order
    among its children down (the within-cell strategy). A cell controller also makes the
    cell's own proposal (the between-cells strategy) and takes its part of the
    coordinator's decision. With ``cohda`` a cell negotiates with the other cells, and
    a controller lets its children negotiate its order."""

    __slots__ = (
        "_ahead",
        "_between",
        "_config",
        "_share",
        "_states",
        "_unit_levels",
        "_within",
        "forecast",
        "is_cell",
        "levels",
        "parent",
    )
    handles = (
        Request,
        Answer,
        CellOrders,
        Redispatch,
        Done,
        Deadline,
        NegotiationReport,
        NegotiationResult,
        *_NEGOTIATING,
    )

    def __init__(
        self,
        agent_id: str,
        parent: str,
        children: tuple[str, ...],
        send: Send,
        *,
        is_cell: bool,
        config: StepConfig,
        strategy: Strategy,
        unit_levels: Mapping[str, float],
        aggregation: Aggregation = MODEL_AGGREGATION,
        ahead: int = 0,
        timed: bool = False,
    ):
        super().__init__(agent_id, children, send, aggregation, timed)
        self._ahead = ahead  # intervals after this one the strategy plans for
        self.forecast: tuple[State, ...] | None = None
        self.parent = parent
        self.is_cell = is_cell
        self._config = config
        self._between = strategy.between
        self._within = strategy.within
        self._unit_levels = unit_levels  # merit level of each unit child, if levels are used
        self._states: dict[str, State] = {}
        self.levels: Levels | None = None
        self._share: Share | None = None  # the order its children negotiate

    def on_request(self, sender: str, message: Request) -> None:
        self._answers = {}
        self._wait_for(ANSWERS, self.children)
        self._send(self.id, self.children, REQUEST)

    def _answered(self) -> None:
        answers = self._answers
        self._states = states = {c: answers[c].state for c in self._present()}
        counted = self._counted(states)  # and the silent children, pinned
        self.aggregate = aggregate = self._combine(self.id, counted)
        if self._within.uses_levels:
            unit_levels = self._unit_levels
            self.levels = merge_levels(
                levels
                if c in states and (levels := answers[c].levels) is not None
                else ((unit_levels.get(c, 0.0), counted[c]),)
                for c in counted
            )
        if self._ahead:
            forecasts = [answers[c].forecast or () for c in states]
            self.forecast = combined(forecasts, self._ahead)
        missing = self.missing if self._timed else ()
        if self.is_cell:
            proposal = self._between.propose(
                aggregate, self._config.interface(self.id), self._config
            )
            answer = Answer(aggregate, None, proposal, self.forecast, missing)
        else:
            answer = Answer(aggregate, self.levels, None, self.forecast, missing)
        self._send(self.id, self.parent, answer)

    def _options(self) -> tuple[Schedule, ...]:
        between, within = self._between, self._within
        if self.aggregate is None:
            raise ProtocolError(f"{self.id!r} was asked to negotiate before it had a state")
        if self.is_cell and isinstance(between, CohdaStrategy):
            return between.options(self.aggregate, self._config, self.forecast or ())
        if not self.is_cell and isinstance(within, CohdaWithin):
            return within.options(self.aggregate)
        raise ProtocolError(f"{self.id!r} cannot negotiate: its strategy is not cohda")

    def on_cell_orders(self, sender: str, message: CellOrders) -> None:
        self._divide(message.cells[self.id].cell_order, None)

    def on_redispatch(self, sender: str, message: Redispatch) -> None:
        self._divide(message.order, message)

    def _divide(self, order: Order, received: Redispatch | None) -> None:
        """Send each child its part of ``order``, or let the children negotiate it."""
        assert self.aggregate is not None
        within = self._within
        if isinstance(within, CohdaWithin):
            self._share = share = within.share(self.id, order, self.aggregate)
            overlay = within.problem(share, self._states)
            if overlay is not None:
                self._moderate(overlay, within.max_messages, within.target(share))
                return
            self._pass_on(within.conclude(share, self._states, None), order, received)
            return
        split = within.split(self.id, order, self.aggregate, self._states, self.levels)
        self._pass_on(split, order, received)

    def _negotiated(self, outcome: Negotiation) -> None:
        within = self._within
        assert isinstance(within, CohdaWithin)
        assert self._share is not None
        self._pass_on(within.conclude(self._share, self._states, outcome), None, None)

    def _pass_on(
        self, split: Order | Mapping[str, Order], order: Order | None, received: Redispatch | None
    ) -> None:
        """Send ``split`` down to the children that answered: a message passed on
        unchanged is the same immutable object (no copy)."""
        children = tuple(self._states)  # canonical order: every child, unless timed
        if not children:  # none answered in time: nothing to carry out
            self._finished()
            return
        self._wait_for(DONE_PHASE, children)
        if isinstance(split, Mapping):
            for child in children:
                self._send(self.id, child, Redispatch(split[child]))
        elif split is order and received is not None:
            self._send(self.id, children, received)
        else:
            self._send(self.id, children, Redispatch(split))

    def _finished(self) -> None:
        self._send(self.id, self.parent, DONE)


class CoordinatorAgent(_Parent):
    """The root (the prototype's mosaik agent): runs the phases and decides between the
    cells (the between-cells strategy); with ``cohda`` it moderates the cells'
    negotiation and decides from its outcome."""

    __slots__ = (
        "_between",
        "_phase",
        "_views",
        "balances",
        "config",
        "dispatch",
        "results",
        "units",
    )
    handles = (StepStart, Answer, Done, Deadline, NegotiationReport, NegotiationResult)

    def __init__(
        self,
        agent_id: str,
        cells: tuple[str, ...],
        units: tuple[str, ...],
        config: StepConfig,
        send: Send,
        strategy: Strategy,
        aggregation: Aggregation = MODEL_AGGREGATION,
        timed: bool = False,
    ) -> None:
        super().__init__(agent_id, cells, send, aggregation, timed)
        self._between = strategy.between
        self.units = units
        self.config = config
        self.balances: Mapping[str, Balance] = {}
        self.dispatch: Dispatch | None = None
        self.results: Mapping[str, CellResult] = {}
        self._phase = "idle"
        self._views: Mapping[str, CellView] = {}

    @property
    def cells(self) -> tuple[str, ...]:
        """The cells, in canonical order."""
        return self.children

    def on_step_start(self, sender: str, message: StepStart) -> None:
        """Hand the units their measurements and ask the cells, at once (a unit answers
        once it has both)."""
        if sender != ENVIRONMENT:
            raise ProtocolError(f"step_start must come from the environment, not {sender!r}")
        self._send(self.id, self.units, Update(message.states, message.forecasts))
        self._phase = "request"
        self._answers = {}
        self._wait_for(ANSWERS, self.children)
        self._send(self.id, self.children, REQUEST)

    def _answered(self) -> None:
        answers, config = self._answers, self.config
        present = self._present()
        states = {cell: answers[cell].state for cell in present}  # canonical order
        views = {
            cell: CellView(
                states[cell],
                config.interface(cell),
                answers[cell].proposal,
                answers[cell].forecast or (),
            )
            for cell in present
        }
        self.balances = {cell: classify(s, config.tolerance) for cell, s in states.items()}
        self.aggregate = self._combine(self.id, states)
        self._views = views
        between = self._between
        if isinstance(between, CohdaStrategy):
            overlay = between.problem(views, config)
            if overlay is not None:
                self._phase = "negotiation"
                self._moderate(overlay, between.max_messages, between.goal)
                return
        self._decided(between.decide(views, config))

    def _negotiated(self, outcome: Negotiation) -> None:
        between = self._between
        assert isinstance(between, CohdaStrategy)
        self._decided(between.conclude(self._views, self.config, outcome))

    def _decided(self, dispatch: Dispatch) -> None:
        """Send the cells their parts of ``dispatch``."""
        self.dispatch = dispatch
        states = {cell: view.state for cell, view in self._views.items()}
        self.results = cell_results(states, dispatch, self.config.tolerance)
        self._phase = "redispatch"
        cells = tuple(self._views)  # canonical order: every cell, unless timed
        if not cells:  # none answered in time
            self._finished()
            return
        self._wait_for(DONE_PHASE, cells)
        self._send(self.id, cells, CellOrders(dispatch.cells))

    def _finished(self) -> None:
        self._phase = "idle"
        assert self.dispatch is not None
        after = {cell: result.balance for cell, result in self.results.items()}
        missing = self.missing if self._timed else ()
        self._send(self.id, ENVIRONMENT, Report(self.dispatch.plan, self.balances, after, missing))

    @property
    def phase(self) -> str:
        """``idle``, ``request``, ``negotiation`` or ``redispatch``."""
        return self._phase


def build_agents(
    hierarchy: Hierarchy,
    config: StepConfig,
    send: Send,
    strategy: Strategy = Strategy(),
    aggregation: Aggregation = MODEL_AGGREGATION,
    timed: bool = False,
) -> dict[str, Agent]:
    """One agent per node of ``hierarchy``, all sending through ``send``; ``timed``: the
    parents set themselves deadlines (over a simulated network).

    `ConfigurationError` if an id is reserved or ``config`` names interfaces of ids that
    are no cells.
    """
    if ENVIRONMENT in hierarchy.kinds:
        raise ConfigurationError(
            f"agent id {ENVIRONMENT!r} is reserved for the world outside the agents: rename it"
        )
    config.check_cells(hierarchy.cells)
    root, kinds, within = hierarchy.root, hierarchy.kinds, strategy.within
    ahead = horizon_of(strategy) - 1
    agents: dict[str, Agent] = {
        root: CoordinatorAgent(
            root, hierarchy.cells, hierarchy.units, config, send, strategy, aggregation, timed
        )
    }
    no_levels: Mapping[str, float] = MappingProxyType({})
    for node in hierarchy.nodes:
        if node.kind is NodeKind.COORDINATOR:
            continue
        assert node.parent is not None
        if node.kind is NodeKind.UNIT:
            agents[node.id] = UnitAgent(
                node.id, node.parent, root, send, within.level_of(node.id), within, ahead
            )
            continue
        children = hierarchy.children[node.id]
        unit_levels = (
            {c: within.level_of(c) for c in children if kinds[c] is NodeKind.UNIT}
            if within.uses_levels
            else no_levels
        )
        agents[node.id] = ControllerAgent(
            node.id,
            node.parent,
            children,
            send,
            is_cell=node.kind is NodeKind.CELL,
            config=config,
            strategy=strategy,
            unit_levels=unit_levels,
            aggregation=aggregation,
            ahead=ahead,
            timed=timed,
        )
    return agents
