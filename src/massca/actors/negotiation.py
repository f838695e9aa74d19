"""A negotiation on the agents (``cohda``): the participant's role (cells between the
cells; units and controllers among their siblings) and the moderator's (the coordinator
between the cells; a controller among its children).

Belongs here: `Participant` and `Moderator`: who sends what, when, and what they wait for.
Not here: the decisions (`massca.model.cohda`: start, respond, best_of), the messages
(`negotiation_messages`), or the step's other phases (`agents`).

The protocol runs the reference negotiation's rounds (`massca.model.cohda.negotiate`)
over real messages, so its outcome is the reference's for any delivery order:

1. The moderator sends every participant the overlay and the target (``cohda_start``);
   each starts from its own candidates and holds its first view to tell.
2. Round ``r``: the moderator names the senders (everyone in round 1, then whoever
   reported a new view) in one ``cohda_round`` to them and their neighbours, unless the
   round's deliveries would exceed the message cap (then it ends the negotiation,
   ``capped``). A sender tells its neighbours its view (one multicast). A participant
   that has heard every sender among its neighbours responds to all of them at once, in
   id order of the senders (`respond`), and reports whether it has a new view. A
   participant with nothing to tell and no sender among its neighbours sits the round
   out; views of a round that arrive before the round's opening wait for it, and so do
   first-round views that arrive before the participant's start (its agent keeps them).
3. When a round's reports name no sender, no message is in flight: the moderator sends
   ``cohda_end``, every participant answers with its candidate and the best complete
   performance it held, and the moderator takes the solution (`best_of`, in id order).

Nothing waits on a clock: termination is counted, not timed. Every message goes
through the runtime's ``send``, so the log holds the negotiation and replay checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from massca.actors.negotiation_messages import (
    NEGOTIATION_END,
    NegotiationReport,
    NegotiationResult,
    NegotiationRound,
    NegotiationStart,
    NegotiationView,
)
from massca.model import ProtocolError
from massca.model.cohda import (
    Negotiation,
    Schedule,
    Target,
    View,
    best_complete,
    best_of,
    respond,
    start,
)

__all__ = ["Moderator", "Participant"]

Send = Callable[[str, "str | tuple[str, ...]", Any], None]


class Participant:
    """One participant's part: its working memory, the view it has to tell, and the round
    it is in. ``report_to`` is the moderator."""

    __slots__ = (
        "_best_seen",
        "_expected",
        "_heard",
        "_memory",
        "_pending",
        "_round",
        "_send",
        "everyone",
        "me",
        "neighbours",
        "options",
        "report_to",
        "target",
    )

    def __init__(
        self,
        me: str,
        report_to: str,
        send: Send,
        options: tuple[Schedule, ...],
        target: Target,
        overlay: Mapping[str, tuple[str, ...]],
    ) -> None:
        if me not in overlay:
            raise ProtocolError(f"cohda: the overlay does not include {me!r}")
        self.me, self.report_to, self._send = me, report_to, send
        self.options, self.target = options, target
        self.neighbours = overlay[me]
        self.everyone = tuple(overlay)
        self._memory = start(me, options, target)
        self._pending: View | None = View(self._memory.config, self._memory.candidate)
        self._best_seen = best_complete((self._memory.candidate,), self.everyone)
        self._round = 0
        self._expected: frozenset[str] | None = None  # senders awaited; None: between rounds
        self._heard: dict[int, dict[str, View]] = {}  # round -> sender -> view

    def on_round(self, message: NegotiationRound) -> None:
        """Open the round (a participant sits out rounds with neither a view to tell nor a
        sender among its neighbours): tell the view if named a sender, then await the
        senders."""
        if message.round <= self._round or self._expected is not None:
            raise ProtocolError(
                f"cohda: {self.me!r} in round {self._round} was told to start round {message.round}"
            )
        self._round = message.round
        senders = frozenset(message.senders)
        if self.me in senders:
            if self._pending is None:
                raise ProtocolError(f"cohda: {self.me!r} was named a sender with nothing to tell")
            if self.neighbours:
                self._send(self.me, self.neighbours, NegotiationView(self._round, self._pending))
            self._pending = None
        self._expected = senders.intersection(self.neighbours)
        self._respond_once_heard()

    def on_view(self, sender: str, message: NegotiationView) -> None:
        """Keep a neighbour's view for its round (one not yet opened here is the next
        round this participant takes part in); respond once the round is heard."""
        current = message.round == self._round and self._expected is not None
        if sender not in self.neighbours or not (current or message.round > self._round):
            raise ProtocolError(
                f"cohda: {self.me!r} in round {self._round} got a view of round "
                f"{message.round} from {sender!r}, which it was not waiting for"
            )
        heard = self._heard.setdefault(message.round, {})
        if sender in heard:
            raise ProtocolError(f"cohda: {self.me!r} got two views from {sender!r}")
        heard[sender] = message.view
        if current:
            self._respond_once_heard()

    def _respond_once_heard(self) -> None:
        expected = self._expected
        heard = self._heard.get(self._round, {})
        if expected is None or len(heard) < len(expected):
            return
        if heard.keys() != expected:
            raise ProtocolError(f"cohda: {self.me!r} heard {sorted(heard)}, not {sorted(expected)}")
        self._heard.pop(self._round, None)
        if heard:
            views = [heard[sender] for sender in sorted(heard)]
            self._memory, told = respond(self._memory, views, self.options, self.target)
            if told is not None:
                self._pending = told
            self._best_seen = max(
                self._best_seen, best_complete((self._memory.candidate,), self.everyone)
            )
        self._expected = None
        self._send(
            self.me, self.report_to, NegotiationReport(self._round, self._pending is not None)
        )

    def result(self) -> NegotiationResult:
        """The final candidate and the best complete performance held."""
        return NegotiationResult(self._memory.candidate, self._best_seen)

    def awaiting(self) -> tuple[str, ...]:
        """The neighbours whose views of the current round have not arrived."""
        if self._expected is None:
            return ()
        return tuple(sorted(self._expected - self._heard.get(self._round, {}).keys()))


class Moderator:
    """The moderator's part: opens rounds, counts the deliveries against ``cap`` and
    collects the reports and results; see the module docstring."""

    __slots__ = (
        "_reported",
        "_results",
        "_send",
        "cap",
        "capped",
        "me",
        "messages",
        "outstanding",
        "overlay",
        "rounds",
    )

    def __init__(
        self,
        me: str,
        send: Send,
        overlay: Mapping[str, tuple[str, ...]],
        cap: int,
        target: Target,
    ) -> None:
        self.me, self._send, self.overlay, self.cap = me, send, overlay, cap
        self.messages = self.rounds = 0
        self.capped = False
        self.outstanding: set[str] = set()
        self._reported: list[str] = []  # this round's participants with a new view
        self._results: dict[str, NegotiationResult] | None = None
        everyone = tuple(sorted(overlay))
        self._send(me, everyone, NegotiationStart(overlay, target))
        self._open(everyone)  # every participant starts with a view to tell

    def _open(self, senders: tuple[str, ...]) -> None:
        """Open the next round for ``senders``, or end if none or past the cap."""
        overlay = self.overlay
        deliveries = sum(len(overlay[s]) for s in senders)
        if senders and self.messages + deliveries > self.cap:
            self.capped = True
        if not senders or self.capped:
            self._results = {}
            self.outstanding = set(overlay)
            self._send(self.me, tuple(sorted(overlay)), NEGOTIATION_END)
            return
        self.messages += deliveries
        self.rounds += 1
        involved = sorted({*senders, *(n for s in senders for n in overlay[s])})
        self.outstanding = set(involved)
        self._reported = []
        self._send(self.me, tuple(involved), NegotiationRound(self.rounds, senders))

    def on_report(self, sender: str, message: NegotiationReport) -> None:
        """Count a participant's report; open the next round once all are in."""
        if self._results is not None or message.round != self.rounds:
            raise ProtocolError(
                f"cohda: a report of round {message.round} from {sender!r} in round {self.rounds}"
            )
        _tick(self.outstanding, sender, "cohda_report")
        if message.pending:
            self._reported.append(sender)
        if not self.outstanding:
            self._open(tuple(sorted(self._reported)))

    def on_result(self, sender: str, message: NegotiationResult) -> Negotiation | None:
        """Keep a participant's result; the `Negotiation` once every one has answered."""
        results = self._results
        if results is None:
            raise ProtocolError(f"cohda: a result from {sender!r} before the negotiation ended")
        _tick(self.outstanding, sender, "cohda_result")
        results[sender] = message
        if self.outstanding:
            return None
        ordered = [results[who] for who in sorted(results)]
        return Negotiation(
            best_of(r.candidate for r in ordered),
            self.messages,
            self.rounds,
            self.capped,
            max(r.best_seen for r in ordered),
        )


def _tick(outstanding: set[str], sender: str, kind: str) -> None:
    if sender not in outstanding:
        raise ProtocolError(f"cohda: {kind!r} from {sender!r}, which was not awaited")
    outstanding.remove(sender)
