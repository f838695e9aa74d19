"""The messages of the step protocol and their JSON codec for the event log.

Belongs here: one frozen, slotted class per message kind, the singletons of the
bodiless kinds, and `ProtocolCodec` (message <-> log body). Not here: who sends them
(`agents`) or how they travel (the runtimes).

One step, as in the prototype's message diagram (a request, an update or an instruction
to many agents is one multicast message):

    environment --step_start--> coordinator --update--> all units --confirm--> coordinator
    coordinator --request--> cells --request--> ... --request--> units
    units --answer--> ... --answer--> cells --answer--> coordinator
    coordinator --redispatch--> cells --redispatch--> ... --> units
    units --done--> ... --done--> cells --done--> coordinator --report--> environment
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from massca.log.events import JsonCache, dumps
from massca.model import (
    Balance,
    ExchangeLimits,
    Flexibility,
    Instruction,
    LogFormatError,
    Plan,
    Resource,
    State,
    StepConfig,
)

__all__ = [
    "CONFIRM",
    "DONE",
    "REQUEST",
    "Answer",
    "Confirm",
    "Done",
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


@dataclass(frozen=True, slots=True)
class StepStart:
    """The environment starts a step: every unit's measured state."""

    kind: ClassVar[str] = "step_start"
    states: Mapping[str, State]


@dataclass(frozen=True, slots=True)
class Update:
    """The coordinator hands the units their new measurements: one multicast to all of
    them, carrying the step's states by unit id (the same mapping, never copied); each
    unit takes its own."""

    kind: ClassVar[str] = "update"
    states: Mapping[str, State]


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class Confirm:
    """A unit confirms it has taken its update."""

    kind: ClassVar[str] = "confirm"


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class Request:
    """A parent asks a child for its (aggregated) state."""

    kind: ClassVar[str] = "request"


@dataclass(frozen=True, slots=True)
class Answer:
    """A child's (aggregated) state, sent to its parent."""

    kind: ClassVar[str] = "answer"
    state: State


@dataclass(frozen=True, slots=True)
class Redispatch:
    """The coordinator's instruction, passed unchanged down the tree."""

    kind: ClassVar[str] = "redispatch"
    instruction: Instruction


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class Done:
    """A child has carried out its redispatch (and so have all below it)."""

    kind: ClassVar[str] = "done"


@dataclass(frozen=True, slots=True)
class Report:
    """The coordinator tells the environment what the step decided."""

    kind: ClassVar[str] = "report"
    plan: Plan
    instruction: Instruction
    balances: Mapping[str, Balance]


Message = StepStart | Update | Confirm | Request | Answer | Redispatch | Done | Report

CONFIRM = Confirm()
REQUEST = Request()
DONE = Done()


_ZERO_BAND = b"[0.0,0.0,0.0]"


def _band_bytes(band: Flexibility) -> bytes:
    if band.max == 0.0:  # then min and current are 0.0 too: half of all unit bands
        return _ZERO_BAND
    return dumps((band.min, band.max, band.current))


def _state_bytes(state: State) -> bytes:
    return b'{"production":%s,"consumption":%s}' % (
        _band_bytes(state.production),
        _band_bytes(state.consumption),
    )


def _state_from(body: Any) -> State:
    return State(Flexibility(*body["production"]), Flexibility(*body["consumption"]))


def _states_from(body: Any) -> dict[str, State]:
    return {unit: _state_from(state) for unit, state in body["states"].items()}


def _instruction_json(instruction: Instruction) -> dict[str, float]:
    return {"production": instruction.production, "consumption": instruction.consumption}


_EMPTY = b"{}"


