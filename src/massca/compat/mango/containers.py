"""mango's TCP container as massca's processes use it, with mango 2.4's defects that
bite them worked around (mango itself is not forked).

Belongs here: `WireContainer` and `open_container`. Not here: what the containers carry
(`wire`) or who talks to whom (`processes`, `worker`).

The defects, each fixed by one override and pinned by a test that fails without it:

* ``start``: mango reads ``server.sockets[0]._sock``, which uvloop's servers lack, so the
  container cannot start under uvloop. `WireContainer` asks the socket itself.
* ``shutdown``: on Python 3.12 ``server.wait_closed()`` waits until every accepted
  connection has closed, and a peer's pooled connection stays open (30 s by default),
  so shutting down hangs while a peer lives. `WireContainer` closes the connections it
  accepted before it waits.

One setting, not a defect: mango's pool may open up to 10 connections to one peer and
hands them out in turn, so two messages sent in a row can overtake each other. massca's
processes rely on order (a worker's batches are causally ordered), so a
`WireContainer` keeps one connection per peer: TCP's order is the send order.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mango.container.core import Container
from mango.container.protocol import ContainerProtocol
from mango.container.tcp import TCP_MAX_CONNECTIONS_PER_TARGET, TCPContainer
from mango.util.clock import AsyncioClock

from massca.compat.mango.wire import WireCodec

__all__ = ["WireContainer", "open_container"]


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
