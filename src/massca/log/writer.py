"""Writing a log: `EventLog` buffers events in memory and appends them to a file.

Belongs here: the append-only store and its two encodings. Not here: what messages mean
(the layer above passes a `MessageCodec`).

Two encodings of the same events (see `massca.log.events` for the format):

* *plain* JSON lines, one self-contained object per event, for other tools;
* *compact* lines, zstd-compressed, for long runs: agent ids as their index in the
  header's hierarchy, ``seq`` implied by position, time and iteration once per step,
  multicast receiver lists once per log. A path ending in ``.zst`` gets it.

Cost model: recording only appends a ``(sender, receiver, message)`` tuple through the
callable `EventLog.recorder` hands out (messages are immutable, so nothing is copied);
the clock is set once per step with `begin`. Encoding happens in `flush`, which the
runtime calls at least once per step and on every error path: each message object is
encoded once per flush however many events carry it, and each agent id (or multicast
receiver list) once per log. A compact log is compressed as it is written (zstd level
3, a block per flush, its torn tail reported like a plain log's), by a writer thread:
zstd releases the GIL, so compressing and writing run on another core while the step
goes on (1.1 ms of a 50-cell step's 5.2 ms of logging). A run that fails or is stopped
loses nothing flushed (closing waits for the writer); a process killed outright loses
what the writer had not written yet, normally nothing or the last step's block. Per-route
caches were tried and dropped: they cost ~0.9 KB per agent and saved no measurable time.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from massca.errors import ConfigurationError, ProtocolError
from massca.log.events import ENVIRONMENT, JsonCache, LogHeader, dumps

__all__ = ["COMPACT_SUFFIX", "ZSTD_LEVEL", "EventLog", "MessageCodec"]

COMPACT_SUFFIX = ".zst"
"""A log path with this suffix is written compact and compressed."""
ZSTD_LEVEL = 3
"""zstd's level for compact logs: 2.9 MB a simulated day at 50 cells, 0.16 s to compress
it (level 6: 2.4 MB, 0.44 s; level 1: 6.9 MB)."""

_CHUNK = 1 << 20
"""Bytes of encoded events held before they are written (bounds a large step's memory)."""
_QUEUED = 64
"""Chunks and flushes a compact log's writer thread may lag behind (bounds its memory: a
step that outruns the writer waits for it)."""


class MessageCodec(Protocol):
    """Turns messages into ``(kind, JSON bytes of the body)`` and back."""

    def encode(self, message: Any) -> tuple[str, bytes]:
        """The kind and the body's JSON encoding."""
        ...

    def decode(self, kind: str, body: Any) -> Any:
        """The message of ``kind`` whose body decoded from JSON to ``body``."""
        ...


class EventLog:
    """An append-only event log; see the module docstring. ``compact``: the compact,
    compressed encoding (default: when ``path`` ends with ``.zst``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: LogHeader,
        codec: MessageCodec,
        compact: bool | None = None,
    ):
        self.path = Path(path)
        self.compact = self.path.suffix == COMPACT_SUFFIX if compact is None else compact
        self._codec = codec
        self._buffer: list[tuple[str, str | tuple[str, ...], Any]] = []
        self._time_iteration = (0, 0)
        self.events_written = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            file = self.path.open("wb")
        except OSError as error:
            raise ConfigurationError(
                f"cannot write the event log {str(self.path)!r}: {error.strerror}; "
                "choose a writable path or switch the log off"
            ) from error
        self._sink: _Sink | None = _Compressed(file) if self.compact else _Sink(file)
        self._lines: _Lines = _CompactLines(header) if self.compact else _PlainLines()
        self._sink.write(dumps(header.to_json(compact=self.compact)) + b"\n")
        self._sink.flush()

    @property
    def recorder(self) -> Callable[[tuple[str, str | tuple[str, ...], Any]], None]:
        """The callable that records one event, ``(sender, receiver, message)``, with the
        next ``seq`` (the cheapest call there is: encoding waits for `flush`)."""
        return self._buffer.append

    @property
    def events_recorded(self) -> int:
        """Events recorded so far, written or not (the last ``seq``)."""
        return self.events_written + len(self._buffer)

    @property
    def pending(self) -> int:
        """Events recorded and not yet written."""
        return len(self._buffer)

    def begin(self, time: int, iteration: int) -> None:
        """Events recorded from now on belong to simulated ``time`` and ``iteration``.

        Flushes what was recorded before, so every buffered event shares one clock.
        """
        self.flush()
        self._time_iteration = (time, iteration)

    def flush(self) -> None:
        """Encode the buffered events and append them to the file, flushed to the OS; a
        compact log hands them to its writer thread (`sync` waits until it has written
        them). Raises the writer's error (such as a full disk) if it had one."""
        buffer = self._buffer
        if self._sink is None or not buffer:
            return
        write = self._sink.write
        for chunk in self._lines.encode(
            buffer, self.events_written + 1, self._time_iteration, self._codec
        ):
            write(chunk)
        self._sink.flush()
        self.events_written += len(buffer)
        buffer.clear()

    def sync(self) -> None:
        """Wait until every event flushed is in the file, flushed to the OS."""
        if self._sink is not None:
            self._sink.sync()

    def close(self) -> None:
        """Flush, write everything and close; further calls do nothing."""
        if self._sink is None:
            return
        try:
            self.flush()
        finally:
            self._sink.close()
            self._sink = None


Buffer = list[tuple[str, str | tuple[str, ...], Any]]


class _Lines(Protocol):
    def encode(
        self, buffer: Buffer, first_seq: int, clock: tuple[int, int], codec: MessageCodec
    ) -> Iterator[bytes]:
        """The encoded lines of ``buffer``'s events, in chunks of about `_CHUNK` bytes."""
        ...


class _PlainLines:
    """One self-contained JSON object per event."""

    def __init__(self) -> None:
        self._names = JsonCache()

    def encode(
        self, buffer: Buffer, first_seq: int, clock: tuple[int, int], codec: MessageCodec
    ) -> Iterator[bytes]:
        encode = codec.encode
        names = self._names
        stamp = b',"time":%d,"iteration":%d,"sender":' % clock
        tails: dict[int, bytes] = {}  # id(message) -> kind and body: each message once
        out = bytearray()
        for seq, (sender, receiver, message) in enumerate(buffer, start=first_seq):
            tail = tails.get(id(message))
            if tail is None:
                kind, body = encode(message)
                tail = tails[id(message)] = b',"kind":%s,"body":%s}\n' % (names[kind], body)
            out += b'{"seq":%d%s%s,"receiver":%s%s' % (
                seq,
                stamp,
                names[sender],
                names[receiver],
                tail,
            )
            if len(out) > _CHUNK:  # bound the memory of large steps
                yield bytes(out)
                out.clear()
        yield bytes(out)


class _CompactLines:
    """Compact lines (see `massca.log.events`): a clock line per step, then an array per
    event with agents as indices; a multicast's receivers are defined once per log."""

    def __init__(self, header: LogHeader) -> None:
        self._ids: dict[Any, bytes] = {
            node.id: b"%d" % i for i, node in enumerate(header.hierarchy.nodes)
        }
        self._ids[ENVIRONMENT] = b"-1"
        self._kinds = JsonCache()
        self._lists = 0  # multicast receiver lists defined so far

    def _define(self, receivers: tuple[str, ...]) -> bytes:
        """The definition line of a multicast's receiver list, whose reference is stored
        with the agents' ids from now on."""
        self._ids[receivers] = b"[%d]" % self._lists
        self._lists += 1
        return b'{"receivers":[%s]}\n' % b",".join(self._ids[r] for r in receivers)

    def encode(
        self, buffer: Buffer, first_seq: int, clock: tuple[int, int], codec: MessageCodec
    ) -> Iterator[bytes]:
        encode = codec.encode
        ids, kinds = self._ids, self._kinds
        tails: dict[int, bytes] = {}  # id(message) -> kind and body: each message once
        out = bytearray(b'{"time":%d,"iteration":%d,"seq":%d}\n' % (*clock, first_seq))
        for sender, receiver, message in buffer:
            tail = tails.get(id(message))
            if tail is None:
                kind, body = encode(message)
                tail = tails[id(message)] = b",%s,%s]\n" % (kinds[kind], body)
            if receiver not in ids:  # a new multicast list: defined before its first use
                if type(receiver) is not tuple:
                    raise ProtocolError(f"no agent {receiver!r} in the log's hierarchy")
                out += self._define(receiver)
            out += b"[%s,%s%s" % (ids[sender], ids[receiver], tail)
            if len(out) > _CHUNK:  # bound the memory of large steps
                yield bytes(out)
                out.clear()
        yield bytes(out)


class _Sink:
    """A plain file, written at once."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def sync(self) -> None:
        """Everything is written at once: nothing to wait for."""

    def close(self) -> None:
        self._file.close()


class _Compressed(_Sink):
    """A file written through one zstd stream, a block per flush, by a writer thread
    (see the module docstring). The thread's error is raised by the next call; the
    chunks after it are dropped. Closed at the interpreter's exit if nobody did."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        import zstandard

        self._block = zstandard.COMPRESSOBJ_FLUSH_BLOCK
        self._zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED)
        self._error: BaseException | None = None
        self._closed = False
        self._writer = threading.Thread(target=self._drain, name="massca-log", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    def _drain(self) -> None:
        """The writer thread: compress and write each queued chunk (empty: flush a block),
        until None (end the frame)."""
        while True:
            chunk = self._queue.get()
            try:
                if self._error is not None:
                    pass  # the caller hears of the first error; later chunks cannot follow
                elif chunk is None:
                    self._file.write(self._zstd.flush())  # ends the frame
                elif not chunk:  # a flush (a chunk of events is never empty)
                    self._file.write(self._zstd.flush(self._block))
                    self._file.flush()
                else:
                    self._file.write(self._zstd.compress(chunk))
            except BaseException as error:  # reported to the caller, not lost in a thread
                self._error = error
            finally:
                self._queue.task_done()
            if chunk is None:
                return

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, data: bytes) -> None:
        self._raise_error()
        if data:
            self._queue.put(data)

    def flush(self) -> None:
        self._raise_error()
        self._queue.put(b"")

    def sync(self) -> None:
        self._queue.join()
        self._raise_error()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            self._queue.put(None)
            self._writer.join()
        finally:
            self._file.close()
        self._raise_error()
