"""How the agents spread over worker processes: which worker holds which cells (whole
cells, never a part of one), and how the processes talk.

Belongs here: `PLACEMENTS`, `place` (a pure function of the hierarchy), `TRANSPORTS`
and `broker_address`; light to import, so the command line offers the choices without
loading any runtime. Not here: the processes themselves (`massca.compat.mango`).
"""

from __future__ import annotations

from massca.model import ConfigurationError, Hierarchy

__all__ = ["PLACEMENTS", "TRANSPORTS", "broker_address", "place"]

PLACEMENTS = ("blocks", "round-robin")
"""``blocks``: consecutive cells together (neighbours in the grid share a process);
``round-robin``: cell i to worker i mod N (spreads cells of unequal size)."""

TRANSPORTS = ("tcp", "mqtt")
"""``tcp``: mango's TCP containers (each worker's container listens); ``mqtt``: mango's
MQTT containers through a broker (massca starts a Mosquitto of its own unless one is
given)."""


def broker_address(text: str | None) -> tuple[str, int] | None:
    """``HOST:PORT`` as an address, or None for ``auto``/None (massca's own broker);
    `ConfigurationError` otherwise."""
    if text is None or text == "auto":
        return None
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(
            f"broker = {text!r}: give HOST:PORT of an MQTT broker, or 'auto' to start one"
        )
    return host.strip("[]"), int(port)


def place(
    hierarchy: Hierarchy, workers: int, placement: str = "blocks"
) -> tuple[tuple[str, ...], ...]:
    """The agents each of ``workers`` processes holds: its cells (in canonical order)
    with their controllers and units, every agent but the coordinator exactly once.

    `ConfigurationError` for an unknown placement, fewer than one worker, or more
    workers than cells (each worker holds at least one whole cell)."""
    if placement not in PLACEMENTS:
        raise ConfigurationError(
            f"placement = {placement!r}: choose one of {', '.join(PLACEMENTS)}"
        )
    cells = hierarchy.cells
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigurationError(f"processes = {workers!r}: give a whole number >= 1")
    if workers > len(cells):
        raise ConfigurationError(
            f"processes = {workers}: more worker processes than the {len(cells)} cells "
            "(each worker holds whole cells); give at most one per cell"
        )
    if placement == "blocks":
        size, extra = divmod(len(cells), workers)
        bounds = [i * size + min(i, extra) for i in range(workers + 1)]
        groups = [cells[bounds[i] : bounds[i + 1]] for i in range(workers)]
    else:
        groups = [cells[i::workers] for i in range(workers)]
    worker_of = {cell: w for w, group in enumerate(groups) for cell in group}
    held: list[list[str]] = [[] for _ in range(workers)]
    for node in hierarchy.nodes:
        if node.id != hierarchy.root:
            cell = hierarchy.cell_of.get(node.id, node.id)  # a cell is not its own descendant
            held[worker_of[cell]].append(node.id)
    return tuple(tuple(agents) for agents in held)
