"""Noticing at once that a process ended, on the running event loop.

Belongs here: `Watch`. Not here: what to do about it (`processes`, `worker`).

A pidfd (Linux >= 5.3) becomes readable when its process ends, so the loop wakes exactly
then and nothing polls. Where ``pidfd_open`` is missing (an older kernel, or valgrind,
which does not know the call) the watch asks ``alive()`` every `POLL` seconds instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

__all__ = ["POLL", "Watch"]

POLL = 0.1
"""Seconds between two looks at the process where no pidfd is to be had."""


class Watch:
    """Calls ``ended()`` once, when process ``pid`` ends (``alive()`` tells, when
    polling), unless `cancel` is called first. Create it on the loop that is to call."""

    def __init__(self, pid: int, ended: Callable[[], None], alive: Callable[[], bool]) -> None:
        self._loop = asyncio.get_running_loop()
        self._ended, self._alive = ended, alive
        self._pidfd: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except OSError:  # no pidfd here: look now and then
            self._timer = self._loop.call_later(POLL, self._look)
        else:
            self._loop.add_reader(self._pidfd, self._fire)

    def _look(self) -> None:
        if self._alive():
            self._timer = self._loop.call_later(POLL, self._look)
        else:
            self._timer = None
            self._fire()

    def _fire(self) -> None:
        self.cancel()
        self._ended()

    def cancel(self) -> None:
        """Stop watching; idempotent."""
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
