"""The ellipsoid, unit vectors, and the gnomonic tangent plane.

Distances are always measured on the WGS84 ellipsoid with pyproj.Geod (Karney's geodesics). Unit
vectors serve only for topology (does this overlap that?) and for cheap lower bounds used to prune
work; those bounds carry explicit margins so that they never decide an exact answer.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
MEAN_RADIUS_M = 6_371_008.8
# The smallest radius of curvature of WGS84 (meridional, at the equator): a sphere of this radius
# never overstates how far apart two points are in angle, so angle * this is a safe lower bound.
MIN_RADIUS_M = 6_335_439.0
# The largest radius of curvature of WGS84 (at the poles, a²/b): a sphere of this radius never
# understates how far apart two points are in angle, so angle * this is a safe upper bound.
MAX_RADIUS_M = 6_399_593.63


WGS84_A_M = 6_378_137.0
WGS84_E2 = 0.006_694_379_990_14


def meridional_radius_m(lat) -> np.ndarray:
    """M(φ), the least principal radius of curvature of WGS84 at geodetic latitude φ (degrees)."""
    s = np.sin(np.radians(np.asarray(lat, dtype=float)))
    return WGS84_A_M * (1 - WGS84_E2) / (1 - WGS84_E2 * s * s) ** 1.5


def least_radius_m(*lats) -> np.ndarray:
    """A lower bound of the radius of curvature along a short geodesic joining points at these
    latitudes: M grows with |φ|, and a geodesic's least |φ| is at an end (geodesics bulge poleward),
    or 0 when it crosses the equator. The normals turn at most 1/M per metre, so distance ≥ this × angle."""
    lats = np.stack(np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in lats)))
    same_side = (np.all(lats > 0, axis=0)) | (np.all(lats < 0, axis=0))
    least = np.where(same_side, np.min(np.abs(lats), axis=0), 0.0)
    return meridional_radius_m(least)


def unit_vectors(lon, lat) -> np.ndarray:
    """(n, 3) points on the unit sphere for geodetic lon/lat in degrees."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def lon_lat(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xyz = np.asarray(xyz, dtype=float)
    lon = np.degrees(np.arctan2(xyz[..., 1], xyz[..., 0]))
    lat = np.degrees(np.arctan2(xyz[..., 2], np.hypot(xyz[..., 0], xyz[..., 1])))
    return lon, lat


def cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cross product over the last axis; numpy's own spends most of its time on axis bookkeeping."""
    u0, u1, u2 = u[..., 0], u[..., 1], u[..., 2]
    v0, v1, v2 = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0], axis=-1)


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle in radians between unit vectors, accurate for tiny and near-antipodal angles."""
    if np.ndim(u) == 1 and np.ndim(v) == 1:
        return angle_between_3(u, v)  # two single vectors: numpy's per-call overhead dwarfs the arithmetic
    c = cross(u, v)
    return np.arctan2(np.sqrt(np.sum(c * c, axis=-1)), np.sum(u * v, axis=-1))


def angle_between_3(u, v) -> float:
    """angle_between for two single 3-vectors, in plain floats."""
    u0, u1, u2 = float(u[0]), float(u[1]), float(u[2])
    v0, v1, v2 = float(v[0]), float(v[1]), float(v[2])
    c0, c1, c2 = u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0
    return math.atan2(math.sqrt(c0 * c0 + c1 * c1 + c2 * c2), u0 * v0 + u1 * v1 + u2 * v2)


def normalise(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def tangent_basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning the plane tangent to the sphere at `centre` (any orientation)."""
    # helper × centre with helper = z (or x near the poles), in plain floats: np.cross on two
    # 3-vectors costs tens of microseconds of bookkeeping.
    c0, c1, c2 = float(centre[0]), float(centre[1]), float(centre[2])
    e0, e1, e2 = (-c1, c0, 0.0) if abs(c2) < 0.9 else (0.0, -c2, c1)
    norm = math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
    e0, e1, e2 = e0 / norm, e1 / norm, e2 / norm
    east = np.array([e0, e1, e2])
    north = np.array([c1 * e2 - c2 * e1, c2 * e0 - c0 * e2, c0 * e1 - c1 * e0])
    return east, north


def gnomonic(xyz: np.ndarray, centre: np.ndarray, basis: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Project onto the plane tangent at `centre`. Great circles become straight lines, so a ring
    of densely sampled geodesic edges keeps its topology; points must lie within 90° of the centre.
    `basis` is tangent_basis(centre), if the caller keeps it."""
    east, north = basis if basis is not None else tangent_basis(centre)
    scale = xyz @ centre
    if np.any(scale <= 1e-9):
        raise ValueError("point too far from the projection centre for a gnomonic projection")
    projected = xyz / scale[..., None]
    return np.stack([projected @ east, projected @ north], axis=-1)


def inverse_gnomonic(xy: np.ndarray, centre: np.ndarray, basis: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    east, north = basis if basis is not None else tangent_basis(centre)
    xy = np.asarray(xy, dtype=float)
    return normalise(centre + xy[..., 0:1] * east + xy[..., 1:2] * north)


def sphere_point_to_arc_pairs(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (radians) from each point p[k] to the great-circle arc a[k]→b[k] (all (n, 3) unit vectors)."""
    normal = cross(a, b)
    norm = np.sqrt(np.sum(normal * normal, axis=-1))
    normal = normal / np.where(norm > 0, norm, 1.0)[:, None]
    # The foot of the perpendicular from p onto the great circle lies within the arc when p is on the
    # inner side of the planes through (normal, a) and (normal, b).
    within = (np.sum(p * cross(normal, a), axis=-1) >= 0) & (np.sum(p * cross(b, normal), axis=-1) >= 0) & (norm > 0)
    to_circle = np.abs(np.arcsin(np.clip(np.sum(p * normal, axis=-1), -1.0, 1.0)))
    to_ends = np.minimum(angle_between(p, a), angle_between(p, b))
    return np.where(within, to_circle, to_ends)
