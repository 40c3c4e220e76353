"""Independent geodesic truth for the geometry tests: pyproj and shapely used directly, brute force,
none of the library's code (only the public model types are read, for their fields).

- Distance from a point to a geodesic edge: the edge is sampled (Geod.fwd along it) and the sampling
  zoomed in around the best sample until the step is under a millimetre (distance along a geodesic
  from a point has one minimum for the sizes used here).
- Distance between two boundaries that do not cross: from a vertex of one to an edge of the other, both
  ways (Gaussian curvature is positive). All (vertex, edge) pairs are first measured coarsely (each
  edge sampled 32 times); only pairs whose coarse distance, less half a sampling step, may beat the
  best coarse distance are measured finely.
- Overlap: both rings sampled every kilometre or less along their geodesic edges, projected into an
  ellipsoidal azimuthal-equidistant plane centred between the shapes, and tested with shapely.
- A circle is its centre widened by its radius (a geodesic disc): distances to it are the centre's
  less the radius.
- Conflicts: the design's rules written out again (vertical gap with the geoid range across datums,
  time gap, all compared in whole millimetres and milliseconds; equal is no conflict).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from pyproj import Geod, Proj
from shapely.geometry import Point as PlanarPoint
from shapely.geometry import Polygon as PlanarPolygon

GEOD = Geod(ellps="WGS84")
COARSE_SAMPLES = 32
ZOOM_SAMPLES = 24
FINEST_STEP_M = 0.001
OVERLAP_STEP_M = 1000.0
GEOID_LOW_M, GEOID_HIGH_M = -107.0, 86.0  # EGM96's range, rounded outward (the design's datum rule)


def _points_along(a_lon, a_lat, azimuth, distances):
    lons, lats, _ = GEOD.fwd(np.broadcast_to(a_lon, distances.shape), np.broadcast_to(a_lat, distances.shape), np.broadcast_to(azimuth, distances.shape), distances)
    return np.asarray(lons), np.asarray(lats)


def points_to_edges(p_lon, p_lat, a_lon, a_lat, b_lon, b_lat) -> np.ndarray:
    """Least distance from each point P[k] to the geodesic edge A[k]→B[k], to a millimetre (vectorised zoom)."""
    p_lon, p_lat, a_lon, a_lat, b_lon, b_lat = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (p_lon, p_lat, a_lon, a_lat, b_lon, b_lat))
    azimuth, _, length = GEOD.inv(a_lon, a_lat, b_lon, b_lat)
    azimuth, length = np.asarray(azimuth), np.asarray(length)
    lo, hi = np.zeros_like(length), length.copy()
    best = np.full(len(length), np.inf)
    fractions = np.linspace(0.0, 1.0, ZOOM_SAMPLES + 1)
    while True:
        s = lo[:, None] + (hi - lo)[:, None] * fractions[None, :]
        lons, lats = _points_along(a_lon[:, None], a_lat[:, None], azimuth[:, None], s)
        _, _, d = GEOD.inv(np.broadcast_to(p_lon[:, None], s.shape), np.broadcast_to(p_lat[:, None], s.shape), lons, lats)
        d = np.asarray(d).reshape(s.shape)
        k = np.argmin(d, axis=1)
        rows = np.arange(len(k))
        best = np.minimum(best, d[rows, k])
        step = (hi - lo) / ZOOM_SAMPLES
        if np.all(step < FINEST_STEP_M):
            return best
        lo, hi = s[rows, np.maximum(k - 1, 0)], s[rows, np.minimum(k + 1, ZOOM_SAMPLES)]


def point_to_edge(plon: float, plat: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Least distance from a point to the geodesic segment a→b."""
    return float(points_to_edges(plon, plat, a[0], a[1], b[0], b[1])[0])


def edges(ring):
    return [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]


def _points_to_ring(points, ring) -> float:
    """Least distance from any of the points to any edge of the ring: coarse over all pairs, fine over the few."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    ring = np.asarray(ring, dtype=float)
    ends = np.roll(ring, -1, axis=0)
    p = np.repeat(points, len(ring), axis=0)
    a = np.tile(ring, (len(points), 1))
    b = np.tile(ends, (len(points), 1))
    azimuth, _, length = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    azimuth, length = np.asarray(azimuth), np.asarray(length)
    s = length[:, None] * np.linspace(0.0, 1.0, COARSE_SAMPLES + 1)[None, :]
    lons, lats = _points_along(a[:, 0:1], a[:, 1:2], azimuth[:, None], s)
    _, _, d = GEOD.inv(np.broadcast_to(p[:, 0:1], s.shape), np.broadcast_to(p[:, 1:2], s.shape), lons, lats)
    coarse = np.asarray(d).reshape(s.shape).min(axis=1)
    # The nearest point of an edge is within half a step of a sample, so a pair's true distance is at
    # least its coarse distance less half a step.
    maybe = np.nonzero(coarse - length / COARSE_SAMPLES / 2 <= coarse.min())[0]
    return float(points_to_edges(p[maybe, 0], p[maybe, 1], a[maybe, 0], a[maybe, 1], b[maybe, 0], b[maybe, 1]).min())


def point_to_ring(plon: float, plat: float, ring) -> float:
    return _points_to_ring([(plon, plat)], ring)


def ring_to_ring(ring_a, ring_b) -> float:
    """Distance between two boundaries that do not cross: vertices of one against edges of the other, both ways."""
    return min(_points_to_ring(ring_a, ring_b), _points_to_ring(ring_b, ring_a))


def circle_to_ring(centre, radius_m: float, ring) -> float:
    """A circle outside a polygon: the centre's distance to the boundary, less the radius."""
    return max(0.0, point_to_ring(centre[0], centre[1], ring) - radius_m)


