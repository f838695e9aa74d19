"""The messages of the step protocol and their JSON codec for the event log.

Belongs here: one frozen, slotted class per message kind, the singletons of the
bodiless kinds, and `ProtocolCodec` (message <-> log body). Not here: who sends them
(`agents`) or how they travel (the runtimes).

One step, as in the prototype's message diagram (a request, an update or an instruction
to many agents is one multicast message):

    environment --step_start--> coordinator --update--> all units
    coordinator --request--> cells --request--> ... --request--> units
    units --answer--> ... --answer--> cells --answer--> coordinator
    coordinator --cell_orders--> cells --redispatch--> ... --redispatch--> units
    units --done--> ... --done--> cells --done--> coordinator --report--> environment

The coordinator sends the update and the cells' request at once; a unit answers once it
has both, in whichever order they arrive.

Over a simulated network (`massca.model.network`) every parent that asks its children
also sends itself a ``deadline`` (a timer), and goes on with the children that answered
when it arrives first; its answer then names the agents that were ``missing`` below it,
and the coordinator's report names them all.

A cell's answer to the coordinator carries its own proposal for its balance when the
between-cells strategy lets cells decide it (``cellular``); ``cell_orders`` carries every
cell's part of the coordinator's decision; each controller divides its order among its
children with the within-cell strategy. With ``cohda`` the cells negotiate between their
answers and ``cell_orders`` (`massca.actors.negotiation_messages`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import orjson

from massca.actors.negotiation_messages import DECODERS as NEGOTIATION_DECODERS
from massca.actors.negotiation_messages import ENCODERS as NEGOTIATION_ENCODERS
from massca.actors.negotiation_messages import NegotiationMessage
from massca.errors import LogFormatError
from massca.log.events import JsonCache, dumps
from massca.model import (
    ZERO_BAND,
    Balance,
    Band,
    CellPlan,
    ExchangeLimits,
    Flexibility,
    Instruction,
    Levels,
    MasscaError,
    MeritInstruction,
    Order,
    Plan,
    Share,
    State,
    StepConfig,
)
from massca.model.orders import MeritStep

__all__ = [
    "ANSWERS",
    "DONE",
    "DONE_PHASE",
    "NO_FORECASTS",
    "REQUEST",
    "Answer",
    "CellOrders",
    "Deadline",
    "Done",
    "Encoded",
    "Message",
    "ProtocolCodec",
    "Redispatch",
    "Report",
    "Request",
    "StepStart",
    "Update",
    "config_from_json",
    "config_to_json",
]


NO_FORECASTS: Mapping[str, tuple[State, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StepStart:
    """The environment starts a step: every unit's measured state, and the forecasts
    the environment gives (unit -> its states in the intervals after this one)."""

    kind: ClassVar[str] = "step_start"
    states: Mapping[str, State]
    forecasts: Mapping[str, tuple[State, ...]] = NO_FORECASTS


@dataclass(frozen=True, slots=True)
class Update:
    """The coordinator hands the units their new measurements: one multicast to all of
    them, carrying the step's states (and forecasts) by unit id (the same mappings, never
    copied); each unit takes its own."""

    kind: ClassVar[str] = "update"
    states: Mapping[str, State]
    forecasts: Mapping[str, tuple[State, ...]] = NO_FORECASTS


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class Request:
    """A parent asks a child for its (aggregated) state."""

    kind: ClassVar[str] = "request"


@dataclass(frozen=True, slots=True)
class Answer:
    """A child's (aggregated) state, sent to its parent. A controller adds its subtree's
    merit ``levels`` when the within-cell strategy uses them; a cell adds its own
    ``proposal`` for its balance when the between-cells strategy lets cells decide it;
    every child adds its ``forecast`` when the strategy plans over a horizon. Over a
    simulated network, ``missing`` names the agents below it that did not answer in
    time (sorted), whose states its own leaves out."""

    kind: ClassVar[str] = "answer"
    state: State
    levels: Levels | None = None
    proposal: Plan | None = None
    forecast: tuple[State, ...] | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CellOrders:
    """The coordinator's between-cells decision: one multicast to all cells, carrying
    every cell's `CellPlan` by cell id; each cell takes its own."""

    kind: ClassVar[str] = "cell_orders"
    cells: Mapping[str, CellPlan]


@dataclass(frozen=True, slots=True)
class Redispatch:
    """A controller's order to its children: one multicast when all get the same order,
    else one message per child."""

    kind: ClassVar[str] = "redispatch"
    order: Order


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class Done:
    """A child has carried out its order (and so have all below it)."""

    kind: ClassVar[str] = "done"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A timer a parent sets itself over a simulated network: its wait for the
    ``phase`` (``answers`` or ``done``) is over."""

    kind: ClassVar[str] = "deadline"
    phase: str


ANSWERS = "answers"
"""The phase of waiting for the children's answers."""
DONE_PHASE = "done"
"""The phase of waiting for the children to confirm their orders."""


