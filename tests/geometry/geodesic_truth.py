"""Independent geodesic truth for the geometry tests: pyproj.Geod only, brute force, none of our code.

Distances between boundaries are found by sampling geodesic edges densely (every 200 m, then every
0.5 m around the best sample, then every millimetre around the best again) and taking the least
Geod.inv distance. Shapes are plain lists
of (lon, lat) vertices; a circle is its centre and radius.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
STEPS_M = (200.0, 0.5, 0.001)


def _along(lon1, lat1, lon2, lat2, s):
    az, _, _ = GEOD.inv(lon1, lat1, lon2, lat2)
    n = len(s)
    lons, lats, _ = GEOD.fwd(np.full(n, lon1), np.full(n, lat1), np.full(n, az), s)
    return np.asarray(lons), np.asarray(lats)


def point_to_edge(plon: float, plat: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Least distance from a point to the geodesic segment a→b, by dense sampling of the segment."""
    _, _, length = GEOD.inv(a[0], a[1], b[0], b[1])
    lo, hi = 0.0, float(length)
    best = float("inf")
    for step in STEPS_M:
        s = np.append(np.arange(lo, hi, step), hi)
        lons, lats = _along(a[0], a[1], b[0], b[1], s)
        _, _, d = GEOD.inv(np.full(len(s), plon), np.full(len(s), plat), lons, lats)
        k = int(np.argmin(d))
        best = min(best, float(d[k]))
        lo, hi = float(s[max(k - 1, 0)]), float(s[min(k + 1, len(s) - 1)])
    return best


def edges(ring):
    return [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]


def point_to_ring(plon: float, plat: float, ring) -> float:
    return min(point_to_edge(plon, plat, a, b) for a, b in edges(ring))


def ring_to_ring(ring_a, ring_b) -> float:
    """Distance between two boundaries that do not cross: for geodesic segments that do not cross,
    the least distance is from an end of one to the other, so vertices against edges both ways."""
    return min(
        min(point_to_ring(lon, lat, ring_b) for lon, lat in ring_a),
        min(point_to_ring(lon, lat, ring_a) for lon, lat in ring_b),
    )


def circle_to_ring(centre, radius_m: float, ring) -> float:
    """A circle outside a polygon: the centre's distance to the boundary, less the radius."""
    return max(0.0, point_to_ring(centre[0], centre[1], ring) - radius_m)


def circle_to_circle(c1, r1: float, c2, r2: float) -> float:
    _, _, d = GEOD.inv(c1[0], c1[1], c2[0], c2[1])
    return max(0.0, float(d) - r1 - r2)


def offset(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    out_lon, out_lat, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return float(out_lon), float(out_lat)


def regular_ring(lon: float, lat: float, radius_m: float, n: int = 6, rotation: float = 0.0):
    """n vertices at `radius_m` from a centre, in clockwise-by-azimuth order (a simple star-shaped ring)."""
    return [offset(lon, lat, rotation + 360.0 * k / n, radius_m) for k in range(n)]


def edge_midpoint_normal(a, b) -> tuple[float, float, float]:
    """The middle of geodesic edge a→b and the azimuth there of the perpendicular to its right."""
    az, _, length = GEOD.inv(a[0], a[1], b[0], b[1])
    lon, lat, back = GEOD.fwd(a[0], a[1], az, length / 2)
    forward = float(back) + 180.0
    return float(lon), float(lat), forward + 90.0