class ProtocolCodec:
    """Encodes messages as ``(kind, JSON body bytes)`` for the log and decodes them back.

    States are written as ``{"production": [min, max, current], "consumption": [...]}``.
    A `StepStart`'s encoding is remembered until the next one: the step's `Update`
    (which carries the same mapping; an environment may refill that mapping in place
    for its next step, so the cache is keyed by the message, not the mapping) and the
    units' `Answer` messages (which carry the same state objects) reuse it.
    """

    def __init__(self) -> None:
        self._states: dict[int, tuple[State, bytes]] = {}
        self._keys = JsonCache(suffix=b":")  # unit id -> its JSON object key
        self._step_states: Mapping[str, State] | None = None
        self._step_body = b""

    def encode(self, message: Any) -> tuple[str, bytes]:
        """The kind and the body's JSON encoding; `TypeError` for a non-message."""
        kind = type(message)
        if kind is Update:
            if message.states is self._step_states:  # the step's own: encoded just before
                return "update", self._step_body
            return "update", self._states_bytes(message.states)
        if kind is Answer:
            return "answer", self._state_bytes(message.state)
        if kind is Confirm or kind is Request or kind is Done:
            return message.kind, _EMPTY
        if kind is Redispatch:
            return "redispatch", dumps(_instruction_json(message.instruction))
        if kind is StepStart:
            self._step_body = self._states_bytes(message.states)
            self._step_states = message.states  # kept alive, so its states' ids stay theirs
            return "step_start", self._step_body
        if kind is Report:
            p = message.plan
            return "report", dumps(
                {
                    "plan": {
                        "imbalance": p.imbalance,
                        "production_delta": p.production_delta,
                        "consumption_delta": p.consumption_delta,
                        "exchange": p.exchange,
                        "unresolved": p.unresolved,
                    },
                    "instruction": _instruction_json(message.instruction),
                    "balances": {cell: b.value for cell, b in message.balances.items()},
                }
            )
        raise TypeError(f"not a massca protocol message: {message!r}")

    def decode(self, kind: str, body: Any) -> Message:
        """The message for a recorded ``kind`` and JSON ``body``; `LogFormatError` if bad."""
        try:
            decoded: Message = _DECODERS[kind](body)
        except KeyError as error:
            if kind not in _DECODERS:
                raise LogFormatError(f"unknown message kind {kind!r}") from error
            raise LogFormatError(f"malformed {kind} body {body!r}: missing {error}") from error
        except (TypeError, ValueError) as error:
            raise LogFormatError(f"malformed {kind} body {body!r}: {error}") from error
        return decoded

    def _states_bytes(self, states: Mapping[str, State]) -> bytes:
        """``{"states": {unit: state, ...}}``; each state's encoding is kept for the
        units' `Answer` messages, until the next mapping is encoded."""
        values = list(states.values())
        encoded = list(map(_state_bytes, values))
        self._states = dict(zip(map(id, values), zip(values, encoded, strict=True), strict=True))
        keys = map(self._keys.__getitem__, states)
        return b'{"states":{' + b",".join(map(bytes.__add__, keys, encoded)) + b"}}"

    def _state_bytes(self, state: State) -> bytes:
        cached = self._states.get(id(state))
        if cached is not None and cached[0] is state:
            return cached[1]
        encoded = _state_bytes(state)
        self._states[id(state)] = (state, encoded)
        return encoded


_DECODERS: dict[str, Callable[[Any], Message]] = {
    "step_start": lambda b: StepStart(_states_from(b)),
    "update": lambda b: Update(_states_from(b)),
    "confirm": lambda b: CONFIRM,
    "request": lambda b: REQUEST,
    "answer": lambda b: Answer(_state_from(b)),
    "redispatch": lambda b: Redispatch(Instruction(b["production"], b["consumption"])),
    "done": lambda b: DONE,
    "report": lambda b: Report(
        Plan(**b["plan"]),
        Instruction(**b["instruction"]),
        {cell: Balance(v) for cell, v in b["balances"].items()},
    ),
}


def config_to_json(config: StepConfig) -> dict[str, Any]:
    """The step configuration as JSON for a log header (``null`` limit = unlimited)."""

    def limit(value: float) -> float | None:
        return None if math.isinf(value) else value

    return {
        "tolerance": config.tolerance,
        "limits": {
            "import_max": limit(config.limits.import_max),
            "export_max": limit(config.limits.export_max),
        },
        "merit_order": [r.value for r in config.merit_order],
    }


def config_from_json(data: Mapping[str, Any]) -> StepConfig:
    """The inverse of `config_to_json`; `LogFormatError` if ``data`` is not one."""

    def limit(value: float | None) -> float:
        return math.inf if value is None else float(value)

    try:
        limits = data["limits"]
        return StepConfig(
            limits=ExchangeLimits(limit(limits["import_max"]), limit(limits["export_max"])),
            tolerance=float(data["tolerance"]),
            merit_order=tuple(Resource(r) for r in data["merit_order"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LogFormatError(f"malformed step configuration {dict(data)!r}: {error}") from error
