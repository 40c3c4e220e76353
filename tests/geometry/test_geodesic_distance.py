"""Lateral distance against independent geodesic truth (pyproj.Geod, brute force), to 1 m, anywhere on Earth."""

from __future__ import annotations

import pytest

from deconfliction.geometry import Circle, Minima, Polygon, lateral_distance, volume_conflict

from factories import footprint_volume
from geodesic_truth import (
    circle_to_circle,
    circle_to_ring,
    edge_midpoint_normal,
    offset,
    point_to_ring,
    regular_ring,
    ring_to_ring,
)

TOLERANCE_M = 1.0


def distance(a, b) -> float:
    found = lateral_distance(a, b)
    assert found is not None
    # The distance does not depend on the order of the shapes.
    back = lateral_distance(b, a)
    assert back is not None and abs(back.metres - found.metres) < 1e-3
    return found.metres


def poly(ring) -> Polygon:
    return Polygon(vertices=tuple(ring))


def rect(west, south, east, north):
    return [(west, south), (east, south), (east, north), (west, north)]


# Overlap, touching and nesting ------------------------------------------------------------------


def test_polygons_sharing_an_edge_are_zero_apart():
    a = rect(10.0, 50.0, 10.1, 50.1)
    b = rect(10.1, 50.0, 10.2, 50.1)
    assert distance(poly(a), poly(b)) == 0.0


def test_polygons_touching_at_one_vertex_are_zero_apart():
    a = rect(10.0, 50.0, 10.1, 50.1)
    b = rect(10.1, 50.1, 10.2, 50.2)
    assert distance(poly(a), poly(b)) == 0.0


def test_a_polygon_nested_inside_another_is_zero_apart_though_the_boundaries_are_far():
    outer = rect(10.0, 50.0, 11.0, 51.0)
    inner = rect(10.4, 50.4, 10.6, 50.6)
    assert point_to_ring(10.4, 50.4, outer) > 25_000  # the boundaries themselves are far apart
    assert distance(poly(outer), poly(inner)) == 0.0


def test_a_circle_inside_a_polygon_is_zero_apart():
    outer = rect(10.0, 50.0, 11.0, 51.0)
    assert distance(poly(outer), Circle(lon=10.5, lat=50.5, radius_m=1000)) == 0.0


def test_a_polygon_inside_a_circle_is_zero_apart():
    inner = rect(10.49, 50.49, 10.51, 50.51)
    assert distance(Circle(lon=10.5, lat=50.5, radius_m=20_000), poly(inner)) == 0.0


def test_overlapping_circles_are_zero_apart_and_disjoint_ones_match_geod():
    assert distance(Circle(lon=0, lat=0, radius_m=1000), Circle(lon=0.01, lat=0, radius_m=1000)) == 0.0
    a, b = Circle(lon=30.0, lat=-20.0, radius_m=2500), Circle(lon=30.3, lat=-20.1, radius_m=700)
    truth = circle_to_circle((30.0, -20.0), 2500, (30.3, -20.1), 700)
    assert abs(distance(a, b) - truth) < 1e-3


# Exactly 1 m apart ------------------------------------------------------------------------------


def test_a_vertex_exactly_1_m_east_of_a_meridian_edge_is_1_m_away():
    # A's east edge is the meridian 10.1°E; the perpendicular to a meridian runs due east.
    a = rect(10.0, 50.0, 10.1, 50.1)
    tip = offset(10.1, 50.05, 90.0, 1.0)
    b = [tip, (tip[0] + 0.01, 50.04), (tip[0] + 0.01, 50.06)]
    truth = ring_to_ring(a, b)
    assert abs(truth - 1.0) < 0.01  # the construction itself, checked independently
    found = distance(poly(a), poly(b))
    assert abs(found - 1.0) < 0.01
    assert volume_conflict(footprint_volume(poly(a)), footprint_volume(poly(b)), Minima(0.9, 0, 0)) is None
    assert volume_conflict(footprint_volume(poly(a)), footprint_volume(poly(b)), Minima(1.1, 0, 0)) is not None


