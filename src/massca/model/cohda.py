"""COHDA (Hinrichs and Sonnenschein): participants each pick one schedule from their own
candidates so that the sum of the picks comes as close as possible to a target schedule,
by telling their overlay neighbours what they know. Pure functions over immutable
working memories, and the reference negotiation that runs them.

Belongs here: the values (`Target`, `Selection`, `Candidate`, `View`, `Memory`), the
protocol's steps (`start`, `perceive`, `decide`, `act`, `respond`) and `negotiate`, the
oracle every agent runtime must match. Not here: where candidates come from
(`candidates`), overlays (`overlay`), agents and messages (`massca.actors`).

A schedule is a tuple of MW values, one per interval of the horizon. A participant's
working memory holds the *system configuration* (the latest known pick of every
participant it has heard of, each with a counter that its owner raises with every new
pick) and the best *solution candidate* it knows (a pick for each of a set of
participants, with its performance: minus the weighted L1 deviation of their sum from
the target; 0 is perfect). On hearing its neighbours' views it merges them
(`perceive`): for each participant the pick with the higher counter; of two candidates
the one covering more participants, then the better one, then the one whose creator's id
sorts first, and of two candidates that each cover someone the other lacks, their union
(the own one's picks first). Then it tries each of its own candidates against the
system configuration and keeps the best (`decide`), and tells its neighbours if its
view changed (`act`): only what changed since its last view, since its neighbours have
merged that one and merging is a join (for each participant the higher counter; of two
candidates the better one, or their union), so merging the rest again would change
nothing. Each view costs its receiver the changed entries, not the whole system.

`negotiate` runs the protocol in rounds: in each round every participant that received
views handles all of them at once, sorted by sender, and the views it sends are
delivered in the next round. A round's result does not depend on the order in which the
views of the round arrive, which is what makes the negotiation deterministic on any
transport. It ends when a round sends nothing (no message in flight) or when the next
round would exceed the message cap (reported in `Negotiation.capped`, never hidden).
All sums are `math.fsum`s, so they do not depend on the order of the participants.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from massca.errors import ConfigurationError
from massca.model.overlay import check_overlay

__all__ = [
    "Candidate",
    "Memory",
    "Negotiation",
    "Schedule",
    "Selection",
    "Target",
    "View",
    "act",
    "best_complete",
    "best_of",
    "check_options",
    "decide",
    "merge_candidates",
    "merge_configs",
    "negotiate",
    "perceive",
    "performance",
    "respond",
    "start",
]

Schedule = tuple[float, ...]
_SLACK = 1e-9
"""Margin, relative to the magnitude of the terms, within which `decide`'s quick scores are
rechecked exactly: far wider than their rounding (a few units in the last place), far
narrower than any real difference between options."""
Config = Mapping[str, "Selection"]


@dataclass(frozen=True, slots=True)
class Target:
    """The target schedule (MW per interval) and each interval's weight (>= 0)."""

    schedule: Schedule
    weights: Schedule

    @classmethod
    def of(cls, schedule: Sequence[float], weights: Sequence[float] | None = None) -> Target:
        """A checked target: `ConfigurationError` for an empty schedule, weights of
        another length, or a value that is not finite (or a negative weight)."""
        values = _schedule(schedule, "target")
        if not values:
            raise ConfigurationError("target: give at least one interval (horizon >= 1)")
        if weights is None:
            return cls(values, (1.0,) * len(values))
        factors = _schedule(weights, "target weights")
        if len(factors) != len(values):
            raise ConfigurationError(
                f"target weights: {len(factors)} weights for {len(values)} intervals"
            )
        if any(w < 0 for w in factors):
            raise ConfigurationError(f"target weights {factors}: each must be >= 0")
        return cls(values, factors)

    @property
    def horizon(self) -> int:
        """The number of intervals."""
        return len(self.schedule)


@dataclass(frozen=True, slots=True)
class Selection:
    """A participant's pick and its counter (raised by its owner with each new pick)."""

    schedule: Schedule
    counter: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A solution candidate: a pick for each participant it covers, who created it and
    its `performance`."""

    creator: str
    schedules: Mapping[str, Schedule]
    performance: float


@dataclass(frozen=True, slots=True)
class View:
    """What a participant tells its neighbours: its system configuration and candidate,
    or, after its first view, only what changed since its last one (see `act`): the
    configuration's changed entries, and the candidate or None if it is the same."""

    config: Config
    candidate: Candidate | None


@dataclass(frozen=True, slots=True)
class Memory:
    """A participant's working memory: its id, its system configuration, its best
    candidate and the counter of its own latest pick."""

    me: str
    config: Config
    candidate: Candidate
    counter: int


@dataclass(frozen=True, slots=True)
class Negotiation:
    """The outcome of `negotiate`: the solution (the best candidate the participants
    ended with), messages delivered, rounds, whether the message cap stopped it, and the
    best performance of a candidate covering everyone that any participant held."""

    solution: Candidate
    messages: int
    rounds: int
    capped: bool
    best_seen: float


