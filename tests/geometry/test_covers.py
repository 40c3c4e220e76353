"""footprint_covers (does one footprint contain the other: new airspace or not, when a notice changes),
against the oracle: a circle is inside a polygon when its centre is and the boundary is at least its
radius away."""

from __future__ import annotations

import pytest

from deconfliction.geometry import Circle, Polygon, footprint_covers

from geodesic_truth import offset, point_to_ring, regular_ring, ring_contains

SQUARE = [(10.0, 50.0), (10.2, 50.0), (10.2, 50.2), (10.0, 50.2)]
C_SHAPE = [(20.0, 45.0), (20.06, 45.0), (20.06, 45.02), (20.02, 45.02), (20.02, 45.04), (20.06, 45.04), (20.06, 45.06), (20.0, 45.06)]


@pytest.mark.parametrize("ring", [SQUARE, C_SHAPE, regular_ring(0.0, 89.5, 30_000.0, n=7), regular_ring(180.0, -10.0, 20_000.0, n=5)])
@pytest.mark.parametrize("where", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("slack_m", [-5.0, 5.0])
def test_a_circle_is_covered_exactly_when_the_oracle_says(ring, where, slack_m):
    lons, lats = zip(*ring)
    first, opposite = ring[0], ring[len(ring) // 2]
    centre = (first[0] + (opposite[0] - first[0]) * where, first[1] + (opposite[1] - first[1]) * where)
    if abs(opposite[0] - first[0]) > 180:  # the ring across ±180°, centred on (180, -10)
        centre = offset(180.0, -10.0, 45.0, where * 15_000.0)
    inside = ring_contains(ring, *centre)
    to_edge = point_to_ring(centre[0], centre[1], ring)
    assert to_edge > 10.0  # the centres above are never on the boundary
    circle = Circle(lon=centre[0], lat=centre[1], radius_m=to_edge + slack_m)
    assert footprint_covers(Polygon(vertices=tuple(ring)), circle) == (inside and slack_m < 0)


def test_a_polygon_inside_a_circle_and_a_polygon_inside_a_polygon():
    inner = Polygon(vertices=((10.05, 50.05), (10.1, 50.05), (10.1, 50.1)))
    assert footprint_covers(Polygon(vertices=tuple(SQUARE)), inner)
    assert not footprint_covers(inner, Polygon(vertices=tuple(SQUARE)))
    assert footprint_covers(Circle(lon=10.08, lat=50.08, radius_m=10_000.0), inner)
    assert not footprint_covers(Circle(lon=10.08, lat=50.08, radius_m=3_000.0), inner)
