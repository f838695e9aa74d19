"""Builders of standard hierarchies, such as the prototype's "N cells x depth d" experiment.

Belongs here: functions that return a `Hierarchy` of a well-known shape. Not here:
validation (the `Hierarchy` does it) or unit states (seeded generators live outside the
pure model, in `massca.workload`).
"""

from __future__ import annotations

from massca.errors import ConfigurationError
from massca.model.hierarchy import Hierarchy, Node, NodeKind

__all__ = [
    "CIGRE_GENERATORS",
    "CIGRE_LOADS",
    "COORDINATOR_ID",
    "cell_id",
    "cells_hierarchy",
    "split_evenly",
]

CIGRE_LOADS = 18
"""Loads in one CIGRE MV cell (pandapower ``create_cigre_network_mv(with_der="pv_wind")``)."""
CIGRE_GENERATORS = 9
"""Static generators (PV and wind) in one CIGRE MV cell."""
COORDINATOR_ID = "coordinator"


def cell_id(index: int, cells: int) -> str:
    """The id of cell ``index`` (0-based) among ``cells``: zero-padded so ids sort by index."""
    return f"cell-{index:0{len(str(max(cells - 1, 0)))}d}"


def cells_hierarchy(
    cells: int,
    depth: int = 1,
    loads: int = CIGRE_LOADS,
    generators: int = CIGRE_GENERATORS,
    storage: int = 0,
) -> Hierarchy:
    """A coordinator over ``cells`` cells of ``loads + generators + storage`` unit agents
    each.

    ``depth`` is the number of intermediate controllers per cell, as in the prototype's
    scalability experiment: depth 0 puts the units directly under the cell controller;
    depth d chains d controllers below it (``cell -> ctl-1 -> ... -> ctl-d``) and divides
    the cell's units, in id order, into d contiguous groups as even as possible (the
    first ``units % d`` groups one larger), group k under controller k.

    Ids: ``coordinator``, ``cell-<i>``, ``cell-<i>.ctl-<k>``, ``cell-<i>.load-<j>``,
    ``cell-<i>.gen-<j>``, ``cell-<i>.bat-<j>``. Raises `ConfigurationError` if ``cells <
    1``, ``depth < 0``,
    a unit count is negative, a cell has no units, or ``depth`` exceeds the units per cell.
    """
    _check_shape(cells, depth, loads, generators, storage)
    nodes = [Node(COORDINATOR_ID, NodeKind.COORDINATOR)]
    unit_width = len(str(max(loads, generators, storage)))
    ctl_width = len(str(depth))
    for index in range(cells):
        cell = cell_id(index, cells)
        nodes.append(Node(cell, NodeKind.CELL, COORDINATOR_ID))
        units = [f"{cell}.gen-{j:0{unit_width}d}" for j in range(generators)]
        units += [f"{cell}.load-{j:0{unit_width}d}" for j in range(loads)]
        units += [f"{cell}.bat-{j:0{unit_width}d}" for j in range(storage)]
        units.sort()
        if depth == 0:
            nodes.extend(Node(u, NodeKind.UNIT, cell) for u in units)
            continue
        parent = cell
        for k, group in enumerate(split_evenly(units, depth), start=1):
            controller = f"{cell}.ctl-{k:0{ctl_width}d}"
            nodes.append(Node(controller, NodeKind.CONTROLLER, parent))
            nodes.extend(Node(u, NodeKind.UNIT, controller) for u in group)
            parent = controller
    return Hierarchy(tuple(nodes))


def split_evenly[T](items: list[T], parts: int) -> list[list[T]]:
    """``items`` in ``parts`` contiguous groups whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    groups, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        groups.append(items[start:end])
        start = end
    return groups


def _check_shape(cells: int, depth: int, loads: int, generators: int, storage: int) -> None:
    problems = []
    for name, value in (
        ("cells", cells),
        ("depth", depth),
        ("loads", loads),
        ("generators", generators),
        ("storage", storage),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{name} = {value!r} must be a whole number")
    if problems:
        raise ConfigurationError("; ".join(problems))
    if cells < 1:
        problems.append(f"cells = {cells}: need at least 1 cell")
    if depth < 0:
        problems.append(f"depth = {depth}: must be >= 0 (0 puts units directly under the cell)")
    units = loads + generators + storage
    if loads < 0 or generators < 0 or storage < 0:
        problems.append(
            f"loads = {loads}, generators = {generators}, storage = {storage}: must be >= 0"
        )
    elif units == 0:
        problems.append("a cell needs at least one unit (loads + generators + storage >= 1)")
    elif depth > units:
        problems.append(
            f"depth = {depth} exceeds the {units} units of a cell: every "
            f"controller needs a unit; use depth <= {units}"
        )
    if problems:
        raise ConfigurationError("; ".join(problems))
