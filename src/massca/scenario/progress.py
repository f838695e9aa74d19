"""A long run's progress: steps done of planned, the simulated time, steps per second and
the expected end, as a line every few seconds.

Belongs here: `RunProgress`. Not here: printing (the CLI hands in where the lines go) or
counting steps (the results collector calls `RunProgress.step_done` as it writes a row).
The clock is injected, so the arithmetic is tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["REPORT_EVERY", "RunProgress"]

REPORT_EVERY = 5.0
"""Seconds between two progress lines; a run shorter than that reports none."""


class RunProgress:
    """Reports, at most every ``every`` seconds of ``clock``, a line such as
    "step 480 of 2,880 (2016-06-05 23:45), 31.2 steps/s, about 77 s left (ends 14:03:12)"
    to ``report``. ``now`` gives the wall-clock time of day for the expected end."""

    def __init__(
        self,
        planned: int,
        report: Callable[[str], None],
        every: float = REPORT_EVERY,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.planned = planned
        self.report = report
        self.every = every
        self.clock = clock
        self.now = now
        self.first: tuple[float, int] | None = None  # (when, steps done) at the first call
        self.last = 0.0  # when the last line was reported

    def step_done(self, done: int, simulated: str) -> None:
        """``done`` steps are complete, the last at simulated time ``simulated``. The rate
        counts from the first step done, so setting the run up does not lower it."""
        at = self.clock()
        if self.first is None:
            self.first = (at, done)
            self.last = at
            return
        if at - self.last < self.every:
            return
        self.last = at
        began, first_done = self.first
        rate = (done - first_done) / (at - began) if at > began else 0.0
        left = round((self.planned - done) / rate) if rate > 0 else 0  # whole seconds
        ends = self.now() + timedelta(seconds=left)
        self.report(
            f"step {done:,} of {self.planned:,} ({simulated}), {rate:.1f} steps/s, "
            f"about {left} s left (ends {ends:%H:%M:%S})"
        )