def test_a_vertex_exactly_1_m_off_the_middle_of_a_slanted_geodesic_edge_is_1_m_away():
    a_start, a_end = (10.0, 50.0), (10.6, 50.35)
    lon, lat, right = edge_midpoint_normal(a_start, a_end)
    # A lies to the left of a_start→a_end; B's vertex sits 1 m to the right of the edge's middle.
    left = offset(lon, lat, right + 180.0, 20_000)
    a = [a_start, a_end, left]
    tip = offset(lon, lat, right, 1.0)
    b = [tip, offset(lon, lat, right - 30, 5_000), offset(lon, lat, right + 30, 5_000)]
    truth = ring_to_ring(a, b)
    assert abs(truth - 1.0) < 0.01
    assert abs(distance(poly(a), poly(b)) - 1.0) < 0.01


def test_a_circle_1_m_outside_a_polygon_edge_is_1_m_away():
    a = rect(10.0, 50.0, 10.1, 50.1)
    centre = offset(10.1, 50.05, 90.0, 1001.0)
    assert abs(distance(poly(a), Circle(lon=centre[0], lat=centre[1], radius_m=1000.0)) - 1.0) < 0.01
    inside = offset(10.1, 50.05, 90.0, 999.0)
    assert distance(poly(a), Circle(lon=inside[0], lat=inside[1], radius_m=1000.0)) == 0.0


def test_long_parallel_meridian_edges_1_m_apart_at_their_closest_end():
    # B's west edge is a meridian 1 m east of A's east edge at 41°N, so a little more at 40°N.
    a = rect(20.0, 40.0, 20.2, 41.0)
    east_at_41 = offset(20.2, 41.0, 90.0, 1.0)
    lon_b = east_at_41[0]
    b = rect(lon_b, 40.0, lon_b + 0.2, 41.0)
    truth = ring_to_ring(a, b)
    assert 0.99 < truth < 1.01
    assert abs(distance(poly(a), poly(b)) - truth) < 0.01


def test_long_parallel_slanted_edges_hundreds_of_km_long():
    a_start, a_end = (5.0, 45.0), (8.0, 47.0)  # ~320 km
    lon, lat, right = edge_midpoint_normal(a_start, a_end)
    b_start, b_end = offset(*a_start, right - 0.0, 30.0), offset(*a_end, right, 30.0)
    a = [a_start, a_end, offset(lon, lat, right + 180, 50_000)]
    b = [b_end, b_start, offset(lon, lat, right, 50_000)]
    truth = ring_to_ring(a, b)
    assert 0 < truth < 60
    assert abs(distance(poly(a), poly(b)) - truth) < TOLERANCE_M


# Antimeridian -------------------------------------------------------------------------------------


def test_polygons_either_side_of_the_antimeridian_are_near_not_a_world_apart():
    a = rect(179.99, 10.0, 179.999, 10.01)
    b = [(-179.999, 10.0), (-179.99, 10.0), (-179.99, 10.01), (-179.999, 10.01)]
    truth = ring_to_ring(a, b)
    assert 200 < truth < 230
    assert abs(distance(poly(a), poly(b)) - truth) < TOLERANCE_M


def test_a_polygon_straddling_the_antimeridian_is_the_small_one():
    straddling = [(179.95, -0.05), (-179.95, -0.05), (-179.95, 0.05), (179.95, 0.05)]
    assert distance(poly(straddling), Circle(lon=180.0, lat=0.0, radius_m=100)) == 0.0
    assert distance(poly(straddling), Circle(lon=-179.99, lat=0.01, radius_m=100)) == 0.0
    # A circle east of it, on the negative side.
    truth = circle_to_ring((-179.9, 0.0), 1000.0, straddling)
    assert 4_500 < truth < 4_600
    assert abs(distance(poly(straddling), Circle(lon=-179.9, lat=0.0, radius_m=1000.0)) - truth) < TOLERANCE_M
    # And one west of it, on the positive side.
    truth = circle_to_ring((179.8, 0.02), 500.0, straddling)
    assert abs(distance(poly(straddling), Circle(lon=179.8, lat=0.02, radius_m=500.0)) - truth) < TOLERANCE_M


