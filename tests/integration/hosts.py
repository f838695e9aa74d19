"""Simulated hosts for tests: Linux network namespaces on a private bridge.

`simulated_hosts(names)` makes one network namespace per name, each with one interface
and an address in a private /24, all tied to a bridge that lives in a namespace of its
own (nothing in the machine's own namespace changes). Everything is removed on exit,
whatever happened. `drop_packets` adds an nftables rule in a host that drops a share of
the packets it receives. Needs root, iproute2 and nftables: `missing` says what is not
there, for a skip.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SBIN = ("/usr/sbin", "/sbin")


def tool(name: str) -> str | None:
    """The path of ``name``, also in the sbin folders a non-login PATH may lack."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def missing(*tools: str) -> str | None:
    """Why simulated hosts cannot be made here, or None."""
    if os.geteuid() != 0:
        return "simulated hosts need root (network namespaces)"
    for name, package in (("ip", "iproute2"), *((t, t) for t in tools)):
        if tool(name) is None:
            return f"{name} is not installed (Debian package {package})"
    return None


@dataclass(frozen=True)
class Host:
    """A simulated host: its namespace's name and its address."""

    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this host."""
        return [tool("ip") or "ip", "netns", "exec", self.namespace, *argv]


def _ip(*argv: str) -> None:
    subprocess.run([tool("ip") or "ip", *argv], check=True, capture_output=True, timeout=30)


@contextmanager
def simulated_hosts(*names: str) -> Iterator[dict[str, Host]]:
    """One `Host` per name on a private bridge; all removed on exit."""
    tag = f"ms{os.getpid() % 10000}{random.randrange(100)}"
    subnet = f"10.{random.randrange(100, 250)}.{random.randrange(1, 250)}"
    switch = f"{tag}sw"
    made: list[str] = []
    try:
        _ip("netns", "add", switch)
        made.append(switch)
        _ip("-n", switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", switch, "link", "set", "br0", "up")
        hosts = {}
        for i, name in enumerate(names, start=1):
            namespace = f"{tag}h{i}"
            _ip("netns", "add", namespace)
            made.append(namespace)
            inside, outside = f"{tag}a{i}", f"{tag}b{i}"
            _ip("link", "add", inside, "netns", namespace, "type", "veth", "peer", outside,
                "netns", switch)  # fmt: skip
            _ip("-n", namespace, "addr", "add", f"{subnet}.{i}/24", "dev", inside)
            _ip("-n", namespace, "link", "set", inside, "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", switch, "link", "set", outside, "master", "br0", "up")
            hosts[name] = Host(namespace, f"{subnet}.{i}")
        yield hosts
    finally:
        for namespace in reversed(made):  # deleting a namespace deletes its interfaces
            subprocess.run([tool("ip") or "ip", "netns", "del", namespace], capture_output=True)


def drop_packets(host: Host, percent: int) -> None:
    """Drop ``percent`` % of the packets ``host`` receives (random, per packet)."""
    rules = (
        "table inet massca_loss {\n"
        "  chain input {\n"
        "    type filter hook input priority 0; policy accept;\n"
        f"    numgen random mod 100 < {percent} counter drop\n"
        "  }\n"
        "}\n"
    )
    subprocess.run(
        host.command(tool("nft") or "nft", "-f", "-"),
        input=rules,
        text=True,
        check=True,
        capture_output=True,
        timeout=30,
    )


def dropped(host: Host) -> int:
    """Packets the loss rule in ``host`` has dropped so far."""
    listed = subprocess.run(
        host.command(tool("nft") or "nft", "list", "table", "inet", "massca_loss"),
        text=True,
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    words = listed.split()
    return int(words[words.index("packets") + 1])