@dataclass(frozen=True, slots=True)
class Report:
    """The coordinator tells the environment what the step decided: the system's plan
    and every cell's class before and after redispatch (of the cells that answered), and
    the agents that did not answer in time (``missing``, over a simulated network)."""

    kind: ClassVar[str] = "report"
    plan: Plan
    balances: Mapping[str, Balance]
    balances_after: Mapping[str, Balance]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Encoded:
    """A message as `ProtocolCodec` encodes it, not decoded: what a runtime only logs or
    passes on (between processes) stays bytes. ``kind`` and ``body`` as in the log."""

    kind: str
    body: bytes


Message = (
    StepStart
    | Update
    | Request
    | Answer
    | CellOrders
    | Redispatch
    | Done
    | Deadline
    | Report
    | NegotiationMessage
)

REQUEST = Request()
DONE = Done()
_BODILESS: dict[str, Message] = {"request": REQUEST, "done": DONE}


_ZERO_BAND = b"[0.0,0.0,0.0]"


def _band_bytes(band: Flexibility) -> bytes:
    if band.max == 0.0:  # then min and current are 0.0 too: half of all unit bands
        return _ZERO_BAND
    return dumps((band.min, band.max, band.current))


def _state_bytes(state: State) -> bytes:
    storage = state.storage
    if storage is ZERO_BAND or (storage.min == 0.0 and storage.max == 0.0):
        return b'{"production":%s,"consumption":%s}' % (
            _band_bytes(state.production),
            _band_bytes(state.consumption),
        )
    return b'{"production":%s,"consumption":%s,"storage":%s}' % (
        _band_bytes(state.production),
        _band_bytes(state.consumption),
        dumps((storage.min, storage.max, storage.current)),
    )


def _state_from(body: Any) -> State:
    storage = body.get("storage")
    return State(
        Flexibility(*body["production"]),
        Flexibility(*body["consumption"]),
        ZERO_BAND if storage is None else Band(*storage),
    )


def _states_from(body: Any) -> dict[str, State]:
    return {unit: _state_from(state) for unit, state in body["states"].items()}


def _forecasts_from(body: Any) -> Mapping[str, tuple[State, ...]]:
    forecasts = body.get("forecasts")
    if not forecasts:
        return NO_FORECASTS
    return {unit: tuple(map(_state_from, states)) for unit, states in forecasts.items()}


def _forecast_bytes(forecast: tuple[State, ...]) -> bytes:
    return b"[" + b",".join(map(_state_bytes, forecast)) + b"]"


def _plan_json(plan: Plan) -> dict[str, float]:
    return {
        "imbalance": plan.imbalance,
        "production_delta": plan.production_delta,
        "consumption_delta": plan.consumption_delta,
        "exchange": plan.exchange,
        "unresolved": plan.unresolved,
        "storage_delta": plan.storage_delta,
    }


def _order_json(order: Order) -> dict[str, Any]:
    kind = type(order)
    if kind is Instruction:
        return {"fraction": [order.production, order.consumption, order.storage]}
    if kind is Share:
        return {"share": [order.production, order.consumption, order.storage]}
    if kind is MeritInstruction:
        return {"merit": [order.production, order.consumption, order.storage]}
    raise TypeError(f"not an order: {order!r}")


def _order_from(body: Any) -> Order:
    ((kind, (production, consumption, storage)),) = body.items()
    if kind == "fraction":
        return Instruction(production, consumption, storage)
    if kind == "share":
        return Share(production, consumption, storage)
    if kind == "merit":
        return MeritInstruction(
            _merit_step(production), _merit_step(consumption), _merit_step(storage)
        )
    raise ValueError(f"unknown order {kind!r}")


def _merit_step(value: Any) -> MeritStep:
    return None if value is None else (value[0], value[1])


def _cell_plan_json(plan: CellPlan) -> dict[str, Any]:
    return {
        "production_delta": plan.production_delta,
        "consumption_delta": plan.consumption_delta,
        "exchange": plan.exchange,
        "grid": plan.grid,
        "unresolved": plan.unresolved,
        "order": None if plan.order is None else _order_json(plan.order),
        "storage_delta": plan.storage_delta,
    }


def _cell_plan_from(body: Any) -> CellPlan:
    order = body["order"]
    return CellPlan(
        body["production_delta"],
        body["consumption_delta"],
        body["exchange"],
        body["grid"],
        body["unresolved"],
        None if order is None else _order_from(order),
        body["storage_delta"],
    )


