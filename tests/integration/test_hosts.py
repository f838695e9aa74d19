"""The MAS over simulated hosts: the coordinator, two workers and (for MQTT) the broker
each in a network namespace of their own on a private bridge, with packets dropped by
nftables."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from massca.actors import replay_file
from massca.compat.mango.broker import mosquitto_path
from tests.integration.hosts import Host, drop_packets, dropped, missing, simulated_hosts

COORDINATOR = """
import asyncio, json, sys
from massca.compat.mango import ProcessRuntime
from massca.model import cells_hierarchy, reference_step
from massca.workload import synthetic_states

host, launch, log, steps = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
broker = json.loads(sys.argv[5])  # [host, port], or null: TCP

async def main():
    hierarchy = cells_hierarchy(cells=4, depth=1, loads=3, generators=2)
    async with ProcessRuntime(
        hierarchy,
        processes=2,
        host=host,
        launch=launch,
        log=log,
        timeout=120,
        transport="tcp" if broker is None else "mqtt",
        broker=None if broker is None else tuple(broker),
    ) as runtime:
        for step in range(steps):
            states = synthetic_states(hierarchy, seed=1, step=step)
            result = await runtime.step(step * 900, 0, states)
            assert result == reference_step(hierarchy, states), f"step {step} differs"
        print(json.dumps({"workers": runtime.worker_addresses, "pids": runtime.pids}))

asyncio.run(main())
"""

pytestmark = pytest.mark.skipif(missing("nft") is not None, reason=str(missing("nft")))


@contextlib.contextmanager
def broker_on(host: Host, folder: Path) -> Iterator[tuple[str, int]]:
    """A Mosquitto broker inside ``host``, ended by its pid on exit."""
    port = random.randrange(20000, 60000)  # the host's network namespace is ours alone
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} {host.address}\nallow_anonymous true\npersistence false\n"
        "set_tcp_nodelay true\n"
    )
    broker = subprocess.Popen(
        host.command(mosquitto_path() or "mosquitto", "-c", str(config)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = f"import socket; socket.create_connection(({host.address!r}, {port}), 1).close()"
        deadline = time.monotonic() + 20
        while subprocess.run(host.command(sys.executable, "-c", probe)).returncode != 0:
            assert broker.poll() is None, "the broker ended"
            assert time.monotonic() < deadline, "the broker did not listen"
            time.sleep(0.05)
        yield host.address, port
    finally:
        broker.kill()
        broker.wait()


@pytest.mark.parametrize(
    "transport",
    [
        "tcp",
        pytest.param(
            "mqtt",
            marks=pytest.mark.skipif(
                mosquitto_path() is None, reason="mosquitto is not installed (Debian: mosquitto)"
            ),
        ),
    ],
)
def test_cells_on_simulated_hosts_with_packet_loss_match_one_process(tmp_path, transport) -> None:
    log = tmp_path / "run.jsonl"
    hosts_made = simulated_hosts("coordinator", "worker-0", "worker-1", "broker")
    with hosts_made as hosts, contextlib.ExitStack() as stack:
        broker = None
        if transport == "mqtt":
            broker = stack.enter_context(broker_on(hosts["broker"], tmp_path))
            drop_packets(hosts["broker"], 10)
        drop_packets(hosts["worker-0"], 10)
        drop_packets(hosts["coordinator"], 10)
        launch = [hosts["worker-0"].command(), hosts["worker-1"].command()]
        command = hosts["coordinator"].command(
            sys.executable, "-c", COORDINATOR, hosts["coordinator"].address,
            json.dumps(launch), str(log), "6", json.dumps(broker),
        )  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=300)
        finally:
            process.kill()
            process.wait()
        assert process.returncode == 0, err.decode()[-2000:]
        ran = json.loads(out)
        if transport == "tcp":  # each worker listens in its own host
            assert [host for host, _ in ran["workers"]] == [
                hosts["worker-0"].address,
                hosts["worker-1"].address,
            ]
        else:  # each worker has its inbox topic at the broker
            assert [w.rsplit("/", 1)[1] for w in ran["workers"]] == ["worker-0", "worker-1"]
            assert dropped(hosts["broker"]) > 0
        assert dropped(hosts["worker-0"]) > 0  # the loss was real; TCP made up for it
        assert dropped(hosts["coordinator"]) > 0
    _, report = replay_file(log)
    assert report.ok
    assert report.steps == 6
