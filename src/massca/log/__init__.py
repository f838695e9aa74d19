"""massca.log: the event-sourced message log (typed events, append-only store, replay).

Every message an agent sends is recorded before it is delivered. A log file is a
versioned header line, then one line per message (`massca.log.events`). Reading a log never
executes code from it (orjson only: no pickle, no dill). A compact log (``.zst``) holds the
same events in fewer bytes; `open_log` reads both as a stream, `read_log` whole.

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
from massca.log.export import Exported, export_plain
from massca.log.reader import LogContents, LogStream, open_log, read_log
from massca.log.replay import Divergence, ReplayReport, replay
from massca.log.writer import EventLog, MessageCodec

__all__ = [
    "ENVIRONMENT",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Divergence",
    "Event",
    "EventLog",
    "Exported",
    "LogContents",
    "LogHeader",
    "LogStream",
    "MessageCodec",
    "ReplayReport",
    "export_plain",
    "open_log",
    "read_log",
    "replay",
]
