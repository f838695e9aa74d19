"""Which worker process holds which cells: whole cells, never a part of one.

Belongs here: `PLACEMENTS` and `place`, a pure function of the hierarchy (light to
import: the command line offers the placements without loading any runtime). Not here: the
processes themselves (`processes`).
"""

from __future__ import annotations

from massca.model import ConfigurationError, Hierarchy

__all__ = ["PLACEMENTS", "place"]

PLACEMENTS = ("blocks", "round-robin")
"""``blocks``: consecutive cells together (neighbours in the grid share a process);
``round-robin``: cell i to worker i mod N (spreads cells of unequal size)."""


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
