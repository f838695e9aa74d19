"""Redispatch: plan a correction of a net imbalance, and carry it down to every unit.

Belongs here: the merit-order planner (`plan`), the instruction a controller passes to
its children (`Instruction`, `instruction_for`), and its application to a state (`apply`,
`decompose`). Not here: who sends what to whom (the actors) or how states are summed.

Sign conventions (all MW):

* ``imbalance = production.current - consumption.current``; positive is a surplus.
* ``production_delta`` / ``consumption_delta``: change of the band's ``current``;
  a surplus is corrected by a negative production delta (curtail) and a positive
  consumption delta (more load), a deficit the other way round.
* ``exchange``: power exported to the external grid; negative is an import.
* ``unresolved``: the part of the imbalance no resource could take; same sign as it.

``imbalance + production_delta - consumption_delta == exchange + unresolved`` holds up to
float rounding (``REDISPATCH_RTOL``).

How a correction reaches the units: an `Instruction` holds, per band, the *fraction* of
that band's headroom to use, in ``[-1, 1]`` (positive: towards ``max``, negative: towards
``min``). A cell's aggregated headroom is the sum of its children's, so sending the same
fraction to every child moves the children by amounts that sum to the parent's delta
(conservation), keeps each child inside its band (bounds), and gives each unit the same
target whatever the tree above it (tree-shape invariance), bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from massca.model.balance import DEFAULT_TOLERANCE, check_tolerance
from massca.model.errors import ConfigurationError, InfeasibleRedispatchError
from massca.model.state import Flexibility, State, trusted_flexibility, trusted_state

__all__ = [
    "NO_CHANGE",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "UNLIMITED",
    "ExchangeLimits",
    "Instruction",
    "Plan",
    "Resource",
    "apply",
    "check_merit_order",
    "decompose",
    "instruction_for",
    "plan",
]

REDISPATCH_RTOL = 1e-9
"""Relative slack for float rounding when checking a delta against a band's headroom."""


class Resource(StrEnum):
    """Something that can absorb an imbalance."""

    PRODUCTION = "production"
    CONSUMPTION = "consumption"
    EXCHANGE = "exchange"


SEED_MERIT_ORDER: tuple[Resource, ...] = (
    Resource.PRODUCTION,
    Resource.CONSUMPTION,
    Resource.EXCHANGE,
)
"""The prototype's order: adjust production, then consumption, then trade with the grid."""


@dataclass(frozen=True, slots=True)
class ExchangeLimits:
    """How much the external grid can take (export) or supply (import), in MW, ``>= 0``.

    ``math.inf`` means unlimited; NaN and negative limits raise `ConfigurationError`.
    """

    import_max: float = math.inf
    export_max: float = math.inf

    def __post_init__(self) -> None:
        for field in ("import_max", "export_max"):
            value = getattr(self, field)
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                raise ConfigurationError(
                    f"ExchangeLimits.{field} = {value!r}: must be a number of MW >= 0 "
                    "(math.inf for no limit)"
                )


UNLIMITED = ExchangeLimits()


@dataclass(frozen=True, slots=True)
class Plan:
    """A correction of one state's imbalance; see the module docstring for signs."""

    imbalance: float
    production_delta: float
    consumption_delta: float
    exchange: float
    unresolved: float


@dataclass(frozen=True, slots=True)
class Instruction:
    """Per band, the fraction of headroom to use: in ``[-1, 1]``, + towards ``max``."""

    production: float = 0.0
    consumption: float = 0.0

    def __post_init__(self) -> None:
        for field in ("production", "consumption"):
            value = getattr(self, field)
            if not (isinstance(value, int | float) and -1.0 <= value <= 1.0):
                raise ConfigurationError(
                    f"Instruction.{field} = {value!r}: must be a fraction in [-1, 1]"
                )

    @property
    def is_no_change(self) -> bool:
        """True when applying this instruction leaves every state as it is."""
        return self.production == 0.0 and self.consumption == 0.0


NO_CHANGE = Instruction()


