"""massca's mango container: each worked-around defect of mango 2.4 pinned, with a check
that mango's own container still has it (when mango fixes one, that check fails and the
workaround can go)."""

from __future__ import annotations

import asyncio

import mango
import pytest
import uvloop
from mango.container.tcp import TCPContainer
from mango.util.clock import AsyncioClock

from massca.compat.mango.containers import open_container
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