def circle_to_circle(c1, r1: float, c2, r2: float) -> float:
    _, _, d = GEOD.inv(c1[0], c1[1], c2[0], c2[1])
    return max(0.0, float(d) - r1 - r2)


# Overlap in an azimuthal-equidistant plane ---------------------------------------------------------------


def _centre_of(points) -> tuple[float, float]:
    """The normalised mean of the points' unit vectors, as (lon, lat)."""
    lon, lat = np.radians(np.asarray(points, dtype=float)).T
    x, y, z = (np.cos(lat) * np.cos(lon)).sum(), (np.cos(lat) * np.sin(lon)).sum(), np.sin(lat).sum()
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


def _plane(points) -> Proj:
    """An ellipsoidal azimuthal-equidistant projection centred among the points (PROJ's aeqd)."""
    lon, lat = _centre_of(points)
    return Proj(f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84")


def _dense_ring(ring, step_m: float = OVERLAP_STEP_M):
    lons, lats = [], []
    for (lon1, lat1), (lon2, lat2) in edges(list(ring)):
        lons.append(lon1)
        lats.append(lat1)
        _, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
        extra = int(length // step_m)
        if extra > 0:
            for lon, lat in GEOD.npts(lon1, lat1, lon2, lat2, extra):
                lons.append(lon)
                lats.append(lat)
    return np.array(lons), np.array(lats)


def _planar(ring, plane: Transformer) -> PlanarPolygon:
    lons, lats = _dense_ring(ring)
    x, y = plane(lons, lats)
    return PlanarPolygon(np.column_stack([x, y]))


def rings_overlap(ring_a, ring_b) -> bool:
    plane = _plane(list(ring_a) + list(ring_b))
    return _planar(ring_a, plane).intersects(_planar(ring_b, plane))


def ring_contains(ring, lon: float, lat: float) -> bool:
    plane = _plane(list(ring) + [(lon, lat)])
    return _planar(ring, plane).covers(PlanarPoint(plane(lon, lat)))


# Footprints and conflicts ----------------------------------------------------------------------------------


def _shape(footprint):
    """('circle', (lon, lat), radius) or ('polygon', [(lon, lat), ...], 0.0), from the model's public fields."""
    if footprint.kind == "circle":
        return "circle", (footprint.lon, footprint.lat), footprint.radius_m
    return "polygon", list(footprint.vertices), 0.0


def footprint_distance(a, b) -> float:
    """Shortest geodesic distance between two footprints (0 when they overlap)."""
    kind_a, core_a, radius_a = _shape(a)
    kind_b, core_b, radius_b = _shape(b)
    if kind_a == "circle" and kind_b == "circle":
        return circle_to_circle(core_a, radius_a, core_b, radius_b)
    if kind_a == "circle":
        (kind_a, core_a, radius_a), (kind_b, core_b, radius_b) = (kind_b, core_b, radius_b), (kind_a, core_a, radius_a)
    if kind_b == "circle":
        if ring_contains(core_a, *core_b):
            return 0.0
        return max(0.0, point_to_ring(core_b[0], core_b[1], core_a) - radius_b)
    if rings_overlap(core_a, core_b):
        return 0.0
    return ring_to_ring(core_a, core_b)


@lru_cache(maxsize=100_000)
def rough_reach_m(footprint) -> tuple[tuple[float, float], float]:
    """A centre and a radius that certainly holds the footprint (geodesic discs this small are convex)."""
    kind, core, radius = _shape(footprint)
    if kind == "circle":
        return core, radius
    centre = _centre_of(core)
    ring = np.asarray(core)
    _, _, d = GEOD.inv(np.full(len(ring), centre[0]), np.full(len(ring), centre[1]), ring[:, 0], ring[:, 1])
    return centre, float(np.max(d)) * 1.01 + 1.0


def vertical_gap_m(a, b) -> float:
    """Gap between altitude bands (negative when they overlap); across datums the AMSL band is widened by the geoid's range."""
    def ellipsoidal(band, other_datum):
        if band.datum == other_datum or band.datum == "W84":
            return band.lower_m, band.upper_m
        return band.lower_m + GEOID_LOW_M, band.upper_m + GEOID_HIGH_M

    la, ua = ellipsoidal(a, b.datum)
    lb, ub = ellipsoidal(b, a.datum)
    return max(la, lb) - min(ua, ub)


def time_gap_s(a, b) -> float:
    return (max(a.start, b.start) - min(a.end, b.end)).total_seconds()


def volumes_conflict(a, b, lateral_m: float, vertical_m: float, time_buffer_s: float) -> bool:
    """Closer than all three minima at once (equal is no conflict), in millimetres and milliseconds."""
    if not round(time_gap_s(a.time, b.time) * 1000) < round(time_buffer_s * 1000):
        return False
    if not round(vertical_gap_m(a.altitude, b.altitude) * 1000) < round(vertical_m * 1000):
        return False
    (ca, ra), (cb, rb) = rough_reach_m(a.footprint), rough_reach_m(b.footprint)
    _, _, centres = GEOD.inv(ca[0], ca[1], cb[0], cb[1])
    if centres - ra - rb > lateral_m + 1.0:
        return False
    return round(footprint_distance(a.footprint, b.footprint) * 1000) < round(lateral_m * 1000)


# Helpers to build shapes --------------------------------------------------------------------------------------


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
