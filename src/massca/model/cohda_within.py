"""``cohda`` within a cell: a controller's children negotiate with COHDA
(`massca.model.cohda`) how to carry out the controller's share.

Belongs here: `CohdaWithin`: each child's candidates, the negotiation's problem and the
orders made from its outcome. Not here: the protocol (`cohda`), who sends what
(`massca.actors.negotiation`).

A controller that receives an order (its `Share` in MW; an `Instruction` is made one of
its state) lets its children negotiate it: the target is the share as a schedule of three
values, the changes of production, consumption and storage, each of weight 1. A child's
candidate schedules are its own changes of those three bands: first no change, then
``levels`` changes that put each of its bands at the same fraction ``j / (levels - 1)``
between its ``min`` and ``max`` (`massca.model.candidates.band_candidates` over its three
bands; a unit has one band that moves). The overlay is ``topology`` over the children.

The children's picks rarely add up to the share exactly, so the orders are the picks
plus the rest of the share spread over the children in proportion to the headroom their
picks leave (the ``proportional`` rule, `instruction_for` over the state the picks
reach): the orders always add up to the share, and every child stays in its bands. A
share of zero, or a controller with one child, negotiates nothing (the one child takes
the whole share). Children a capped negotiation never reached pick no change.

Unlike ``proportional`` and ``merit``, the result depends on the shape of the tree inside
a cell: who negotiates with whom is who shares a parent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.errors import ConfigurationError, ProtocolError
from massca.model.aggregation import aggregate
from massca.model.candidates import band_candidates
from massca.model.cohda import Negotiation, Schedule, Target, negotiate
from massca.model.cohda_between import option_problems, rebuilt
from massca.model.orders import (
    NO_SHARE,
    MeritInstruction,
    Order,
    Share,
    apply_order,
    instruction_for,
    share_of,
)
from massca.model.overlay import Overlay, overlay_of
from massca.model.state import State
from massca.model.within import Levels

__all__ = ["CohdaWithin"]


@dataclass(frozen=True, slots=True)
class CohdaWithin:
    """``cohda`` within a cell: children negotiate their parent's share; see the module
    docstring."""

    levels: int = 5
    topology: str = "small-world"
    neighbours: int = 2
    seed: int = 0
    max_messages: int = 100_000
    name: ClassVar[str] = "cohda"
    uses_levels: ClassVar[bool] = False

    def __post_init__(self) -> None:
        problems = option_problems(self)
        if problems:
            raise ConfigurationError("cohda within cells: " + "; ".join(problems))

    def describe(self) -> dict[str, Any]:
        """The strategy and its parameters as plain values (for a log's header)."""
        return {"name": self.name, **asdict(self)}

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> CohdaWithin:
        """The strategy `describe` gave ``description``; `ConfigurationError` if malformed."""
        return rebuilt(cls, description)

    def level_of(self, unit: str) -> float:
        """No merit levels: 0.0 for every unit."""
        return 0.0

    def share(self, node: str, order: Order, state: State) -> Share:
        """The share ``order`` asks of controller ``node`` in ``state``."""
        if type(order) is MeritInstruction:
            raise ProtocolError(f"cohda: controller {node!r} got a merit instruction")
        return share_of(order, state)

    def options(self, state: State) -> tuple[Schedule, ...]:
        """A child's candidate changes (production, consumption, storage); see the module
        docstring."""
        bands = (state.production, state.consumption, state.storage)
        now = tuple(band.current for band in bands)
        changes: dict[Schedule, None] = {(0.0, 0.0, 0.0): None}
        for level in band_candidates(bands, self.levels):
            changes.setdefault(tuple(v - c + 0.0 for v, c in zip(level, now, strict=True)))
        return tuple(changes)

    def target(self, share: Share) -> Target:
        """The negotiation's target: the share's three changes."""
        return Target.of((share.production, share.consumption, share.storage))

    def problem(self, share: Share, children: Mapping[str, State]) -> Overlay | None:
        """The overlay the children negotiate ``share`` on, or None if there is nothing
        to negotiate (no change, or one child)."""
        if share == NO_SHARE or len(children) < 2:
            return None
        return overlay_of(self.topology, children, self.neighbours, self.seed)

    def conclude(
        self,
        share: Share,
        children: Mapping[str, State],
        negotiation: Negotiation | None,
    ) -> Mapping[str, Order]:
        """Each child's order from a negotiation's outcome (None: nothing negotiated)."""
        if negotiation is None:
            return MappingProxyType(dict.fromkeys(children, share))
        picks = negotiation.solution.schedules
        unknown = sorted(set(picks) - set(children))
        if unknown:
            raise ProtocolError(f"cohda: the solution names {unknown[0]!r}, not a child")
        moved = {child: Share(*picks[child]) if child in picks else NO_SHARE for child in children}
        reached = {child: apply_order(moved[child], state) for child, state in children.items()}
        rest = Share(
            share.production - math.fsum(m.production for m in moved.values()),
            share.consumption - math.fsum(m.consumption for m in moved.values()),
            share.storage - math.fsum(m.storage for m in moved.values()),
        )
        spread = instruction_for(rest, aggregate(reached.values()))
        orders = {}
        for child in children:
            extra = share_of(spread, reached[child])
            pick = moved[child]
            orders[child] = Share(
                pick.production + extra.production,
                pick.consumption + extra.consumption,
                pick.storage + extra.storage,
            )
        return MappingProxyType(orders)

    def split(
        self,
        node: str,
        order: Order,
        state: State,
        children: Mapping[str, State],
        levels: Levels | None,
    ) -> Mapping[str, Order]:
        """The reference split: `negotiate` the `problem`, then `conclude`."""
        share = self.share(node, order, state)
        overlay = self.problem(share, children)
        if overlay is None:
            return self.conclude(share, children, None)
        options = {child: self.options(s) for child, s in children.items()}
        outcome = negotiate(options, self.target(share), overlay, self.max_messages)
        return self.conclude(share, children, outcome)
