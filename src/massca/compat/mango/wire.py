"""What travels between massca's processes, and its codec for mango's containers.

Belongs here: the messages between the coordinator's process and its workers (`Hello`,
`Assign`, `Ready`, `Batch`, `Failed`, `Stop`, and `Gone`: a worker's MQTT last will),
`narrowed` (a multicast cut down to the
receivers in one process) and `WireCodec`, the orjson codec mango's containers use. Not
here: who sends them (`processes`, `worker`) or the agents' protocol messages
(`massca.actors.messages`, whose log encoding this codec reuses).

The codec gives every wire class a fixed type id (mango's JSON codec derives ids from
the order in which types are registered, which breaks between containers that register
them differently, mango issue #149) and decodes only into these classes and massca's
protocol messages: nothing from the wire is ever executed (mango's PROTOBUF codec
unpickles). The agents' messages inside a `Batch` are encoded exactly as the event log
encodes them (`ProtocolCodec`), so a message decodes to what replay would hand an agent,
and a process that only logs or passes a message on never decodes it.
Bytes that do not decode become an `Unreadable` message naming the problem instead of an
exception inside mango's protocol (which would only be logged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson
from mango.messages.codecs import Codec
from mango.messages.message import MangoMessage

from massca.actors.messages import NO_FORECASTS, CellOrders, Encoded, ProtocolCodec, Update
from massca.model import MasscaError, State

__all__ = [
    "COORDINATOR_AID",
    "Assign",
    "Batch",
    "Entry",
    "Failed",
    "Gone",
    "Hello",
    "Ready",
    "Stop",
    "Unreadable",
    "WireCodec",
    "narrowed",
]

COORDINATOR_AID = "massca-coordinator"
"""The mango agent id of the coordinator process's gateway (a worker's is its name)."""

Entry = tuple[str, "str | tuple[str, ...]", Any]
"""One message as the agents sent it: ``(sender, to, message)``; ``to`` is one id or a
tuple of ids (a multicast)."""


@dataclass(frozen=True, slots=True)
class Hello:
    """A worker is up: its name, process id and where its container receives: (host,
    port) over TCP, its inbox topic over MQTT."""

    worker: str
    pid: int
    address: str | tuple[str, int]


@dataclass(frozen=True, slots=True)
class Assign:
    """The coordinator tells a worker the MAS (a log header's JSON: hierarchy, step
    configuration, strategy) and which of its agents the worker holds."""

    header: Mapping[str, Any]
    agents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ready:
    """A worker has built its agents."""

    worker: str


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages in one direction between two processes, in the order they were sent.

    To a worker: deliveries to its agents. From a worker: every message its agents sent
    since its last batch (the coordinator logs them all and passes on those addressed
    to agents elsewhere), and ``outcome``: the targets of the units and the aggregates
    of the controllers of each cell that finished its step meanwhile."""

    time: int
    iteration: int
    entries: tuple[Entry, ...]
    outcome: Mapping[str, State] = MappingProxyType({})
    leaving: tuple[int, ...] | None = None
    """From a worker: the indices of the entries with a receiver elsewhere (the others
    the worker delivered itself, so the coordinator only logs them); None: all."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A worker's agent raised while handling a message: who, what and why, with the
    messages sent before (so the log keeps them)."""

    agent: str
    kind: str
    error: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Stop:
    """The coordinator ends a worker."""


