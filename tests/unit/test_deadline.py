"""The hard deadline: cuts marked code that runs past it, names it, and leaves no timer or
handler behind."""

from __future__ import annotations

import signal
import time

import pytest

from massca.actors.deadline import enforced, mark, running, shielded
from massca.errors import StepTimeoutError


def agent_step(agent: str, seconds: float) -> None:
    """Stands for an agent's handler: marked, so a deadline may cut it."""
    time.sleep(seconds)


mark(agent_step, lambda frame: (frame.f_locals["agent"], f"agent {frame.f_locals['agent']!r}"))


def untouched() -> bool:
    return signal.getsignal(signal.SIGALRM) == signal.SIG_DFL and signal.getitimer(
        signal.ITIMER_REAL
    ) == (0.0, 0.0)


def test_marked_code_past_the_deadline_is_cut_and_named() -> None:
    with pytest.raises(StepTimeoutError) as caught, enforced(0.05, lambda: "step 7"):
        agent_step("cell-3", 30)
    assert str(caught.value) == "step 7 exceeded its timeout of 0.05 s: agent 'cell-3' was running"
    assert caught.value.silent == ("cell-3",)
    assert untouched()


def test_unmarked_code_is_not_cut_and_nothing_stays_armed() -> None:
    with enforced(0.01, lambda: "step"):
        time.sleep(0.05)  # not step code: the deadline waits for it, then the step ends
    assert untouched()


def test_a_shielded_section_is_finished_before_the_cut() -> None:
    done = []

    def flush_then_hang() -> None:
        with enforced(0.01, lambda: "step"):
            with shielded():  # like the log's flush: the expiry waits for its end
                agent_step("a", 0.05)
                done.append("flushed")
            agent_step("a", 30)

    with pytest.raises(StepTimeoutError):
        flush_then_hang()
    assert done == ["flushed"]
    assert untouched()


def test_nested_deadlines_arm_the_outermost_only() -> None:
    def nested() -> None:
        with enforced(5, lambda: "outer"), enforced(0.01, lambda: "inner"):
            agent_step("x", 0.1)  # the outer's 5 s timer governs: no cut at 0.01 s

    nested()
    assert untouched()


def test_running_reads_the_marked_frames_innermost_first() -> None:
    import sys

    def outer_agent(agent: str) -> tuple[tuple[str, ...], str]:
        return inner_agent("unit-1")

    def inner_agent(agent: str) -> tuple[tuple[str, ...], str]:
        return running(sys._getframe())

    describe = lambda frame: (frame.f_locals["agent"], f"agent {frame.f_locals['agent']!r}")  # noqa: E731
    mark(outer_agent, describe)
    mark(inner_agent, describe)
    assert outer_agent("cell-1") == (("unit-1", "cell-1"), "agent 'unit-1', in agent 'cell-1'")
    assert running(sys._getframe()) == ((), "")
