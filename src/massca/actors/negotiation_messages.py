"""The messages of a negotiation between cells (COHDA) and their JSON encoding.

Belongs here: one frozen class per kind, the bodiless `NEGOTIATION_END`, and each kind's
encoder and decoder, which `massca.actors.messages.ProtocolCodec` uses. Not here: who
sends them (`massca.actors.negotiation`), the protocol's decisions (`massca.model.cohda`).

A negotiation runs inside a step, in rounds its moderator counts (see
`massca.actors.negotiation`): between the cells, moderated by the coordinator after the
cells' answers (``cohda`` between cells), or among a controller's children, moderated by
the controller when its order arrives (``cohda`` within cells):

    moderator --cohda_start--> participants
    moderator --cohda_round--> the round's senders and their neighbours
    senders --cohda_view--> their overlay neighbours
    each of them --cohda_report--> moderator             (repeated, round by round)
    moderator --cohda_end--> participants --cohda_result--> moderator

A start is ``{"overlay": {id: [neighbour, ...]}, "target": [MW, ...], "weights": [...]}``.

Encodings: a view is ``{"round": r, "config": {id: [counter, [MW, ...]]}, "candidate":
{...} or null}`` (only what changed since the sender's last view,
`massca.model.cohda.act`); a candidate is ``{"creator": id, "performance": p,
"schedules": {id: [MW, ...]}}``; ``best_seen`` of a result is ``null`` when no candidate
covered everyone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.log.events import dumps
from massca.model.cohda import Candidate, Schedule, Selection, Target, View

__all__ = [
    "DECODERS",
    "ENCODERS",
    "NEGOTIATION_END",
    "NegotiationEnd",
    "NegotiationMessage",
    "NegotiationReport",
    "NegotiationResult",
    "NegotiationRound",
    "NegotiationStart",
    "NegotiationView",
]


@dataclass(frozen=True, slots=True)
class NegotiationStart:
    """A moderator opens a negotiation: the overlay (every participant -> its neighbours)
    and the target. Each participant makes its candidates from its own state and starts."""

    kind: ClassVar[str] = "cohda_start"
    overlay: Mapping[str, tuple[str, ...]]
    target: Target


@dataclass(frozen=True, slots=True)
class NegotiationRound:
    """The coordinator opens round ``round``: ``senders`` tell their neighbours their
    views; every receiver of this message reports once it has heard all of them."""

    kind: ClassVar[str] = "cohda_round"
    round: int
    senders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NegotiationView:
    """A participant's view, told to its neighbours in round ``round``."""

    kind: ClassVar[str] = "cohda_view"
    round: int
    view: View


@dataclass(frozen=True, slots=True)
class NegotiationReport:
    """A participant has handled round ``round``; ``pending``: it has a new view to tell."""

    kind: ClassVar[str] = "cohda_report"
    round: int
    pending: bool


@dataclass(frozen=True, slots=True, eq=False)  # a singleton: identity is equality
class NegotiationEnd:
    """The coordinator ends the negotiation: every participant answers with its result."""

    kind: ClassVar[str] = "cohda_end"


@dataclass(frozen=True, slots=True)
class NegotiationResult:
    """A participant's final candidate and the best performance of a complete candidate
    it held during the negotiation (``-inf`` if none)."""

    kind: ClassVar[str] = "cohda_result"
    candidate: Candidate
    best_seen: float


NEGOTIATION_END = NegotiationEnd()

NegotiationMessage = (
    NegotiationStart
    | NegotiationRound
    | NegotiationView
    | NegotiationReport
    | NegotiationEnd
    | NegotiationResult
)


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {
        "creator": candidate.creator,
        "performance": candidate.performance,
        "schedules": dict(candidate.schedules),
    }


def _schedule(values: Any) -> Schedule:
    return tuple(float(v) for v in values)


def _candidate_from(body: Any) -> Candidate:
    schedules = {who: _schedule(s) for who, s in body["schedules"].items()}
    return Candidate(str(body["creator"]), MappingProxyType(schedules), float(body["performance"]))


def _view_from(body: Any) -> NegotiationView:
    config = {who: Selection(_schedule(s), int(n)) for who, (n, s) in body["config"].items()}
    candidate = body["candidate"]
    view = View(MappingProxyType(config), None if candidate is None else _candidate_from(candidate))
    return NegotiationView(int(body["round"]), view)


def _view_bytes(message: NegotiationView) -> bytes:
    view = message.view
    config = {who: (s.counter, s.schedule) for who, s in view.config.items()}
    candidate = None if view.candidate is None else _candidate_json(view.candidate)
    return dumps({"round": message.round, "config": config, "candidate": candidate})


def _result_bytes(message: NegotiationResult) -> bytes:
    best = message.best_seen
    return dumps(
        {
            "candidate": _candidate_json(message.candidate),
            "best_seen": best if math.isfinite(best) else None,
        }
    )


def _result_from(body: Any) -> NegotiationResult:
    best = body["best_seen"]
    return NegotiationResult(
        _candidate_from(body["candidate"]), -math.inf if best is None else best
    )


ENCODERS: dict[type, Callable[[Any], bytes]] = {
    NegotiationStart: lambda m: dumps(
        {
            "overlay": dict(m.overlay),
            "target": m.target.schedule,
            "weights": m.target.weights,
        }
    ),
    NegotiationRound: lambda m: dumps({"round": m.round, "senders": m.senders}),
    NegotiationView: _view_bytes,
    NegotiationReport: lambda m: dumps({"round": m.round, "pending": m.pending}),
    NegotiationEnd: lambda m: b"{}",
    NegotiationResult: _result_bytes,
}
"""Each negotiation message class -> its body's JSON encoding."""

DECODERS: dict[str, Callable[[Any], NegotiationMessage]] = {
    "cohda_start": lambda b: NegotiationStart(
        MappingProxyType({who: tuple(map(str, ns)) for who, ns in b["overlay"].items()}),
        Target.of(b["target"], b["weights"]),
    ),
    "cohda_round": lambda b: NegotiationRound(int(b["round"]), tuple(map(str, b["senders"]))),
    "cohda_view": _view_from,
    "cohda_report": lambda b: NegotiationReport(int(b["round"]), bool(b["pending"])),
    "cohda_end": lambda b: NEGOTIATION_END,
    "cohda_result": _result_from,
}
"""Each negotiation message kind -> its decoder from the JSON body."""
