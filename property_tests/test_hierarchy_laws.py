"""Laws of `Hierarchy`: every valid tree is accepted, every malformed one rejected by name."""

import pytest
from hypothesis import given

from massca.model import Hierarchy, NodeKind, TopologyError
from property_tests.strategies import hierarchies, malformed


@given(hierarchies())
def test_valid_trees_are_accepted_with_consistent_views(h: Hierarchy) -> None:
    assert len(h.units) + len(h.cells) + len(h.controllers) + 1 == len(h)
    seen: set[str] = set()
    for node in h.bottom_up:  # every node comes after all of its non-unit descendants
        for child in h.children[node]:
            if h.kinds[child] is not NodeKind.UNIT:
                assert child in seen
        seen.add(node)
    assert h.bottom_up[-1] == h.root
    for node, children in h.children.items():
        assert list(children) == sorted(children)
        assert all(h.parents[c] == node for c in children)
    for unit in h.units:
        assert unit in h.units_below(h.cell_of[unit])


@given(malformed())
def test_every_malformed_tree_is_rejected_naming_the_problem(case) -> None:
    mutation, nodes, phrase = case
    with pytest.raises(TopologyError) as caught:
        Hierarchy(nodes)
    assert caught.value.problems, mutation
    assert any(phrase in problem for problem in caught.value.problems), (
        mutation,
        caught.value.problems,
    )
