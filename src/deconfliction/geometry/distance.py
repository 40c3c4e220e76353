"""Exact lateral distance between footprints on the WGS84 ellipsoid.

A circle is its centre widened by its radius, so every case reduces to the distance between two
cores (points or polygons), minus the radii. Between polygons that do not overlap, the shortest
distance runs from a vertex of one to an edge of the other; the distance from a point to a
geodesic edge is found by Newton iteration along the edge with pyproj.Geod, to well under a
millimetre. Spherical estimates with safe margins only prune which (vertex, edge) pairs to refine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .earth import (
    GEOD,
    MEAN_RADIUS_M,
    MIN_RADIUS_M,
    SPHERE_ABSOLUTE_ERROR_M,
    SPHERE_RELATIVE_ERROR,
    sphere_point_to_arc,
)
from .footprint import Prepared, caps_apart, contains_point_core, cores_intersect, prepare

NEWTON_ITERATIONS = 8


@dataclass(frozen=True)
class LateralDistance:
    """Shortest geodesic distance between two footprints and a point (lon, lat) where they are closest."""

    metres: float
    where: tuple[float, float]


def point_to_geodesic(plon, plat, alon, alat, blon, blat):
    """Distance from points P to geodesic segments A→B (arrays broadcast together) and the closest points.

    Returns (metres, lon, lat) arrays."""
    plon, plat, alon, alat, blon, blat = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (plon, plat, alon, alat, blon, blat))
    )
    shape = plon.shape
    plon, plat, alon, alat, blon, blat = (x.ravel() for x in (plon, plat, alon, alat, blon, blat))
    az_ab, _, length = GEOD.inv(alon, alat, blon, blat)
    az_ap, _, d_ap = GEOD.inv(alon, alat, plon, plat)
    # Start from the along-track distance on the sphere, then correct on the ellipsoid: at the
    # closest point the geodesic to P meets the edge at a right angle.
    s = _along_track(d_ap, np.radians(az_ap - az_ab))
    s = np.clip(s, 0.0, length)
    for _ in range(NEWTON_ITERATIONS):
        xlon, xlat, back = GEOD.fwd(alon, alat, az_ab, s)
        az_xp, _, d_xp = GEOD.inv(xlon, xlat, plon, plat)
        step = _along_track(d_xp, np.radians(az_xp - (np.asarray(back) + 180.0)))
        step = np.where(d_xp > 1e-6, step, 0.0)
        s_next = np.clip(s + step, 0.0, length)
        converged = np.all(np.abs(s_next - s) < 1e-5)
        s = s_next
        if converged:
            break
    xlon, xlat, _ = GEOD.fwd(alon, alat, az_ab, s)
    _, _, distance = GEOD.inv(xlon, xlat, plon, plat)
    return (np.asarray(distance).reshape(shape), np.asarray(xlon).reshape(shape), np.asarray(xlat).reshape(shape))


def _along_track(distance_m, angle_rad):
    """Signed distance along a great circle to the foot of the perpendicular from a point
    `distance_m` away at `angle_rad` from the direction of travel."""
    sigma = np.asarray(distance_m) / MEAN_RADIUS_M
    return MEAN_RADIUS_M * np.arctan2(np.sin(sigma) * np.cos(angle_rad), np.cos(sigma))


def _estimates(points: Prepared, polygon: Prepared) -> np.ndarray:
    """Spherical distance estimates (metres) from each vertex/centre of `points` to each edge of `polygon`."""
    _, _, _, _, start, end, normal = polygon.edge_arrays
    return sphere_point_to_arc(points.vertex_xyz, start, end, normal, planes=polygon.planes) * MEAN_RADIUS_M


def _lower_bound(estimate):
    return estimate * (1 - SPHERE_RELATIVE_ERROR) - SPHERE_ABSOLUTE_ERROR_M


def _refine(points: Prepared, polygon: Prepared, estimate: np.ndarray, ceiling: float):
    """Exact (metres, point, closest point on polygon) over the (vertex, edge) pairs that may beat `ceiling`,
    or None when no pair may."""
    pi, ei = np.nonzero(_lower_bound(estimate) <= ceiling)
    if len(pi) == 0:
        return None
    a_lon, a_lat, b_lon, b_lat, *_ = polygon.edge_arrays
    d, xlon, xlat = point_to_geodesic(points.lons[pi], points.lats[pi], a_lon[ei], a_lat[ei], b_lon[ei], b_lat[ei])
    k = int(np.argmin(d))
    return float(d[k]), (float(points.lons[pi[k]]), float(points.lats[pi[k]])), (float(xlon[k]), float(xlat[k]))


def _core_distance(a: Prepared, b: Prepared, limit_m: float | None):
    """(metres, point on a's core, point on b's core) or None when certainly beyond limit_m.

    Between polygons that do not overlap, the shortest distance runs from a vertex of one to an
    edge of the other; a point core is a single vertex."""
    if a.is_point_core and b.is_point_core:
        _, _, d = GEOD.inv(a.lons[0], a.lats[0], b.lons[0], b.lats[0])
        return float(d), (float(a.lons[0]), float(a.lats[0])), (float(b.lons[0]), float(b.lats[0]))
    # Estimates from a's vertices to b's edges and back (a point core has no edges).
    ab = None if b.is_point_core else _estimates(a, b)
    ba = None if a.is_point_core else _estimates(b, a)
    lowest = min(float(m.min()) for m in (ab, ba) if m is not None)
    if _lower_bound(lowest) > 0:
        # No boundary comes near the other: disjoint, or one lies wholly inside the other.
        for inner, outer in ((a, b), (b, a)):
            if not outer.is_point_core and contains_point_core(outer, float(inner.lons[0]), float(inner.lats[0])):
                shared = cores_intersect(a, b) or (float(inner.lons[0]), float(inner.lats[0]))
                return 0.0, shared, shared
        if limit_m is not None and _lower_bound(lowest) > limit_m:
            return None
    else:
        shared = cores_intersect(a, b)
        if shared is not None:
            return 0.0, shared, shared
    ceiling = lowest * (1 + SPHERE_RELATIVE_ERROR) + SPHERE_ABSOLUTE_ERROR_M
    # The pair with the lowest estimate always qualifies, so at least one direction has candidates;
    # the other may have none (e.g. a small polygon beside the middle of a long edge).
    candidates = []
    if ab is not None:
        found = _refine(a, b, ab, ceiling)
        if found is not None:
            candidates.append(found)
    if ba is not None:
        found = _refine(b, a, ba, ceiling)
        if found is not None:
            d, on_b, on_a = found
            candidates.append((d, on_a, on_b))
    return min(candidates, key=lambda found: found[0])


def _midpoint_between(lon1: float, lat1: float, lon2: float, lat2: float, fraction: float) -> tuple[float, float]:
    az, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
    lon, lat, _ = GEOD.fwd(lon1, lat1, az, length * fraction)
    return float(lon), float(lat)


def lateral_distance(footprint_a, footprint_b, limit_m: float | None = None) -> LateralDistance | None:
    """Exact shortest distance between two footprints (0 when they overlap).

    With `limit_m`, returns None as soon as the distance is certainly greater than limit_m, which
    spares the exact computation for the many far-apart pairs an index hands over."""
    a, b = prepare(footprint_a), prepare(footprint_b)
    if limit_m is not None and caps_apart(a, b) * MIN_RADIUS_M > limit_m:
        return None
    core_limit = None if limit_m is None else limit_m + a.radius_m + b.radius_m
    found = _core_distance(a, b, core_limit)
    if found is None:
        return None
    core_metres, pa, pb = found
    metres = max(0.0, core_metres - a.radius_m - b.radius_m)
    if limit_m is not None and metres > limit_m:
        return None
    if core_metres == 0.0:
        where = pa
    else:
        # Midway between the closest points of the footprints themselves, or the middle of the
        # overlap of two circles, along the line joining the cores.
        fraction = (core_metres + a.radius_m - b.radius_m) / (2 * core_metres)
        where = _midpoint_between(*pa, *pb, min(1.0, max(0.0, fraction)))
    return LateralDistance(metres=metres, where=where)


def contains_lon_lat(footprint, lon: float, lat: float) -> bool:
    """Is the point inside the footprint (boundary included)?"""
    prepared = prepare(footprint)
    if prepared.kind == "circle":
        _, _, d = GEOD.inv(prepared.lons[0], prepared.lats[0], lon, lat)
        return float(d) <= prepared.radius_m
    return contains_point_core(prepared, lon, lat)


def footprint_covers(outer, inner) -> bool:
    """Does the outer footprint contain the whole inner one?"""
    o, i = prepare(outer), prepare(inner)
    if o.kind == "circle":
        # The farthest point of a geodesic edge from a point is one of its ends.
        _, _, d = GEOD.inv(np.full(i.lons.shape, o.lons[0]), np.full(i.lats.shape, o.lats[0]), i.lons, i.lats)
        return float(np.max(d)) + i.radius_m <= o.radius_m
    if i.kind == "circle":
        if not contains_point_core(o, float(i.lons[0]), float(i.lats[0])):
            return False
        to_boundary, _, _ = _refine(i, o, _estimates(i, o), np.inf)
        return to_boundary >= i.radius_m
    centre = o.cap_centre
    if caps_apart(o, i) > 0:
        return False
    return o.planar(centre).covers(i.planar(centre))
