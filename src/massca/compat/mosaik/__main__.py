"""``python -m massca.compat.mosaik HOST:PORT``: the MAS simulator in its own process
(the ``'cmd'`` starter's command), its command line."""

from __future__ import annotations

import mosaik_api_v3
from mosaik_api_v3.connection import EndOfRequests

from massca.compat.mosaik import MosaikAgents


def main() -> None:
    """Run the MAS simulator as a separate process that connects to mosaik.

    When mosaik closes the connection before the MAS got its configuration (mosaik
    could not encode it: a hook given as a Python function), this process ends with one
    line saying so and exit code 1 instead of a traceback."""
    simulator = MosaikAgents()
    try:
        mosaik_api_v3.start_simulation(simulator, "massca: the MAS as a mosaik simulator")
    except EndOfRequests:
        if simulator.initialised:
            raise
        raise SystemExit(  # one line on stderr, exit code 1
            "massca: mosaik closed the connection before sending the MAS its configuration. "
            "With the 'cmd' starter MAS_CONFIG goes to this process as JSON, which cannot "
            "hold a Python function: give each hook as 'package.module:function', or use "
            "the in-process starter {'python': 'massca.compat.mosaik:MosaikAgents'}"
        ) from None


if __name__ == "__main__":
    main()
