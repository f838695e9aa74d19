"""The ICT network between the agents, simulated: link delays, message loss, deadlines.

Belongs here: `Network` (what a user configures: a delay for every link, per-link
delays, a loss probability, a seed and the coordinator's deadline) and `Wiring` (that
configuration applied to one hierarchy: each message's transit, each parent's wait).
Both are pure: a message's fate is a function of the seed, its sequence number and its
receiver, never of a clock or a random module, so a run and its replay agree on it.
Not here: the event loop that delivers messages in simulated time (the native runtime)
or what a parent does when its deadline passes (the agents).

The model:

* Every agent but the coordinator has one **link** to its parent, used both ways with
  the same one-way delay (``links[agent]``, else ``delay_ms``). Requests, answers,
  orders and confirmations of orders travel over links; each message to each receiver is
  lost with probability ``loss`` (a multicast's receivers independently).
* A unit's ``update`` stands for the unit's own measurement: it does not cross the
  network, so it is never late and never lost. Neither is a message an agent
  sends itself: that is a **timer**, delivered after the agent's wait (`Wiring.wait`).
* The coordinator waits ``deadline_ms`` for each phase (answers, then confirmations of
  orders). Every other parent waits as long as still lets its own reply reach the
  coordinator in time: the deadline minus the round trip between it and the coordinator.
  The default deadline is twice the longest round trip from the coordinator to a unit
  and back (1 ms when there are no delays), so without loss every answer arrives.
* A parent whose wait ends before all its children have answered goes on with those
  that did; a silent child offers no flexibility and is given no order (it keeps its
  operating point). The agents implement that; this module only says when.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from massca.errors import ConfigurationError
from massca.model.hierarchy import Hierarchy
from massca.model.seeded import draw

__all__ = ["DEFAULT_DEADLINE_FLOOR_MS", "Delivery", "Network", "Wiring"]

DEFAULT_DEADLINE_FLOOR_MS = 1.0
"""The default deadline when no link has a delay."""

_LOSS_STREAM = 0x6C6F7373  # "loss": the seeded stream of message fates


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Network:
    """A simulated ICT network; see the module docstring. Delays in milliseconds.

    ``links``: agent -> the one-way delay of the link between it and its parent, for
    the links that differ from ``delay_ms``. ``deadline_ms``: how long the coordinator
    waits for each phase; None for the default. Every problem is one
    `ConfigurationError` naming each value and the rule it breaks.
    """

    delay_ms: float = 0.0
    links: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    loss: float = 0.0
    seed: int = 0
    deadline_ms: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if not (_number(self.delay_ms) and 0 <= self.delay_ms < math.inf):
            problems.append(f"delay {self.delay_ms!r} ms: give a finite number >= 0")
        for agent, delay in self.links.items():
            if not (_number(delay) and 0 <= delay < math.inf):
                problems.append(
                    f"delay of {agent!r}'s link {delay!r} ms: give a finite number >= 0"
                )
        if not (_number(self.loss) and 0 <= self.loss <= 1):
            problems.append(f"loss {self.loss!r}: give a probability from 0 to 1")
        if not (isinstance(self.seed, int) and not isinstance(self.seed, bool)):
            problems.append(f"seed {self.seed!r}: give a whole number")
        deadline = self.deadline_ms
        if deadline is not None and not (_number(deadline) and 0 < deadline < math.inf):
            problems.append(f"deadline {deadline!r} ms: give a finite number > 0")
        if problems:
            raise ConfigurationError("network: " + "; ".join(problems))
        object.__setattr__(self, "links", MappingProxyType(dict(self.links)))

    def wired(self, hierarchy: Hierarchy) -> Wiring:
        """This network over ``hierarchy``; `ConfigurationError` if a per-link delay names
        an agent that has no link (not in the tree, or its coordinator)."""
        parents = hierarchy.parents
        unknown = sorted(a for a in self.links if a not in parents)
        if unknown:
            names = ", ".join(repr(a) for a in unknown)
            raise ConfigurationError(
                f"network: link delays for {names}: no such agent below the coordinator "
                f"(links join an agent to its parent; e.g. {hierarchy.cells[0]!r})"
            )
        return Wiring(self, hierarchy)

    def to_json(self) -> dict[str, Any]:
        """The network as JSON, for a log's header."""
        return {
            "delay_ms": self.delay_ms,
            "links": dict(self.links),
            "loss": self.loss,
            "seed": self.seed,
            "deadline_ms": self.deadline_ms,
        }

    @classmethod
    def from_json(cls, data: Any) -> Network:
        """The inverse of `to_json`; `ConfigurationError` if ``data`` is not one."""
        try:
            return cls(
                data["delay_ms"], data["links"], data["loss"], data["seed"], data["deadline_ms"]
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ConfigurationError(f"network: malformed description {data!r}") from error


Delivery = tuple[int, int, int, tuple[str, ...]]
"""``(arrival, rank, first position, receivers)``: receivers of one message, consecutive
in its receiver list, that it reaches at the same microsecond; ordered among all
deliveries by ``(arrival, rank, seq, first position)``."""


def _microseconds(ms: float) -> int:
    return round(ms * 1000)


class Wiring:
    """A `Network` over one hierarchy: what the runtime asks for every message.

    Times are whole microseconds (delays are rounded to them), so that sums along any
    path are exact: a reply that leaves at its sender's deadline arrives exactly at its
    parent's, never a rounding error later.
    """

    __slots__ = (
        "_delay",
        "_index",
        "_links",
        "_loss",
        "_parents",
        "_ranks",
        "_seed",
        "_waits",
        "deadline_us",
    )

    def __init__(self, network: Network, hierarchy: Hierarchy) -> None:
        parents = self._parents = dict(hierarchy.parents)
        self._delay = {a: _microseconds(network.links.get(a, network.delay_ms)) for a in parents}
        self._links = {(a, p): self._delay[a] for a, p in parents.items()}  # both ways
        self._links.update({(p, a): self._delay[a] for a, p in parents.items()})
        self._index = {node.id: i for i, node in enumerate(hierarchy.nodes)}
        self._loss = network.loss
        self._seed = network.seed
        reach: dict[str, int] = {hierarchy.root: 0}  # one-way delay to the coordinator
        for node in hierarchy.nodes:  # parents come first only in some trees: walk up
            reach[node.id] = self._reach(node.id, reach)
        longest = max((2 * reach[u] for u in hierarchy.units), default=0)
        deadline = (
            _microseconds(network.deadline_ms)
            if network.deadline_ms is not None
            else 2 * longest or _microseconds(DEFAULT_DEADLINE_FLOOR_MS)
        )
        self.deadline_us: int = max(deadline, 1)
        """How long the coordinator waits for each phase, in microseconds."""
        self._waits = {
            parent: max(self.deadline_us - 2 * reach[parent], 0)
            for parent, children in hierarchy.children.items()
            if children
        }
        depths = {parent: hierarchy.depth_of(parent) for parent in self._waits}
        deepest = max(depths.values(), default=0)
        self._ranks = {parent: 1 + deepest - depth for parent, depth in depths.items()}

    def _reach(self, agent: str, reach: dict[str, int]) -> int:
        known = reach.get(agent)
        if known is not None:
            return known
        total = self._delay[agent] + self._reach(self._parents[agent], reach)
        reach[agent] = total
        return total

    def wait(self, parent: str) -> int:
        """How long ``parent`` waits for its children in a phase, in microseconds: the
        deadline minus its round trip to the coordinator, never below 0."""
        return self._waits[parent]

    def rank(self, sender: str, receiver: str) -> int:
        """Where a delivery goes among those arriving at the same microsecond: messages
        (0) first, then timers, deeper agents' first. So a reply sent at a child's
        deadline, which arrives exactly at its parent's, still counts."""
        return self._ranks[sender] if sender == receiver else 0

    def deliveries(
        self, sender: str, receivers: tuple[str, ...], seq: int, now: int
    ) -> list[Delivery]:
        """Where message ``seq``, sent by ``sender`` at ``now`` to ``receivers``, arrives:
        one `Delivery` per run of consecutive receivers it reaches at the same time (lost
        receivers end a run and are left out). Nothing can come between the receivers of
        one run (their keys differ only in their positions), so a run is the order one
        entry each would give, at a fraction of the work for a multicast to a thousand
        units. The runtime and replay both order deliveries by these."""
        rank = self.rank(sender, sender) if receivers == (sender,) else 0  # a timer
        transit = self.transit
        found: list[Delivery] = []
        run: list[str] = []
        arrival = first = 0  # the run's
        for position, receiver in enumerate(receivers):
            delay = transit(sender, receiver, seq)
            if run and (delay is None or now + delay != arrival):
                found.append((arrival, rank, first, tuple(run)))
                run = []
            if delay is None:  # lost
                continue
            if not run:
                arrival, first = now + delay, position
            run.append(receiver)
        if run:
            found.append((arrival, rank, first, tuple(run)))
        return found

    def transit(self, sender: str, receiver: str, seq: int) -> int | None:
        """The microseconds message ``seq`` takes from ``sender`` to ``receiver``, or None
        if it is lost: a link's delay between parent and child, the sender's wait for a
        message to itself (a timer), 0 for anything else (it does not cross the network)."""
        if sender == receiver:
            return self._waits[sender]
        delay = self._links.get((sender, receiver))
        if delay is None:
            return 0
        loss = self._loss
        if loss and draw(self._seed, _LOSS_STREAM, seq, self._index[receiver]) < loss:
            return None
        return delay
