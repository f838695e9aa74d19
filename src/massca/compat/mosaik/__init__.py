"""massca.compat.mosaik: the MAS as a mosaik simulator (``mosaik_api_v3``).

Use ``'python': 'massca.compat.mosaik:MosaikAgents'`` or the prototype's import path
``'python': 'mosaik_components.mas:MosaikAgents'``; for a separate process,
``'cmd': '%(python)s -m massca.compat.mosaik %(addr)s'``.
"""

from massca.compat.mosaik.config import ALIASES, HOOKS, KEYS, MasConfig
from massca.compat.mosaik.simulator import META, MODEL, MosaikAgents

__all__ = ["ALIASES", "HOOKS", "KEYS", "META", "MODEL", "MasConfig", "MosaikAgents", "main"]


def main() -> None:
    """Run the MAS simulator as a separate process that connects to mosaik.

    When mosaik closes the connection before the MAS got its configuration (mosaik
    could not encode it: a hook given as a Python function), this process ends with one
    line saying so and exit code 1 instead of a traceback."""
    import sys

    import mosaik_api_v3
    from mosaik_api_v3.connection import EndOfRequests

    simulator = MosaikAgents()
    try:
        mosaik_api_v3.start_simulation(simulator, "massca: the MAS as a mosaik simulator")
    except EndOfRequests:
        if simulator.initialised:
            raise
        print(
            "massca: mosaik closed the connection before sending the MAS its configuration. "
            "With the 'cmd' starter MAS_CONFIG goes to this process as JSON, which cannot "
            "hold a Python function: give each hook as 'package.module:function', or use "
            "the in-process starter {'python': 'massca.compat.mosaik:MosaikAgents'}",
            file=sys.stderr,
        )
        sys.exit(1)
