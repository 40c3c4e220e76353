"""A filing reuses the exact answers of the check that preceded it (rules/prechecked.Remembered): the
same conflicts as computing them again, nothing reused for a notice written since or for other objects
under the same id and version, and the memory it holds is bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.errors import MissingKey
from deconfliction.geometry import Circle, Minima, Polygon, Volume4D, VolumeConflict
from deconfliction.rules import conflicts, prechecked
from deconfliction.rules.conflicts import closest_conflict

from factories import footprint_volume


def _area(now) -> Volume4D:
    """A fresh object each time, equal by value: what two requests with the same body parse to."""
    return footprint_volume(Polygon(vertices=((2.30, 48.80), (2.40, 48.80), (2.40, 48.90), (2.30, 48.90))), now)


@pytest.fixture
def counted(monkeypatch):
    """How many exact volume-to-volume checks run."""
    calls = []
    real = conflicts.volume_conflict

    def counting(a, b, minima):
        calls.append((a, b))
        return real(a, b, minima)

    monkeypatch.setattr(conflicts, "volume_conflict", counting)
    return calls


def _stored(system, clock):
    near = system.file_notice("red", "pact", [footprint_volume(Polygon(vertices=((2.35, 48.85), (2.36, 48.85), (2.36, 48.86))), clock.now)])
    apart = system.file_notice("green", "pact", [footprint_volume(Polygon(vertices=((2.415, 48.85), (2.425, 48.85), (2.425, 48.86))), clock.now)])
    far = system.file_notice("green", "pact", [footprint_volume(Polygon(vertices=((2.50, 48.85), (2.51, 48.85), (2.51, 48.86))), clock.now)])
    return near, apart, far


def test_a_filing_after_its_check_computes_nothing_again_and_finds_the_same(system, clock, counted):
    near, apart, _ = _stored(system, clock)
    check = system.check("blue", "pact", [_area(clock.now)])
    assert counted, "the check computes the exact answers"
    counted.clear()
    filing = system.file_notice("blue", "pact", [_area(clock.now)], key=[f.notice.version for f in check])
    assert counted == []
    # The same answers as computing them now, with nothing remembered.
    by_notice = {c.notice_a if c.notice_b == filing.notice.id else c.notice_b: c for c in filing.conflicts}
    assert set(by_notice) == {near.notice.id, apart.notice.id}
    for other in (near, apart):
        eager = closest_conflict([_area(clock.now)], other.notice.volumes, Minima(1852.0, 150.0, 300.0))
        assert by_notice[other.notice.id].lateral_m == eager.lateral_m
        assert by_notice[other.notice.id].vertical_m == eager.vertical_m


def test_a_notice_changed_after_the_check_is_computed_again(system, clock, counted):
    near, _, far = _stored(system, clock)
    check = system.check("blue", "pact", [_area(clock.now)])
    moved = system.change_notice("green", far.notice.id, volumes=[footprint_volume(Polygon(vertices=((2.38, 48.88), (2.39, 48.88), (2.39, 48.89))), clock.now)])
    counted.clear()
    with pytest.raises(MissingKey) as refused:
        system.file_notice("blue", "pact", [_area(clock.now)], key=[f.notice.version for f in check])
    assert [m["version"] for m in refused.value.details["missing"]] == [moved.notice.version]
    assert counted and all(b == moved.notice.volumes[0] for _, b in counted), "only the changed notice is computed again"


def test_an_answer_is_not_reused_for_other_objects_under_the_same_id_and_version(clock):
    """Two stores in one process may hold the same id and version with different volumes."""
    mine = [_area(clock.now)]
    minima = Minima(1852.0, 150.0, 300.0)
    seen = [footprint_volume(Circle(lon=2.35, lat=48.85, radius_m=100.0), clock.now)]
    found = prechecked.Precomputed(mine, minima)
    found.learn(mine, minima, "pact:n", "v1", seen, VolumeConflict(0.0, 0.0, clock.now, clock.now + timedelta(hours=1), (2.35, 48.85)))
    remembered = prechecked.Remembered(10_000)
    remembered.keep(found)
    again = [_area(clock.now)]
    recalled = remembered.recall(again, minima)
    assert recalled.answer_for(again, minima, "pact:n", "v1", seen)[0]
    other = [footprint_volume(Circle(lon=9.0, lat=40.0, radius_m=100.0), clock.now)]
    assert recalled.answer_for(again, minima, "pact:n", "v1", other) == (False, None)
    assert recalled.answer_for(again, Minima(100.0, 150.0, 300.0), "pact:n", "v1", seen) == (False, None)


def test_remembered_answers_are_bounded_by_weight(clock):
    minima = Minima(1852.0, 150.0, 300.0)
    remembered = prechecked.Remembered(max_weight=100)
    requests = [[footprint_volume(Circle(lon=2.0 + i / 100, lat=48.0, radius_m=100.0), clock.now)] for i in range(30)]
    for volumes in requests:
        found = prechecked.Precomputed(volumes, minima)
        found.learn(volumes, minima, "pact:n", "v1", volumes, None)
        remembered.keep(found)  # a circle weighs 8, an answer 1
        assert remembered.held <= 100
    assert len(remembered) == 100 // 9
    assert remembered.recall(requests[-1], minima).answers and not remembered.recall(requests[0], minima).answers
    huge = [footprint_volume(Polygon(vertices=tuple((2.0 + i / 1000, 48.0 + (i % 2) / 1000) for i in range(120)) + ((2.06, 48.1),)), clock.now)]
    remembered.keep(prechecked.Precomputed(huge, minima))  # heavier than the whole: not kept, nothing dropped for it
    assert remembered.held <= 100 and len(remembered) == 100 // 9
