"""The MAS over worker processes on mango's TCP containers: the same results and log as
one process, failures named, no process left behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from massca.actors import replay_file
from massca.compat.mango import ProcessRuntime
from massca.compat.mango.broker import mosquitto_path
from massca.compat.runtimes import open_runtime
from massca.errors import StepTimeoutError
from massca.log import read_log
from massca.model import (
    CohdaStrategy,
    ConfigurationError,
    ExchangeLimits,
    ProtocolError,
    StepConfig,
    Strategy,
    cells_hierarchy,
    reference_step,
)
from massca.workload import synthetic_states

CONFIG = StepConfig(limits=ExchangeLimits(import_max=5.0, export_max=1.0))


def alive(pid: int) -> bool:
    """True while ``pid`` is a process that has not been reaped (zombies are not alive)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children() -> set[int]:
    """This process's child processes (zombies included: they are not yet reaped)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(stat.parent.name))
    return found


needs_mosquitto = pytest.mark.skipif(
    mosquitto_path() is None, reason="mosquitto is not installed (Debian package mosquitto)"
)


@pytest.mark.parametrize(
    ("strategy", "processes", "placement", "transport"),
    [
        (Strategy.of("cellular", "proportional"), 2, "blocks", "tcp"),
        (Strategy.of("global", "merit"), 3, "round-robin", "tcp"),
        (Strategy.of("optimal", "proportional"), 2, "round-robin", "tcp"),
        (Strategy(CohdaStrategy(levels=4, topology="ring", seed=2)), 3, "blocks", "tcp"),
        (Strategy.of("cellular", "cohda"), 2, "blocks", "tcp"),
        pytest.param(
            Strategy.of("cellular", "proportional"), 2, "blocks", "mqtt", marks=needs_mosquitto
        ),
        pytest.param(
            Strategy(CohdaStrategy(levels=4, topology="small-world", seed=2)),
            3,
            "blocks",
            "mqtt",
            marks=needs_mosquitto,
        ),
    ],
    ids=[
        "cellular",
        "global-merit",
        "optimal",
        "cohda-between",
        "cohda-within",
        "cellular-mqtt",
        "cohda-between-mqtt",
    ],
)
def test_steps_over_processes_match_the_oracle_and_replay(
    strategy, processes, placement, transport, tmp_path
) -> None:
    hierarchy = cells_hierarchy(cells=4, depth=2, loads=4, generators=3)
    log = tmp_path / "run.jsonl"
    before = children()

    async def scenario() -> tuple[int, ...]:
        async with ProcessRuntime(
            hierarchy,
            CONFIG,
            log=log,
            strategy=strategy,
            processes=processes,
            placement=placement,
            transport=transport,
        ) as runtime:
            for step in range(3):
                states = synthetic_states(hierarchy, seed=step, step=step)
                result = await runtime.step(step * 900, 0, states)
                assert result == reference_step(hierarchy, states, CONFIG, strategy=strategy)
                again = await runtime.step(step * 900, 1, dict(result.targets))
                assert again == reference_step(
                    hierarchy, dict(result.targets), CONFIG, strategy=strategy
                )
            return runtime.pids

    pids = asyncio.run(scenario())
    assert len(pids) == processes
    assert not any(alive(pid) for pid in pids)  # closing ended and reaped every worker
    assert children() == before  # and the broker, if it started one
    header, report = replay_file(log)
    assert report.ok, report.divergence.describe()
    assert (report.steps, report.iterations) == (3, 6)
    assert header.config["runtime"] == "processes"


def test_the_log_over_processes_holds_the_same_events_as_one_process(tmp_path) -> None:
    hierarchy = cells_hierarchy(cells=3, depth=1, loads=3, generators=2)
    logs = {"one": tmp_path / "one.jsonl", "many": tmp_path / "many.jsonl"}

    async def scenario(kind: str) -> None:
        processes = 1 if kind == "one" else 3
        async with open_runtime("native", hierarchy, log=logs[kind], processes=processes) as rt:
            for step in range(2):
                await rt.step(step * 900, 0, synthetic_states(hierarchy, seed=1, step=step))

    for kind in logs:
        asyncio.run(scenario(kind))

    def events(path):  # the order differs (processes interleave), the messages do not
        return sorted(
            (e.time, e.sender, str(e.receiver), e.kind, repr(e.body)) for e in read_log(path).events
        )

    assert events(logs["many"]) == events(logs["one"])


@pytest.mark.parametrize(
    ("when", "transport"),
    [
        ("between steps", "tcp"),
        ("mid-step", "tcp"),
        pytest.param("mid-step", "mqtt", marks=needs_mosquitto),
    ],
)
def test_a_killed_worker_is_named_at_once_and_nothing_is_left_behind(
    when, transport, tmp_path
) -> None:
    hierarchy = cells_hierarchy(cells=4, depth=1, loads=3, generators=2)
    log = tmp_path / "run.jsonl"
    timeout = 20.0
    before = children()

    async def scenario() -> tuple[StepTimeoutError, tuple[int, ...], float]:
        async with ProcessRuntime(
            hierarchy, log=log, timeout=timeout, processes=2, transport=transport
        ) as runtime:
            await runtime.step(0, 0, synthetic_states(hierarchy, seed=1, step=0))
            victim = runtime.pids[1]
            started = time.monotonic()
            if when == "between steps":
                os.kill(victim, signal.SIGKILL)
            else:  # as soon as the step's first batch is on its way
                asyncio.get_running_loop().call_soon(os.kill, victim, signal.SIGKILL)
            with pytest.raises(StepTimeoutError) as caught:
                await runtime.step(900, 0, synthetic_states(hierarchy, seed=1, step=1))
            took = time.monotonic() - started
            with pytest.raises(ProtocolError, match="start a new runtime"):
                await runtime.step(1800, 0, synthetic_states(hierarchy, seed=1, step=2))
            return caught.value, runtime.pids, took

    error, pids, took = asyncio.run(scenario())
    assert took < timeout / 2  # seen through the pidfd, not waited out
    assert error.silent == ("cell-2", "cell-3")  # blocks: worker 1 holds the second half
    assert f"worker worker-1 (pid {pids[1]}) was killed by signal 9 (SIGKILL)" in str(error)
    assert "lost its cells 'cell-2', 'cell-3'" in str(error)
    assert not any(alive(pid) for pid in pids)
    assert children() == before
    events = read_log(log).events
    assert any(e.time == 900 and e.kind == "step_start" for e in events)  # flushed


def test_a_worker_ends_when_its_parent_dies(tmp_path) -> None:
    """A coordinator killed outright cannot stop its workers: they end by themselves."""
    import subprocess
    import sys

    script = (
        "import asyncio, os, sys\n"
        "from massca.compat.mango import ProcessRuntime\n"
        "from massca.model import cells_hierarchy\n"
        "async def main():\n"
        "    rt = ProcessRuntime(cells_hierarchy(cells=2, depth=1), processes=2)\n"
        "    await rt.start()\n"
        "    print(*rt.pids, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    coordinator = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in coordinator.stdout.readline().split()]
        assert len(pids) == 2
        coordinator.kill()
        coordinator.wait()
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in pids)
    finally:
        coordinator.kill()
        coordinator.wait()
        coordinator.stdout.close()
        for pid in pids if "pids" in locals() else ():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            {"processes": 5},
            "processes = 5: more worker processes than the 4 cells (each worker holds "
            "whole cells); give at most one per cell",
        ),
        ({"processes": 0}, "processes = 0: give a whole number >= 1"),
        ({"placement": "random"}, "placement = 'random': choose one of blocks, round-robin"),
        ({"transport": "udp"}, "transport = 'udp': choose one of tcp, mqtt"),
        ({"broker": ("127.0.0.1", 1883)}, "a broker was given, but the transport is not mqtt"),
        ({"launch": [["nice"]]}, "launch: 1 command prefix(es) for 2 worker processes"),
        (
            {"strategy": Strategy.of(lambda views, config: None)},
            "agents in worker processes are built from the strategy's description",
        ),
    ],
)
def test_bad_process_options_are_configuration_errors(options, said) -> None:
    hierarchy = cells_hierarchy(cells=4, depth=1)
    with pytest.raises(ConfigurationError, match=said.replace("(", r"\(").replace(")", r"\)")):
        ProcessRuntime(hierarchy, **options)


@needs_mosquitto
def test_a_killed_broker_is_named_at_once_and_nothing_is_left_behind() -> None:
    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    before = children()

    async def scenario() -> tuple[StepTimeoutError, int]:
        async with ProcessRuntime(hierarchy, processes=2, transport="mqtt", timeout=20) as rt:
            await rt.step(0, 0, synthetic_states(hierarchy, seed=1, step=0))
            broker = rt._broker.process.pid
            os.kill(broker, signal.SIGKILL)
            with pytest.raises(StepTimeoutError) as caught:
                await rt.step(900, 0, synthetic_states(hierarchy, seed=1, step=1))
            return caught.value, broker

    error, broker = asyncio.run(scenario())
    assert f"the MQTT broker (mosquitto, pid {broker}) was killed by signal 9" in str(error)
    assert error.silent == ("cell-0", "cell-1")
    assert children() == before


@needs_mosquitto
def test_a_worker_that_stops_answering_is_named_by_its_last_will() -> None:
    """A frozen worker (SIGSTOP: its process lives, so no process watch sees it, as with a
    host cut off) misses its keep-alives; the broker publishes its last will and the step
    fails naming it, long before the step's timeout."""
    from massca.compat.mango.containers import WILL_KEEPALIVE

    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    timeout = 30.0
    before = children()

    async def scenario() -> tuple[StepTimeoutError, int, float]:
        async with ProcessRuntime(
            hierarchy, processes=2, transport="mqtt", timeout=timeout
        ) as runtime:
            await runtime.step(0, 0, synthetic_states(hierarchy, seed=1, step=0))
            victim = runtime.pids[0]
            os.kill(victim, signal.SIGSTOP)
            started = time.monotonic()
            try:
                with pytest.raises(StepTimeoutError) as caught:
                    await runtime.step(900, 0, synthetic_states(hierarchy, seed=1, step=1))
            finally:
                os.kill(victim, signal.SIGCONT)  # so that it can be stopped
            return caught.value, victim, time.monotonic() - started

    error, victim, took = asyncio.run(scenario())
    assert took < 3 * WILL_KEEPALIVE + 2 < timeout
    assert f"worker worker-0 (pid {victim}) lost its connection to the MQTT broker" in str(error)
    assert error.silent == ("cell-0",)
    assert children() == before


def test_an_unreachable_broker_is_one_clear_error_and_nothing_is_left_behind() -> None:
    with socket.socket() as closed:  # a port nobody listens at
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    before = children()

    async def scenario() -> None:
        runtime = ProcessRuntime(
            cells_hierarchy(cells=2, depth=1), transport="mqtt", broker=("127.0.0.1", port)
        )
        with pytest.raises(ConfigurationError, match=f"cannot start at \\('127.0.0.1', {port}\\)"):
            await runtime.start()

    asyncio.run(scenario())
    assert children() == before
