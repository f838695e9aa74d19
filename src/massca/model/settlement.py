"""Settlement: where the cells' residual imbalances go once each cell's own units have
done what they were told: to other cells, to the external grid, or nowhere.

Belongs here: `settle`, a pure rule shared by the strategies that need it. Not here: how
a cell's own units are used (the strategies decide that before settling).

The rule, for residuals ``r`` (MW, + surplus, one per cell), cell interface limits and
the external grid's limits:

1. Each cell can pass through its interface at most ``export_max`` (a surplus) or
   ``import_max`` (a deficit); the part of ``r`` beyond that stays unresolved in the cell.
2. Surpluses cover deficits between cells: with ``S`` the passable surpluses and ``D``
   the passable deficits summed, ``M = min(S, D)`` is exchanged; every surplus cell
   exports ``M / S`` of its passable surplus to other cells and every deficit cell
   imports ``M / D`` of its passable deficit (pro rata, so the result does not depend on
   the cells' order or names).
3. What is left of the larger side goes to the external grid, up to its export (or
   import) limit, again pro rata; whatever the grid cannot take stays unresolved.

Per cell ``r == exchange + grid + unresolved`` (float rounding aside), the exchanges sum
to zero, ``exchange + grid`` stays within the cell's interface and the grid's part sums
within the grid's limits. Signs: exports positive; ``unresolved`` has the sign of ``r``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from massca.model.redispatch import ExchangeLimits

__all__ = ["Settled", "settle"]


@dataclass(frozen=True, slots=True)
class Settled:
    """Where one cell's residual goes: ``exchange`` with other cells, ``grid`` (the
    external grid) and ``unresolved``, in MW, exports positive."""

    exchange: float
    grid: float
    unresolved: float


def settle(
    residuals: Mapping[str, float],
    interface: Callable[[str], ExchangeLimits],
    grid: ExchangeLimits,
) -> dict[str, Settled]:
    """Settle ``residuals`` (cell -> MW, + surplus); ``interface(cell)`` gives a cell's
    limits. See the module docstring for the rule."""
    passable: dict[str, float] = {}
    for cell, residual in residuals.items():
        limits = interface(cell)
        passable[cell] = (
            min(residual, limits.export_max)
            if residual > 0.0
            else max(residual, -limits.import_max)
        )
    surplus = math.fsum(t for t in passable.values() if t > 0.0)
    deficit = -math.fsum(t for t in passable.values() if t < 0.0)
    matched = min(surplus, deficit)
    export_share = matched / surplus if surplus > 0.0 else 0.0
    import_share = matched / deficit if deficit > 0.0 else 0.0
    if surplus > deficit:
        left, room = surplus - matched, grid.export_max
    else:
        left, room = deficit - matched, grid.import_max
    grid_share = min(room / left, 1.0) if left > 0.0 else 0.0
    settled = {}
    for cell, residual in residuals.items():
        through = passable[cell]
        if through > 0.0:
            exchange = through * export_share if export_share < 1.0 else through
        elif through < 0.0:
            exchange = through * import_share if import_share < 1.0 else through
        else:
            exchange = 0.0
        rest = through - exchange
        to_grid = rest * grid_share if grid_share < 1.0 else rest
        unresolved = (residual - through) + (rest - to_grid)
        settled[cell] = Settled(exchange + 0.0, to_grid + 0.0, unresolved + 0.0)
    return settled
