"""Writing a log: `EventLog` buffers events in memory and appends them to a file.

Belongs here: the append-only store. Not here: what messages mean (the layer above
passes a `MessageCodec`).

Cost model: `record` only appends a ``(sender, receiver, message)`` tuple (messages are
immutable, so nothing is copied); ``seq`` is implied by the position and the clock is set
once per step with `begin`. Encoding happens in `flush`, which the runtime calls at least
once per step and on every error path: each message object is encoded once per flush
however many events carry it, and each agent id (or multicast receiver list) once per
log. Per-route caches were tried and dropped: they cost ~0.9 KB per agent and saved no
measurable time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Protocol

from massca.log.events import JsonCache, LogHeader, dumps
from massca.model import ConfigurationError

__all__ = ["EventLog", "MessageCodec"]

_CHUNK = 1 << 20
"""Bytes of encoded events held before they are written (bounds a large step's memory)."""


class MessageCodec(Protocol):
    """Turns messages into ``(kind, JSON bytes of the body)`` and back."""

    def encode(self, message: Any) -> tuple[str, bytes]:
        """The kind and the body's JSON encoding."""
        ...

    def decode(self, kind: str, body: Any) -> Any:
        """The message of ``kind`` whose body decoded from JSON to ``body``."""
        ...


class EventLog:
    """An append-only JSON-lines event log; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], header: LogHeader, codec: MessageCodec):
        self.path = Path(path)
        self._codec = codec
        self.buffer: list[tuple[str, str | tuple[str, ...], Any]] = []
        self._names = JsonCache()
        self._clock = b',"time":0,"iteration":0,"sender":'
        self.events_written = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] | None = self.path.open("wb")
        except OSError as error:
            raise ConfigurationError(
                f"cannot write the event log {str(self.path)!r}: {error.strerror}; "
                "choose a writable path or switch the log off"
            ) from error
        self._file.write(dumps(header.to_json()) + b"\n")
        self._file.flush()

    def begin(self, time: int, iteration: int) -> None:
        """Events recorded from now on belong to simulated ``time`` and ``iteration``.

        Flushes what was recorded before, so every buffered event shares one clock.
        """
        self.flush()
        self._clock = b',"time":%d,"iteration":%d,"sender":' % (time, iteration)

    def record(self, sender: str, receiver: str | tuple[str, ...], message: Any) -> None:
        """Append one event; its ``seq`` is the next number (cheap: encoding waits for `flush`).

        Hot paths may append ``(sender, receiver, message)`` tuples to `buffer` directly;
        this method does exactly that.
        """
        self.buffer.append((sender, receiver, message))

    def flush(self) -> None:
        """Encode the buffered events, append them to the file and flush it to the OS."""
        buffer = self.buffer
        if self._file is None or not buffer:
            return
        encode = self._codec.encode
        names = self._names
        clock = self._clock
        tails: dict[int, bytes] = {}  # id(message) -> kind and body: each message once
        out = bytearray()
        for seq, (sender, receiver, message) in enumerate(buffer, start=self.events_written + 1):
            tail = tails.get(id(message))
            if tail is None:
                kind, body = encode(message)
                tail = tails[id(message)] = b',"kind":%s,"body":%s}\n' % (names[kind], body)
            out += b'{"seq":%d%s%s,"receiver":%s%s' % (
                seq,
                clock,
                names[sender],
                names[receiver],
                tail,
            )
            if len(out) > _CHUNK:  # bound the memory of large steps
                self._file.write(out)
                out.clear()
        self._file.write(out)
        self._file.flush()
        self.events_written += len(buffer)
        buffer.clear()

    def close(self) -> None:
        """Flush and close; further calls do nothing."""
        if self._file is None:
            return
        try:
            self.flush()
        finally:
            self._file.close()
            self._file = None
