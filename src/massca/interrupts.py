"""Stop requests: Ctrl-C and SIGTERM, both raised as a `KeyboardInterrupt`, with the reason
kept.

Belongs here: `Terminated` and `stop_requests`. Not here: what a command does when it is
stopped (`massca.scenario.run` keeps the completed steps; `massca.cli` prints one line).

Why keep the reason apart from the exception: libraries lose it. mosaik catches a
`KeyboardInterrupt` that lands inside its scheduler, logs "Simulation canceled" and
returns as if the run had ended; a pybind11 extension interrupted while it loads raises
``ImportError: initialization failed`` instead; and an interrupt raised inside a weakref
callback or a ``__del__`` (such as the import system's module-lock cleanup) is only
printed as "Exception ignored in ..." and the code goes on. A command that watches
`stop_requests` still knows it was stopped, and why, and `raise_pending` raises a
swallowed request again where the command regains control. Signal handlers belong to the
whole process, so nested `stop_requests` share the outermost record.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = [
    "EXIT_INTERRUPTED",
    "INTERRUPTED",
    "TERMINATED",
    "StopRequests",
    "Terminated",
    "raise_pending",
    "stop_requests",
]

EXIT_INTERRUPTED = 130
"""The exit code of a command stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells say)."""
INTERRUPTED = "interrupted (Ctrl-C)"
TERMINATED = "terminated (SIGTERM)"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises `KeyboardInterrupt` and handled alike."""


class StopRequests:
    """The stop requests (signals) received while `stop_requests` was active."""

    __slots__ = ("reason",)

    _active: StopRequests | None = None  # the outermost record, while one is active

    def __init__(self) -> None:
        #: `INTERRUPTED` or `TERMINATED` for the first request received, else None.
        self.reason: str | None = None

    def of(self, interrupt: KeyboardInterrupt) -> str:
        """Why the run stopped, given the ``interrupt`` that stopped it: the first request
        received, else what the exception itself says."""
        if self.reason is not None:
            return self.reason
        return TERMINATED if isinstance(interrupt, Terminated) else INTERRUPTED

    def interrupt(self) -> KeyboardInterrupt:
        """The interrupt to raise for the request received (a library turned it into
        another error, or swallowed it)."""
        return Terminated() if self.reason == TERMINATED else KeyboardInterrupt()


@contextmanager
def stop_requests() -> Iterator[StopRequests]:
    """While inside, SIGINT raises `KeyboardInterrupt` and SIGTERM raises `Terminated`, and
    the yielded `StopRequests` (the outermost one's, when nested) remembers the first one;
    a signal that was ignored (as for a job started in the background) stays ignored. The
    handlers before are restored on leaving. Outside the main thread (where Python allows
    no handlers) nothing is installed and only what the interrupt itself says is known."""
    if StopRequests._active is not None:
        yield StopRequests._active
        return
    requests = StopRequests()
    if threading.current_thread() is not threading.main_thread():
        yield requests
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        terminated = signum == signal.SIGTERM
        if requests.reason is None:
            requests.reason = TERMINATED if terminated else INTERRUPTED
        raise Terminated if terminated else KeyboardInterrupt

    hook_before = sys.unraisablehook

    def unraisable(unraisable: sys.UnraisableHookArgs) -> None:
        # A swallowed interrupt is recorded in `requests`; `raise_pending` raises it again.
        if unraisable.exc_type is None or not issubclass(unraisable.exc_type, KeyboardInterrupt):
            hook_before(unraisable)

    before = {
        sig: signal.signal(sig, handle)
        for sig in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(sig) is not signal.SIG_IGN  # an ignored signal stays ignored
    }
    sys.unraisablehook = unraisable
    StopRequests._active = requests
    try:
        yield requests
    finally:
        StopRequests._active = None
        sys.unraisablehook = hook_before
        for sig, handler in before.items():
            signal.signal(sig, handler)


def raise_pending() -> None:
    """Raise the interrupt for a stop request received inside `stop_requests`, if there
    was one: where a command regains control after code that may have swallowed it (see
    the module's docstring). Call it where stopping is safe (between steps), never while
    cleaning up. Outside `stop_requests` it does nothing."""
    requests = StopRequests._active
    if requests is not None and requests.reason is not None:
        raise requests.interrupt()
