"""massca.actors: the asyncio actor core, the agents and the step protocol.

Imports from `massca.model` and `massca.log` only. The agents are thin: each handler
calls the model and sends; the runtimes (native here, mango in `massca.compat.mango`)
only deliver and record.
"""

from massca.actors.agents import (
    MODEL_AGGREGATION,
    Agent,
    Aggregation,
    ControllerAgent,
    CoordinatorAgent,
    UnitAgent,
    build_agents,
)
from massca.actors.loop import loop_factory, run
from massca.actors.messages import ProtocolCodec, config_from_json, config_to_json
from massca.actors.replaying import agents_for, replay_file
from massca.actors.runtime import DEFAULT_TIMEOUT, NativeRuntime, Runtime

__all__ = [
    "DEFAULT_TIMEOUT",
    "MODEL_AGGREGATION",
    "Agent",
    "Aggregation",
    "ControllerAgent",
    "CoordinatorAgent",
    "NativeRuntime",
    "ProtocolCodec",
    "Runtime",
    "UnitAgent",
    "agents_for",
    "build_agents",
    "config_from_json",
    "config_to_json",
    "loop_factory",
    "replay_file",
    "run",
]
