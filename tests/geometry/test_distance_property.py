"""Random footprints anywhere (poles and antimeridian included): lateral_distance agrees to 1 m with an
independent truth from pyproj alone (Geod sampling for distances; overlap decided with shapely in an
azimuthal equidistant projection of densely sampled rings)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import Point as PlanarPoint
from shapely.geometry import Polygon as PlanarPolygon

from deconfliction.geometry import Circle, lateral_distance

from geodesic_truth import circle_to_circle, point_to_ring, ring_to_ring
from strategies import footprints, spots

GEOD = Geod(ellps="WGS84")


def projected(ring, transformer, step_m: float = 100.0):
    """The ring, sampled every step_m along its geodesic edges, in the local projection."""
    lons, lats = [], []
    for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:] + ring[:1]):
        lons.append(lon1)
        lats.append(lat1)
        _, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
        extra = int(length // step_m)
        if extra > 0:
            for lon, lat in GEOD.npts(lon1, lat1, lon2, lat2, extra):
                lons.append(lon)
                lats.append(lat)
    x, y = transformer.transform(np.array(lons), np.array(lats))
    return PlanarPolygon(list(zip(x, y)))


def truth(a, b, centre) -> float:
    transformer = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={centre[1]} +lon_0={centre[0]} +ellps=WGS84", always_xy=True)
    if isinstance(a, Circle) and isinstance(b, Circle):
        return circle_to_circle((a.lon, a.lat), a.radius_m, (b.lon, b.lat), b.radius_m)
    if isinstance(a, Circle):
        a, b = b, a
    ring_a = list(a.vertices)
    if isinstance(b, Circle):
        if projected(ring_a, transformer).covers(PlanarPoint(transformer.transform(b.lon, b.lat))):
            return 0.0
        return max(0.0, point_to_ring(b.lon, b.lat, ring_a) - b.radius_m)
    ring_b = list(b.vertices)
    if projected(ring_a, transformer).intersects(projected(ring_b, transformer)):
        return 0.0
    return ring_to_ring(ring_a, ring_b)


@st.composite
def pairs(draw):
    spot = draw(spots)
    shapes = footprints(near=spot, spread_m=40_000, max_radius_m=12_000)
    return spot, draw(shapes), draw(shapes)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(pair=pairs())
def test_lateral_distance_agrees_with_independent_truth_to_1_m(pair):
    spot, a, b = pair
    expected = truth(a, b, spot)
    found = lateral_distance(a, b)
    assert found is not None
    assert abs(found.metres - expected) <= 1.0, (found.metres, expected)
    # A limit above the distance never hides it, and one well below always does.
    limited = lateral_distance(a, b, limit_m=expected + 2.0)
    assert limited is not None and abs(limited.metres - found.metres) < 1e-6
    if expected > 10.0:
        assert lateral_distance(a, b, limit_m=expected - 5.0) is None
