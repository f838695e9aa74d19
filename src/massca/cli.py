"""The ``massca`` command line. Thin: parse arguments, call the layers below, print.

This is the only place in massca that prints; everything else returns values or logs
through structlog. Bad input ends with a one-line ``massca: error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from massca import __version__
from massca.errors import ConfigurationError

__all__ = ["main"]

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="massca",
        description="Multi-agent co-simulation of hierarchical energy cells "
        "(mosaik, mango-agents, pandapower).",
    )
    parser.add_argument("--version", action="version", version=f"massca {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except ConfigurationError as error:
        print(f"massca: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
