"""Index boxes are conservative: they contain every point of the volume, and search boxes every
point within the minima of it, checked with points found independently (pyproj.Geod)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconfliction.geometry import Circle, Minima, index_boxes, search_boxes

from strategies import minima, volumes

GEOD = Geod(ellps="WGS84")
AZIMUTHS = np.arange(0.0, 360.0, 15.0)


def boundary_points(footprint, step_m: float = 500.0):
    """Points on the footprint's boundary (and its centre), every step_m along each geodesic edge."""
    if isinstance(footprint, Circle):
        n = len(AZIMUTHS)
        lons, lats, _ = GEOD.fwd(np.full(n, footprint.lon), np.full(n, footprint.lat), AZIMUTHS, np.full(n, footprint.radius_m))
        return [(footprint.lon, footprint.lat), *zip(lons, lats)]
    ring = list(footprint.vertices)
    points = []
    for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:] + ring[:1]):
        _, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
        points.append((lon1, lat1))
        extra = min(200, int(length // step_m))
        if extra > 0:
            points.extend(GEOD.npts(lon1, lat1, lon2, lat2, extra))
    return points


def widened(points, metres: float):
    """Each point moved `metres` in every direction: the edge of the area within `metres` of the shape."""
    if metres <= 0:
        return points
    out = []
    for lon, lat in points:
        n = len(AZIMUTHS)
        lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), AZIMUTHS, np.full(n, metres))
        out.extend(zip(lons, lats))
    return out


def covered(boxes, lon: float, lat: float) -> bool:
    for box in boxes:
        for candidate in (lon, lon - 360.0, lon + 360.0):
            if box.min_lon <= candidate <= box.max_lon and box.min_lat <= lat <= box.max_lat:
                return True
    return False


def ellipsoidal(band):
    return (band.lower_m - 107.0, band.upper_m + 86.0) if band.datum == "AMSL" else (band.lower_m, band.upper_m)


def check(volume, boxes, minima: Minima):
    radius = volume.footprint.radius_m if isinstance(volume.footprint, Circle) else 0.0
    points = boundary_points(volume.footprint)
    if isinstance(volume.footprint, Circle):
        points = points[:1] + widened(points[:1], radius)
    outside = [p for p in widened(points, minima.lateral_m) + points if not covered(boxes, *p)]
    assert not outside, f"{len(outside)} points outside the boxes {boxes}, e.g. {outside[:3]}"
    lower, upper = ellipsoidal(volume.altitude)
    for box in boxes:
        assert box.min_alt <= lower - minima.vertical_m and box.max_alt >= upper + minima.vertical_m
        assert box.min_t <= volume.time.start_s - minima.time_buffer_s and box.max_t >= volume.time.end_s + minima.time_buffer_s
        assert -180.0 <= box.min_lon <= box.max_lon <= 180.0 and -90.0 <= box.min_lat <= box.max_lat <= 90.0
    assert radius >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(volume=volumes())
def test_index_boxes_contain_every_boundary_point(volume):
    check(volume, index_boxes(volume), Minima(0.0, 0.0, 0.0))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(volume=volumes(), minima=minima)
def test_search_boxes_contain_every_point_within_the_minima(volume, minima):
    check(volume, search_boxes(volume, minima), minima)


def test_a_volume_across_the_antimeridian_is_indexed_on_both_sides():
    from factories import footprint_volume
    from deconfliction.geometry import Polygon

    straddling = footprint_volume(Polygon(vertices=((179.9, 0.0), (-179.9, 0.0), (-179.9, 0.1), (179.9, 0.1))))
    boxes = index_boxes(straddling)
    assert len(boxes) == 2
    assert covered(boxes, 179.95, 0.05) and covered(boxes, -179.95, 0.05)
    assert not covered(boxes, 0.0, 0.05)  # not the long way round


def test_a_volume_around_a_pole_is_indexed_over_every_longitude():
    from factories import footprint_volume
    from deconfliction.geometry import Polygon

    around = footprint_volume(Polygon(vertices=((0.0, 89.0), (90.0, 89.0), (180.0, 89.0), (-90.0, 89.0))))
    boxes = index_boxes(around)
    assert all(covered(boxes, lon, 89.9) for lon in (-179.0, -45.0, 0.0, 135.0))
    assert covered(boxes, 0.0, 90.0)
    assert not covered(boxes, 0.0, 88.0)


def test_a_polygon_edge_bulging_towards_the_pole_stays_inside_its_index_box():
    # The geodesic between (22.5°E, 89.885°N) and (22.5°W, 89.885°N) passes ~1 km nearer the pole
    # than its ends; a small circle just inside that edge conflicts, so the boxes must meet.
    from factories import footprint_volume
    from deconfliction.geometry import Polygon, volume_conflict

    polygon = footprint_volume(Polygon(vertices=((22.5, 89.885), (-22.5, 89.885), (0.0, 89.80))))
    probe = footprint_volume(Circle(lon=0.0, lat=89.893, radius_m=10.0))
    minima = Minima(1.0, 0.0, 0.0)
    assert volume_conflict(polygon, probe, minima) is not None
    _, bulge_lat = GEOD.npts(22.5, 89.885, -22.5, 89.885, 1)[0]
    assert bulge_lat > 89.893
    assert covered(index_boxes(polygon), 0.0, bulge_lat)
    overlaps = any(
        a.min_lon <= b.max_lon and b.min_lon <= a.max_lon and a.min_lat <= b.max_lat and b.min_lat <= a.max_lat
        for a in index_boxes(polygon)
        for b in search_boxes(probe, minima)
    )
    assert overlaps


def test_index_boxes_are_float32_values_rounded_outward():
    from factories import footprint_volume

    volume = footprint_volume(Circle(lon=2.123456789, lat=48.987654321, radius_m=1.0), lower_m=1e-160, upper_m=123.456789)
    (box,) = index_boxes(volume)
    for value in box.as_tuple():
        assert float(np.float32(value)) == value
    assert box.max_alt >= 123.456789 and box.min_alt <= 1e-160
    assert box.max_lon > 2.123456789 > box.min_lon and box.max_lat > 48.987654321 > box.min_lat
    assert box.min_t <= volume.time.start_s and box.max_t >= volume.time.end_s
