"""Within-cell strategies: how a controller divides its order among its children.

Belongs here: the `WithinCell` interface, the built-ins ``proportional`` and ``merit``,
`CallableWithin` for a user's function, and the merit levels a subtree reports
(`Levels`). Not here: what each cell must do (`between`) or how a unit carries out an
order (`orders`).

``split(node, order, state, children, levels)`` is called by a cell or intermediate
controller ``node`` with the order it received, its aggregated ``state``, its children's
states keyed by id in canonical order, and (for strategies with ``uses_levels``) its
subtree's `Levels`. It returns one order for every child or a mapping child -> order.

``proportional``: every unit of the cell moves by the same fraction of its headroom. A
`Share` becomes `orders.instruction_for` of the controller's state; an `Instruction` is
passed on unchanged. Per-unit targets do not depend on the tree's shape.

``merit``: units are used in the order of their merit level, lowest first ("cheapest
first"); units of one level share their part in proportion to their headroom. Levels are
given per unit (``priorities``, default ``default``). A `Share` (or an `Instruction`, made
a share of the controller's state) becomes a `MeritInstruction` computed from the
subtree's headroom per level; controllers below pass it on unchanged, and each unit takes
its fraction from its own level, so the result does not depend on the tree either.
Because of that, controllers report their subtree's states per level (`Levels`) with their
answers while this strategy is chosen.

User callables (`CallableWithin`) get ``function(node, share, state, children)`` and
return, per child, an order or a target `State` (a child's state after it moves). They
are called at every controller that receives a share, and checked: one order per child,
each feasible, and the children's changes adding up to the share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from massca.errors import ConfigurationError, InfeasibleRedispatchError, ProtocolError
from massca.model.aggregation import aggregate
from massca.model.between import UserFunction
from massca.model.orders import (
    Instruction,
    MeritInstruction,
    MeritStep,
    Order,
    Share,
    change_between,
    instruction_for,
    share_of,
)
from massca.model.redispatch import REDISPATCH_RTOL
from massca.model.state import Band, State
from massca.model.validation import is_real

__all__ = [
    "PROPORTIONAL",
    "CallableWithin",
    "Levels",
    "MeritWithin",
    "ProportionalWithin",
    "WithinCell",
    "merge_levels",
    "merit_instruction",
]

Levels = tuple[tuple[float, State], ...]
"""A subtree's states summed per merit level, sorted by level: ``((level, state), ...)``."""


@runtime_checkable
class WithinCell(Protocol):
    """A within-cell strategy; see the module docstring."""

    @property
    def name(self) -> str:
        """The strategy's name, as recorded in a log's header."""
        ...

    @property
    def uses_levels(self) -> bool:
        """True if controllers must report their subtree's `Levels`."""
        ...

    def describe(self) -> dict[str, Any]:
        """The strategy and its parameters as plain values (for a log's header)."""
        ...

    def level_of(self, unit: str) -> float:
        """The merit level of ``unit`` (0.0 for strategies without levels)."""
        ...

    def split(
        self,
        node: str,
        order: Order,
        state: State,
        children: Mapping[str, State],
        levels: Levels | None,
    ) -> Order | Mapping[str, Order]:
        """One order for every child, or an order per child."""
        ...


class _WithoutLevels:
    """Mixin for strategies that give every unit the same merit level."""

    uses_levels: ClassVar[bool] = False

    def level_of(self, unit: str) -> float:
        return 0.0


class ProportionalWithin(_WithoutLevels):
    """``proportional``: the same fraction of headroom for every unit of the cell."""

    name: ClassVar[str] = "proportional"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def split(
        self,
        node: str,
        order: Order,
        state: State,
        children: Mapping[str, State],
        levels: Levels | None,
    ) -> Order | Mapping[str, Order]:
        if type(order) is Share:
            return instruction_for(order, state)
        return order


PROPORTIONAL = ProportionalWithin()


@dataclass(frozen=True, slots=True)
class MeritWithin:
    """``merit``: units in the order of their levels, lowest first; see the module doc."""

    priorities: Mapping[str, float] = field(default_factory=dict)
    default: float = 0.0
    name: ClassVar[str] = "merit"
    uses_levels: ClassVar[bool] = True

    def __post_init__(self) -> None:
        bad = sorted(
            str(unit)
            for unit, level in self.priorities.items()
            if not (is_real(level) and math.isfinite(level))
        )
        if bad or not (is_real(self.default) and math.isfinite(self.default)):
            raise ConfigurationError(
                "merit: every priority must be a finite number"
                + (f"; not so for {', '.join(bad[:5])}" if bad else f", default {self.default!r}")
            )
        frozen = {str(u): float(v) for u, v in sorted(self.priorities.items())}
        object.__setattr__(self, "priorities", MappingProxyType(frozen))
        object.__setattr__(self, "default", float(self.default))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "priorities": dict(self.priorities), "default": self.default}

    def level_of(self, unit: str) -> float:
        return self.priorities.get(unit, self.default)

    def split(
        self,
        node: str,
        order: Order,
        state: State,
        children: Mapping[str, State],
        levels: Levels | None,
    ) -> Order | Mapping[str, Order]:
        if type(order) is MeritInstruction:
            return order
        if levels is None:
            raise ProtocolError(f"merit: controller {node!r} has no merit levels of its subtree")
        return merit_instruction(share_of(order, state), levels)


