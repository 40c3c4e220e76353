"""The ellipsoid, unit vectors, and the gnomonic tangent plane.

Distances are always measured on the WGS84 ellipsoid with pyproj.Geod (Karney's geodesics). Unit
vectors serve only for topology (does this overlap that?) and for cheap lower bounds used to prune
work; those bounds carry explicit margins so that they never decide an exact answer.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
MEAN_RADIUS_M = 6_371_008.8
# The smallest radius of curvature of WGS84 (meridional, at the equator): a sphere of this radius
# never overstates how far apart two points are in angle, so angle * this is a safe lower bound.
MIN_RADIUS_M = 6_335_439.0
# How far a distance measured on a sphere through geodetic coordinates may stray from the
# ellipsoidal one: relative (radius of curvature between 6335 and 6400 km) and absolute (the
# path of a long geodesic edge versus the great circle through its mapped ends).
SPHERE_RELATIVE_ERROR = 0.01
SPHERE_ABSOLUTE_ERROR_M = 2_000.0


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
    c = cross(u, v)
    return np.arctan2(np.sqrt(np.sum(c * c, axis=-1)), np.sum(u * v, axis=-1))


def normalise(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def tangent_basis(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning the plane tangent to the sphere at `centre` (any orientation)."""
    helper = np.array([0.0, 0.0, 1.0]) if abs(centre[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    east = normalise(np.cross(helper, centre))
    north = np.cross(centre, east)
    return east, north


def gnomonic(xyz: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Project onto the plane tangent at `centre`. Great circles become straight lines, so a ring
    of densely sampled geodesic edges keeps its topology; points must lie within 90° of the centre."""
    east, north = tangent_basis(centre)
    scale = xyz @ centre
    if np.any(scale <= 1e-9):
        raise ValueError("point too far from the projection centre for a gnomonic projection")
    projected = xyz / scale[..., None]
    return np.stack([projected @ east, projected @ north], axis=-1)


def inverse_gnomonic(xy: np.ndarray, centre: np.ndarray) -> np.ndarray:
    east, north = tangent_basis(centre)
    xy = np.asarray(xy, dtype=float)
    return normalise(centre + xy[..., 0:1] * east + xy[..., 1:2] * north)


def arc_normals(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unit normals of the great circles through arcs a→b (zero for degenerate arcs)."""
    normal = cross(a, b)
    norm = np.sqrt(np.sum(normal * normal, axis=-1))
    return normal / np.where(norm > 0, norm, 1.0)[:, None]


def sphere_point_to_arc(p: np.ndarray, a: np.ndarray, b: np.ndarray, normal: np.ndarray | None = None) -> np.ndarray:
    """Angle (radians) from each point p (n,3) to each great-circle arc a→b (m,3): an (n, m) matrix."""
    if normal is None:
        normal = arc_normals(a, b)
    p_ = p[:, None, :]
    # Foot of the perpendicular from p onto the great circle, and whether it lies inside the arc.
    off_plane = np.sum(p_ * normal[None], axis=-1)
    foot = p_ - off_plane[..., None] * normal[None]
    within = (np.sum(cross(a[None], foot) * normal[None], axis=-1) >= 0) & (
        np.sum(cross(foot, b[None]) * normal[None], axis=-1) >= 0
    )
    to_circle = np.abs(np.arcsin(np.clip(off_plane, -1.0, 1.0)))
    to_ends = np.minimum(angle_between(p_, a[None]), angle_between(p_, b[None]))
    return np.where(within, to_circle, to_ends)
