"""Aggregation: the reducer that turns children's states into their parent's state.

Belongs here: `aggregate` and the canonical ordering helper. Not here: anything that
decides (balance, redispatch).

Laws (checked in ``property_tests/test_aggregation.py``):

* identity: ``aggregate([s, ZERO_STATE]) == s`` and ``aggregate([]) == ZERO_STATE``, exactly;
* commutativity: exact. Each field is summed with `math.fsum`, which rounds the exact sum
  once, so the result does not depend on the order of the inputs at all;
* associativity: exact in real arithmetic; in floating point, regrouping
  (``aggregate([aggregate([a, b]), c])`` vs ``aggregate([a, b, c])``) rounds twice instead of
  once, so results agree within ``AGGREGATION_RTOL`` relative to the largest magnitude.

Controllers still reduce their children in canonical order (sorted by id, see
`canonical`) so every runtime feeds the identical sequence to the identical code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from operator import itemgetter

from massca.model.state import (
    ZERO_BAND,
    ZERO_STATE,
    Band,
    Flexibility,
    State,
    trusted_band,
    trusted_flexibility,
    trusted_state,
)

__all__ = ["AGGREGATION_RTOL", "aggregate", "canonical"]

AGGREGATION_RTOL = 1e-12
"""Relative tolerance within which differently grouped aggregations agree."""


def aggregate(states: Iterable[State]) -> State:
    """Sum the production, consumption and storage bands of ``states`` field by field.

    Returns `ZERO_STATE` for no states. The result is exact-rounded per field
    (`math.fsum`) and therefore independent of the order of ``states``.
    """
    items = tuple(states)
    if not items:
        return ZERO_STATE
    if len(items) == 1:
        return items[0]
    production = [s.production for s in items]
    consumption = [s.consumption for s in items]
    storage = [s.storage for s in items if s.storage is not ZERO_BAND]
    return trusted_state(
        _sum_bands(production),
        _sum_bands(consumption),
        _sum_storage(storage) if storage else ZERO_BAND,
    )


def canonical[T](by_id: Mapping[str, T]) -> tuple[T, ...]:
    """The values of ``by_id`` in canonical order: sorted by id."""
    return tuple(value for _, value in sorted(by_id.items(), key=itemgetter(0)))


def _sum_bands(bands: list[Flexibility]) -> Flexibility:
    # Exactly rounded sums are monotone, so min <= current <= max carries over.
    return trusted_flexibility(*_sums(bands))


def _sum_storage(bands: list[Band]) -> Band:
    return trusted_band(*_sums(bands)) if len(bands) > 1 else bands[0]


def _sums(bands: list[Flexibility] | list[Band]) -> tuple[float, float, float]:
    fsum = math.fsum
    return (
        fsum([b.min for b in bands]) + 0.0,
        fsum([b.max for b in bands]) + 0.0,
        fsum([b.current for b in bands]) + 0.0,
    )
