"""A long run's progress lines, on a fake clock."""

from __future__ import annotations

from datetime import datetime

from massca.scenario.progress import RunProgress


def test_a_line_every_interval_with_the_rate_and_the_expected_end() -> None:
    seconds = [0.0]
    lines: list[str] = []
    progress = RunProgress(
        100,
        lines.append,
        every=10.0,  # wider than the default, to see the lines it skips
        clock=lambda: seconds[0],
        now=lambda: datetime(2026, 12, 3, 12, 0, 0),
    )
    seconds[0] = 2.0
    progress.step_done(1, "2016-06-01 00:00")  # the first step: the rate counts from here
    seconds[0] = 7.0
    progress.step_done(10, "2016-06-01 02:15")  # too soon: nothing
    seconds[0] = 12.0
    progress.step_done(21, "2016-06-01 05:00")
    seconds[0] = 17.0
    progress.step_done(31, "2016-06-01 07:30")  # 5 s after the last line: nothing
    assert lines == [
        "step 21 of 100 (2016-06-01 05:00), 2.0 steps/s, about 40 s left (ends 12:00:40)"
    ]
    seconds[0] = 27.0
    progress.step_done(51, "2016-06-01 12:30")
    assert lines[-1] == (
        "step 51 of 100 (2016-06-01 12:30), 2.0 steps/s, about 24 s left (ends 12:00:24)"
    )
