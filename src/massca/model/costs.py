"""The linear cost of a between-cells decision: what `optimal` minimises and what every
strategy's decisions are measured by.

Belongs here: `Costs` and `dispatch_cost`. Not here: the solver (`massca.model.optimal`).

The cost of a decision is, summed over cells, per MW:
``production * |production_delta| + consumption * |consumption_delta| +
storage * |storage_delta| + exchange * |exchange| / 2 + grid * |grid| +
unresolved * |unresolved|``.
An exchange between cells appears twice (one cell exports what another imports), hence
the half: ``exchange`` is the cost of one MW moved from one cell to another.

The defaults keep the merit order's preferences: inside one cell with an unlimited grid,
storage (0.8) before production (1) before consumption (2) before the external grid (3),
as the default merit order; moving a MW from one cell to another (0.5) is cheaper than
using storage, production or load for it on both sides; unresolved power is 1000 per MW.
No two simple alternatives cost the same, so the optimum is rarely a tie. The cost is
per step: a battery's energy is not valued across steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from massca.errors import ConfigurationError
from massca.model.validation import finite_fields

__all__ = ["Costs", "dispatch_cost"]


@dataclass(frozen=True, slots=True)
class Costs:
    """Per-MW costs of each way to resolve an imbalance; finite numbers ``>= 0``."""

    production: float = 1.0
    consumption: float = 2.0
    exchange: float = 0.5
    grid: float = 3.0
    unresolved: float = 1000.0
    storage: float = 0.8

    def __post_init__(self) -> None:
        finite_fields(
            self,
            0.0,
            lambda name, value: ConfigurationError(
                f"Costs.{name} = {value!r}: must be a finite cost per MW >= 0"
            ),
        )

    def to_json(self) -> dict[str, float]:
        """The costs as a plain mapping (for a log header)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def dispatch_cost(plans: Iterable[Any], costs: Costs = Costs()) -> float:
    """The cost of the `CellPlan` values ``plans`` (see the module docstring)."""
    return math.fsum(
        costs.production * abs(p.production_delta)
        + costs.consumption * abs(p.consumption_delta)
        + costs.storage * abs(p.storage_delta)
        + costs.exchange * abs(p.exchange) / 2
        + costs.grid * abs(p.grid)
        + costs.unresolved * abs(p.unresolved)
        for p in plans
    )
