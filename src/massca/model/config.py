"""`StepConfig`: the limits and settings every decision of a step is made with.

Belongs here: the external grid's limits, each cell's interface limits, the balance
tolerance and the merit order, validated once. Not here: which strategy decides
(`massca.model.strategy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from massca.errors import ConfigurationError
from massca.model.balance import DEFAULT_TOLERANCE, check_tolerance
from massca.model.redispatch import (
    DEFAULT_MERIT_ORDER,
    UNLIMITED,
    ExchangeLimits,
    Resource,
    merit_order_of,
)

__all__ = ["StepConfig"]


@dataclass(frozen=True, slots=True)
class StepConfig:
    """What a step decides with.

    ``limits``: the external grid's import/export limits. ``tolerance``: MW of imbalance
    still counted as balanced. ``merit_order``: the order of the resources (members of
    `Resource` or their names; stored as members). ``interfaces``: each cell's
    import/export limits at its connection point, by cell id; a cell not named is
    unlimited. A cell's exchange with other cells and the external grid together stays
    within its interface.
    """

    limits: ExchangeLimits = UNLIMITED
    tolerance: float = DEFAULT_TOLERANCE
    merit_order: tuple[Resource, ...] = DEFAULT_MERIT_ORDER
    interfaces: Mapping[str, ExchangeLimits] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_tolerance(self.tolerance)
        object.__setattr__(self, "tolerance", float(self.tolerance))  # numpy's become floats
        if not isinstance(self.limits, ExchangeLimits):
            raise ConfigurationError(f"limits must be ExchangeLimits, got {self.limits!r}")
        object.__setattr__(self, "merit_order", merit_order_of(self.merit_order))
        if not isinstance(self.interfaces, Mapping):
            raise ConfigurationError(
                f"interfaces must map cell ids to ExchangeLimits, got {self.interfaces!r}"
            )
        wrong = sorted(
            str(cell)
            for cell, limits in self.interfaces.items()
            if not isinstance(cell, str) or not isinstance(limits, ExchangeLimits)
        )
        if wrong:
            raise ConfigurationError(
                f"interfaces: give ExchangeLimits per cell id; not so for {', '.join(wrong)}"
            )
        object.__setattr__(
            self, "interfaces", MappingProxyType(dict(sorted(self.interfaces.items())))
        )

    def interface(self, cell: str) -> ExchangeLimits:
        """The interface limits of ``cell`` (unlimited unless given)."""
        return self.interfaces.get(cell, UNLIMITED)

    def check_cells(self, cells: tuple[str, ...]) -> None:
        """`ConfigurationError` if ``interfaces`` names an id that is not one of ``cells``."""
        unknown = sorted(set(self.interfaces) - set(cells))
        if unknown:
            raise ConfigurationError(
                f"interfaces name {len(unknown)} id(s) that are no cell: "
                f"{', '.join(map(repr, unknown[:5]))}; cells are {', '.join(cells[:5])}"
                + (" ..." if len(cells) > 5 else "")
            )
