"""Between-cells strategies: how the system's cells resolve their imbalances together.

Belongs here: the `BetweenCells` interface and the heuristic built-ins, ``global`` and
``cellular``, and `CallableBetween` for a user's function. Not here: the LP yardstick
(`massca.model.optimal`), the decision's value types and checks (`dispatch`), or how a
cell divides its part among its units (`within`).

A between-cells strategy makes two decisions:

* ``propose(state, interface, config)``, made by each *cell controller* from its own
  aggregated state: the cell's plan for its own balance, reported to the coordinator
  with its state, or None if the strategy leaves everything to the coordinator;
* ``decide(cells, config)``, made by the *coordinator* from what each cell reported
  (`CellView`): a `Dispatch` with a `CellPlan` per cell.

Both are pure functions of their arguments. Cells arrive in canonical (id) order.

The rules (signs as in `massca.model.dispatch`):

``global`` (the first wave's behaviour and the prototype's baseline): the coordinator
plans the whole system's imbalance with `massca.model.redispatch.plan` in the merit order
against the external grid's limits, turns it into one `Instruction` (a fraction of
headroom per band) and sends that same instruction to every cell, which passes it on to
every unit unchanged. Cells make no decision; a cell may be moved against its own
imbalance (a deficit cell curtails when the system has a surplus). Each cell's residual
is then settled (`massca.model.settlement`), which respects the cells' interface limits.

``cellular`` (subsidiarity, the VDE cell concept): every cell controller first balances
its own cell with its own flexibility, using the resources of the merit order in their
order but always before its interface (``plan`` with the exchange moved last and no
limit on it); a cell that can balance itself ends balanced with no exchange, and no cell
ever moves against its own imbalance. The coordinator only settles the residuals the
cells report: surpluses cover deficits between cells within their interface limits, the
external grid takes what is left within its limits, the rest is unresolved per cell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from massca.errors import ProtocolError
from massca.model.aggregation import aggregate
from massca.model.config import StepConfig
from massca.model.dispatch import (
    CellView,
    Dispatch,
    checked_dispatch,
    settled_plans,
    system_plan,
)
from massca.model.orders import Share, apply, change_between, instruction_for
from massca.model.redispatch import UNLIMITED, ExchangeLimits, Plan, Resource, plan
from massca.model.state import State

__all__ = [
    "CELLULAR",
    "GLOBAL",
    "BetweenCells",
    "CallableBetween",
    "CellularStrategy",
    "GlobalStrategy",
    "UserFunction",
    "callable_name",
    "own_resources_first",
]


@runtime_checkable
class BetweenCells(Protocol):
    """A between-cells strategy; see the module docstring."""

    @property
    def name(self) -> str:
        """The strategy's name, as recorded in a log's header."""
        ...

    def describe(self) -> dict[str, Any]:
        """The strategy and its parameters as plain values (for a log's header)."""
        ...

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        """A cell's own plan, made by its controller, or None."""
        ...

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        """The coordinator's decision for every cell."""
        ...


class _NoProposal:
    """Mixin for strategies in which cells report their state and decide nothing."""

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        return None


class GlobalStrategy(_NoProposal):
    """``global``: one system-wide merit-order plan, the same fraction for every unit."""

    name: ClassVar[str] = "global"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        system = aggregate(view.state for view in cells.values())
        the_plan = plan(system, config.limits, config.tolerance, config.merit_order)
        instruction = instruction_for(
            Share(the_plan.production_delta, the_plan.consumption_delta, the_plan.storage_delta),
            system,
        )
        moves = {
            cell: change_between(view.state, apply(instruction, view.state))
            for cell, view in cells.items()
        }
        plans = settled_plans(cells, moves, config, instruction)
        return Dispatch(MappingProxyType(plans), the_plan)


@functools.cache
def own_resources_first(merit_order: tuple[Resource, ...]) -> tuple[Resource, ...]:
    """``merit_order`` with the exchange moved last: a cell's own resources first."""
    return (*(r for r in merit_order if r is not Resource.EXCHANGE), Resource.EXCHANGE)


class CellularStrategy:
    """``cellular``: each cell balances itself first; the coordinator settles residuals."""

    name: ClassVar[str] = "cellular"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        return plan(state, UNLIMITED, config.tolerance, own_resources_first(config.merit_order))

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        moves = {}
        residuals = {}
        for cell, view in cells.items():
            own = view.proposal
            if own is None:
                raise ProtocolError(
                    f"cellular: cell {cell!r} reported no plan of its own; every cell "
                    "controller must propose one"
                )
            moves[cell] = Share(own.production_delta, own.consumption_delta, own.storage_delta)
            residuals[cell] = own.exchange + own.unresolved
        plans = settled_plans(cells, moves, config, residuals=residuals)
        return Dispatch(MappingProxyType(plans), system_plan(cells, plans))


GLOBAL = GlobalStrategy()
CELLULAR = CellularStrategy()


def callable_name(function: object) -> str:
    """``module.qualname`` of a user's function: how a log names it (it holds no code)."""
    module = getattr(function, "__module__", None) or "?"
    qualname = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{qualname}"


class UserFunction:
    """Mixin for strategies that wrap a user's ``function`` (with an optional ``label``):
    named by the label or the function's ``module.qualname``, described by that name."""

    function: Callable[..., Any]
    label: str

    @property
    def name(self) -> str:
        return self.label or callable_name(self.function)

    def describe(self) -> dict[str, Any]:
        return {"name": "callable", "function": self.name}


@dataclass(frozen=True, slots=True)
class CallableBetween(UserFunction, _NoProposal):
    """A user's between-cells decision: ``function(cells, config)`` with ``cells`` mapping
    each cell id to its `CellView` (canonical order) and returning a `Dispatch`, or a
    mapping of every cell id to a `CellPlan` or a target `State` (the cell's aggregated
    state after its units move; its residual is then settled). Every decision is checked
    (`massca.model.dispatch.checked_dispatch`): bands, limits and conservation."""

    function: Callable[[Mapping[str, CellView], StepConfig], Any]
    label: str = ""

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        return checked_dispatch(self.name, cells, self.function(cells, config), config)
