"""The whole-tree reference step: the oracle every agent runtime must match exactly, for
any strategy, built-in or a user's.

Belongs here: `reference_step` and its `StepResult`. It computes in one pass, bottom-up and
then top-down, what the agents compute by exchanging messages, with the same functions
in the same order:

1. every controller, cell and the coordinator aggregates its children's states in
   canonical (sorted id) order (controllers also merge their subtree's merit `Levels` when
   the within-cell strategy uses them);
2. every cell controller makes its own proposal (``strategy.between.propose``), and every
   cell is classified from its aggregated, measured state;
3. the coordinator decides between the cells (``strategy.between.decide``) from what
   the cells reported;
4. top-down, every cell and controller divides the order it received among its children
   (``strategy.within.split``), and every unit carries out its order (`apply_order`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from massca.errors import ConfigurationError
from massca.model.aggregation import aggregate
from massca.model.balance import Balance, classify
from massca.model.between import BetweenCells
from massca.model.cohda import Negotiation
from massca.model.config import StepConfig
from massca.model.dispatch import CellResult, CellView, cell_results
from massca.model.forecast import combined, horizon_of, padded
from massca.model.hierarchy import Hierarchy, NodeKind
from massca.model.orders import Order, apply_order
from massca.model.redispatch import Plan
from massca.model.state import State
from massca.model.strategy import Strategy
from massca.model.within import Levels, merge_levels

__all__ = [
    "StepConfig",
    "StepResult",
    "check_forecasts",
    "check_unit_states",
    "reference_step",
    "reported_views",
]


@dataclass(frozen=True, slots=True)
class StepResult:
    """Everything one step decides.

    ``aggregates``: every controller, cell and the coordinator -> its aggregated state.
    ``balances``: every cell -> the class of its measured state (before redispatch).
    ``plan``: the system's totals (``exchange`` is the external grid's; for ``global``,
    the coordinator's own merit-order plan).
    ``cells``: every cell -> its `CellResult`: its plan (own changes, exchange with other
    cells, with the external grid, unresolved), its state after redispatch and its class.
    ``targets``: every unit -> its state after its order (its new set-point).
    ``negotiation``: how the between-cells decision was negotiated (``cohda``), or None.
    ``missing``: over a simulated network, the agents that did not answer in time (sorted).
    """

    aggregates: Mapping[str, State]
    balances: Mapping[str, Balance]
    plan: Plan
    cells: Mapping[str, CellResult] = field(repr=False)
    targets: Mapping[str, State] = field(repr=False)
    negotiation: Negotiation | None = None
    missing: tuple[str, ...] = ()

    @property
    def converged(self) -> bool:
        """True when no unit needs to change: the weak loop of a time step can end."""
        return all(result.plan.is_no_change for result in self.cells.values())

    @property
    def balances_after(self) -> dict[str, Balance]:
        """Every cell -> the class of its state after redispatch."""
        return {cell: result.balance for cell, result in self.cells.items()}


def reference_step(
    hierarchy: Hierarchy,
    unit_states: Mapping[str, State],
    config: StepConfig = StepConfig(),
    strategy: Strategy = Strategy(),
    forecasts: Mapping[str, Sequence[State]] | None = None,
) -> StepResult:
    """Run one step of the whole tree without agents; see the module docstring.

    ``unit_states`` must hold a `State` for exactly the hierarchy's units, and the
    config's interfaces may name cells only; otherwise `ConfigurationError`.
    ``forecasts``: unit -> its states in the intervals after this one, for a strategy
    with a horizon (`massca.model.forecast`; padded or cut to ``horizon - 1``).
    """
    check_unit_states(hierarchy, unit_states)
    given = check_forecasts(hierarchy, forecasts)
    config.check_cells(hierarchy.cells)
    between, within = strategy.between, strategy.within
    children = hierarchy.children
    states: dict[str, State] = dict(unit_states)
    levels: dict[str, Levels] = {}
    length = horizon_of(strategy) - 1
    ahead = {u: padded(s, given.get(u, ()), length) for u, s in unit_states.items()}
    for node in hierarchy.bottom_up:
        kids = children[node]
        states[node] = aggregate([states[c] for c in kids])
        if length:  # forecasts only for a strategy with a horizon
            ahead[node] = combined([ahead[c] for c in kids], length)
        if within.uses_levels and node != hierarchy.root:
            levels[node] = merge_levels(
                levels[c] if c in levels else ((within.level_of(c), states[c]),) for c in kids
            )
    views = reported_views(
        {cell: states[cell] for cell in hierarchy.cells},
        between,
        config,
        {cell: ahead[cell] for cell in hierarchy.cells} if length else None,
    )
    dispatch = between.decide(views, config)
    orders: dict[str, Order] = {cell: dispatch.cells[cell].cell_order for cell in hierarchy.cells}
    for node in reversed(hierarchy.bottom_up):
        if node == hierarchy.root:
            continue
        kids = children[node]
        split = within.split(
            node, orders[node], states[node], {c: states[c] for c in kids}, levels.get(node)
        )
        if isinstance(split, Mapping):
            orders.update(split)
        else:
            orders.update(dict.fromkeys(kids, split))
    targets = {
        unit: apply_order(orders[unit], unit_states[unit], within.level_of(unit))
        for unit in hierarchy.units
    }
    aggregates = {node: states[node] for node in hierarchy.bottom_up}
    cells = {cell: states[cell] for cell in hierarchy.cells}
    balances = {cell: classify(state, config.tolerance) for cell, state in cells.items()}
    return StepResult(
        aggregates=MappingProxyType(aggregates),
        balances=MappingProxyType(balances),
        plan=dispatch.plan,
        cells=MappingProxyType(cell_results(cells, dispatch, config.tolerance)),
        targets=MappingProxyType(targets),
        negotiation=dispatch.negotiation,
    )


def reported_views(
    cells: Mapping[str, State],
    between: BetweenCells,
    config: StepConfig,
    forecasts: Mapping[str, tuple[State, ...]] | None = None,
) -> dict[str, CellView]:
    """What each cell reports to the coordinator, given its aggregated state (and its
    forecast): that state, its interface limits, its own proposal, made as its controller
    makes it, and its forecast."""
    ahead = forecasts or {}
    return {
        cell: CellView(
            state,
            config.interface(cell),
            between.propose(state, config.interface(cell), config),
            ahead.get(cell, ()),
        )
        for cell, state in cells.items()
    }


def check_unit_states(hierarchy: Hierarchy, unit_states: Mapping[str, State]) -> None:
    """Raise `ConfigurationError` unless ``unit_states`` covers exactly the units."""
    expected = set(hierarchy.units)
    given = set(unit_states)
    problems = []
    missing = sorted(expected - given)
    unknown = sorted(given - expected)
    if missing:
        problems.append(f"no state for {len(missing)} unit(s): {_preview(missing)}")
    if unknown:
        problems.append(f"states for {len(unknown)} id(s) that are no unit: {_preview(unknown)}")
    wrong = sorted(u for u in expected & given if not isinstance(unit_states[u], State))
    if wrong:
        problems.append(f"not a State for unit(s): {_preview(wrong)}")
    if problems:
        raise ConfigurationError("; ".join(problems))


def check_forecasts(
    hierarchy: Hierarchy, forecasts: Mapping[str, Sequence[State]] | None
) -> Mapping[str, tuple[State, ...]]:
    """``forecasts`` as unit -> tuple of states; `ConfigurationError` for an id that is
    no unit or a forecast that is not a sequence of `State`."""
    if not forecasts:
        return MappingProxyType({})
    kinds = hierarchy.kinds
    unknown = sorted(u for u in forecasts if kinds.get(u) is not NodeKind.UNIT)
    if unknown:
        raise ConfigurationError(
            f"forecasts for {len(unknown)} id(s) that are no unit: {_preview(unknown)}"
        )
    checked = {}
    for unit, forecast in forecasts.items():
        states = tuple(forecast) if isinstance(forecast, Sequence) else None
        if states is None or not all(isinstance(s, State) for s in states):
            raise ConfigurationError(
                f"forecast of unit {unit!r}: give a sequence of State, one per later interval"
            )
        checked[unit] = states
    return MappingProxyType(checked)


def _preview(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")
