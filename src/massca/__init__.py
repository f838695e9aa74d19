"""massca: multi-agent co-simulation of hierarchical energy cells.

Layers, each importing only from those below it (``tests/unit/test_layering.py``):

    massca.entry          the `massca` command's entry: stop handlers first, then the cli
    massca.cli            command line: run | compare | scale | bench | replay | log
    massca.scenario       the embedded default scenario
    massca.compat.mosaik  the mosaik simulator shell
    massca.compat.mango   the agents hosted in mango containers
    massca.actors         the asyncio actor core and the agents
    massca.log            the event-sourced message log and replay
    massca.model          PURE: states, aggregation, balance, redispatch, hierarchy
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, looked up when first asked for: importlib.metadata takes ~35 ms
    to import, which the ``massca`` command should not pay before its Ctrl-C handler is
    installed (`massca.entry`)."""
    if name != "__version__":
        raise AttributeError(f"module 'massca' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("massca")
    except PackageNotFoundError:  # running from a source tree that is not installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
