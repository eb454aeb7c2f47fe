"""Bulk work runs with fewer garbage collections, and leaves the collector as it found it."""
import gc

import pytest

from matchmaker.core.garbage import BULK_YOUNG, fewer_collections


@pytest.fixture
def collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_inside_what_lived_before_is_left_out_and_young_collections_are_rare(collector):
    before = gc.get_threshold()
    alive = [{"a": [1]} for _ in range(1000)]
    with fewer_collections():
        assert gc.get_threshold() == (BULK_YOUNG, *before[1:])
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_the_work_fails(collector):
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with fewer_collections():
            raise RuntimeError("an import that stopped")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_nested_use_leaves_the_outer_one_in_force(collector):
    before = gc.get_threshold()
    with fewer_collections():
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] == BULK_YOUNG and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before


def test_cycles_made_inside_are_still_collected(collector):
    """A cycle made inside (a rejected line's exception and its traceback) is freed once
    the work ends, not kept for the life of the process."""
    import weakref

    class Node:
        pass

    with fewer_collections():
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        del node
    gc.collect()
    assert ref() is None
