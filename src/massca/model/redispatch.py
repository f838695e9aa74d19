"""Redispatch planning: assign a state's net imbalance to resources in a merit order.

Belongs here: the resources (`Resource`), the external grid's limits (`ExchangeLimits`),
the merit-order planner (`plan`) and its result (`Plan`). Not here: how a plan reaches the
units (`massca.model.orders`), or who plans for whom (the strategies).

Sign conventions (all MW):

* ``imbalance = production.current - consumption.current + storage.current``; positive
  is a surplus.
* ``production_delta`` / ``consumption_delta`` / ``storage_delta``: change of the band's
  ``current``; a surplus is corrected by a negative production delta (curtail), a
  positive consumption delta (more load) and a negative storage delta (charge more or
  discharge less), a deficit the other way round.
* ``exchange``: power exported through the interface the plan was made for (the external
  grid's for the whole system, a cell's own interface for a cell); negative is an import.
* ``unresolved``: the part of the imbalance no resource could take; same sign as it.

``imbalance + production_delta - consumption_delta + storage_delta == exchange +
unresolved`` holds up to float rounding (``REDISPATCH_RTOL``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from massca.errors import ConfigurationError
from massca.model.balance import DEFAULT_TOLERANCE, check_tolerance
from massca.model.state import Band, State
from massca.model.validation import is_real

__all__ = [
    "DEFAULT_MERIT_ORDER",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "UNLIMITED",
    "ExchangeLimits",
    "Plan",
    "Resource",
    "merit_order_of",
    "plan",
]

REDISPATCH_RTOL = 1e-9
"""Relative slack for float rounding when checking a delta against a band's headroom."""


class Resource(StrEnum):
    """Something that can absorb an imbalance."""

    STORAGE = "storage"
    PRODUCTION = "production"
    CONSUMPTION = "consumption"
    EXCHANGE = "exchange"


DEFAULT_MERIT_ORDER: tuple[Resource, ...] = (
    Resource.STORAGE,
    Resource.PRODUCTION,
    Resource.CONSUMPTION,
    Resource.EXCHANGE,
)
"""Storage first, then production, then consumption, then trade with the grid."""

SEED_MERIT_ORDER: tuple[Resource, ...] = (
    Resource.PRODUCTION,
    Resource.CONSUMPTION,
    Resource.EXCHANGE,
)
"""The prototype's order: adjust production, then consumption, then trade with the grid.
The prototype had no storage; as a merit order it means `DEFAULT_MERIT_ORDER` (storage
first), which decides alike where there is no storage."""


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
            if not is_real(value) or math.isnan(value) or value < 0:
                raise ConfigurationError(
                    f"ExchangeLimits.{field} = {value!r}: must be a number of MW >= 0 "
                    "(math.inf for no limit)"
                )
            object.__setattr__(self, field, float(value))  # numpy floats become floats


UNLIMITED = ExchangeLimits()


@dataclass(frozen=True, slots=True)
class Plan:
    """A correction of one state's imbalance; see the module docstring for signs."""

    imbalance: float
    production_delta: float
    consumption_delta: float
    exchange: float
    unresolved: float
    storage_delta: float = 0.0


def plan(
    state: State,
    limits: ExchangeLimits = UNLIMITED,
    tolerance: float = DEFAULT_TOLERANCE,
    merit_order: tuple[Resource, ...] = DEFAULT_MERIT_ORDER,
    *,
    imbalance: float | None = None,
) -> Plan:
    """Assign ``state``'s imbalance to resources in ``merit_order``, each up to its room.
    ``imbalance``, if given, is assigned instead of the state's own balance (a strategy
    that moves a cell by an amount it chose: minus that amount).

    Room per resource, for a surplus (for a deficit the mirror image): production can fall
    to ``min``, consumption can rise to ``max``, storage can fall to ``min`` (charge), the
    grid can take ``limits.export_max``.
    An imbalance within ``tolerance`` moves no unit (a balanced state gets no change);
    it is left to the exchange. A band whose room is within float rounding of its size
    (``REDISPATCH_RTOL``) counts as exhausted: units that carried out a set-point land a
    few ulps beside their band's edge, and moving them by that rounding again would keep
    the weak loop going.
    ``merit_order`` must name each `Resource` once (members or their names, see
    `merit_order_of`).
    """
    check_tolerance(tolerance)
    merit_order = merit_order_of(merit_order)
    if imbalance is None:
        imbalance = state.balance
    sign = 1.0 if imbalance >= 0 else -1.0
    remaining = abs(imbalance)
    surplus = sign > 0
    taken = dict.fromkeys(Resource, 0.0)
    for resource in merit_order:
        if remaining == 0.0:
            break
        if resource is Resource.EXCHANGE:
            room = limits.export_max if surplus else limits.import_max
        elif remaining <= tolerance:
            continue
        elif resource is Resource.CONSUMPTION:
            band: Band = state.consumption
            room = band.headroom_up if surplus else band.headroom_down
        else:
            band = state.production if resource is Resource.PRODUCTION else state.storage
            room = band.headroom_down if surplus else band.headroom_up
        if resource is not Resource.EXCHANGE and room <= REDISPATCH_RTOL * max(
            band.max, -band.min, 1.0
        ):
            continue  # rounding beside the band's edge, not flexibility
        take = min(remaining, room)
        taken[resource] = take
        remaining -= take
    return Plan(
        imbalance=imbalance,
        production_delta=-sign * taken[Resource.PRODUCTION] + 0.0,
        consumption_delta=sign * taken[Resource.CONSUMPTION] + 0.0,
        exchange=sign * taken[Resource.EXCHANGE] + 0.0,
        unresolved=sign * remaining + 0.0,
        storage_delta=-sign * taken[Resource.STORAGE] + 0.0,
    )


_ORDERS: dict[tuple[Resource | str, ...], tuple[Resource, ...]] = {
    **{order: order for order in itertools.permutations(Resource)},
    **{
        order: (Resource.STORAGE, *order)
        for order in itertools.permutations([r for r in Resource if r is not Resource.STORAGE])
    },
}
"""Every valid merit order -> its members, storage first where it is not named. A
`Resource` equals and hashes as its name, so a tuple of names finds its members too."""


def merit_order_of(merit_order: Iterable[Resource | str]) -> tuple[Resource, ...]:
    """``merit_order`` as a tuple of `Resource` members: names such as ``"production"`` are
    converted, and an order without storage (the prototype's three resources) gets it
    first. `ConfigurationError` unless it names each other resource exactly once."""
    given = (merit_order,) if isinstance(merit_order, str) else tuple(merit_order)
    order = _ORDERS.get(given)
    if order is None:
        raise ConfigurationError(
            f"merit_order = {given!r}: must name each of "
            f"{', '.join(r.value for r in Resource)} exactly once (storage may be left out: "
            "it then comes first)"
        )
    return order
