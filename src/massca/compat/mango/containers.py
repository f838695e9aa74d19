"""mango's TCP and MQTT containers as massca's processes use them, with mango 2.4's
defects that bite them worked around (mango itself is not forked).

Belongs here: `WireContainer`, `WireMQTTContainer`, `open_container`,
`open_mqtt_container`, `address_of` and `LastWill` (a worker's will at the broker). Not
here: what the containers carry (`wire`), who talks to whom (`processes`, `worker`), the
broker (`broker`).

The defects, each fixed by one override and pinned by a test that fails without it:

* ``start``: mango reads ``server.sockets[0]._sock``, which uvloop's servers lack, so the
  container cannot start under uvloop. `WireContainer` asks the socket itself.
* ``shutdown``: on Python 3.12 ``server.wait_closed()`` waits until every accepted
  connection has closed, and a peer's pooled connection stays open (30 s by default),
  so shutting down hangs while a peer lives. `WireContainer` closes the connections it
  accepted before it waits.

MQTT (`WireMQTTContainer`):

* paho never sets TCP_NODELAY, so Nagle's algorithm and the broker's delayed ACKs hold
  small messages back (~50 ms a step instead of ~6). It is set on the client's socket
  after every (re)connect (massca's broker sets it on its side).
* ``send_message`` returns paho's ``is_published()``, False for most healthy QoS-0
  sends that are merely still queued: the return value is whether paho took the
  message.
* after a reconnect mango renews only the inbox subscription: the others are renewed
  too.

One setting, not a defect: mango's pool may open up to 10 connections to one peer and
hands them out in turn, so two messages sent in a row can overtake each other. massca's
processes rely on order (a worker's batches are causally ordered), so a
`WireContainer` keeps one connection per peer: TCP's order is the send order.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import mango
import paho.mqtt.client as paho
from mango.container.core import Container
from mango.container.mqtt import MQTTContainer
from mango.container.protocol import ContainerProtocol
from mango.container.tcp import TCP_MAX_CONNECTIONS_PER_TARGET, TCPContainer
from mango.messages.message import MangoMessage
from mango.util.clock import AsyncioClock

from massca.compat.mango.wire import COORDINATOR_AID, Gone, WireCodec

__all__ = [
    "WireContainer",
    "WireMQTTContainer",
    "address_of",
    "agent_address",
    "open_container",
    "open_mqtt_container",
]


class WireContainer(TCPContainer):  # type: ignore[misc]
    """mango's TCP container, starting under uvloop and shutting down while peers live;
    see the module docstring."""

    _accepted: set[ContainerProtocol]

    async def start(self) -> None:
        """Listen (port 0: any free port) and record the port actually bound."""
        self._accepted = set()
        self.server = await asyncio.get_running_loop().create_server(
            self._accept, self.addr[0], self.addr[1]
        )
        self.addr = (self.addr[0], self.server.sockets[0].getsockname()[1])
        await Container.start(self)  # TCPContainer.start's remainder

    def _accept(self) -> ContainerProtocol:
        return _Accepted(container=self, codec=self.codec, accepted=self._accepted)

    async def shutdown(self) -> None:
        """Close the accepted connections, then shut down as mango does."""
        for protocol in list(getattr(self, "_accepted", ())):
            if protocol.transport is not None:
                protocol.transport.close()
        await super().shutdown()


class _Accepted(ContainerProtocol):  # type: ignore[misc]
    """A connection a peer opened to this container, known to it until it is lost."""

    def __init__(self, *, container: Any, codec: Any, accepted: set[ContainerProtocol]) -> None:
        super().__init__(container=container, codec=codec)
        self._accepted = accepted

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._accepted.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._accepted.discard(self)
        super().connection_lost(exc)


def open_container(host: str, port: int = 0) -> WireContainer:
    """A `WireContainer` at ``host`` (port 0: any free one) with massca's codec and one
    connection per peer; start it with ``mango.activate``."""
    return WireContainer(
        addr=(host, port),
        codec=WireCodec(),
        clock=AsyncioClock(),
        **{TCP_MAX_CONNECTIONS_PER_TARGET: 1},
    )


class WireMQTTContainer(MQTTContainer):  # type: ignore[misc]
    """mango's MQTT container with TCP_NODELAY, a truthful send and subscriptions renewed
    after a reconnect; see the module docstring."""

    async def start(self) -> None:
        """Connect and subscribe as mango does, then switch Nagle's algorithm off."""
        await super().start()
        _no_delay(self.mqtt_client)

    def _set_mqtt_callbacks(self) -> None:
        super()._set_mqtt_callbacks()
        reconnected = self.mqtt_client.on_connect

        def on_connect(client: Any, userdata: Any, flags: Any, code: Any, properties: Any) -> None:
            reconnected(client, userdata, flags, code, properties)
            if code == 0:
                _no_delay(client)
                for topic in self.additional_subscriptions:
                    client.subscribe(topic, qos=2)

        self.mqtt_client.on_connect = on_connect

    async def shutdown(self) -> None:
        """Disconnect as mango does, without paho's network thread logging an error for
        the socket the disconnect just closed."""
        if self.mqtt_client is not None:
            self.mqtt_client.disable_logger()
        await super().shutdown()

    async def _send_external_message(
        self, *, topic: str, message: Any, qos: int = 0, retain: bool = False
    ) -> bool:
        """Publish; True when paho took the message (queued or sent)."""
        info = self.mqtt_client.publish(topic, self.codec.encode(message), qos, retain)
        return bool(info.rc == paho.MQTT_ERR_SUCCESS)


