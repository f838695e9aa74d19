"""Reading a log file: the header, every whole event, and a report of a torn last line.

Belongs here: parsing both encodings (plain JSON lines, compact lines; either may be
zstd-compressed, which the first bytes tell), as a stream (`open_log`: a 28-day log
holds tens of millions of events) or whole (`read_log`). Not here: replay. Only orjson
parses the file: reading a log never executes code from it.

Line numbers in errors count the (decompressed) lines of the file, the header being
line 1.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from massca.errors import LogFormatError
from massca.log.events import ENVIRONMENT, Event, LogHeader

__all__ = ["LogContents", "LogStream", "open_log", "read_log"]

_FIELDS = ("seq", "time", "iteration", "sender", "receiver", "kind", "body")
_FIELD_SET = frozenset(_FIELDS)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_READ = 1 << 20


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
    """A parsed log. ``torn_line`` is the 1-based number of a cut-off last line, if any;
    ``lines`` each event's line number, when they are not simply 2, 3, ... (a compact
    log's)."""

    header: LogHeader
    events: tuple[Event, ...]
    torn_line: int | None = None
    lines: tuple[int, ...] | None = None

    def numbered(self) -> Iterator[tuple[int, Event]]:
        """Each event with its line number."""
        if self.lines is None:
            return enumerate(self.events, start=2)
        return zip(self.lines, self.events, strict=True)


@dataclass(slots=True)
class LogStream:
    """A log being read: its header, and its events as ``(line, event)`` pairs, to be
    iterated once. ``torn_line`` is set once the iteration has ended at a cut-off last
    line."""

    header: LogHeader
    where: str
    _lines: Generator[tuple[int, bytes, bool], None, None] = field(repr=False)
    torn_line: int | None = None

    def __enter__(self) -> LogStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (iterating to the end closes it too)."""
        self._lines.close()

    def __iter__(self) -> Iterator[tuple[int, Event]]:
        if self.header.compact:
            return self._compact()
        return self._plain()

    def _parsed(self, what: str) -> Iterator[tuple[int, Any]]:
        """Each whole line's number and JSON value; a cut-off last line ends the lines
        (``torn_line``), any other line that is no JSON is an error naming ``what`` it
        should be."""
        for number, line, complete in self._lines:
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                if not complete:
                    self.torn_line = number
                    return
                raise LogFormatError(
                    f"{self.where}: line {number} is not {what}: {error}"
                ) from error
            yield number, data

    def _plain(self) -> Iterator[tuple[int, Event]]:
        for number, data in self._parsed("a massca event"):
            if type(data) is not dict or data.keys() != _FIELD_SET:
                raise LogFormatError(
                    f"{self.where}: line {number} is not a massca event: {_misfit(data)}"
                )
            if type(data["receiver"]) is list:
                data["receiver"] = tuple(data["receiver"])
            yield number, Event(*(data[f] for f in _FIELDS))

    def _compact(self) -> Iterator[tuple[int, Event]]:
        names: list[str] = [node.id for node in self.header.hierarchy.nodes]
        lists: list[tuple[str, ...]] = []
        seq, time, iteration = 0, 0, 0
        for number, data in self._parsed("a compact line"):
            try:
                if type(data) is list:
                    sender, receiver, kind, body = data
                    seq += 1
                    yield (
                        number,
                        Event(
                            seq,
                            time,
                            iteration,
                            _agent(names, sender),
                            tuple(lists[receiver[0]])
                            if type(receiver) is list
                            else _agent(names, receiver),
                            kind,
                            body,
                        ),
                    )
                elif type(data) is dict and data.keys() == {"time", "iteration", "seq"}:
                    time, iteration, seq = data["time"], data["iteration"], data["seq"] - 1
                elif type(data) is dict and data.keys() == {"receivers"}:
                    lists.append(tuple(_agent(names, r) for r in data["receivers"]))
                else:
                    raise ValueError("neither an event, a clock nor a receiver list")
            except (ValueError, TypeError, IndexError) as error:
                raise LogFormatError(
                    f"{self.where}: line {number} is not a compact line: {error}"
                ) from error


def _agent(names: list[str], index: Any) -> str:
    """The agent id of a compact line's ``index`` (-1: the environment)."""
    if type(index) is not int or not -1 <= index < len(names):
        raise ValueError(f"no agent number {index!r}")
    return ENVIRONMENT if index == -1 else names[index]


def open_log(path: str | os.PathLike[str]) -> LogStream:
    """Open the log at ``path`` and read its header; iterate the result for its events.

    A last line that is cut off (a crash while writing) ends the iteration and is
    reported in ``torn_line``. Any other malformed line raises `LogFormatError` with its
    line number; so does a missing or foreign header, at once.
    """
    where = str(path)
    try:
        file = Path(path).open("rb")  # noqa: SIM115 - closed by the stream
    except OSError as error:
        raise LogFormatError(f"cannot read the log {where!r}: {error.strerror}") from error
    lines = _lines(file, where)
    try:
        first = next(lines, None)
        if first is None or not first[1].strip():
            raise LogFormatError(f"{where}: empty file, not a massca event log")
        try:
            header = LogHeader.from_json(orjson.loads(first[1]), where)
        except orjson.JSONDecodeError as error:
            raise LogFormatError(f"{where}: line 1 is not JSON, not a massca event log") from error
    except BaseException:
        lines.close()
        file.close()
        raise
    return LogStream(header, where, lines)


def read_log(path: str | os.PathLike[str]) -> LogContents:
    """Parse the whole log at ``path`` (see `open_log`)."""
    stream = open_log(path)
    numbered = list(stream)
    events = tuple(event for _, event in numbered)
    lines = tuple(number for number, _ in numbered) if stream.header.compact else None
    return LogContents(stream.header, events, stream.torn_line, lines)


def _lines(file: IO[bytes], where: str) -> Generator[tuple[int, bytes, bool], None, None]:
    """``(number, line, complete)`` for each line of ``file`` (decompressed if it is
    zstd): ``complete`` is False only for a last line without its newline."""
    with file:
        chunks = _Chunks(file, where)
        rest = b""
        number = 0
        for chunk in chunks:
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            for line in parts:
                number += 1
                yield number, line, True
        if rest or chunks.cut:  # a last line without its newline, or lost with the stream
            yield number + 1, rest, False


class _Chunks:
    """The file's bytes in chunks, decompressed if it starts with zstd's magic number.
    ``cut``, once iterated: the zstd stream ended before its frame did (the writer
    stopped; what was decoded is yielded, a last block cut short is lost)."""

    def __init__(self, file: IO[bytes], where: str) -> None:
        self.file = file
        self.where = where
        self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        file = self.file
        head = file.read(len(_ZSTD_MAGIC))
        if head != _ZSTD_MAGIC:
            yield head
            while chunk := file.read(_READ):
                yield chunk
            return
        import zstandard

        decompressor = zstandard.ZstdDecompressor().decompressobj()
        try:
            yield decompressor.decompress(head)
            while chunk := file.read(_READ):
                yield decompressor.decompress(chunk)
        except zstandard.ZstdError as error:
            raise LogFormatError(f"{self.where}: a damaged zstd stream ({error})") from error
        self.cut = not decompressor.eof
