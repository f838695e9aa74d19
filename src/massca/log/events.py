"""What a log holds: its header and its events.

Belongs here: the value types of the log format and the header's (de)serialisation.
Not here: writing (`writer`), reading files (`reader`), replaying (`replay`).

Format version 4, one JSON object per line (version 1 sent one `update` per unit; version
2 sent one multicast `update` carrying all units' states; version 3 records the strategy
in the header, per-cell orders (`cell_orders`) and orders of several kinds; version 4
adds storage: a state's signed ``storage`` band, and a storage part in every order and
plan). A log of another version is refused, naming both versions:

* header: ``{"format": "massca-log", "version": 4, "massca": "<version>",
  "hierarchy": [[id, kind, parent], ...], "config": {...}}``
* event: ``{"seq": n, "time": t, "iteration": i, "sender": id, "receiver": id,
  "kind": "<message kind>", "body": <JSON>}``; ``seq`` rises by one per message. A
  multicast (one message to several agents) has a list of ids as its ``receiver``.
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
    "Event",
    "JsonCache",
    "LogHeader",
    "dumps",
    "receivers_of",
]

FORMAT_NAME = "massca-log"
FORMAT_VERSION = 4
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

    def to_json(self) -> dict[str, Any]:
        """The header line's JSON object."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "massca": self.massca_version,
            "hierarchy": [[n.id, n.kind.value, n.parent] for n in self.hierarchy.nodes],
            "config": dict(self.config),
        }

    @classmethod
    def from_json(cls, data: object, where: str) -> LogHeader:
        """Parse a header line; raises `LogFormatError` naming ``where`` if it is not one."""
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise LogFormatError(f"{where}: not a massca event log (no massca-log header line)")
        version = data.get("version")
        if version != FORMAT_VERSION:
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
            return cls(str(data["massca"]), Hierarchy(nodes), config)
        except KeyError as error:
            raise LogFormatError(f"{where}: malformed header: no {error} field") from error
        except (TypeError, ValueError) as error:
            raise LogFormatError(f"{where}: malformed header: {error}") from error
