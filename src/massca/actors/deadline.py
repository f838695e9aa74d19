"""Hard step deadlines: a step that runs past its timeout is stopped where it runs, and the
error names the agent and the hook that were running.

Belongs here: `enforced` (a deadline around a section of code), `shielded` (a section a
deadline must not cut, such as writing the log), `mark` (name the functions whose frames
tell who is running) and `running` (read them off a thread's stack). Not here: the
runtimes' own checks between messages (`massca.actors.runtime`) or a runtime hosted in
another thread (`massca.compat.mosaik.hosting` reads that thread's stack with `running`).

How: on the main thread, `enforced` arms ``ITIMER_REAL``; when it fires, the ``SIGALRM``
handler looks at the interrupted stack. If massca's step code is on it (a marked frame,
outside a `shielded` section), it raises `Expired`, a `BaseException`, so that no
``except Exception`` in a user's hook or in mango swallows it; `enforced` turns it into
`StepTimeoutError`. If not (the step's coroutine is waiting and other code runs), the
handler re-arms itself for `RETRY` seconds and the runtime's own check catches the
deadline when the step resumes. A blocking call in a hook (``time.sleep``, a socket
read) is interrupted, a pure-Python loop too; C code that never returns to Python
(a numerical kernel) is stopped when it does.

Off the main thread (Python delivers signals only there), or when ``SIGALRM`` or the
interval timer is already in use by other code, nothing is armed and the runtimes'
own checks are all there is.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType, FrameType
from typing import Any

from massca.errors import StepTimeoutError

__all__ = ["RETRY", "SLACK", "Expired", "Site", "enforced", "mark", "running", "shielded"]

RETRY = 0.01
"""Seconds after which a deadline that found no step code running looks again."""
SLACK = 0.1
"""Seconds a step may overrun its timeout by before the waits that do not name the
running agent fire: mango's wait for the report waits timeout + SLACK (the hard deadline
fires first), a runtime in a private thread is given up after timeout + 2 SLACK."""

Site = tuple[str | None, str]
"""What a marked frame says: the agent it runs (or None) and what it does."""

_SITES: dict[CodeType, Callable[[FrameType], Site]] = {}


def mark(function: Callable[..., Any], describe: Callable[[FrameType], Site]) -> None:
    """Make frames of ``function`` step code that a deadline may cut, and let
    ``describe(frame)`` say which agent it runs and what it does (read the frame's
    locals). Marking the same function again replaces its description."""
    _SITES[function.__code__] = describe


def running(frame: FrameType | None) -> tuple[tuple[str, ...], str]:
    """What step code the stack ending in ``frame`` runs: the agents named by its marked
    frames (innermost first) and their descriptions joined, innermost first; empty when
    no marked frame is on it."""
    agents: list[str] = []
    texts: list[str] = []
    while frame is not None:
        describe = _SITES.get(frame.f_code)
        if describe is not None:
            try:
                agent, text = describe(frame)
            except Exception:  # a frame caught before its locals exist
                agent, text = None, ""
            if agent is not None and agent not in agents:
                agents.append(agent)
            if text and text not in texts:
                texts.append(text)
        frame = frame.f_back
    return tuple(agents), ", in ".join(texts)


class Expired(BaseException):
    """Raised by the deadline's signal handler into the step code it cuts; `enforced`
    turns it into `StepTimeoutError`. ``agents`` and ``where`` come from `running`."""

    def __init__(self, agents: tuple[str, ...], where: str) -> None:
        super().__init__(where)
        self.agents = agents
        self.where = where


class _Alarm:
    """The one armed deadline of this process (its main thread), if any."""

    armed = False
    shielded = 0


def _handle(signum: int, frame: FrameType | None) -> None:
    if not _Alarm.armed:  # a late signal of a deadline that has ended
        return
    agents, where = running(frame)
    if not where or _Alarm.shielded:
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        return
    raise Expired(agents, where)


@contextmanager
def enforced(seconds: float, what: Callable[[], str]) -> Iterator[None]:
    """Run the ``with`` body under a hard deadline of ``seconds`` (see the module
    docstring). When it expires, `StepTimeoutError` says ``what()`` (e.g. "step at time
    900, iteration 0") exceeded its timeout and which agent and hook were running; its
    ``silent`` holds those agents. Nested deadlines: the outermost one is armed, every
    one turns `Expired` into the error."""
    arm = (
        not _Alarm.armed
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    if arm:
        signal.signal(signal.SIGALRM, _handle)
        _Alarm.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))  # 0 would disarm it
    try:
        yield
    except Expired as expired:
        raise StepTimeoutError(
            f"{what()} exceeded its timeout of {seconds:g} s: {expired.where} was running",
            expired.agents,
        ) from None
    finally:
        if arm:  # ignore first: a timer the handler re-armed must not kill the process
            _Alarm.armed = False
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)


@contextmanager
def shielded() -> Iterator[None]:
    """A section no deadline cuts (writing the log): an expiry inside waits for its end."""
    _Alarm.shielded += 1
    try:
        yield
    finally:
        _Alarm.shielded -= 1