def _answer_from(body: Any) -> Answer:
    levels = body.get("levels")
    proposal = body.get("proposal")
    forecast = body.get("forecast")
    return Answer(
        _state_from(body),
        None if levels is None else tuple((level, _state_from(s)) for level, s in levels),
        None if proposal is None else Plan(**proposal),
        None if forecast is None else tuple(map(_state_from, forecast)),
        tuple(body.get("missing", ())),
    )


_EMPTY = b"{}"


def _phase(value: Any) -> str:
    if value not in (ANSWERS, DONE_PHASE):
        raise ValueError(f"unknown phase {value!r}")
    return str(value)


class ProtocolCodec:
    """Encodes messages as ``(kind, JSON body bytes)`` for the log and decodes them back.

    States are written as ``{"production": [min, max, current], "consumption": [...]}``,
    with ``"storage": [min, max, current]`` added when the storage band is not zero;
    an answer is its state's object, with ``levels`` (``[[level, state], ...]``),
    ``proposal`` (a plan) and ``forecast`` (``[state, ...]``) added when present. A step's
    start and update add ``"forecasts": {unit: [state, ...]}`` when there are any. Orders
    are ``{"fraction": [p, c, s]}``, ``{"share": [p, c, s]}`` or ``{"merit": [[level,
    fraction] or null, ...]}`` (production, consumption, storage).
    A `StepStart`'s encoding is remembered until the next one: the step's `Update`
    (which carries the same mapping; an environment may refill that mapping in place
    for its next step, so the cache is keyed by the message, not the mapping) and the
    units' `Answer` messages (which carry the same state objects) reuse it.
    """

    def __init__(self) -> None:
        self._states: dict[int, tuple[State, bytes]] = {}
        self._keys = JsonCache(suffix=b":")  # unit id -> its JSON object key
        self._step_states: Mapping[str, State] | None = None
        self._forecasts: Mapping[str, tuple[State, ...]] = NO_FORECASTS
        self._step_body = b""

    def encode(self, message: Any) -> tuple[str, bytes]:
        """The kind and the body's JSON encoding; `TypeError` for a non-message."""
        kind = type(message)
        if kind is Encoded:  # logged as it came from another process
            return message.kind, message.body
        if kind is Update:
            if message.states is self._step_states and message.forecasts is self._forecasts:
                return "update", self._step_body  # the step's own: encoded just before
            return "update", self._states_bytes(message.states, message.forecasts)
        if kind is Answer:
            plain = message.levels is None and message.proposal is None
            if plain and message.forecast is None and not message.missing:  # a unit's
                return "answer", self._state_bytes(message.state)
            return "answer", self._answer_bytes(message)
        if kind is Request or kind is Done:
            return message.kind, _EMPTY
        if kind is Redispatch:
            return "redispatch", dumps(_order_json(message.order))
        if kind is CellOrders:
            cells = {cell: _cell_plan_json(plan) for cell, plan in message.cells.items()}
            return "cell_orders", dumps({"cells": cells})
        if kind is StepStart:
            self._step_body = self._states_bytes(message.states, message.forecasts)
            self._step_states = message.states  # kept alive, so its states' ids stay theirs
            self._forecasts = message.forecasts
            return "step_start", self._step_body
        if kind is Report:
            report: dict[str, Any] = {
                "plan": _plan_json(message.plan),
                "balances": {cell: b.value for cell, b in message.balances.items()},
                "balances_after": {cell: b.value for cell, b in message.balances_after.items()},
            }
            if message.missing:
                report["missing"] = message.missing
            return "report", dumps(report)
        if kind is Deadline:
            return "deadline", dumps({"phase": message.phase})
        negotiation = NEGOTIATION_ENCODERS.get(kind)
        if negotiation is not None:
            return message.kind, negotiation(message)
        raise TypeError(f"not a massca protocol message: {message!r}")

    def decode(self, kind: str, body: Any) -> Message:
        """The message for a recorded ``kind`` and JSON ``body``; `LogFormatError` if bad."""
        try:
            decoded: Message = _DECODERS[kind](body)
        except KeyError as error:
            if kind not in _DECODERS:
                raise LogFormatError(f"unknown message kind {kind!r}") from error
            raise LogFormatError(f"malformed {kind} body {body!r}: missing {error}") from error
        except (TypeError, ValueError, AttributeError, MasscaError) as error:
            raise LogFormatError(f"malformed {kind} body {body!r}: {error}") from error
        return decoded

    def decoded(self, message: Any) -> Any:
        """``message`` itself, or the message an `Encoded` one is; `LogFormatError` if
        its bytes are no message."""
        if type(message) is not Encoded:
            return message
        bodiless = _BODILESS.get(message.kind)
        if bodiless is not None and message.body == _EMPTY:  # a request or a done
            return bodiless
        try:
            body = orjson.loads(message.body)
        except orjson.JSONDecodeError as error:
            raise LogFormatError(f"malformed {message.kind} body: {error}") from None
        return self.decode(message.kind, body)

    def _states_bytes(
        self, states: Mapping[str, State], forecasts: Mapping[str, tuple[State, ...]]
    ) -> bytes:
        """``{"states": {unit: state, ...}}`` (and ``"forecasts"`` if any); each state's
        encoding is kept for the units' `Answer` messages, until the next mapping is
        encoded."""
        values = list(states.values())
        encoded = list(map(_state_bytes, values))
        self._states = dict(zip(map(id, values), zip(values, encoded, strict=True), strict=True))
        keys = map(self._keys.__getitem__, states)
        body = b'{"states":{' + b",".join(map(bytes.__add__, keys, encoded)) + b"}"
        if forecasts:
            ahead = (
                self._keys[unit] + _forecast_bytes(forecast) for unit, forecast in forecasts.items()
            )
            body += b',"forecasts":{' + b",".join(ahead) + b"}"
        return body + b"}"

    def _state_bytes(self, state: State) -> bytes:
        cached = self._states.get(id(state))
        if cached is not None and cached[0] is state:
            return cached[1]
        encoded = _state_bytes(state)
        self._states[id(state)] = (state, encoded)
        return encoded

    def _answer_bytes(self, answer: Answer) -> bytes:
        """An answer with levels or a proposal: its state's object, extended."""
        state = self._state_bytes(answer.state)
        extra = b""
        if answer.levels is not None:
            levels = b",".join(
                b"[%s,%s]" % (dumps(level), _state_bytes(s)) for level, s in answer.levels
            )
            extra += b',"levels":[' + levels + b"]"
        if answer.proposal is not None:
            extra += b',"proposal":' + dumps(_plan_json(answer.proposal))
        if answer.forecast is not None:
            extra += b',"forecast":' + _forecast_bytes(answer.forecast)
        if answer.missing:
            extra += b',"missing":' + dumps(answer.missing)
        return state[:-1] + extra + b"}"


