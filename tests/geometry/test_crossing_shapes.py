"""Shapes that cross with no vertex inside each other overlap: a plus sign, a corridor through an area,
two corridors crossing. Issue 10: these were reported kilometres apart, so no conflict was found and the
second notice was filed without a key. The truth here is by construction (a point inside both)."""

from __future__ import annotations

from datetime import timedelta

from deconfliction.errors import MissingKey
from deconfliction.geometry import Circle, Minima, Polygon, contains_lon_lat, lateral_distance, volume_conflict

from factories import T0, footprint_volume

BAR = Polygon(vertices=((6.0, 44.99), (8.0, 44.99), (8.0, 45.01), (6.0, 45.01)))  # 160 km east-west, 2 km wide
POST = Polygon(vertices=((6.99, 44.3), (7.01, 44.3), (7.01, 45.7), (6.99, 45.7)))  # 155 km north-south, 1.6 km wide


def test_the_issue_plus_sign_is_zero_apart_both_ways():
    # (7, 45) is inside both, and no vertex of either is inside the other.
    assert contains_lon_lat(BAR, 7.0, 45.0) and contains_lon_lat(POST, 7.0, 45.0)
    assert not any(contains_lon_lat(POST, *v) for v in BAR.vertices)
    assert not any(contains_lon_lat(BAR, *v) for v in POST.vertices)
    for a, b in ((BAR, POST), (POST, BAR)):
        found = lateral_distance(a, b)
        assert found is not None and found.metres == 0.0
        # The place returned is shared by both shapes, to a centimetre (the channel is chosen there).
        spot = Circle(lon=found.where[0], lat=found.where[1], radius_m=0.01)
        assert lateral_distance(spot, BAR).metres == 0.0 and lateral_distance(spot, POST).metres == 0.0
        limited = lateral_distance(a, b, limit_m=1.0)
        assert limited is not None and limited.metres == 0.0


def test_the_issue_plus_sign_is_a_conflict_at_any_minimum():
    a = footprint_volume(BAR, upper_m=120.0)
    b = footprint_volume(POST, upper_m=120.0)
    for lateral in (0.001, 1.0, 1852.0):
        conflict = volume_conflict(a, b, Minima(lateral_m=lateral, vertical_m=0.0))
        assert conflict is not None and conflict.lateral_m == 0.0


def test_a_corridor_through_an_area_overlaps_it():
    area = Polygon(vertices=((2.0, 48.0), (2.5, 48.0), (2.5, 48.4), (2.0, 48.4)))  # ~37 × 44 km
    corridor = Polygon(vertices=((1.0, 48.19), (3.5, 48.19), (3.5, 48.21), (1.0, 48.21)))  # 186 km long, runs right through
    assert lateral_distance(area, corridor).metres == 0.0
    assert lateral_distance(corridor, area).metres == 0.0


def test_two_thin_corridors_crossing_at_an_angle_overlap():
    # Diagonal corridors 100 m wide and 50 km long, crossing near (10.0, 50.0); no vertex near the crossing.
    one = Polygon(vertices=((9.7, 49.8), (9.7007, 49.7995), (10.3007, 50.1995), (10.3, 50.2)))
    two = Polygon(vertices=((9.7, 50.2), (10.3, 49.8), (10.3007, 49.8005), (9.7007, 50.2005)))
    assert lateral_distance(one, two).metres == 0.0
    assert lateral_distance(two, one).metres == 0.0


def test_a_plus_sign_across_the_antimeridian_and_one_at_the_pole_overlap():
    bar = Polygon(vertices=((179.0, -0.01), (-179.0, -0.01), (-179.0, 0.01), (179.0, 0.01)))
    post = Polygon(vertices=((179.99, -1.0), (-179.99, -1.0), (-179.99, 1.0), (179.99, 1.0)))
    assert lateral_distance(bar, post).metres == 0.0
    # Two bars 440 km long and 8 km wide crossing at right angles over the north pole.
    a = Polygon(vertices=((-1.0, 88.0), (1.0, 88.0), (179.0, 88.0), (-179.0, 88.0)))
    b = Polygon(vertices=((89.0, 88.0), (91.0, 88.0), (-91.0, 88.0), (-89.0, 88.0)))
    assert contains_lon_lat(a, 0.0, 90.0) and contains_lon_lat(b, 0.0, 90.0)
    assert lateral_distance(a, b).metres == 0.0


def test_a_crossing_notice_is_refused_without_the_key(system, clock):
    """End to end: the second party must present the first's version (invariant 1)."""
    window = dict(now=clock.now, start_h=1.0, hours=1.0, lower_m=0.0, upper_m=120.0)
    first = system.file_notice("red", "pact", [footprint_volume(BAR, **window)])
    try:
        system.file_notice("blue", "pact", [footprint_volume(POST, **window)], key=[])
    except MissingKey as refused:
        assert [m["id"] for m in refused.details["missing"]] == [first.notice.id]
    else:
        raise AssertionError("a notice crossing another was filed without a key")
    filed = system.file_notice("blue", "pact", [footprint_volume(POST, **window)], key=[first.notice.version])
    assert [c.state for c in filed.conflicts] == ["open"] and filed.conflicts[0].lateral_m == 0.0
