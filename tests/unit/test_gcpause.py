"""The collector's policy: paused around steps, a built world frozen for a run."""

from __future__ import annotations

import gc

from massca.actors.gcpause import RUN_THRESHOLDS, frozen, gc_paused


def test_a_world_built_before_a_run_is_frozen_for_it_and_thawed_after() -> None:
    world = [{"cell": i} for i in range(1000)]  # stands for grid tables and agents
    before = gc.get_freeze_count()
    with frozen():
        assert gc.get_freeze_count() >= before + len(world)
    assert gc.get_freeze_count() == 0


def test_a_run_collects_less_often_and_the_thresholds_are_restored_after() -> None:
    before = gc.get_threshold()
    with frozen():
        assert gc.get_threshold() == RUN_THRESHOLDS
        assert RUN_THRESHOLDS[0] > before[0]
    assert gc.get_threshold() == before


def test_a_thawed_world_is_freed_when_it_goes() -> None:
    import weakref

    class Node:
        pass

    node = Node()
    node.me = node  # a cycle: only the collector can free it
    alive = weakref.ref(node)
    with frozen():
        del node
        gc.collect()
        assert alive() is not None  # frozen: out of the collector's reach
    gc.collect()
    assert alive() is None


def test_pausing_nests_and_restores() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
