"""``optimal``: the exact optimum of the linear cost of `massca.model.costs`, solved as a
linear programme with HiGHS (SciPy's ``linprog``, dual simplex): the yardstick the
heuristic strategies are measured against.

Belongs here: `OptimalStrategy`. Not here: the cost itself (`costs`) or the rule that
routes residuals (`settlement`).

The programme, per cell ``c`` with aggregated balance ``b``, in MW, all variables >= 0:
production down/up ``pd, pu`` (within the cell's headroom), consumption down/up
``ld, lu`` and storage down/up ``sd, su`` (likewise), exchange with other cells out/in
``xe, xi``, external grid out/in ``ge, gi``, unresolved surplus/deficit ``ue, ui``;

* balance: ``b + pu - pd - (lu - ld) + su - sd = (xe - xi) + (ge - gi) + (ue - ui)``;
* interface: ``-import_max <= (xe - xi) + (ge - gi) <= export_max``;
* system: the exchanges sum to zero; ``-import_max <= sum(ge - gi) <= export_max`` of the
  external grid;
* minimise ``sum(costs * variables)`` with the exchange variables at half the exchange cost
  each (one MW between cells is an export and an import).

Cells' costs are raised by a relative ``1e-6`` per place in id order, so that ties
between equal resources of different cells go to the earlier cell: the optimum is unique,
and does not jump between equally cheap answers when an input moves by a rounding error.

From the solution only the own changes are kept (snapped to zero or to a band's edge
within the solver's tolerance); the residuals are routed with `settlement.settle`, which
is an optimal routing for given own changes and conserves power exactly. If every cell is
balanced, or leaving every unit where it is costs no more than the optimum (within
tolerance), the decision is no change: applying an optimal decision and deciding again
gives no change, so the weak loop converges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from massca.errors import ProtocolError
from massca.model.config import StepConfig
from massca.model.costs import Costs, dispatch_cost
from massca.model.dispatch import CellView, Dispatch, settled_plans, system_plan
from massca.model.orders import NO_SHARE, Share
from massca.model.redispatch import ExchangeLimits, Plan
from massca.model.state import State

__all__ = ["OPTIMAL", "TIE_BREAK", "OptimalStrategy"]

TIE_BREAK = 1e-6
"""Relative cost added per place of a cell in id order (see the module docstring)."""
_SOLVER_TOLERANCE = 1e-9
_VARIABLES = 12  # pd, pu, ld, lu, sd, su, xe, xi, ge, gi, ue, ui
_XE, _XI, _GE, _GI = 6, 7, 8, 9


@dataclass(frozen=True, slots=True)
class OptimalStrategy:
    """``optimal``: minimise ``costs`` exactly; see the module docstring."""

    costs: Costs = field(default_factory=Costs)
    name: ClassVar[str] = "optimal"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "costs": self.costs.to_json()}

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        return None

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        steady = _settled(cells, dict.fromkeys(cells, NO_SHARE), config)
        if all(abs(view.state.balance) <= config.tolerance for view in cells.values()):
            return steady
        moves = _solve(cells, config, self.costs)
        best = _settled(cells, moves, config)
        scale = max([1.0] + [abs(view.state.balance) for view in cells.values()])
        keep = dispatch_cost(steady.cells.values(), self.costs)
        if keep <= dispatch_cost(best.cells.values(), self.costs) + _SOLVER_TOLERANCE * scale:
            return steady
        return best


OPTIMAL = OptimalStrategy()


def _settled(
    cells: Mapping[str, CellView], moves: Mapping[str, Share], config: StepConfig
) -> Dispatch:
    plans = settled_plans(cells, moves, config)
    return Dispatch(MappingProxyType(plans), system_plan(cells, plans))


def _solve(cells: Mapping[str, CellView], config: StepConfig, costs: Costs) -> dict[str, Share]:
    """Each cell's own change at the programme's optimum."""
    import numpy as np  # SciPy's own dependency; imported only when optimal decides
    from scipy.optimize import linprog  # type: ignore[import-untyped]
    from scipy.sparse import coo_array  # type: ignore[import-untyped]

    views = list(cells.values())
    count = len(views)
    unit_costs = np.array(
        [
            costs.production,
            costs.production,
            costs.consumption,
            costs.consumption,
            costs.storage,
            costs.storage,
            costs.exchange / 2,
            costs.exchange / 2,
            costs.grid,
            costs.grid,
            costs.unresolved,
            costs.unresolved,
        ]
    )
    ranks = 1.0 + TIE_BREAK * np.arange(1, count + 1)
    objective = (ranks[:, None] * unit_costs[None, :]).ravel()
    balance_signs = np.array([-1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0])
    bounds: list[tuple[float, float | None]] = []
    rows_eq: list[int] = []
    cols_eq: list[int] = []
    vals_eq: list[float] = []
    rhs_eq: list[float] = []
    rows_ub: list[int] = []
    cols_ub: list[int] = []
    vals_ub: list[float] = []
    rhs_ub: list[float] = []
    upper = 0
    for i, view in enumerate(views):
        state, base = view.state, i * _VARIABLES
        bounds += [
            (0.0, band.headroom_down if down else band.headroom_up)
            for band in (state.production, state.consumption, state.storage)
            for down in (True, False)
        ] + [(0.0, None)] * 6
        rows_eq += [i] * _VARIABLES
        cols_eq += range(base, base + _VARIABLES)
        vals_eq += list(balance_signs)
        rhs_eq.append(-state.balance)
        # the exchanges between cells sum to zero: one more equality row
        rows_eq += [count, count]
        cols_eq += [base + _XE, base + _XI]
        vals_eq += [1.0, -1.0]
        for limit, sign in ((view.interface.export_max, 1.0), (view.interface.import_max, -1.0)):
            if math.isfinite(limit):  # exchange + grid through the cell's interface
                rows_ub += [upper] * 4
                cols_ub += [base + _XE, base + _XI, base + _GE, base + _GI]
                vals_ub += [sign, -sign, sign, -sign]
                rhs_ub.append(limit)
                upper += 1
    rhs_eq.append(0.0)
    for limit, sign in ((config.limits.export_max, 1.0), (config.limits.import_max, -1.0)):
        if math.isfinite(limit):
            for i in range(count):
                rows_ub += [upper, upper]
                cols_ub += [i * _VARIABLES + _GE, i * _VARIABLES + _GI]
                vals_ub += [sign, -sign]
            rhs_ub.append(limit)
            upper += 1
    size = count * _VARIABLES
    a_eq = coo_array((vals_eq, (rows_eq, cols_eq)), shape=(count + 1, size)).tocsr()
    a_ub = coo_array((vals_ub, (rows_ub, cols_ub)), shape=(upper, size)).tocsr() if upper else None
    solution = linprog(
        objective,
        A_ub=a_ub,
        b_ub=np.array(rhs_ub) if upper else None,
        A_eq=a_eq,
        b_eq=np.array(rhs_eq),
        bounds=bounds,
        method="highs-ds",
        options={
            "primal_feasibility_tolerance": _SOLVER_TOLERANCE,
            "dual_feasibility_tolerance": _SOLVER_TOLERANCE,
        },
    )
    if solution.status != 0 or solution.x is None:
        raise ProtocolError(f"optimal: the solver failed ({solution.message})")
    x = solution.x.reshape(count, _VARIABLES)
    moves = {}
    for i, (cell, view) in enumerate(cells.items()):
        state = view.state
        moves[cell] = Share(
            *(
                _snapped(float(x[i, 2 * k + 1] - x[i, 2 * k]), band.headroom_down, band.headroom_up)
                for k, band in enumerate((state.production, state.consumption, state.storage))
            )
        )
    return moves


def _snapped(delta: float, down: float, up: float) -> float:
    """``delta`` within ``[-down, up]``, with solver noise removed: values within the
    solver's tolerance of zero or of a band's edge are put there."""
    slack = _SOLVER_TOLERANCE * 10 * max(1.0, down, up)
    if abs(delta) <= slack:
        return 0.0
    if delta >= up - slack:
        return up
    if delta <= -down + slack:
        return -down
    return delta