@dataclass(frozen=True, slots=True)
class Gone:
    """A worker's last will over MQTT: the broker publishes it to the coordinator when
    the worker's connection ends without a goodbye (the process died, or its host
    stopped answering)."""

    worker: str


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Bytes from the wire that are not a massca wire message; ``problem`` says why."""

    problem: str


def narrowed(message: Any, receivers: tuple[str, ...]) -> Any:
    """``message`` as a multicast to ``receivers`` needs it: an update carries only their
    states and a cell_orders message only their plans (each reads its own entry); any
    other message is itself."""
    if type(message) is Update:
        states, forecasts = message.states, message.forecasts
        return Update(
            {r: states[r] for r in receivers},
            {r: forecasts[r] for r in receivers if r in forecasts},
        )
    if type(message) is CellOrders:
        cells = message.cells
        return CellOrders({r: cells[r] for r in receivers})
    return message


class WireCodec(Codec):  # type: ignore[misc]
    """mango's codec for massca's wire messages; see the module docstring.

    A message is the JSON array ``[type id, meta, content]``; meta keeps the sender's id
    and address and the receiver's id (all mango's containers read). A batch's messages
    are encoded as the log encodes them: the array lists ``[sender, to, kind, length]``
    per message, and their bodies follow it after a newline, back to back (orjson never
    writes a newline), so they are neither escaped nor parsed on the way. They decode to
    `Encoded` messages: a receiver decodes those it hands to an agent
    (`ProtocolCodec.decoded`) and logs or passes on the others as they are.
    """

    def __init__(self) -> None:
        super().__init__()
        self._protocol = ProtocolCodec()
        self.bytes_encoded = 0
        """Bytes this codec has encoded (what its container sent), for measurements."""
        self.bytes_decoded = 0
        """Bytes this codec has decoded (what its container received)."""

    def encode(self, data: Any) -> bytes:
        content, meta = data.split_content_and_meta()
        kind = type(content)
        encoder = _ENCODERS.get(kind)
        if encoder is None:
            raise TypeError(f"not a massca wire message: {content!r}")
        wire_meta = {key: meta[key] for key in _META if key in meta}
        bodies: list[bytes] = []
        head = orjson.dumps([_TYPE_IDS[kind], wire_meta, encoder(self, content, bodies)])
        encoded = head + b"\n" + b"".join(bodies) if bodies else head
        self.bytes_encoded += len(encoded)
        return encoded

    def decode(self, data: bytes | bytearray) -> MangoMessage:
        self.bytes_decoded += len(data)
        meta: dict[str, Any] = {}
        try:
            head, _, bodies = bytes(data).partition(b"\n")
            type_id, wire_meta, content = orjson.loads(head)
            meta = {key: wire_meta[key] for key in _META if key in wire_meta}
            if isinstance(meta.get("sender_addr"), list):
                meta["sender_addr"] = tuple(meta["sender_addr"])
            content = _DECODERS[type_id](self, content, bodies)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, MasscaError) as error:
            content = Unreadable(f"{type(error).__name__}: {error}")
        return MangoMessage(content, meta)

    def _entries(self, entries: tuple[Entry, ...], bodies: list[bytes]) -> list[Any]:
        encode = self._protocol.encode
        wire = []
        for sender, to, message in entries:
            kind, body = encode(message)
            wire.append((sender, to, kind, len(body)))
            bodies.append(body)
        return wire

    def _read_entries(self, wire: list[Any], bodies: bytes) -> tuple[Entry, ...]:
        entries = []
        append = entries.append
        at = 0
        for sender, to, kind, length in wire:
            end = at + length
            if type(to) is str:
                receivers: str | tuple[str, ...] = to
            else:  # a multicast (a list: anything else fails here)
                receivers = tuple(to)
                if not all(type(r) is str for r in receivers):
                    raise TypeError(f"an entry's receivers: {to!r}")
            if type(sender) is not str or type(kind) is not str or end == at:
                raise TypeError(f"an entry of no sender, kind or body: {sender!r}, {kind!r}")
            append((sender, receivers, Encoded(kind, bodies[at:end])))
            at = end
        if at != len(bodies):
            raise ValueError(f"entries that add up to {at} bytes, not {len(bodies)}")
        return tuple(entries)

    def _states(self, batch: Batch) -> Any:
        """A batch's outcome as the log encodes an update's states (None if empty)."""
        if not batch.outcome:
            return None
        return orjson.Fragment(self._protocol.encode(Update(batch.outcome, NO_FORECASTS))[1])

    def _read_states(self, body: Any) -> Mapping[str, State]:
        if body is None:
            return MappingProxyType({})
        return self._protocol.decode("update", body).states  # type: ignore[attr-defined]


_META = ("sender_id", "sender_addr", "receiver_id")

_ENCODERS: dict[type, Callable[[WireCodec, Any, list[bytes]], Any]] = {
    Hello: lambda codec, m, bodies: [m.worker, m.pid, m.address],
    Assign: lambda codec, m, bodies: [m.header, m.agents],
    Ready: lambda codec, m, bodies: m.worker,
    Batch: lambda codec, m, bodies: [
        m.time,
        m.iteration,
        codec._entries(m.entries, bodies),
        codec._states(m),
        m.leaving,
    ],
    Failed: lambda codec, m, bodies: [m.agent, m.kind, m.error, codec._entries(m.entries, bodies)],
    Stop: lambda codec, m, bodies: None,
    Gone: lambda codec, m, bodies: m.worker,
}


def _hello(codec: WireCodec, body: Any, bodies: bytes) -> Hello:
    worker, pid, address = body
    if isinstance(address, str):
        return Hello(str(worker), int(pid), address)
    host, port = address
    return Hello(str(worker), int(pid), (str(host), int(port)))


def _assign(codec: WireCodec, body: Any, bodies: bytes) -> Assign:
    header, agents = body
    if not isinstance(header, dict):
        raise TypeError("an assignment's header is no object")
    return Assign(header, tuple(map(str, agents)))


def _batch(codec: WireCodec, body: Any, bodies: bytes) -> Batch:
    time, iteration, entries, outcome, leaving = body
    read = codec._read_entries(entries, bodies)
    if leaving is not None:
        leaving = tuple(leaving)
        if not all(type(i) is int and 0 <= i < len(read) for i in leaving):
            raise ValueError("a batch's leaving entries are no indices of its entries")
    return Batch(int(time), int(iteration), read, codec._read_states(outcome), leaving)


def _failed(codec: WireCodec, body: Any, bodies: bytes) -> Failed:
    agent, kind, error, entries = body
    return Failed(str(agent), str(kind), str(error), codec._read_entries(entries, bodies))


_TYPE_IDS: dict[type, int] = {
    Hello: 1,
    Assign: 2,
    Ready: 3,
    Batch: 4,
    Failed: 5,
    Stop: 6,
    Gone: 7,
}
"""Fixed type ids: the same in every process, whatever it imported first."""

_DECODERS: dict[int, Callable[[WireCodec, Any, bytes], Any]] = {
    1: _hello,
    2: _assign,
    3: lambda codec, body, bodies: Ready(str(body)),
    4: _batch,
    5: _failed,
    6: lambda codec, body, bodies: Stop(),
    7: lambda codec, body, bodies: Gone(str(body)),
}
