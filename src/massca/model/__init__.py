"""massca.model: the pure cell-hierarchy model. Import this in your own unit tests.

PURE: this package imports nothing from the rest of massca and nothing that does I/O
(no asyncio, logging, clocks, randomness or files); ``tests/unit/test_layering.py``
enforces it. Values are frozen, slotted dataclasses; functions map ``(state, input)`` to
a new state. Agents in `massca.actors` and `massca.compat.mango` only call into it.
"""

from massca.model.aggregation import AGGREGATION_RTOL, aggregate, canonical
from massca.model.balance import DEFAULT_TOLERANCE, Balance, classify
from massca.model.builders import (
    CIGRE_GENERATORS,
    CIGRE_LOADS,
    COORDINATOR_ID,
    cell_id,
    cells_hierarchy,
)
from massca.model.errors import (
    AgentError,
    ConfigurationError,
    ConvergenceError,
    InfeasibleRedispatchError,
    InvalidStateError,
    LogFormatError,
    MasscaError,
    ProtocolError,
    ReplayDivergenceError,
    ReplayError,
    StepTimeoutError,
    TopologyError,
)
from massca.model.hierarchy import Hierarchy, Node, NodeKind
from massca.model.redispatch import (
    NO_CHANGE,
    REDISPATCH_RTOL,
    SEED_MERIT_ORDER,
    UNLIMITED,
    ExchangeLimits,
    Instruction,
    Plan,
    Resource,
    apply,
    decompose,
    instruction_for,
    plan,
)
from massca.model.state import ZERO_FLEXIBILITY, ZERO_STATE, Flexibility, State
from massca.model.step import StepConfig, StepResult, decide, reference_step

__all__ = [
    "AGGREGATION_RTOL",
    "CIGRE_GENERATORS",
    "CIGRE_LOADS",
    "COORDINATOR_ID",
    "DEFAULT_TOLERANCE",
    "NO_CHANGE",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "UNLIMITED",
    "ZERO_FLEXIBILITY",
    "ZERO_STATE",
    "AgentError",
    "Balance",
    "ConfigurationError",
    "ConvergenceError",
    "ExchangeLimits",
    "Flexibility",
    "Hierarchy",
    "InfeasibleRedispatchError",
    "Instruction",
    "InvalidStateError",
    "LogFormatError",
    "MasscaError",
    "Node",
    "NodeKind",
    "Plan",
    "ProtocolError",
    "ReplayDivergenceError",
    "ReplayError",
    "Resource",
    "State",
    "StepConfig",
    "StepResult",
    "StepTimeoutError",
    "TopologyError",
    "aggregate",
    "apply",
    "canonical",
    "cell_id",
    "cells_hierarchy",
    "classify",
    "decide",
    "decompose",
    "instruction_for",
    "plan",
    "reference_step",
]