def _schedule(values: Sequence[float], what: str) -> Schedule:
    try:
        schedule = tuple(float(v) for v in values)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"{what} {values!r}: give numbers of MW") from error
    bad = [v for v in schedule if not math.isfinite(v)]
    if bad:
        raise ConfigurationError(f"{what} {schedule}: {bad[0]!r} is not a finite number")
    return tuple(v + 0.0 for v in schedule)


def check_options(
    options: Mapping[str, Sequence[Sequence[float]]], target: Target
) -> dict[str, tuple[Schedule, ...]]:
    """Each participant's candidate schedules, checked against ``target``:
    `ConfigurationError` naming the participant for none, a schedule of another length or
    a value that is not finite."""
    if not options:
        raise ConfigurationError("no participants: give each its candidate schedules")
    checked = {}
    for who in sorted(options):
        schedules = tuple(
            _schedule(s, f"participant {who!r} candidate {n}") for n, s in enumerate(options[who])
        )
        if not schedules:
            raise ConfigurationError(f"participant {who!r} has no candidate schedule")
        for n, schedule in enumerate(schedules):
            if len(schedule) != target.horizon:
                raise ConfigurationError(
                    f"participant {who!r} candidate {n} has {len(schedule)} intervals, the "
                    f"target {target.horizon}"
                )
        checked[who] = schedules
    return checked


def performance(schedules: Mapping[str, Schedule], target: Target) -> float:
    """Minus the weighted L1 deviation of the schedules' sum from the target (0: met)."""
    picks = list(schedules.values())
    deviations = (
        weight * abs(goal - math.fsum(pick[t] for pick in picks))
        for t, (goal, weight) in enumerate(zip(target.schedule, target.weights, strict=True))
    )
    return -math.fsum(deviations) + 0.0


def _better(new: Candidate, old: Candidate) -> bool:
    """Whether ``new`` beats ``old``: it covers more participants (all of ``old``'s and
    others), or the same ones better, or as well with a creator whose id sorts first."""
    new_keys, old_keys = new.schedules.keys(), old.schedules.keys()
    if new_keys != old_keys:
        return new_keys > old_keys
    if new.performance != old.performance:
        return new.performance > old.performance
    return new.creator < old.creator


def merge_configs(mine: Config, heard: Config) -> Config:
    """For each participant the pick with the higher counter (``mine`` on a tie); the
    very ``mine`` object if it wins everywhere."""
    changed = {
        who: selection
        for who, selection in heard.items()
        if who not in mine or selection.counter > mine[who].counter
    }
    if not changed:
        return mine
    return MappingProxyType({**mine, **changed})


def merge_candidates(mine: Candidate, heard: Candidate, me: str, target: Target) -> Candidate:
    """The better of the two (`_better`), or, when each covers someone the other lacks,
    their union created by ``me`` (``mine``'s picks first); the very ``mine`` object if it
    stays."""
    mine_keys, heard_keys = mine.schedules.keys(), heard.schedules.keys()
    if heard_keys - mine_keys and mine_keys - heard_keys:
        union = {**heard.schedules, **mine.schedules}
        return Candidate(me, MappingProxyType(union), performance(union, target))
    return heard if _better(heard, mine) else mine


def start(me: str, options: Sequence[Schedule], target: Target) -> Memory:
    """A participant's first memory: its first candidate schedule picked, then `decide`."""
    first = options[0]
    schedules = MappingProxyType({me: first})
    memory = Memory(
        me,
        MappingProxyType({me: Selection(first, 1)}),
        Candidate(me, schedules, performance(schedules, target)),
        1,
    )
    return decide(memory, options, target)


def perceive(memory: Memory, views: Iterable[View], target: Target) -> Memory:
    """``memory`` with every view merged in (`merge_configs`, `merge_candidates`; a view
    without a candidate has none to merge)."""
    config, candidate = memory.config, memory.candidate
    for view in views:
        config = merge_configs(config, view.config)
        if view.candidate is not None:
            candidate = merge_candidates(candidate, view.candidate, memory.me, target)
    if config is memory.config and candidate is memory.candidate:
        return memory
    return Memory(memory.me, config, candidate, memory.counter)