WILL_KEEPALIVE = 4
"""Seconds between the keep-alives of a worker's last-will connection: the broker
publishes the will 1.5 times this after the worker stops answering, at once when its
process dies."""


class LastWill:
    """A worker's MQTT last will: a connection to the broker of its own (mango's container
    makes and connects its client in one go, with no way to set a will first) whose will
    is `Gone` from ``worker`` to the coordinator, on the coordinator's ``inbox`` topic.
    The broker publishes it when the connection ends without `close`: the worker died,
    or its host stopped answering (which no process watch on another machine sees)."""

    def __init__(self, broker: tuple[str, int], inbox: str, worker: str) -> None:
        meta = {"sender_id": worker, "receiver_id": COORDINATOR_AID}
        will = WireCodec().encode(MangoMessage(Gone(worker), meta))
        self._broker = broker
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{worker}-will")
        self._client.will_set(inbox, will, qos=1)

    def open(self) -> None:
        """Connect (the will holds from then on) and keep the connection alive."""
        host, port = self._broker
        self._client.connect(host, port, keepalive=WILL_KEEPALIVE)
        self._client.loop_start()

    def close(self) -> None:
        """Say goodbye: the broker drops the will."""
        self._client.disconnect()
        self._client.loop_stop()


def _no_delay(client: Any) -> None:
    connection = client.socket()
    if connection is not None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def open_mqtt_container(broker: tuple[str, int], topic: str) -> WireMQTTContainer:
    """A `WireMQTTContainer` with massca's codec whose inbox is ``topic`` (also its MQTT
    client id) at ``broker``; start it with ``mango.activate``."""
    return WireMQTTContainer(
        client_id=topic.replace("/", "-"),
        broker_addr=broker,
        clock=AsyncioClock(),
        codec=WireCodec(),
        inbox_topic=topic,
    )


def address_of(container: Any) -> str | tuple[str, int]:
    """Where others send to ``container``: its (host, port), or its MQTT inbox topic."""
    if isinstance(container, MQTTContainer):
        return str(container.inbox_topic)
    host, port = container.addr
    return str(host), int(port)


def agent_address(where: str | tuple[str, int] | list[Any], aid: str) -> mango.AgentAddress:
    """The mango address of agent ``aid`` in the container at ``where`` (see
    `address_of`)."""
    return mango.AgentAddress(where if isinstance(where, str) else tuple(where), aid)
