"""The constants the distance method's proof rests on (docs/geometry.md), checked against pyproj.Geod
over many random and extreme pieces and pairs (poles, equator, every azimuth):

1. a dense piece of a geodesic edge (≤ 10 km) strays from the great circle through its ends' normals by
   less than a fifth of EPSILON_RAD;
2. the distance between two points is at least the least radius of curvature along the way (the
   meridional radius at the least |latitude|, or at the equator if it is crossed) times the angle
   between their normals, and at most the polar radius a²/b times that angle.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.geometry.distance import EPSILON_RAD
from deconfliction.geometry.earth import MAX_RADIUS_M, least_radius_m, unit_vectors
from deconfliction.geometry.footprint import DENSIFY_STEP_M

GEOD = Geod(ellps="WGS84")
RNG = np.random.default_rng(20261130)
N = 20_000


def starts(n):
    lat = np.concatenate([RNG.uniform(-90, 90, n - 6), [0.0, 0.0, 89.999, -89.999, 45.0, -45.0]])
    lon = RNG.uniform(-180, 180, n)
    return lon, lat


def test_a_dense_piece_of_a_geodesic_stays_within_a_fifth_of_epsilon_of_its_chord():
    lon, lat = starts(N)
    azimuth = RNG.uniform(0, 360, N)
    length = np.concatenate([np.full(N // 2, DENSIFY_STEP_M), RNG.uniform(1.0, DENSIFY_STEP_M, N - N // 2)])
    end_lon, end_lat, _ = GEOD.fwd(lon, lat, azimuth, length)
    start, end = unit_vectors(lon, lat), unit_vectors(end_lon, end_lat)
    normal = np.cross(start, end)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    worst = 0.0
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9):
        mid_lon, mid_lat, _ = GEOD.fwd(lon, lat, azimuth, length * fraction)
        off = np.abs(np.arcsin(np.sum(unit_vectors(mid_lon, mid_lat) * normal, axis=1)))
        worst = max(worst, float(off.max()))
    assert worst < EPSILON_RAD / 5, worst  # measured ~1.03e-9 rad (6.6 mm) for 10 km pieces


@pytest.mark.parametrize("reach_m", [1.0, 500.0, 20_000.0, 200_000.0])
def test_distance_lies_between_the_least_and_the_greatest_radius_times_the_angle(reach_m):
    lon, lat = starts(N)
    azimuth = RNG.uniform(0, 360, N)
    distance = RNG.uniform(0.01, reach_m, N)
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, distance)
    _, _, measured = GEOD.inv(lon, lat, lon2, lat2)
    a, b = unit_vectors(lon, lat), unit_vectors(lon2, lat2)
    angle = np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.sum(a * b, axis=1))
    lower = least_radius_m(lat, lat2) * angle
    upper = MAX_RADIUS_M * angle
    # (a micrometre for the rounding of angles from unit vectors; the method's margins are metres of it)
    assert np.all(lower <= measured + 1e-6), float(np.max(lower - measured))
    assert np.all(measured <= upper + 1e-6), float(np.max(measured - upper))