def test_circles_either_side_of_the_antimeridian():
    a, b = Circle(lon=179.999, lat=-30.0, radius_m=50), Circle(lon=-179.999, lat=-30.0, radius_m=50)
    truth = circle_to_circle((179.999, -30.0), 50, (-179.999, -30.0), 50)
    assert 80 < truth < 100
    assert abs(distance(a, b) - truth) < 1e-3


# Poles ---------------------------------------------------------------------------------------------


AROUND_NORTH_POLE = [(0.0, 89.0), (90.0, 89.0), (180.0, 89.0), (-90.0, 89.0)]


def test_a_circle_at_the_pole_is_inside_a_polygon_around_the_pole():
    assert distance(poly(AROUND_NORTH_POLE), Circle(lon=0.0, lat=90.0, radius_m=1000)) == 0.0
    assert distance(poly(AROUND_NORTH_POLE), Circle(lon=123.0, lat=89.5, radius_m=10)) == 0.0


def test_a_circle_outside_a_polygon_around_the_pole():
    truth = circle_to_ring((45.0, 88.0), 2000.0, AROUND_NORTH_POLE)
    assert truth > 10_000
    assert abs(distance(poly(AROUND_NORTH_POLE), Circle(lon=45.0, lat=88.0, radius_m=2000.0)) - truth) < TOLERANCE_M


def test_a_polygon_around_the_south_pole_does_not_reach_the_north():
    around_south = [(lon, -89.0) for lon in (0.0, 90.0, 180.0, -90.0)]
    assert distance(poly(around_south), Circle(lon=0.0, lat=-90.0, radius_m=10)) == 0.0
    found = distance(poly(around_south), Circle(lon=0.0, lat=-80.0, radius_m=10))
    truth = circle_to_ring((0.0, -80.0), 10.0, around_south)
    assert abs(found - truth) < TOLERANCE_M


def test_shapes_near_latitude_89_9_on_different_meridians():
    a = regular_ring(0.0, 89.9, 2_000.0, n=6)
    b = regular_ring(120.0, 89.9, 2_000.0, n=5, rotation=10)
    truth = ring_to_ring(a, b)
    assert 10_000 < truth < 20_000
    assert abs(distance(poly(a), poly(b)) - truth) < TOLERANCE_M


def test_a_circle_at_the_pole_against_a_polygon_and_a_circle_near_it():
    pole = Circle(lon=0.0, lat=90.0, radius_m=500.0)
    ring = regular_ring(-150.0, 89.9, 1_500.0, n=7)
    truth = circle_to_ring((0.0, 90.0), 500.0, ring)
    assert abs(distance(pole, poly(ring)) - truth) < TOLERANCE_M
    near = Circle(lon=77.0, lat=89.95, radius_m=300.0)
    assert abs(distance(pole, near) - circle_to_circle((0.0, 90.0), 500.0, (77.0, 89.95), 300.0)) < 1e-3


def test_a_polygon_over_the_pole_against_one_beside_it():
    over = regular_ring(0.0, 90.0, 3_000.0, n=8)
    beside = regular_ring(33.0, 89.9, 1_000.0, n=4, rotation=45)
    truth = ring_to_ring(over, beside)
    assert abs(distance(poly(over), poly(beside)) - truth) < TOLERANCE_M


# Concave shapes --------------------------------------------------------------------------------------


def scaled(points, lon0, lat0, step):
    return [(lon0 + x * step, lat0 + y * step) for x, y in points]


U_SHAPE = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]


def test_a_square_in_the_notch_of_a_u_is_apart_though_the_bounding_boxes_overlap():
    u = scaled(U_SHAPE, 20.0, 45.0, 0.01)
    notch = scaled([(1.2, 1.5), (1.8, 1.5), (1.8, 2.5), (1.2, 2.5)], 20.0, 45.0, 0.01)
    truth = ring_to_ring(u, notch)
    assert 150 < truth < 170  # 0.002° of longitude at 45°N
    assert abs(distance(poly(u), poly(notch)) - truth) < TOLERANCE_M