def plan(
    state: State,
    limits: ExchangeLimits = UNLIMITED,
    tolerance: float = DEFAULT_TOLERANCE,
    merit_order: tuple[Resource, ...] = SEED_MERIT_ORDER,
) -> Plan:
    """Assign ``state``'s imbalance to resources in ``merit_order``, each up to its room.

    Room per resource, for a surplus (for a deficit the mirror image): production can fall
    to ``min``, consumption can rise to ``max``, the grid can take ``limits.export_max``.
    An imbalance within ``tolerance`` moves no unit (a balanced state gets no change);
    it is left to the exchange. ``merit_order`` must name each `Resource` exactly once.
    """
    check_tolerance(tolerance)
    check_merit_order(merit_order)
    imbalance = state.balance
    sign = 1.0 if imbalance >= 0 else -1.0
    remaining = abs(imbalance)
    surplus = sign > 0
    taken = {Resource.PRODUCTION: 0.0, Resource.CONSUMPTION: 0.0, Resource.EXCHANGE: 0.0}
    for resource in merit_order:
        if remaining == 0.0:
            break
        if resource is Resource.EXCHANGE:
            room = limits.export_max if surplus else limits.import_max
        elif remaining <= tolerance:
            continue
        elif resource is Resource.PRODUCTION:
            band = state.production
            room = band.headroom_down if surplus else band.headroom_up
        else:
            band = state.consumption
            room = band.headroom_up if surplus else band.headroom_down
        take = min(remaining, room)
        taken[resource] = take
        remaining -= take
    return Plan(
        imbalance=imbalance,
        production_delta=-sign * taken[Resource.PRODUCTION] + 0.0,
        consumption_delta=sign * taken[Resource.CONSUMPTION] + 0.0,
        exchange=sign * taken[Resource.EXCHANGE] + 0.0,
        unresolved=sign * remaining + 0.0,
    )


def instruction_for(the_plan: Plan, state: State) -> Instruction:
    """The instruction that moves ``state`` by the plan's production and consumption deltas.

    Raises `InfeasibleRedispatchError` if a delta exceeds the band's headroom by more than
    float rounding (``REDISPATCH_RTOL``): the plan was made for another state.
    """
    return Instruction(
        _fraction(the_plan.production_delta, state.production, "production"),
        _fraction(the_plan.consumption_delta, state.consumption, "consumption"),
    )


def apply(instruction: Instruction, state: State) -> State:
    """The state after ``instruction``: each band's ``current`` moved by its fraction.

    The result stays inside every band exactly; a zero fraction leaves a band untouched.
    """
    if instruction.is_no_change:
        return state
    return trusted_state(
        _move(state.production, instruction.production),
        _move(state.consumption, instruction.consumption),
    )


def decompose(instruction: Instruction, children: Mapping[str, State]) -> dict[str, State]:
    """Each child's target state under a parent's ``instruction`` (same fraction for all).

    The children's deltas sum to the parent's delta, each target lies in its child's
    bands, and a unit gets the same target at any depth of the tree.
    """
    return {child: apply(instruction, state) for child, state in children.items()}


def _fraction(delta: float, band: Flexibility, name: str) -> float:
    if delta == 0.0:
        return 0.0
    room = band.headroom_up if delta > 0 else band.headroom_down
    size = abs(delta)
    if size > room:
        if size > room * (1.0 + REDISPATCH_RTOL) + REDISPATCH_RTOL:
            direction = "raise" if delta > 0 else "lower"
            raise InfeasibleRedispatchError(
                f"cannot {direction} {name} by {size!r} MW: only {room!r} MW of headroom "
                f"(band [{band.min!r}, {band.max!r}], current {band.current!r})"
            )
        size = room
    fraction = min(size / room, 1.0)
    return fraction if delta > 0 else -fraction


def _move(band: Flexibility, fraction: float) -> Flexibility:
    # Every branch keeps min <= current <= max: the new current is clamped into the band.
    low, high, current = band.min, band.max, band.current
    if fraction == 0.0 or (high == current if fraction > 0.0 else low == current):
        return band
    if fraction >= 1.0:
        return trusted_flexibility(low, high, high)
    if fraction <= -1.0:
        return trusted_flexibility(low, high, low)
    if fraction > 0.0:
        moved = min(current + fraction * (high - current), high)
    else:
        moved = max(current + fraction * (current - low), low)
    return trusted_flexibility(low, high, moved)


def check_merit_order(merit_order: tuple[Resource, ...]) -> None:
    """Raise `ConfigurationError` unless ``merit_order`` names each `Resource` once."""
    if sorted(merit_order) != sorted(Resource) or len(merit_order) != len(Resource):
        raise ConfigurationError(
            f"merit_order = {merit_order!r}: must name each of "
            f"{', '.join(r.value for r in Resource)} exactly once"
        )
