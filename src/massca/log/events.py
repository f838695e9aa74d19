"""What a log holds: its header and its events.

Belongs here: the value types of the log format and the header's (de)serialisation.
Not here: writing (`writer`), reading files (`reader`), replaying (`replay`).

Format version 6. Version 1 sent one `update` per unit; version 2 one multicast `update`
carrying all units' states; version 3 recorded the strategy in the header, per-cell orders
(`cell_orders`) and orders of several kinds; version 4 added storage: a state's signed
``storage`` band, and a storage part in every order and plan; version 5 added the compact
encoding; version 6 drops the units' ``confirm`` of their update (the coordinator asks the
cells at once). A log of another version is refused, naming both versions: its agents
spoke another protocol, so replaying it with these would diverge.

A log is a header line, then its events, in one of two encodings:

* header: ``{"format": "massca-log", "version": 6, "massca": "<version>",
  "hierarchy": [[id, kind, parent], ...], "config": {...}}``, with ``"encoding":
  "compact"`` added in a compact log;
* *plain* event: ``{"seq": n, "time": t, "iteration": i, "sender": id, "receiver": id,
  "kind": "<message kind>", "body": <JSON>}``; ``seq`` rises by one per message. A
  multicast (one message to several agents) has a list of ids as its ``receiver``.
* *compact* lines, each one of: a clock ``{"time": t, "iteration": i, "seq": n}`` (the
  events that follow belong to that step, the first has ``seq`` n, each further one the
  next number); a multicast receiver list ``{"receivers": [a, ...]}`` (the k-th such line
  defines list k, from 0); an event ``[sender, receiver, "<kind>", <body>]``, with agents
  as their index in the header's ``hierarchy`` (-1: the environment) and a multicast's
  receiver as ``[k]``. A compact log is stored zstd-compressed (``.zst``); its
  decompressed lines read the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from massca.errors import LogFormatError
from massca.model import Hierarchy, Node, NodeKind

__all__ = [
    "ENVIRONMENT",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "READS_VERSIONS",
    "Event",
    "JsonCache",
    "LogHeader",
    "dumps",
    "receivers_of",
]

FORMAT_NAME = "massca-log"
FORMAT_VERSION = 6
READS_VERSIONS = (6,)
"""The versions this massca reads."""
COMPACT = "compact"
ENVIRONMENT = "environment"
"""The sender/receiver id of the world outside the agents (mosaik, `massca bench`)."""


def dumps(value: Any) -> bytes:
    """``orjson.dumps(value)`` as a compact copy, safe to keep.

    Measured here: keeping thousands of orjson results alive makes each new call ~20x
    slower (2.4 us instead of 0.1 us for a short string), because each result holds on to
    a larger allocation; the slice copies the bytes, so that allocation goes at once.
    """
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)[:-1]


class JsonCache(dict[Any, bytes]):
    """Value -> ``dumps(value) + suffix``, computed on first use: for the few values a
    log writes again and again (agent ids, multicast receiver lists, kinds)."""

    def __init__(self, suffix: bytes = b"") -> None:
        super().__init__()
        self.suffix = suffix

    def __missing__(self, value: Any) -> bytes:
        encoded = self[value] = dumps(value) + self.suffix
        return encoded


def receivers_of(event: Event) -> tuple[str, ...]:
    """The ids an event was delivered to (one for a unicast)."""
    receiver = event.receiver
    return receiver if isinstance(receiver, tuple) else (receiver,)


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded message. ``body`` is the decoded JSON value of the message's body;
    ``receiver`` is an id, or a tuple of ids for a multicast."""

    seq: int
    time: int
    iteration: int
    sender: str
    receiver: str | tuple[str, ...]
    kind: str
    body: Any


@dataclass(frozen=True, slots=True)
class LogHeader:
    """The first line of a log: format, producer, the agent tree and the configuration."""

    massca_version: str
    hierarchy: Hierarchy
    config: Mapping[str, Any]

    compact: bool = False  # the events' encoding (see the module docstring)

    def to_json(self, compact: bool = False) -> dict[str, Any]:
        """The header line's JSON object, for a ``compact`` log or a plain one."""
        data = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "massca": self.massca_version,
            "hierarchy": [[n.id, n.kind.value, n.parent] for n in self.hierarchy.nodes],
            "config": dict(self.config),
        }
        if compact:
            data["encoding"] = COMPACT
        return data

    @classmethod
    def from_json(cls, data: object, where: str) -> LogHeader:
        """Parse a header line; raises `LogFormatError` naming ``where`` if it is not one."""
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise LogFormatError(f"{where}: not a massca event log (no massca-log header line)")
        version = data.get("version")
        if version not in READS_VERSIONS:
            raise LogFormatError(
                f"{where}: log format version {version!r}, but this massca reads version "
                f"{FORMAT_VERSION}; replay it with the massca version that wrote it "
                f"({data.get('massca', 'unknown')})"
            )
        try:
            nodes = tuple(
                Node(str(i), NodeKind(kind), None if parent is None else str(parent))
                for i, kind, parent in data["hierarchy"]
            )
            config = data["config"]
            if not isinstance(config, dict):
                raise TypeError("config is not an object")
            encoding = data.get("encoding", "plain")
            if encoding not in ("plain", COMPACT):
                raise ValueError(f"unknown encoding {encoding!r}")
            return cls(str(data["massca"]), Hierarchy(nodes), config, encoding == COMPACT)
        except KeyError as error:
            raise LogFormatError(f"{where}: malformed header: no {error} field") from error
        except (TypeError, ValueError) as error:
            raise LogFormatError(f"{where}: malformed header: {error}") from error