def test_a_circle_in_the_mouth_of_a_c_is_apart():
    c_shape = scaled([(0, 0), (3, 0), (3, 1), (1, 1), (1, 2), (3, 2), (3, 3), (0, 3)], -70.0, -33.0, 0.02)
    centre = (-70.0 + 2.4 * 0.02, -33.0 + 1.5 * 0.02)
    truth = circle_to_ring(centre, 300.0, c_shape)
    assert truth > 100
    assert abs(distance(poly(c_shape), Circle(lon=centre[0], lat=centre[1], radius_m=300.0)) - truth) < TOLERANCE_M


def test_a_circle_reaching_into_the_notch_of_a_u_touches_it():
    u = scaled(U_SHAPE, 20.0, 45.0, 0.01)
    centre = (20.015, 45.02)  # in the middle of the notch, ~390 m from the notch walls
    wall = point_to_ring(centre[0], centre[1], u)
    assert distance(poly(u), Circle(lon=centre[0], lat=centre[1], radius_m=wall + 1.0)) == 0.0
    assert abs(distance(poly(u), Circle(lon=centre[0], lat=centre[1], radius_m=wall - 2.0)) - 2.0) < 0.05


# Large areas -------------------------------------------------------------------------------------------


def test_polygons_hundreds_of_km_across_tens_of_km_apart():
    a = rect(0.0, 40.0, 3.0, 43.0)  # ~250 x 330 km
    b = [(3.5, 39.5), (6.0, 40.0), (6.5, 44.0), (3.6, 43.5)]
    truth = ring_to_ring(a, b)
    assert 30_000 < truth < 50_000
    assert abs(distance(poly(a), poly(b)) - truth) < TOLERANCE_M


def test_a_large_circle_against_a_large_polygon():
    a = rect(-100.0, 30.0, -97.0, 33.0)
    truth = circle_to_ring((-95.0, 31.5), 150_000.0, a)
    assert 30_000 < truth < 50_000
    assert abs(distance(poly(a), Circle(lon=-95.0, lat=31.5, radius_m=150_000.0)) - truth) < TOLERANCE_M


def test_a_large_polygon_across_the_antimeridian_against_one_on_the_other_side():
    a = [(178.0, -20.0), (-178.0, -20.0), (-178.0, -17.0), (178.0, -17.0)]
    b = [(-177.5, -19.0), (-175.0, -19.0), (-175.0, -18.0), (-177.5, -18.0)]
    truth = ring_to_ring(a, b)
    assert 40_000 < truth < 60_000
    assert abs(distance(poly(a), poly(b)) - truth) < TOLERANCE_M


@pytest.mark.parametrize("limit", [10.0, 1_000.0])
def test_a_limit_only_cuts_off_pairs_beyond_it(limit):
    a, b = rect(10.0, 50.0, 10.1, 50.1), rect(10.2, 50.0, 10.3, 50.1)
    truth = ring_to_ring(a, b)  # ~7 km
    assert lateral_distance(poly(a), poly(b), limit_m=limit) is None
    found = lateral_distance(poly(a), poly(b), limit_m=truth + limit)
    assert found is not None and abs(found.metres - truth) < TOLERANCE_M


# Continents apart -------------------------------------------------------------------------------------


@pytest.mark.parametrize("far", [(139.7, 35.7), (-74.0, 40.7), (151.2, -33.9)])
def test_shapes_a_continent_apart_without_a_limit(far):
    """Beyond 60° from the projection centre every pair is compared; the answer still matches the oracle."""
    from geodesic_truth import footprint_distance

    paris = poly(rect(2.3, 48.8, 2.4, 48.9))
    there = poly(rect(far[0], far[1], far[0] + 0.1, far[1] + 0.1))
    assert abs(distance(paris, there) - footprint_distance(paris, there)) < TOLERANCE_M
    circle = Circle(lon=far[0], lat=far[1], radius_m=5_000.0)
    assert abs(distance(paris, circle) - footprint_distance(paris, circle)) < TOLERANCE_M
    assert lateral_distance(paris, there, limit_m=1852.0) is None
