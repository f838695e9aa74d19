"""Reading a log file: the header, every whole event, and a report of a torn last line.

Belongs here: parsing. Not here: replay. Only orjson parses the file: reading a log
never executes code from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import orjson

from massca.errors import LogFormatError
from massca.log.events import Event, LogHeader

__all__ = ["LogContents", "read_log"]

_FIELDS = ("seq", "time", "iteration", "sender", "receiver", "kind", "body")
_FIELD_SET = frozenset(_FIELDS)


def _misfit(data: object) -> str:
    """How a parsed line differs from an event object."""
    if type(data) is not dict:
        return f"a JSON {type(data).__name__}, not an object with {', '.join(_FIELDS)}"
    missing = [f for f in _FIELDS if f not in data]
    unknown = sorted(set(data) - _FIELD_SET)
    parts = []
    if missing:
        parts.append(f"missing field(s) {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown field(s) {', '.join(unknown)}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class LogContents:
    """A parsed log. ``torn_line`` is the 1-based number of a cut-off last line, if any."""

    header: LogHeader
    events: tuple[Event, ...]
    torn_line: int | None = None


def read_log(path: str | os.PathLike[str]) -> LogContents:
    """Parse the log at ``path``.

    A last line that is cut off (a crash while writing) is reported in ``torn_line`` and
    everything before it is returned. Any other malformed line raises `LogFormatError`
    with its line number; so does a missing or foreign header.
    """
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise LogFormatError(f"cannot read the log {where!r}: {error.strerror}") from error
    lines = raw.split(b"\n")
    complete = raw.endswith(b"\n")
    if complete:
        lines.pop()
    if not lines or not lines[0].strip():
        raise LogFormatError(f"{where}: empty file, not a massca event log")
    try:
        header = LogHeader.from_json(orjson.loads(lines[0]), where)
    except orjson.JSONDecodeError as error:
        raise LogFormatError(f"{where}: line 1 is not JSON, not a massca event log") from error
    events: list[Event] = []
    last = len(lines)
    for number, line in enumerate(lines[1:], start=2):
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            if number == last and not complete:
                return LogContents(header, tuple(events), torn_line=number)
            raise LogFormatError(
                f"{where}: line {number} is not a massca event: {error}"
            ) from error
        if type(data) is not dict or data.keys() != _FIELD_SET:
            raise LogFormatError(f"{where}: line {number} is not a massca event: {_misfit(data)}")
        if type(data["receiver"]) is list:
            data["receiver"] = tuple(data["receiver"])
        events.append(Event(*(data[f] for f in _FIELDS)))
    return LogContents(header, tuple(events))
