"""``python -m massca.compat.mosaik HOST:PORT [--remote]``: the MAS simulator in its own
process, its command line.

Without ``--remote`` it connects to mosaik at HOST:PORT (mosaik's ``'cmd'`` starter runs
this command). With ``--remote`` it is a server that waits at HOST:PORT for one mosaik
World that names it in its sim_config as ``{'connect': 'HOST:PORT'}``, possibly from
another machine; port 0 lets the operating system choose, and the line printed when it
is ready says where it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import mosaik_api_v3
from mosaik_api_v3.connection import Channel, EndOfRequests

from massca.compat.mosaik import MosaikAgents

DESCRIPTION = "massca: the MAS as a mosaik simulator"
REMOTE_TIMEOUT = 60
"""Seconds a ``--remote`` server waits for mosaik to connect, by default."""


def main(argv: list[str] | None = None) -> None:
    """Run the MAS simulator as a separate process that talks to mosaik.

    When mosaik closes the connection before the MAS got its configuration (mosaik
    could not encode it: a hook given as a Python function), this process ends with one
    line saying so and exit code 1 instead of a traceback."""
    args = sys.argv[1:] if argv is None else argv
    simulator = MosaikAgents()
    try:
        if "--remote" in args or "-r" in args:
            asyncio.run(_serve(simulator, _remote_arguments(args)))
        else:
            mosaik_api_v3.start_simulation(simulator, DESCRIPTION)
    except EndOfRequests:
        if simulator.initialised:
            raise
        raise SystemExit(  # one line on stderr, exit code 1
            "massca: mosaik closed the connection before sending the MAS its configuration. "
            "With the 'cmd' starter MAS_CONFIG goes to this process as JSON, which cannot "
            "hold a Python function: give each hook as 'package.module:function', or use "
            "the in-process starter {'python': 'massca.compat.mosaik:MosaikAgents'}"
        ) from None


def _remote_arguments(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m massca.compat.mosaik",
        description=f"{DESCRIPTION}, as a server mosaik connects to",
    )
    parser.add_argument("address", metavar="HOST:PORT", help="where to listen (port 0: any)")
    parser.add_argument("-r", "--remote", action="store_true", required=True)
    parser.add_argument(
        "-t",
        "--timeout",
        type=float,
        default=REMOTE_TIMEOUT,
        help=f"seconds to wait for mosaik to connect (default {REMOTE_TIMEOUT})",
    )
    parsed = parser.parse_args(args)
    host, sep, port = parsed.address.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        parser.error(f"address {parsed.address!r}: give HOST:PORT, e.g. 0.0.0.0:5678")
    parsed.host, parsed.port = host.strip("[]"), int(port)
    return parsed


async def _serve(simulator: MosaikAgents, args: argparse.Namespace) -> None:
    """Wait for one mosaik connection at the given address and serve it until mosaik
    ends the simulation (mosaik_api_v3's own server, which cannot tell a port it chose)."""
    connected: asyncio.Future[Channel] = asyncio.get_running_loop().create_future()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if connected.done():  # one World per server; a second caller is turned away
            writer.close()
        else:
            connected.set_result(Channel(reader, writer))

    server = await asyncio.start_server(accept, args.host, args.port)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"massca: the MAS simulator waits for mosaik at {host}:{port}", flush=True)
    try:
        channel = await asyncio.wait_for(connected, args.timeout)
    except TimeoutError:
        raise SystemExit(
            f"massca: no mosaik World connected to {host}:{port} within {args.timeout:g} s"
        ) from None
    finally:
        server.close()
    try:
        compliant = mosaik_api_v3.check_api_compliance(simulator)
        await mosaik_api_v3.run_simulator(channel, simulator, api_compliant=compliant)
    finally:
        await channel.close()


if __name__ == "__main__":
    main()
