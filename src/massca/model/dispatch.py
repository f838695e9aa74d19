"""The between-cells decision: what each cell changes in its own units, exchanges with
other cells, sends to the external grid and leaves unresolved.

Belongs here: the values a between-cells strategy reads (`CellView`) and returns
(`CellPlan`, `Dispatch`), the checks every user strategy's decision goes through
(`checked_dispatch`), deriving a decision from target states (`dispatch_from_targets`), and
what a decision does to each cell (`cell_results`). Not here: the strategies themselves.

Per cell, all in MW, exports positive (see `massca.model.redispatch` for the rest):

* ``production_delta`` / ``consumption_delta`` / ``storage_delta``: the change of the
  cell's own units (storage + discharging more or charging less);
* ``exchange``: with other cells; the exchanges of all cells sum to zero;
* ``grid``: with the external grid; they sum within the grid's limits;
* ``unresolved``: what nothing could take, with the sign of the cell's remaining imbalance.

Conservation per cell: ``balance + production_delta - consumption_delta + storage_delta
== exchange + grid + unresolved``; ``exchange + grid`` stays within the cell's interface limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from massca.errors import ConfigurationError, InfeasibleRedispatchError
from massca.model.aggregation import aggregate
from massca.model.balance import Balance, classify
from massca.model.cohda import Negotiation
from massca.model.config import StepConfig
from massca.model.orders import Instruction, Order, Share, apply_order, change_between
from massca.model.redispatch import REDISPATCH_RTOL, ExchangeLimits, Plan
from massca.model.settlement import settle
from massca.model.state import State
from massca.model.validation import is_real

__all__ = [
    "CellPlan",
    "CellResult",
    "CellView",
    "Dispatch",
    "cell_results",
    "checked_dispatch",
    "dispatch_from_targets",
    "settled_plans",
    "system_plan",
]


@dataclass(frozen=True, slots=True)
class CellView:
    """What the coordinator knows of one cell: what the cell reported at its interface.

    ``state``: the cell's aggregated state. ``interface``: its import/export limits.
    ``proposal``: the cell's own plan for its balance, if its strategy lets cells decide
    that themselves (``cellular``), else None. ``forecast``: its aggregated state in each
    later interval of the strategy's horizon (`massca.model.forecast`; empty for H = 1).
    """

    state: State
    interface: ExchangeLimits
    proposal: Plan | None = None
    forecast: tuple[State, ...] = ()


@dataclass(frozen=True, slots=True)
class CellPlan:
    """The between-cells decision for one cell; see the module docstring for signs.

    ``order``: how the cell's units get there. None means ``Share(production_delta,
    consumption_delta, storage_delta)``, divided among the units by the within-cell
    strategy; the ``global`` strategy gives every cell the same `Instruction` instead.
    """

    production_delta: float
    consumption_delta: float
    exchange: float
    grid: float
    unresolved: float
    order: Order | None = None
    storage_delta: float = 0.0

    def __post_init__(self) -> None:
        numbers = (
            self.production_delta,
            self.consumption_delta,
            self.exchange,
            self.grid,
            self.unresolved,
            self.storage_delta,
        )
        try:
            finite = all(map(math.isfinite, numbers))
        except TypeError:  # not a number at all
            finite = False
        if not finite:
            raise ConfigurationError(
                f"a cell plan needs finite numbers of MW, got {self!r}: "
                "a decision with NaN or infinity would be logged as null"
            )

    @property
    def cell_order(self) -> Order:
        """The order the cell's controller receives."""
        if self.order is not None:
            return self.order
        return Share(self.production_delta, self.consumption_delta, self.storage_delta)

    @property
    def own_change(self) -> float:
        """What the cell's own units change its balance by, in MW:
        ``production_delta - consumption_delta + storage_delta``."""
        return self.production_delta - self.consumption_delta + self.storage_delta

    @property
    def is_no_change(self) -> bool:
        """True when no unit of the cell has to move."""
        return self.cell_order.is_no_change


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A between-cells decision: a `CellPlan` per cell, and ``plan``, the system's
    totals as a `Plan` (``exchange`` is the external grid's); ``negotiation``: how a
    negotiated decision (``cohda``) was reached, None for the others."""

    cells: Mapping[str, CellPlan]
    plan: Plan
    negotiation: Negotiation | None = None


@dataclass(frozen=True, slots=True)
class CellResult:
    """What a step did to one cell: its ``plan``, its aggregated ``state`` after the
    redispatch (its measured state moved by the cell's order) and that state's class."""

    plan: CellPlan
    state: State
    balance: Balance


def system_plan(cells: Mapping[str, CellView], plans: Mapping[str, CellPlan]) -> Plan:
    """The system's totals of ``plans``: its imbalance (of the cells' aggregate), the
    summed deltas, the external grid's exchange and the unresolved rest."""
    fsum = math.fsum
    return Plan(
        imbalance=aggregate(view.state for view in cells.values()).balance,
        production_delta=fsum(p.production_delta for p in plans.values()),
        consumption_delta=fsum(p.consumption_delta for p in plans.values()),
        exchange=fsum(p.grid for p in plans.values()),
        unresolved=fsum(p.unresolved for p in plans.values()),
        storage_delta=fsum(p.storage_delta for p in plans.values()),
    )


def settled_plans(
    cells: Mapping[str, CellView],
    moves: Mapping[str, Share],
    config: StepConfig,
    order: Order | None = None,
    residuals: Mapping[str, float] | None = None,
) -> dict[str, CellPlan]:
    """Each cell's `CellPlan`: its own ``moves`` (the change of its units' operating
    points) and its residual settled between cells and with the grid
    (`massca.model.settlement`); ``order``, if given, is every cell's order (``global``'s
    instruction). The residuals are the cells' balances after their moves, unless given
    (a cell's own plan knows its residual without the rounding of that sum)."""
    if residuals is None:
        residuals = {
            cell: cells[cell].state.balance + m.production - m.consumption + m.storage
            for cell, m in moves.items()
        }
    settled = settle(residuals, lambda c: cells[c].interface, config.limits)
    plans = {}
    for cell, m in moves.items():
        s = settled[cell]
        plans[cell] = CellPlan(
            m.production, m.consumption, s.exchange, s.grid, s.unresolved, order, m.storage
        )
    return plans


def dispatch_from_targets(
    cells: Mapping[str, CellView], targets: Mapping[str, State], config: StepConfig
) -> Dispatch:
    """The decision that moves each cell to its target state (only ``current`` counts),
    its residual settled between cells and with the grid (`massca.model.settlement`)."""
    moves = {}
    for cell, view in cells.items():
        target = targets[cell]
        if not isinstance(target, State):
            raise ConfigurationError(f"target of cell {cell!r} is not a State: {target!r}")
        moves[cell] = change_between(view.state, target)
    plans = settled_plans(cells, moves, config)
    return Dispatch(MappingProxyType(plans), system_plan(cells, plans))


def checked_dispatch(
    name: str, cells: Mapping[str, CellView], decided: Any, config: StepConfig
) -> Dispatch:
    """A user strategy's decision, checked: ``decided`` is a `Dispatch`, or a mapping of
    every cell to a `CellPlan` or a target `State` (mixed is fine).

    Raises `ConfigurationError` for a malformed decision and `InfeasibleRedispatchError`
    for one that breaks a band, a limit or conservation (beyond float rounding), naming
    the strategy ``name`` and the cell.
    """
    if isinstance(decided, Dispatch):
        given: Mapping[str, Any] = decided.cells
    elif isinstance(decided, Mapping):
        given = decided
    else:
        raise ConfigurationError(
            f"between-cells strategy {name!r} returned {type(decided).__name__}: return a "
            "Dispatch or a mapping of cell id -> CellPlan or target State"
        )
    missing = sorted(set(cells) - set(given))
    unknown = sorted(set(given) - set(cells))
    if missing or unknown:
        raise ConfigurationError(
            f"between-cells strategy {name!r} must decide for exactly the cells: missing "
            f"{missing or 'none'}, unknown {unknown or 'none'}"
        )
    targets = {c: v for c, v in given.items() if isinstance(v, State)}
    derived = (
        dispatch_from_targets({c: cells[c] for c in targets}, targets, config).cells
        if targets
        else {}
    )
    plans: dict[str, CellPlan] = {}
    for cell in cells:  # canonical order
        value = derived[cell] if cell in derived else given[cell]
        if not isinstance(value, CellPlan):
            raise ConfigurationError(
                f"between-cells strategy {name!r}: cell {cell!r} got {value!r}, not a "
                "CellPlan or a State"
            )
        plans[cell] = value
    _check_plans(name, cells, plans, config)
    return Dispatch(MappingProxyType(plans), system_plan(cells, plans))


def _check_plans(
    name: str, cells: Mapping[str, CellView], plans: Mapping[str, CellPlan], config: StepConfig
) -> None:
    scale = max([1.0] + [v.state.extent for v in cells.values()]) * max(len(cells), 1)
    slack = REDISPATCH_RTOL * scale

    def fail(cell: str, what: str) -> InfeasibleRedispatchError:
        return InfeasibleRedispatchError(f"between-cells strategy {name!r}, cell {cell!r}: {what}")

    for cell, p in plans.items():
        values = (
            p.production_delta,
            p.consumption_delta,
            p.storage_delta,
            p.exchange,
            p.grid,
            p.unresolved,
        )
        if not all(is_real(v) and math.isfinite(v) for v in values):
            raise fail(cell, f"every value must be a finite number of MW, got {p!r}")
        state = cells[cell].state
        moved = apply_order(p.cell_order, state)  # raises beyond a band's headroom
        if type(p.cell_order) is Instruction:
            change = change_between(state, moved)
            if (
                abs(change.production - p.production_delta) > slack
                or abs(change.consumption - p.consumption_delta) > slack
                or abs(change.storage - p.storage_delta) > slack
            ):
                raise fail(cell, "its order does not move it by its own deltas")
        lhs = state.balance + p.own_change
        if abs(lhs - (p.exchange + p.grid + p.unresolved)) > slack:
            raise fail(
                cell,
                f"balance {state.balance!r} + production {p.production_delta!r} - consumption "
                f"{p.consumption_delta!r} + storage {p.storage_delta!r} must equal exchange + "
                f"grid + unresolved ({p.exchange!r} + {p.grid!r} + {p.unresolved!r})",
            )
        limits = cells[cell].interface
        through = p.exchange + p.grid
        if through > limits.export_max + slack or -through > limits.import_max + slack:
            raise fail(cell, f"exchange + grid = {through!r} MW exceeds its interface {limits}")
    total_exchange = math.fsum(p.exchange for p in plans.values())
    if abs(total_exchange) > slack:
        raise InfeasibleRedispatchError(
            f"between-cells strategy {name!r}: exchanges between cells sum to "
            f"{total_exchange!r} MW, not zero"
        )
    to_grid = math.fsum(p.grid for p in plans.values())
    if to_grid > config.limits.export_max + slack or -to_grid > config.limits.import_max + slack:
        raise InfeasibleRedispatchError(
            f"between-cells strategy {name!r}: {to_grid!r} MW to the external grid exceeds "
            f"its limits {config.limits}"
        )


def cell_results(
    cells: Mapping[str, State], dispatch: Dispatch, tolerance: float
) -> dict[str, CellResult]:
    """Each cell's `CellResult` under ``dispatch``, from the cells' aggregated states."""
    results = {}
    for cell, state in cells.items():
        cell_plan = dispatch.cells[cell]
        after = apply_order(cell_plan.cell_order, state)
        results[cell] = CellResult(cell_plan, after, classify(after, tolerance))
    return results
