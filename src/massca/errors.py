"""The massca error hierarchy, re-exported from where it is defined (`massca.model.errors`).

Catch `MasscaError` for anything massca raises on purpose.
"""

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

__all__ = [
    "AgentError",
    "ConfigurationError",
    "ConvergenceError",
    "InfeasibleRedispatchError",
    "InvalidStateError",
    "LogFormatError",
    "MasscaError",
    "ProtocolError",
    "ReplayDivergenceError",
    "ReplayError",
    "StepTimeoutError",
    "TopologyError",
]
