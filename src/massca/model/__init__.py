"""massca.model: the pure cell-hierarchy model. Import this in your own unit tests.

PURE: this package imports nothing from the rest of massca but the error hierarchy
(`massca.errors`, below every layer; the model re-exports the errors it raises itself)
and nothing that does I/O
(no asyncio, logging, clocks, randomness or files); ``tests/unit/test_layering.py``
enforces it. Values are frozen, slotted dataclasses; functions map ``(state, input)`` to
a new state. Agents in `massca.actors` and `massca.compat.mango` only call into it.

Modules, bottom up: `state` (bands and states), `storage` (a battery's state of charge
and its band), `aggregation`, `balance` (classification), `redispatch` (merit-order
plans), `orders` (what parents tell children), `settlement` (residuals between cells and
to the grid), `config` (`StepConfig`), `dispatch` (the between-cells decision), `costs`,
the strategies (`between`, `optimal`, `cohda_between`, `within`, `cohda_within`, `strategy`),
`hierarchy` and `builders` (the agent tree), and `step` (the oracle). For a simulated
ICT network: `network` (links, delays, seeded loss, deadlines) and `realized` (what a
step over it did to the units); import them from their modules. For negotiations:
`cohda` (COHDA's pure protocol and its reference run), `candidates` (the schedules a
unit, cell or battery offers), `overlay` (who talks to whom) and `seeded` (seeded
numbers without a random module); import them from their modules.
"""

from massca.errors import (  # only the errors the model raises itself
    ConfigurationError,
    InfeasibleRedispatchError,
    InvalidStateError,
    MasscaError,
    ProtocolError,
    TopologyError,
)
from massca.model.aggregation import AGGREGATION_RTOL, aggregate, canonical
from massca.model.balance import DEFAULT_TOLERANCE, Balance, classify
from massca.model.between import (
    CELLULAR,
    GLOBAL,
    BetweenCells,
    CallableBetween,
    CellularStrategy,
    GlobalStrategy,
)
from massca.model.builders import (
    CIGRE_GENERATORS,
    CIGRE_LOADS,
    COORDINATOR_ID,
    cell_id,
    cells_hierarchy,
)
from massca.model.cohda_between import CohdaStrategy
from massca.model.cohda_within import CohdaWithin
from massca.model.config import StepConfig
from massca.model.costs import Costs, dispatch_cost
from massca.model.dispatch import (
    CellPlan,
    CellResult,
    CellView,
    Dispatch,
    checked_dispatch,
    dispatch_from_targets,
)
from massca.model.hierarchy import Hierarchy, Node, NodeKind
from massca.model.optimal import OPTIMAL, OptimalStrategy
from massca.model.orders import (
    NO_CHANGE,
    NO_SHARE,
    Instruction,
    MeritInstruction,
    Order,
    Share,
    apply,
    apply_order,
    decompose,
    instruction_for,
    share_of,
)
from massca.model.overlay import TOPOLOGIES
from massca.model.redispatch import (
    DEFAULT_MERIT_ORDER,
    REDISPATCH_RTOL,
    SEED_MERIT_ORDER,
    UNLIMITED,
    ExchangeLimits,
    Plan,
    Resource,
    merit_order_of,
    plan,
)
from massca.model.settlement import Settled, settle
from massca.model.state import (
    MAX_MW,
    ZERO_BAND,
    ZERO_FLEXIBILITY,
    ZERO_STATE,
    Band,
    Flexibility,
    State,
)
from massca.model.step import StepResult, reference_step
from massca.model.storage import Storage, charged, storage_band
from massca.model.strategy import (
    BETWEEN_CELLS,
    WITHIN_CELL,
    Strategy,
    between_cells,
    strategy_from_description,
    within_cell,
)
from massca.model.within import (
    PROPORTIONAL,
    CallableWithin,
    Levels,
    MeritWithin,
    ProportionalWithin,
    WithinCell,
    merge_levels,
    merit_instruction,
)

__all__ = [
    "AGGREGATION_RTOL",
    "BETWEEN_CELLS",
    "CELLULAR",
    "CIGRE_GENERATORS",
    "CIGRE_LOADS",
    "COORDINATOR_ID",
    "DEFAULT_MERIT_ORDER",
    "DEFAULT_TOLERANCE",
    "GLOBAL",
    "MAX_MW",
    "NO_CHANGE",
    "NO_SHARE",
    "OPTIMAL",
    "PROPORTIONAL",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "TOPOLOGIES",
    "UNLIMITED",
    "WITHIN_CELL",
    "ZERO_BAND",
    "ZERO_FLEXIBILITY",
    "ZERO_STATE",
    "Balance",
    "Band",
    "BetweenCells",
    "CallableBetween",
    "CallableWithin",
    "CellPlan",
    "CellResult",
    "CellView",
    "CellularStrategy",
    "CohdaStrategy",
    "CohdaWithin",
    "ConfigurationError",
    "Costs",
    "Dispatch",
    "ExchangeLimits",
    "Flexibility",
    "GlobalStrategy",
    "Hierarchy",
    "InfeasibleRedispatchError",
    "Instruction",
    "InvalidStateError",
    "Levels",
    "MasscaError",
    "MeritInstruction",
    "MeritWithin",
    "Node",
    "NodeKind",
    "OptimalStrategy",
    "Order",
    "Plan",
    "ProportionalWithin",
    "ProtocolError",
    "Resource",
    "Settled",
    "Share",
    "State",
    "StepConfig",
    "StepResult",
    "Storage",
    "Strategy",
    "TopologyError",
    "WithinCell",
    "aggregate",
    "apply",
    "apply_order",
    "between_cells",
    "canonical",
    "cell_id",
    "cells_hierarchy",
    "charged",
    "checked_dispatch",
    "classify",
    "decompose",
    "dispatch_cost",
    "dispatch_from_targets",
    "instruction_for",
    "merge_levels",
    "merit_instruction",
    "merit_order_of",
    "plan",
    "reference_step",
    "settle",
    "share_of",
    "storage_band",
    "strategy_from_description",
    "within_cell",
]