def decide(memory: Memory, options: Sequence[Schedule], target: Target) -> Memory:
    """Each of ``options`` tried with everyone else's picks in the system configuration;
    the best candidate kept (`_better`), and the own pick updated to it.

    The others' sum is the same for every option: it is added up once, each option is
    scored against it, and only the options within `_SLACK` of the best score are
    scored exactly (`performance` over every pick), in order; the rest cannot win. So a
    participant's decision costs its options times the horizon, not times everyone."""
    me, config = memory.me, memory.config
    others = {who: s.schedule for who, s in config.items() if who != me}
    totals = [math.fsum(pick[t] for pick in others.values()) for t in range(target.horizon)]
    pairs = list(zip(target.schedule, target.weights, strict=True))
    scores = [-_deviation(pairs, totals, option) for option in options]
    # the scores' rounding is a few units in the last place of the terms' magnitude
    magnitude = math.fsum(
        w * (abs(goal) + abs(total)) for (goal, w), total in zip(pairs, totals, strict=True)
    )
    magnitude += max(
        math.fsum(w * abs(v) for (_, w), v in zip(pairs, o, strict=True)) for o in options
    )
    cut = max(scores) - _SLACK * (1.0 + magnitude)
    best = memory.candidate
    for option, score in zip(options, scores, strict=True):
        if score < cut:
            continue
        schedules = {**others, me: option}
        tried = Candidate(me, MappingProxyType(schedules), performance(schedules, target))
        if _better(tried, best):
            best = tried
    pick = best.schedules.get(me)
    counter = memory.counter
    if pick is not None and (me not in config or config[me].schedule != pick):
        counter += 1
        config = MappingProxyType({**config, me: Selection(pick, counter)})
    if best is memory.candidate and config is memory.config:
        return memory
    return Memory(me, config, best, counter)


def _deviation(
    pairs: Sequence[tuple[float, float]], totals: Sequence[float], option: Schedule
) -> float:
    """The weighted L1 deviation of ``totals + option`` from the target (quick: plain sums)."""
    return sum(
        w * abs(goal - total - v) for (goal, w), total, v in zip(pairs, totals, option, strict=True)
    )


def act(before: Memory, after: Memory) -> View | None:
    """The view to tell the neighbours if the configuration or the candidate changed
    since ``before`` (the memory of the last view told): the entries of the configuration
    that changed, and the candidate if it changed (else None)."""
    config, candidate = after.config, after.candidate
    if config is before.config and candidate is before.candidate:
        return None
    told = before.config
    changed = {who: pick for who, pick in config.items() if told.get(who) is not pick}
    return View(MappingProxyType(changed), None if candidate is before.candidate else candidate)


def respond(
    memory: Memory, views: Sequence[View], options: Sequence[Schedule], target: Target
) -> tuple[Memory, View | None]:
    """One participant's answer to the views it received: perceive, decide, act."""
    perceived = perceive(memory, views, target)
    if perceived is memory:
        return memory, None
    decided = decide(perceived, options, target)
    return decided, act(memory, decided)


def negotiate(
    options: Mapping[str, Sequence[Sequence[float]]],
    target: Target,
    overlay: Mapping[str, Sequence[str]],
    max_messages: int = 1_000_000,
) -> Negotiation:
    """The reference negotiation (see the module docstring): each participant `start`s
    and tells its neighbours, then rounds of `respond` until nothing is sent or the next
    round would exceed ``max_messages``."""
    checked = check_options(options, target)
    check_overlay(overlay, checked)
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 0:
        raise ConfigurationError(f"max_messages = {max_messages!r}: a whole number >= 0")
    everyone = checked.keys()
    memories = {who: start(who, checked[who], target) for who in checked}
    best_seen = best_complete((m.candidate for m in memories.values()), everyone)
    outbox = {who: View(m.config, m.candidate) for who, m in memories.items()}
    messages = rounds = 0
    capped = False
    while outbox:
        deliveries = sum(len(overlay[sender]) for sender in outbox)
        if messages + deliveries > max_messages:
            capped = True
            break
        messages += deliveries
        rounds += 1
        inbox: dict[str, list[tuple[str, View]]] = {}
        for sender, view in outbox.items():
            for receiver in overlay[sender]:
                inbox.setdefault(receiver, []).append((sender, view))
        outbox = {}
        for receiver in sorted(inbox):
            views = [view for _, view in sorted(inbox[receiver], key=lambda item: item[0])]
            memories[receiver], sent = respond(memories[receiver], views, checked[receiver], target)
            if sent is not None:
                outbox[receiver] = sent
        best_seen = max(
            best_seen, best_complete((m.candidate for m in memories.values()), everyone)
        )
    solution = best_of(memories[who].candidate for who in sorted(memories))
    return Negotiation(solution, messages, rounds, capped, best_seen)


def best_of(candidates: Iterable[Candidate]) -> Candidate:
    """The solution among the participants' final candidates, given in id order of their
    holders: the first, replaced by each later one that beats it (`_better`)."""
    found = iter(candidates)
    best = next(found)
    for candidate in found:
        if _better(candidate, best):
            best = candidate
    return best


def best_complete(candidates: Iterable[Candidate], everyone: Iterable[str]) -> float:
    """The best performance among ``candidates`` covering exactly ``everyone``
    (``-inf`` for none)."""
    wanted = set(everyone)
    return max(
        (c.performance for c in candidates if c.schedules.keys() == wanted),
        default=-math.inf,
    )
