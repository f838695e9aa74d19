"""massca: multi-agent co-simulation of hierarchical energy cells.

Layers, each importing only from those below it (``tests/unit/test_layering.py``):

    massca.cli            command line: run | scale | replay | bench
    massca.scenario       the embedded default scenario
    massca.compat.mosaik  the mosaik simulator shell
    massca.compat.mango   the agents hosted in mango containers
    massca.actors         the asyncio actor core and the agents
    massca.log            the event-sourced message log and replay
    massca.model          PURE: states, aggregation, balance, redispatch, hierarchy
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("massca")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
