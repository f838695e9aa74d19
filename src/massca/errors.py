"""The massca error hierarchy: every error massca raises on purpose derives from `MasscaError`.

Belongs here: exception classes and the data they carry. Nothing here imports from
massca or does I/O: the hierarchy lies below every layer (the pure model included), so
each layer raises and catches the same classes. `massca.model` re-exports only the ones
it raises itself (`MODEL_ERRORS` lists them).

    MasscaError
    ├── ConfigurationError          build time: wrong input, caught before anything runs
    │   ├── InvalidStateError       a flexibility band or state that cannot exist
    │   └── TopologyError           a malformed agent hierarchy (lists every problem)
    ├── ProtocolError               run time: the agents did not do what the protocol needs
    │   ├── InfeasibleRedispatchError  a target beyond the flexibility that was reported
    │   ├── StepTimeoutError        agents that did not answer in time (named)
    │   ├── AgentError              a handler or user hook raised (agent, step, cause)
    │   └── ConvergenceError        the weak loop did not converge in time
    └── ReplayError                 reading or replaying an event log
        ├── LogFormatError          not a massca log, another format version, a torn line
        └── ReplayDivergenceError   replayed agents sent something other than the record
"""

from __future__ import annotations

__all__ = [
    "MODEL_ERRORS",
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


class MasscaError(Exception):
    """Root of every error massca raises on purpose."""


class ConfigurationError(MasscaError, ValueError):
    """Input that cannot work, detected before a run starts."""


class InvalidStateError(ConfigurationError):
    """A flexibility band or unit state that violates its invariants.

    The message names the field, the value and the rule that was broken.
    """


class TopologyError(ConfigurationError):
    """A malformed agent hierarchy. `problems` holds every problem found, not just the first."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"the agent hierarchy has {count} {noun}:\n{listing}")


class ProtocolError(MasscaError):
    """The agents did not do what the step protocol requires."""


class InfeasibleRedispatchError(ProtocolError):
    """A redispatch target lies beyond the flexibility that was reported for it."""


class StepTimeoutError(ProtocolError):
    """Agents did not answer within the step timeout. `silent` names them."""

    def __init__(self, message: str, silent: tuple[str, ...]) -> None:
        self.silent = silent
        super().__init__(message)


class AgentError(ProtocolError):
    """An agent's handler or a user hook raised; ``cause``, if given, is named in the
    message and chained as `__cause__`."""

    def __init__(
        self,
        agent: str,
        time: int,
        iteration: int,
        where: str,
        cause: BaseException | None = None,
    ) -> None:
        self.agent = agent
        self.time = time
        self.iteration = iteration
        self.where = where
        message = f"agent {agent!r} failed in {where} at time {time}, iteration {iteration}"
        if cause is not None:
            message += f": {type(cause).__name__}: {cause}"
            self.__cause__ = cause
        super().__init__(message)


class ConvergenceError(ProtocolError):
    """The weak loop of one time step did not converge within the allowed iterations."""


class ReplayError(MasscaError):
    """Reading or replaying an event log failed."""


class LogFormatError(ReplayError):
    """The file is not a massca event log this version can read."""


class ReplayDivergenceError(ReplayError):
    """A replayed agent sent something other than what the log recorded."""


MODEL_ERRORS = (
    MasscaError,
    ConfigurationError,
    InvalidStateError,
    TopologyError,
    ProtocolError,
    InfeasibleRedispatchError,
)
"""The errors the pure model raises (and re-exports); the rest belong to the layers above."""
