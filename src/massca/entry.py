"""The ``massca`` console script and ``python -m massca``: Ctrl-C and SIGTERM are handled
from the first moment.

Belongs here: `main`, which installs the stop handlers (`massca.interrupts`) before the
command line's own modules load (`massca.cli` imports the model, the log and the
runtimes' settings: about 0.1 s, several times that on a loaded machine; an interrupt
then was Python's traceback), and `say_stopped`, the one line a stopped command prints.
Not here: the commands (`massca.cli`).
"""

from __future__ import annotations

import sys

from massca.interrupts import EXIT_INTERRUPTED, StopRequests, stop_requests

__all__ = ["main", "say_stopped"]


def say_stopped(requests: StopRequests, stop: KeyboardInterrupt) -> int:
    """Print why a command stopped (``massca: interrupted (Ctrl-C)``) on stderr and
    return its exit code."""
    print(f"massca: {requests.of(stop)}", file=sys.stderr)
    return EXIT_INTERRUPTED


def main() -> int:
    """Run the command line (`massca.cli.main`) on ``sys.argv``; returns the exit code."""
    with stop_requests() as requests:
        try:
            from massca.cli import main as command_line
        except KeyboardInterrupt as stop:
            return say_stopped(requests, stop)
        return command_line()
