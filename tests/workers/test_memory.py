"""The collector's pauses are kept short by freezing what survives (workers/memory.py); what dies later
is still reclaimed: by reference counting at once, and cycles by the sweep."""

from __future__ import annotations

import gc
import time
import weakref

from deconfliction.workers.memory import Settler, settle, sweep


class Node:
    def __init__(self):
        self.other = None


def test_settled_objects_leave_the_collectors_sight_and_a_sweep_reclaims_a_cycle_that_died_since():
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the cyclic collector can free it
        probe = weakref.ref(a)
        settle()
        assert gc.get_freeze_count() > 0
        del a, b
        gc.collect()
        assert probe() is not None  # frozen: a collection does not look at it
        sweep()
        assert probe() is None
    finally:
        gc.unfreeze()


def test_an_object_without_cycles_is_freed_at_once_though_frozen():
    try:
        held = {"notice": Node()}
        probe = weakref.ref(held["notice"])
        settle()
        held.clear()  # a cache drops its entry
        assert probe() is None
    finally:
        gc.unfreeze()


def test_the_settler_settles_on_its_interval_and_stops():
    gc.unfreeze()
    settler = Settler(every_s=0.05, sweep_every_s=3600.0).start()
    try:
        for _ in range(100):
            if gc.get_freeze_count() > 0:
                break
            time.sleep(0.02)
        assert gc.get_freeze_count() > 0
    finally:
        settler.stop()
        gc.unfreeze()
    assert settler._thread is None

