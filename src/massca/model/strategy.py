"""`Strategy`: the pair of decisions a step is made with, and choosing them by name.

Belongs here: `Strategy` (a between-cells and a within-cell strategy), the built-in names
(`BETWEEN_CELLS`, `WITHIN_CELL`), resolving a name or a callable (`between_cells`,
`within_cell`) and rebuilding a built-in strategy from its description
(`strategy_from_description`, for a log's header). Not here: the strategies themselves.

A strategy's description is plain data: ``{"between": {...}, "within": {...}}``, each with
a ``name`` and the strategy's parameters (``optimal``'s costs, ``merit``'s priorities).
A built-in strategy can be rebuilt from it exactly; a user's callable is described by
its ``module.qualname`` only, since a description (a log) never names code to run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from massca.errors import ConfigurationError
from massca.model.between import CELLULAR, GLOBAL, BetweenCells, CallableBetween
from massca.model.cohda_between import CohdaStrategy
from massca.model.cohda_within import CohdaWithin
from massca.model.costs import Costs
from massca.model.optimal import OPTIMAL, OptimalStrategy
from massca.model.within import PROPORTIONAL, CallableWithin, MeritWithin, WithinCell

__all__ = [
    "BETWEEN_CELLS",
    "WITHIN_CELL",
    "Strategy",
    "between_cells",
    "strategy_from_description",
    "within_cell",
]

BETWEEN_CELLS = ("global", "cellular", "optimal", "cohda")
"""The built-in between-cells strategies, by name."""
WITHIN_CELL = ("proportional", "merit", "cohda")
"""The built-in within-cell strategies, by name."""


def between_cells(choice: str | BetweenCells | Callable[..., Any]) -> BetweenCells:
    """A between-cells strategy from a built-in name, a strategy object or a callable
    ``(cells, config) -> decision`` (see `massca.model.between.CallableBetween`)."""
    if isinstance(choice, str):
        built_ins: dict[str, BetweenCells] = {
            "global": GLOBAL,
            "cellular": CELLULAR,
            "optimal": OPTIMAL,
            "cohda": CohdaStrategy(),
        }
        built_in = built_ins.get(choice)
        if built_in is None:
            raise ConfigurationError(
                f"between_cells = {choice!r}: choose one of {', '.join(BETWEEN_CELLS)}, or "
                "pass a function (cells, config) -> decision"
            )
        return built_in
    if isinstance(choice, BetweenCells):
        return choice
    if callable(choice):
        return CallableBetween(choice)
    raise ConfigurationError(
        f"between_cells = {choice!r}: give a name ({', '.join(BETWEEN_CELLS)}) or a function"
    )


def within_cell(
    choice: str | WithinCell | Callable[..., Any],
    priorities: Mapping[str, float] | None = None,
) -> WithinCell:
    """A within-cell strategy from a built-in name (``merit`` takes ``priorities``, unit
    id -> level), a strategy object or a callable ``(node, share, state, children) ->
    orders`` (see `massca.model.within.CallableWithin`)."""
    if isinstance(choice, str):
        if choice == "proportional":
            return PROPORTIONAL
        if choice == "merit":
            return MeritWithin(priorities or {})
        if choice == "cohda":
            return CohdaWithin()
        raise ConfigurationError(
            f"within_cell = {choice!r}: choose one of {', '.join(WITHIN_CELL)}, or pass a "
            "function (node, share, state, children) -> orders"
        )
    if isinstance(choice, WithinCell):
        return choice
    if callable(choice):
        return CallableWithin(choice)
    raise ConfigurationError(
        f"within_cell = {choice!r}: give a name ({', '.join(WITHIN_CELL)}) or a function"
    )


@dataclass(frozen=True, slots=True)
class Strategy:
    """How a step decides: ``between`` the cells (at the coordinator, with the cells'
    proposals) and ``within`` each cell (at its controllers). The default is
    ``cellular`` with ``proportional``."""

    between: BetweenCells = field(default=CELLULAR)
    within: WithinCell = field(default=PROPORTIONAL)

    @classmethod
    def of(
        cls,
        between: str | BetweenCells | Callable[..., Any] = "cellular",
        within: str | WithinCell | Callable[..., Any] = "proportional",
        *,
        priorities: Mapping[str, float] | None = None,
        costs: Costs | None = None,
    ) -> Strategy:
        """A strategy from names or callables; ``priorities`` for ``merit``, ``costs``
        for ``optimal``."""
        chosen = between_cells(between)
        if costs is not None:
            if not isinstance(chosen, OptimalStrategy):
                raise ConfigurationError("costs are a parameter of the 'optimal' strategy only")
            chosen = OptimalStrategy(costs)
        if priorities is not None and within != "merit":
            raise ConfigurationError("priorities are a parameter of the 'merit' strategy only")
        return cls(chosen, within_cell(within, priorities))

    @property
    def name(self) -> str:
        """``between/within``, e.g. ``cellular/proportional``."""
        return f"{self.between.name}/{self.within.name}"

    def describe(self) -> dict[str, Any]:
        """Both strategies and their parameters as plain data (see the module docstring)."""
        return {"between": self.between.describe(), "within": self.within.describe()}


def strategy_from_description(description: Mapping[str, Any]) -> Strategy:
    """The built-in strategy ``description`` describes; `ConfigurationError` if it names a
    user's callable (which must be given again) or is malformed."""
    try:
        between, within = description["between"], description["within"]
        callables = [d["function"] for d in (between, within) if d["name"] == "callable"]
    except (KeyError, TypeError) as error:
        raise ConfigurationError(f"malformed strategy description {description!r}") from error
    if callables:
        raise ConfigurationError(
            f"the strategy uses the user function(s) {', '.join(callables)}: a description "
            "holds no code, so pass the same strategy again"
        )
    try:
        strategy = Strategy(_between_from(between), _within_from(within))
    except (KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"malformed strategy description {description!r}") from error
    if strategy.describe() != dict(description):
        raise ConfigurationError(f"malformed strategy description {description!r}")
    return strategy


def _between_from(description: Mapping[str, Any]) -> BetweenCells:
    name = description["name"]
    if name == "optimal":
        return OptimalStrategy(Costs(**description["costs"]))
    if name == "cohda":
        return CohdaStrategy.from_description(description)
    return between_cells(name)


def _within_from(description: Mapping[str, Any]) -> WithinCell:
    if description["name"] == "merit":
        return MeritWithin(description.get("priorities") or {}, description["default"])
    if description["name"] == "cohda":
        return CohdaWithin.from_description(description)
    return within_cell(description["name"])