_DECODERS: dict[str, Callable[[Any], Message]] = {
    "step_start": lambda b: StepStart(_states_from(b), _forecasts_from(b)),
    "update": lambda b: Update(_states_from(b), _forecasts_from(b)),
    "request": lambda b: REQUEST,
    "answer": _answer_from,
    "cell_orders": lambda b: CellOrders(
        {cell: _cell_plan_from(plan) for cell, plan in b["cells"].items()}
    ),
    "redispatch": lambda b: Redispatch(_order_from(b)),
    "done": lambda b: DONE,
    "report": lambda b: Report(
        Plan(**b["plan"]),
        {cell: Balance(v) for cell, v in b["balances"].items()},
        {cell: Balance(v) for cell, v in b["balances_after"].items()},
        tuple(b.get("missing", ())),
    ),
    "deadline": lambda b: Deadline(_phase(b["phase"])),
    **NEGOTIATION_DECODERS,
}


def _limits_json(limits: ExchangeLimits) -> list[float | None]:
    """``[import_max, export_max]``, ``null`` for unlimited."""
    return [None if math.isinf(v) else v for v in (limits.import_max, limits.export_max)]


def _limits_from(data: Any) -> ExchangeLimits:
    import_max, export_max = (math.inf if v is None else float(v) for v in data)
    return ExchangeLimits(import_max, export_max)


def config_to_json(config: StepConfig) -> dict[str, Any]:
    """The step configuration as JSON for a log header (``null`` limit = unlimited)."""
    return {
        "tolerance": config.tolerance,
        "limits": _limits_json(config.limits),
        "merit_order": [r.value for r in config.merit_order],
        "interfaces": {cell: _limits_json(limits) for cell, limits in config.interfaces.items()},
    }


def config_from_json(data: Mapping[str, Any]) -> StepConfig:
    """The inverse of `config_to_json`; `LogFormatError` if ``data`` is not one."""
    try:
        return StepConfig(
            limits=_limits_from(data["limits"]),
            tolerance=float(data["tolerance"]),
            merit_order=tuple(data["merit_order"]),
            interfaces={cell: _limits_from(v) for cell, v in data["interfaces"].items()},
        )
    except (KeyError, TypeError, ValueError, MasscaError) as error:
        raise LogFormatError(f"malformed step configuration {dict(data)!r}: {error}") from error
