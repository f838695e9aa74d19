"""massca's mango container: each worked-around defect of mango 2.4 pinned, with a check
that mango's own container still has it (when mango fixes one, that check fails and the
workaround can go)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import mango
import paho.mqtt.client as paho
import pytest
import uvloop
from mango.container.mqtt import MQTTContainer
from mango.container.tcp import TCPContainer
from mango.messages.message import MangoMessage
from mango.util.clock import AsyncioClock

from massca.compat.mango.broker import Broker, mosquitto_path
from massca.compat.mango.containers import open_container, open_mqtt_container
from massca.compat.mango.wire import Ready, WireCodec


class Inbox(mango.Agent):
    def __init__(self) -> None:
        super().__init__()
        self.got: list = []

    def handle_message(self, content, meta) -> None:
        self.got.append(content)


def mangos_own(host: str = "127.0.0.1") -> TCPContainer:
    return TCPContainer(addr=(host, 0), codec=WireCodec(), clock=AsyncioClock())


def test_the_container_starts_under_uvloop_where_mangos_cannot() -> None:
    async def start(container) -> int:
        await container.start()
        try:
            return container.addr[1]
        finally:
            await container.shutdown()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(start(open_container("127.0.0.1"))) > 0
        with pytest.raises(AttributeError, match="_sock"):
            runner.run(start(mangos_own()))


async def shutdown_while_a_peer_holds_a_connection(container) -> float:
    """Seconds ``container``'s shutdown takes while a peer keeps its pooled connection
    (at most 2: then it is taken as hanging)."""
    peer = open_container("127.0.0.1")
    inbox = Inbox()
    container.register(inbox, suggested_aid="inbox")
    await container.start()
    await peer.start()
    try:
        address = mango.AgentAddress(container.addr, "inbox")
        assert await peer.send_message(Ready("w"), address, sender_id="peer")
        while not inbox.got:
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await asyncio.wait_for(container.shutdown(), 2.0)
        except TimeoutError:
            return 2.0
        return loop.time() - started
    finally:
        await peer.shutdown()


def test_the_container_shuts_down_while_a_peer_holds_a_connection() -> None:
    assert asyncio.run(shutdown_while_a_peer_holds_a_connection(open_container("127.0.0.1"))) < 1
    # mango's own waits for the peer's pooled connection to close (30 s by default)
    assert asyncio.run(shutdown_while_a_peer_holds_a_connection(mangos_own())) == 2.0


def test_messages_to_one_peer_arrive_in_the_order_sent() -> None:
    async def scenario() -> list:
        receiver, sender = open_container("127.0.0.1"), open_container("127.0.0.1")
        inbox = Inbox()
        receiver.register(inbox, suggested_aid="inbox")
        async with mango.activate(receiver, sender):
            address = mango.AgentAddress(receiver.addr, "inbox")
            sends = [
                asyncio.create_task(sender.send_message(Ready(str(i)), address, sender_id="s"))
                for i in range(300)
            ]
            assert all(await asyncio.gather(*sends))
            while len(inbox.got) < 300:
                await asyncio.sleep(0.01)
        return [int(m.worker) for m in inbox.got]

    assert asyncio.run(scenario()) == list(range(300))


needs_mosquitto = pytest.mark.skipif(
    mosquitto_path() is None, reason="mosquitto is not installed (Debian package mosquitto)"
)


@contextlib.contextmanager
def broker(port: int = 0):
    running = Broker(port=port)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def mangos_mqtt(address, topic: str) -> MQTTContainer:
    return MQTTContainer(
        client_id=topic, broker_addr=address, clock=AsyncioClock(), codec=WireCodec(),
        inbox_topic=topic,
    )  # fmt: skip


@needs_mosquitto
def test_mqtt_sends_go_without_nagle() -> None:
    async def scenario(make) -> tuple[int, list[bool]]:
        with broker() as running:
            receiver = open_mqtt_container(running.address, "t/receiver")
            sender = make(running.address, "t/sender")
            inbox = Inbox()
            receiver.register(inbox, suggested_aid="inbox")
            async with mango.activate(receiver, sender):
                nodelay = sender.mqtt_client.socket().getsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY
                )
                address = mango.AgentAddress("t/receiver", "inbox")
                sent = [
                    await sender.send_message(Ready(str(i)), address, sender_id="s")
                    for i in range(20)
                ]
                while len(inbox.got) < 20:
                    await asyncio.sleep(0.01)
        return nodelay, sent

    nodelay, sent = asyncio.run(scenario(open_mqtt_container))
    assert nodelay != 0
    assert all(sent)
    nodelay, _ = asyncio.run(scenario(mangos_mqtt))
    assert nodelay == 0  # mango's: Nagle's algorithm on


class QueuedClient:
    """A paho client whose publish is accepted and queued, not yet on the wire."""

    def publish(self, topic, payload, qos, retain):
        info = paho.MQTTMessageInfo(1)
        info.rc = paho.MQTT_ERR_SUCCESS
        return info


def test_an_mqtt_send_that_paho_queued_counts_as_sent() -> None:
    def send(make) -> bool:
        container = make(("127.0.0.1", 1883), "t/sender")  # never started: no broker needed
        container.mqtt_client = QueuedClient()
        message = MangoMessage(Ready("w"), {})
        return asyncio.run(container._send_external_message(topic="t/x", message=message))

    assert send(open_mqtt_container) is True
    assert send(mangos_mqtt) is False  # mango's: is_published() of a queued message


@needs_mosquitto
def test_mqtt_subscriptions_are_renewed_after_the_broker_comes_back() -> None:
    async def scenario(make, patience: float) -> list:
        with broker() as first:
            port = first.port
            container = make(first.address, "t/agent")
            inbox = Inbox()
            container.register(inbox, suggested_aid="inbox")
            publisher = open_mqtt_container(first.address, "t/publisher")
            async with mango.activate(container):
                await container.subscribe_for_agent(aid="inbox", topic="t/news")
                first.stop()  # the broker goes away and comes back on the same port
                with broker(port):
                    await publisher.start()
                    try:
                        loop = asyncio.get_running_loop()
                        deadline = loop.time() + patience
                        while not inbox.got and loop.time() < deadline:
                            await publisher.send_message(
                                Ready("news"), mango.AgentAddress("t/news", ""), sender_id="p"
                            )
                            await asyncio.sleep(0.2)
                    finally:
                        await publisher.shutdown()
        return inbox.got

    assert asyncio.run(scenario(open_mqtt_container, 15)) != []
    assert asyncio.run(scenario(mangos_mqtt, 5)) == []  # mango's renews only its inbox
