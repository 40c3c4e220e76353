"""Earth-centred, Earth-fixed (ECEF) coordinates on the WGS84 ellipsoid, and local directions.

Detection never subtracts longitudes: it works on ECEF vectors, which have no antimeridian and no
pole singularity. Horizontal positions are points on the ellipsoid surface (height 0) — the
straight chord between two such points differs from the geodesic by less than a millimetre at
separation distances — and altitudes are kept apart, in their own datum, for the vertical test.
"""

from __future__ import annotations

import numpy as np

WGS84_A = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
# The smallest radius of curvature of the ellipsoid (meridional, at the equator): surfaces bend at
# most this sharply, which bounds how far a chord strays from a tangent plane (used for margins).
MIN_CURVATURE_RADIUS_M = WGS84_A * (1.0 - WGS84_E2)


def surface_points(lon_deg, lat_deg) -> np.ndarray:
    """(n, 3) ECEF metres of the points on the ellipsoid surface below each lon/lat."""
    lam = np.radians(np.asarray(lon_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    prime_vertical = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_phi**2)
    return np.stack(
        [
            prime_vertical * cos_phi * np.cos(lam),
            prime_vertical * cos_phi * np.sin(lam),
            prime_vertical * (1.0 - WGS84_E2) * sin_phi,
        ],
        axis=-1,
    )


def local_axes(lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north and up (geodetic normal) unit vectors, each (n, 3).

    Written from longitude and latitude directly, so they stay defined at the poles (where "east"
    is simply the direction the given longitude names)."""
    lam = np.radians(np.asarray(lon_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    sin_lam, cos_lam = np.sin(lam), np.cos(lam)
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    east = np.stack([-sin_lam, cos_lam, np.zeros_like(lam)], axis=-1)
    north = np.stack([-sin_phi * cos_lam, -sin_phi * sin_lam, cos_phi], axis=-1)
    up = np.stack([cos_phi * cos_lam, cos_phi * sin_lam, sin_phi], axis=-1)
    return east, north, up


def ground_velocity(lon_deg, lat_deg, ground_speed_ms, track_deg) -> np.ndarray:
    """(n, 3) ECEF velocity of a ground speed along a true track (degrees clockwise from north)."""
    east, north, _ = local_axes(lon_deg, lat_deg)
    theta = np.radians(np.asarray(track_deg, dtype=float))
    speed = np.asarray(ground_speed_ms, dtype=float)
    return (speed * np.sin(theta))[..., None] * east + (speed * np.cos(theta))[..., None] * north


def to_lon_lat(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geodetic lon/lat (degrees) of ECEF points near the surface (Bowring's one-step formula,
    good to millimetres at aircraft heights)."""
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    p = np.hypot(x, y)
    b = WGS84_A * (1.0 - WGS84_F)
    ep2 = (WGS84_A**2 - b**2) / b**2
    theta = np.arctan2(z * WGS84_A, p * b)
    lat = np.arctan2(z + ep2 * b * np.sin(theta) ** 3, p - WGS84_E2 * WGS84_A * np.cos(theta) ** 3)
    return np.degrees(np.arctan2(y, x)), np.degrees(lat)
