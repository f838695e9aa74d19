"""Writing a log: `EventLog` buffers events in memory and appends them to a file.

Belongs here: the append-only store. Not here: what messages mean (the layer above
passes a `MessageCodec`).

Cost model: `record` only appends a ``(sender, receiver, message)`` tuple (messages are
immutable, so nothing is copied); ``seq`` is implied by the position and the clock is set
once per step with `begin`. Encoding happens in `flush`, which the runtime calls at least
once per step and on every error path. A message forwarded to many receivers is encoded
once per flush, and each (sender, receiver, kind) prefix once per log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Protocol

from massca.log.events import LogHeader, dumps
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

    @property
    def constant_types(self) -> frozenset[type]:
        """Message types whose encoding never changes (bodiless singletons): the log may
        keep a whole encoded line tail per (sender, receiver, message) for them."""
        ...


class EventLog:
    """An append-only JSON-lines event log; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], header: LogHeader, codec: MessageCodec):
        self.path = Path(path)
        self._codec = codec
        self.buffer: list[tuple[str, str | tuple[str, ...], Any]] = []
        self._routes: dict[tuple[str, str | tuple[str, ...], str], bytes] = {}
        self._tails: dict[tuple[str, str | tuple[str, ...], Any], bytes] = {}
        self._clock = b',"time":0,"iteration":0,'
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
        self._clock = b',"time":%d,"iteration":%d,' % (time, iteration)

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
        constant = self._codec.constant_types
        routes, tails = self._routes, self._tails
        clock = self._clock
        bodies: dict[int, tuple[str, bytes]] = {}
        out = bytearray()
        for seq, event in enumerate(buffer, start=self.events_written + 1):
            out += b'{"seq":%d%s' % (seq, clock)
            sender, receiver, message = event
            if type(message) in constant:  # bodiless: the whole tail is fixed per route
                tail = tails.get(event)
                if tail is None:
                    kind, body = encode(message)
                    tail = tails[event] = self._route(sender, receiver, kind) + body + b"}\n"
                out += tail
            else:
                encoded = bodies.get(id(message))
                if encoded is None:
                    encoded = bodies[id(message)] = encode(message)
                kind, body = encoded
                route = routes.get((sender, receiver, kind))
                if route is None:
                    route = routes[(sender, receiver, kind)] = self._route(sender, receiver, kind)
                out += b"%s%s}\n" % (route, body)
            if len(out) > _CHUNK:  # bound the memory of large steps
                self._file.write(out)
                out.clear()
        self._file.write(out)
        self._file.flush()
        self.events_written += len(buffer)
        buffer.clear()

    @staticmethod
    def _route(sender: str, receiver: str | tuple[str, ...], kind: str) -> bytes:
        return b'"sender":%s,"receiver":%s,"kind":%s,"body":' % (
            dumps(sender),
            dumps(receiver),
            dumps(kind),
        )

    def close(self) -> None:
        """Flush and close; further calls do nothing."""
        if self._file is None:
            return
        try:
            self.flush()
        finally:
            self._file.close()
            self._file = None