def merge_levels(parts: Iterable[Levels]) -> Levels:
    """The `Levels` of a subtree from its children's (in canonical order): states of
    one level are aggregated."""
    by_level: dict[float, list[State]] = {}
    for part in parts:
        for level, state in part:
            by_level.setdefault(level, []).append(state)
    return tuple((level, aggregate(states)) for level, states in sorted(by_level.items()))


def merit_instruction(share: Share, levels: Levels) -> MeritInstruction:
    """The `MeritInstruction` that realises ``share`` on a subtree with ``levels``.

    `InfeasibleRedispatchError` if the share exceeds the subtree's headroom by more than
    float rounding.
    """
    return MeritInstruction(
        _threshold(share.production, [(level, s.production) for level, s in levels], "production"),
        _threshold(
            share.consumption, [(level, s.consumption) for level, s in levels], "consumption"
        ),
        _threshold(share.storage, [(level, s.storage) for level, s in levels], "storage"),
    )


def _threshold(delta: float, bands: list[tuple[float, Band]], name: str) -> MeritStep:
    if delta == 0.0:
        return None
    up = delta > 0.0
    sign = 1.0 if up else -1.0
    need = abs(delta)
    total = math.fsum(b.headroom_up if up else b.headroom_down for _, b in bands)
    full: MeritStep = None  # the last level used in full so far
    for level, band in bands:
        room = band.headroom_up if up else band.headroom_down
        if room <= 0.0:
            continue
        if need <= room:
            fraction = need / room
            return (level, sign * fraction) if fraction > 0.0 else full
        need -= room
        full = (level, sign)
    if full is None or need > REDISPATCH_RTOL * max(total, 1.0):
        direction = "raise" if up else "lower"
        raise InfeasibleRedispatchError(
            f"merit: cannot {direction} {name} by {abs(delta)!r} MW: only {total!r} MW of "
            "headroom below this controller"
        )
    return full


@dataclass(frozen=True, slots=True)
class CallableWithin(UserFunction, _WithoutLevels):
    """A user's within-cell decision, ``function(node, share, state, children)``; see the
    module docstring."""

    function: Callable[[str, Share, State, Mapping[str, State]], Mapping[str, Any]]
    label: str = ""

    def split(
        self,
        node: str,
        order: Order,
        state: State,
        children: Mapping[str, State],
        levels: Levels | None,
    ) -> Order | Mapping[str, Order]:
        if type(order) is MeritInstruction:
            raise ProtocolError(f"{self.name}: controller {node!r} got a merit instruction")
        share = share_of(order, state)
        decided = self.function(node, share, state, children)
        return _checked_orders(self.name, node, share, children, decided)


def _checked_orders(
    name: str, node: str, share: Share, children: Mapping[str, State], decided: Any
) -> dict[str, Order]:
    if not isinstance(decided, Mapping) or set(decided) != set(children):
        keys = sorted(decided) if isinstance(decided, Mapping) else type(decided).__name__
        raise ConfigurationError(
            f"within-cell strategy {name!r} at {node!r} must return an order or target State "
            f"for each child {sorted(children)}, got {keys}"
        )
    orders: dict[str, Order] = {}
    moved = []
    for child, state in children.items():  # canonical order
        value = decided[child]
        if isinstance(value, State):
            value = change_between(state, value)
        if not isinstance(value, Instruction | Share):
            raise ConfigurationError(
                f"within-cell strategy {name!r} at {node!r}: child {child!r} got {value!r}; "
                "give an Instruction, a Share or a target State"
            )
        try:
            moved.append(share_of(value, state))
        except InfeasibleRedispatchError as error:
            raise InfeasibleRedispatchError(
                f"within-cell strategy {name!r} at {node!r}, child {child!r}: {error}"
            ) from None
        orders[child] = value
    scale = max([1.0] + [s.extent for s in children.values()])
    slack = REDISPATCH_RTOL * scale * max(len(children), 1)
    for band, wanted in (
        ("production", share.production),
        ("consumption", share.consumption),
        ("storage", share.storage),
    ):
        total = math.fsum(getattr(m, band) for m in moved)
        if abs(total - wanted) > slack:
            raise InfeasibleRedispatchError(
                f"within-cell strategy {name!r} at {node!r}: the children's {band} changes "
                f"add up to {total!r} MW, not the {wanted!r} MW share"
            )
    return orders
