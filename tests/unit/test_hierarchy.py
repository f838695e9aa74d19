"""Hierarchy validation and the prototype's N-cells-x-depth builder."""

import pytest

from massca.model import (
    ConfigurationError,
    Hierarchy,
    Node,
    NodeKind,
    TopologyError,
    cells_hierarchy,
)


def test_the_builder_places_units_like_the_prototype() -> None:
    h = cells_hierarchy(cells=5, depth=3)
    assert len(h.cells) == 5
    assert len(h.units) == 5 * 27  # the prototype's 135 unit agents for 5 cells
    assert len(h.controllers) == 5 * 3
    chain = ["cell-0.ctl-1", "cell-0.ctl-2", "cell-0.ctl-3"]
    assert h.parents[chain[0]] == "cell-0"
    assert h.parents[chain[1]] == chain[0]
    assert h.parents[chain[2]] == chain[1]
    direct = [len([c for c in h.children[k] if h.kinds[c] is NodeKind.UNIT]) for k in chain]
    assert direct == [9, 9, 9]
    assert h.depth_of("cell-0.load-17") == 5


def test_depth_zero_hangs_units_directly_under_the_cell() -> None:
    h = cells_hierarchy(cells=1, depth=0, loads=2, generators=1)
    assert h.children["cell-0"] == ("cell-0.gen-0", "cell-0.load-0", "cell-0.load-1")


def test_uneven_division_puts_the_larger_groups_first() -> None:
    h = cells_hierarchy(cells=1, depth=2, loads=4, generators=1)
    assert len(h.children["cell-0.ctl-1"]) == 3 + 1  # three units and the next controller
    assert len(h.children["cell-0.ctl-2"]) == 2


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"cells": 0}, "need at least 1 cell"),
        ({"cells": 2, "depth": -1}, "depth = -1: must be >= 0"),
        ({"cells": 2, "depth": 28}, "depth = 28 exceeds the 27 units of a cell"),
        ({"cells": 2.5}, "cells = 2.5 must be a whole number"),
        ({"cells": 1, "loads": 0, "generators": 0}, "at least one unit"),
    ],
)
def test_builder_rejects_impossible_shapes(kwargs, phrase) -> None:
    with pytest.raises(ConfigurationError, match=phrase):
        cells_hierarchy(**kwargs)


def test_every_problem_is_collected_into_one_error() -> None:
    nodes = (
        Node("root", NodeKind.COORDINATOR),
        Node("cell-a", NodeKind.CELL, "root"),
        Node("cell-a", NodeKind.CELL, "root"),
        Node("u1", NodeKind.UNIT, "nowhere"),
        Node("x", NodeKind.CONTROLLER, "y"),
        Node("y", NodeKind.CONTROLLER, "x"),
        Node("u2", NodeKind.UNIT, "x"),
        Node("cell-b", NodeKind.CELL, "root"),
        Node("u3", NodeKind.UNIT, "cell-b"),
        Node("u4", NodeKind.UNIT, "u3"),
    )
    with pytest.raises(TopologyError) as caught:
        Hierarchy(nodes)
    problems = caught.value.problems
    assert "duplicate id 'cell-a': ids must be unique" in problems
    assert "unit 'u1' names unknown parent 'nowhere'" in problems
    assert "cycle: x -> y -> x" in problems
    assert any("unit 'u4' hangs under unit 'u3'" in p for p in problems)
    assert any("orphan: unit 'u2'" in p for p in problems)
    assert str(caught.value).startswith(f"the agent hierarchy has {len(problems)} problems:")


def test_orphans_and_empty_cells_are_named() -> None:
    with pytest.raises(TopologyError, match=r"empty cell 'lonely': no unit agent below it"):
        Hierarchy.from_parents(
            {
                "root": ("coordinator", None),
                "lonely": ("cell", "root"),
                "busy": ("cell", "root"),
                "u": ("unit", "busy"),
            }
        )


def test_unknown_kinds_are_listed_with_the_valid_ones() -> None:
    with pytest.raises(TopologyError, match=r"unknown kind 'battery' \(valid: coordinator"):
        Hierarchy.from_parents({"root": ("coordinator", None), "b": ("battery", "root")})


def test_a_hierarchy_without_cells_is_refused() -> None:
    with pytest.raises(TopologyError, match="no cells"):
        Hierarchy((Node("root", NodeKind.COORDINATOR),))


def test_a_second_root_must_be_the_coordinator() -> None:
    with pytest.raises(TopologyError, match="cell 'c2' has no parent: only the coordinator"):
        Hierarchy.from_parents(
            {
                "root": ("coordinator", None),
                "c1": ("cell", "root"),
                "u1": ("unit", "c1"),
                "c2": ("cell", None),
                "u2": ("unit", "c2"),
            }
        )
