"""The ``massca`` console script: the command line, with Ctrl-C and SIGTERM handled from
its first moment.

Belongs here: `main` (what the ``massca`` script and ``python -m massca.cli`` run) and
`guarded`. Not here: the commands (`massca.cli`).

The command line's heavy modules (mosaik, pandapower, pandas) take a second or more to
load; a Ctrl-C then, or while a world is being built, used to end in a traceback. Here it
ends in one line and exit code 130. SIGTERM is handled like Ctrl-C
(`massca.interrupts`): a run stops, keeps every completed step, writes its summary and
says it was terminated.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from massca.interrupts import stop_requests

__all__ = ["EXIT_INTERRUPTED", "guarded", "main"]

EXIT_INTERRUPTED = 130


def guarded(command: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None) -> int:
    """Run ``command(argv)`` under `massca.interrupts.stop_requests`; an interrupt that
    reaches here is one line on stderr and exit code 130."""
    with stop_requests() as requests:
        try:
            return command(argv)
        except KeyboardInterrupt as stop:
            print(f"massca: {requests.of(stop)}", file=sys.stderr)
            return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """The ``massca`` command: `massca.cli.main`, loaded under the guard."""

    def command(argv: Sequence[str] | None) -> int:
        from massca.cli import main as cli_main

        return cli_main(argv)

    return guarded(command, argv)


if __name__ == "__main__":
    sys.exit(main())
