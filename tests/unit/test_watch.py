"""Noticing a process's end: through a pidfd, and by polling where there is none."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from massca.compat.mango.watch import Watch


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_a_watch_calls_once_when_the_process_ends(pidfd, monkeypatch) -> None:
    if not pidfd:

        def no_pidfd(pid: int) -> int:
            raise OSError(38, "Function not implemented")

        monkeypatch.setattr(os, "pidfd_open", no_pidfd)

    async def scenario() -> list[str]:
        heard: list[str] = []
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
        try:
            watch = Watch(child.pid, lambda: heard.append("ended"), lambda: child.poll() is None)
            await asyncio.sleep(0.1)
            assert heard == []  # still running
            for _ in range(100):
                if heard:
                    break
                await asyncio.sleep(0.05)
            watch.cancel()  # after it fired: nothing more happens
            await asyncio.sleep(0.2)
            return heard
        finally:
            child.kill()
            child.wait()

    assert asyncio.run(scenario()) == ["ended"]


def test_a_cancelled_watch_stays_silent() -> None:
    async def scenario() -> list[str]:
        heard: list[str] = []
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.1)"])
        try:
            Watch(child.pid, lambda: heard.append("ended"), lambda: child.poll() is None).cancel()
            child.wait()
            await asyncio.sleep(0.2)
            return heard
        finally:
            child.kill()
            child.wait()

    assert asyncio.run(scenario()) == []
