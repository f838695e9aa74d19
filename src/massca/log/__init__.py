"""massca.log: the event-sourced message log (typed events, append-only store, replay).

Every message an agent sends is recorded before it is delivered. A log file is JSON
lines: a versioned header first, then one event per message. Reading a log never
executes code from it (orjson only: no pickle, no dill).

This layer knows nothing about the agents: it stores opaque, already-encoded bodies, and
`replay` receives the agents and a message codec from the layer above.
"""

from massca.log.events import (
    ENVIRONMENT,
    FORMAT_NAME,
    FORMAT_VERSION,
    Event,
    LogHeader,
)
from massca.log.reader import LogContents, read_log
from massca.log.replay import Divergence, ReplayReport, replay
from massca.log.writer import EventLog, MessageCodec

__all__ = [
    "ENVIRONMENT",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Divergence",
    "Event",
    "EventLog",
    "LogContents",
    "LogHeader",
    "MessageCodec",
    "ReplayReport",
    "read_log",
    "replay",
]
