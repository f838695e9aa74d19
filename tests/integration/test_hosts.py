"""The MAS over simulated hosts: the coordinator and two workers each in a network
namespace of their own on a private bridge, with packets dropped by nftables."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from massca.actors import replay_file
from tests.integration.hosts import drop_packets, dropped, missing, simulated_hosts

COORDINATOR = """
import asyncio, json, sys
from massca.compat.mango import ProcessRuntime
from massca.model import cells_hierarchy, reference_step
from massca.workload import synthetic_states

host, launch, log, steps = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])

async def main():
    hierarchy = cells_hierarchy(cells=4, depth=1, loads=3, generators=2)
    async with ProcessRuntime(
        hierarchy, processes=2, host=host, launch=launch, log=log, timeout=120
    ) as runtime:
        for step in range(steps):
            states = synthetic_states(hierarchy, seed=1, step=step)
            result = await runtime.step(step * 900, 0, states)
            assert result == reference_step(hierarchy, states), f"step {step} differs"
        print(json.dumps({"workers": runtime.worker_addresses, "pids": runtime.pids}))

asyncio.run(main())
"""

pytestmark = pytest.mark.skipif(missing("nft") is not None, reason=str(missing("nft")))


def test_cells_on_simulated_hosts_with_packet_loss_match_one_process(tmp_path) -> None:
    log = tmp_path / "run.jsonl"
    with simulated_hosts("coordinator", "worker-0", "worker-1") as hosts:
        drop_packets(hosts["worker-0"], 10)
        drop_packets(hosts["coordinator"], 10)
        launch = [hosts["worker-0"].command(), hosts["worker-1"].command()]
        command = hosts["coordinator"].command(
            sys.executable, "-c", COORDINATOR, hosts["coordinator"].address, json.dumps(launch),
            str(log), "6",
        )  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=300)
        finally:
            process.kill()
            process.wait()
        assert process.returncode == 0, err.decode()[-2000:]
        ran = json.loads(out)
        assert [host for host, _ in ran["workers"]] == [
            hosts["worker-0"].address,
            hosts["worker-1"].address,
        ]
        assert dropped(hosts["worker-0"]) > 0  # the loss was real; TCP made up for it
        assert dropped(hosts["coordinator"]) > 0
    _, report = replay_file(log)
    assert report.ok
    assert report.steps == 6
