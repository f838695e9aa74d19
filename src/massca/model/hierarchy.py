"""The agent tree: coordinator -> cells -> intermediate controllers -> unit agents.

Belongs here: `Node`, `Hierarchy` and its validation. Builders of standard shapes live in
`massca.model.builders`; what flows along the edges lives in the actors.

A `Hierarchy` is validated when it is built and every problem is collected before one
`TopologyError` lists them all: empty or duplicate ids, not exactly one coordinator,
unknown parents, parents of the wrong kind (a cell hangs under the coordinator, a
controller or unit under a cell or controller, nothing under a unit), cycles, nodes
that do not reach the coordinator, and cells or controllers without a unit below them.
Children are kept in canonical order (sorted by id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from massca.errors import TopologyError

__all__ = ["Hierarchy", "Node", "NodeKind"]


class NodeKind(StrEnum):
    """The role of an agent in the tree."""

    COORDINATOR = "coordinator"
    CELL = "cell"
    CONTROLLER = "controller"
    UNIT = "unit"


_ALLOWED_PARENTS: Mapping[NodeKind, frozenset[NodeKind]] = {
    NodeKind.COORDINATOR: frozenset(),
    NodeKind.CELL: frozenset({NodeKind.COORDINATOR}),
    NodeKind.CONTROLLER: frozenset({NodeKind.CELL, NodeKind.CONTROLLER}),
    NodeKind.UNIT: frozenset({NodeKind.CELL, NodeKind.CONTROLLER}),
}


@dataclass(frozen=True, slots=True)
class Node:
    """One agent: its id, its role and the id of its parent (None for the coordinator)."""

    id: str
    kind: NodeKind
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """A validated agent tree. Construct with the nodes; the derived views are read-only.

    ``children[id]`` lists a node's children sorted by id; ``bottom_up`` lists every
    non-unit node so that each comes after all of its descendants (aggregation order);
    ``cell_of[unit]`` names the cell a unit belongs to.
    """

    nodes: tuple[Node, ...]
    root: str = field(init=False)
    kinds: Mapping[str, NodeKind] = field(init=False, repr=False)
    parents: Mapping[str, str] = field(init=False, repr=False)
    children: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)
    cells: tuple[str, ...] = field(init=False, repr=False)
    controllers: tuple[str, ...] = field(init=False, repr=False)
    units: tuple[str, ...] = field(init=False, repr=False)
    bottom_up: tuple[str, ...] = field(init=False, repr=False)
    cell_of: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        nodes = tuple(self.nodes)
        object.__setattr__(self, "nodes", nodes)
        problems = _problems(nodes)
        if problems:
            raise TopologyError(problems)
        kinds = {n.id: n.kind for n in nodes}
        parents = {n.id: n.parent for n in nodes if n.parent is not None}
        children: dict[str, list[str]] = {n.id: [] for n in nodes}
        for child, parent in parents.items():
            children[parent].append(child)
        frozen_children = {k: tuple(sorted(v)) for k, v in children.items()}
        root = next(n.id for n in nodes if n.parent is None)
        order = _post_order(root, frozen_children)
        cell_of: dict[str, str] = {}
        for cell in sorted(i for i, k in kinds.items() if k is NodeKind.CELL):
            for descendant in _descendants(cell, frozen_children):
                cell_of[descendant] = cell
        set_ = object.__setattr__
        set_(self, "root", root)
        set_(self, "kinds", MappingProxyType(kinds))
        set_(self, "parents", MappingProxyType(parents))
        set_(self, "children", MappingProxyType(frozen_children))
        set_(self, "cells", _of_kind(kinds, NodeKind.CELL))
        set_(self, "controllers", _of_kind(kinds, NodeKind.CONTROLLER))
        set_(self, "units", _of_kind(kinds, NodeKind.UNIT))
        set_(self, "bottom_up", tuple(i for i in order if kinds[i] is not NodeKind.UNIT))
        set_(self, "cell_of", MappingProxyType(cell_of))

    @classmethod
    def from_parents(cls, spec: Mapping[str, tuple[NodeKind | str, str | None]]) -> Hierarchy:
        """Build from ``{id: (kind, parent)}``; kinds may be given by name (``"cell"``)."""
        problems: list[str] = []
        nodes: list[Node] = []
        for node_id, (kind, parent) in spec.items():
            try:
                nodes.append(Node(node_id, NodeKind(kind), parent))
            except ValueError:
                valid = ", ".join(k.value for k in NodeKind)
                problems.append(f"node {node_id!r} has unknown kind {kind!r} (valid: {valid})")
        if problems:
            raise TopologyError(tuple(problems))
        return cls(tuple(nodes))

    def __len__(self) -> int:
        return len(self.nodes)

    def depth_of(self, node_id: str) -> int:
        """Edges between ``node_id`` and the coordinator (the coordinator is at 0)."""
        depth = 0
        while node_id != self.root:
            node_id = self.parents[node_id]
            depth += 1
        return depth

    def units_below(self, node_id: str) -> tuple[str, ...]:
        """Every unit in the subtree of ``node_id``, sorted by id."""
        kinds = self.kinds
        return tuple(
            sorted(d for d in _descendants(node_id, self.children) if kinds[d] is NodeKind.UNIT)
        )


def _of_kind(kinds: Mapping[str, NodeKind], kind: NodeKind) -> tuple[str, ...]:
    return tuple(sorted(i for i, k in kinds.items() if k is kind))


def _problems(nodes: tuple[Node, ...]) -> tuple[str, ...]:
    problems: list[str] = []
    by_id: dict[str, Node] = {}
    for node in nodes:
        if not isinstance(node, Node):
            problems.append(f"{node!r} is not a Node")
            continue
        if not isinstance(node.id, str) or not node.id:
            problems.append(f"node id {node.id!r} must be a non-empty string")
            continue
        if not isinstance(node.kind, NodeKind):
            problems.append(f"node {node.id!r} has kind {node.kind!r}, not a NodeKind")
            continue
        if node.id in by_id:
            problems.append(f"duplicate id {node.id!r}: ids must be unique")
            continue
        by_id[node.id] = node
    roots = sorted(i for i, n in by_id.items() if n.parent is None)
    coordinators = sorted(i for i, n in by_id.items() if n.kind is NodeKind.COORDINATOR)
    if not coordinators:
        problems.append("no coordinator: add one node of kind 'coordinator' with no parent")
    elif len(coordinators) > 1:
        problems.append(f"{len(coordinators)} coordinators {coordinators}: keep exactly one")
    for node_id in roots:
        if by_id[node_id].kind is not NodeKind.COORDINATOR:
            problems.append(
                f"{by_id[node_id].kind.value} {node_id!r} has no parent: only the coordinator "
                "may be the root"
            )
    for node_id, node in by_id.items():
        if node.parent is None:
            continue
        parent = by_id.get(node.parent)
        if parent is None:
            problems.append(f"{node.kind.value} {node_id!r} names unknown parent {node.parent!r}")
        elif parent.kind not in _ALLOWED_PARENTS[node.kind]:
            allowed = " or ".join(sorted(k.value for k in _ALLOWED_PARENTS[node.kind]))
            problems.append(
                f"{node.kind.value} {node_id!r} hangs under {parent.kind.value} {parent.id!r}; "
                f"a {node.kind.value} must hang under a {allowed or 'nothing'}"
            )
    problems.extend(_cycle_and_orphan_problems(by_id, coordinators))
    if not problems:
        problems.extend(_empty_subtree_problems(by_id))
    return tuple(problems)


def _cycle_and_orphan_problems(by_id: Mapping[str, Node], coordinators: list[str]) -> list[str]:
    problems: list[str] = []
    root = coordinators[0] if len(coordinators) == 1 else None
    reaches_root: dict[str, bool] = {}
    reported_cycles: set[frozenset[str]] = set()
    for start in sorted(by_id):
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        outcome = False
        while True:
            if current is None or current not in by_id:
                outcome = False
                break
            if current in reaches_root:
                outcome = reaches_root[current]
                break
            if current in on_path:
                cycle = frozenset(path[path.index(current) :])
                if cycle not in reported_cycles:
                    reported_cycles.add(cycle)
                    members = " -> ".join([*path[path.index(current) :], current])
                    problems.append(f"cycle: {members}")
                outcome = False
                break
            if current == root:
                outcome = True
                path.append(current)
                break
            path.append(current)
            on_path.add(current)
            current = by_id[current].parent
        for node_id in path:
            reaches_root.setdefault(node_id, outcome)
    in_cycle = set().union(*reported_cycles) if reported_cycles else set()
    for node_id in sorted(by_id):
        node = by_id[node_id]
        unknown_parent = node.parent is not None and node.parent not in by_id
        if reaches_root.get(node_id) or node_id in in_cycle or unknown_parent:
            continue
        if node.parent is None:
            continue  # a second root: reported with the roots
        problems.append(
            f"orphan: {node.kind.value} {node_id!r} does not reach the coordinator "
            f"through its parents"
        )
    return problems


def _empty_subtree_problems(by_id: Mapping[str, Node]) -> list[str]:
    children: dict[str, list[str]] = {i: [] for i in by_id}
    for node in by_id.values():
        if node.parent is not None:
            children[node.parent].append(node.id)
    frozen = {k: tuple(v) for k, v in children.items()}
    problems = []
    cells = [n for n in by_id.values() if n.kind is NodeKind.CELL]
    if not cells:
        problems.append("no cells: the coordinator needs at least one cell below it")
    for node in sorted(by_id.values(), key=lambda n: n.id):
        if node.kind not in (NodeKind.CELL, NodeKind.CONTROLLER):
            continue
        below = _descendants(node.id, frozen)
        if not any(by_id[d].kind is NodeKind.UNIT for d in below):
            problems.append(f"empty {node.kind.value} {node.id!r}: no unit agent below it")
    return problems


def _descendants(node_id: str, children: Mapping[str, tuple[str, ...]]) -> list[str]:
    found: list[str] = []
    stack = list(children[node_id])
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children[current])
    return found


def _post_order(root: str, children: Mapping[str, tuple[str, ...]]) -> list[str]:
    order: list[str] = []
    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        node_id, expanded = stack.pop()
        if expanded:
            order.append(node_id)
            continue
        stack.append((node_id, True))
        stack.extend((child, False) for child in reversed(children[node_id]))
    return order
