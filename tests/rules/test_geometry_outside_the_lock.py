"""Invariant 5: no request holds the store's write lock for long: a filing's heavy geometry runs
against a snapshot, outside the write transaction (prechecked.py). Real threads on a real SQLite file;
the slow geometry is made slow on purpose (it waits until the test releases it), so the test is about
who waits for whom, not about timings."""

from __future__ import annotations

import pytest

from deconfliction.errors import MissingKey
from deconfliction.geometry import Polygon

from factories import footprint_volume
from held_geometry import hold_geometry, in_thread

SLOW = Polygon(vertices=((2.30, 48.80), (2.40, 48.80), (2.40, 48.90), (2.30, 48.90)))


@pytest.fixture
def slow_geometry(monkeypatch):
    return hold_geometry(monkeypatch, lambda footprint: footprint == SLOW)


def test_a_slow_filing_does_not_hold_another_partys_write(system, clock, slow_geometry):
    entered, release = slow_geometry
    red = system.file_notice("red", "pact", [footprint_volume(Polygon(vertices=((2.35, 48.85), (2.36, 48.85), (2.36, 48.86))), clock.now)])
    slow, slow_outcome = in_thread(lambda: system.file_notice("blue", "pact", [footprint_volume(SLOW, clock.now)], key=[red.notice.version]))
    assert entered.wait(30)  # blue's filing is inside its exact check now
    # Another party's write, in another agreement, goes through while blue's geometry is still running.
    other, other_outcome = in_thread(lambda: system.file_notice("yellow", "other", [footprint_volume(Polygon(vertices=((10.0, 50.0), (10.1, 50.0), (10.1, 50.1))), clock.now)]))
    other.join(timeout=20)
    assert not other.is_alive(), "a write waited for another party's geometry"
    assert "value" in other_outcome and slow.is_alive()
    release.set()
    slow.join(timeout=30)
    assert [c.state for c in slow_outcome["value"].conflicts] == ["open"]


def test_a_notice_changed_while_the_geometry_ran_is_checked_again_under_the_lock(system, clock, slow_geometry):
    """The snapshot saw red's notice far away; red moved it over blue's area before blue's write: the
    write computes that notice again and asks blue for its new version."""
    entered, release = slow_geometry
    green = system.file_notice("green", "pact", [footprint_volume(Polygon(vertices=((2.39, 48.89), (2.45, 48.89), (2.45, 48.95))), clock.now)])
    far = footprint_volume(Polygon(vertices=((5.0, 45.0), (5.01, 45.0), (5.01, 45.01))), clock.now)
    red = system.file_notice("red", "pact", [far])
    blue, outcome = in_thread(lambda: system.file_notice("blue", "pact", [footprint_volume(SLOW, clock.now)], key=[green.notice.version]))
    assert entered.wait(30)
    moved = system.change_notice("red", red.notice.id, volumes=[footprint_volume(Polygon(vertices=((2.35, 48.85), (2.36, 48.85), (2.36, 48.86))), clock.now)])
    release.set()
    blue.join(timeout=30)
    error = outcome.get("error")
    assert isinstance(error, MissingKey), outcome
    assert [m["version"] for m in error.details["missing"]] == [moved.notice.version]
