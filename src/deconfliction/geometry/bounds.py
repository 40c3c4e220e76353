"""Boxes in (lon, lat, altitude, time) for the 4-D index: conservative, and split at the antimeridian.

A box only narrows the candidates; the exact check decides. So every box errs outward: it always
contains the volume (widened by the minima, for a search), never less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .footprint import prepare
from .separation import Minima, ellipsoidal_band
from .volume import Volume4D

# Metres per degree of latitude never fall below this (WGS84, at the equator).
MIN_METRES_PER_DEGREE_LAT = 110_574.0
# Geodesics between densified ring points bulge poleward of their ends by c²/(8ρ) for a chord c at
# distance ρ from the pole: under 115 m for 10 km chords outside the polar cap; pad generously.
RING_PAD_M = 200.0
# Within this latitude of a pole the bulge may exceed the pad, so boxes reach the pole itself.
POLAR_CAP_LAT = 89.0
# Conflicts are decided in whole millimetres and milliseconds; a box reaching this much further
# can only err outward, and keeps tiny altitudes (1e-160 m) away from float32's underflow.
ALTITUDE_PAD_M = 0.001
TIME_PAD_S = 0.001


@dataclass(frozen=True)
class Box:
    min_lon: float
    max_lon: float
    min_lat: float
    max_lat: float
    min_alt: float
    max_alt: float
    min_t: float
    max_t: float

    def as_tuple(self) -> tuple[float, ...]:
        return (self.min_lon, self.max_lon, self.min_lat, self.max_lat, self.min_alt, self.max_alt, self.min_t, self.max_t)


def _lon_lat_extent(footprint) -> tuple[float, float, float, float]:
    """(west, east, south, north) with west/east unwrapped (east may exceed 180, west go below -180);
    computed once per prepared shape (a filing asks for its boxes three or four times)."""
    return prepare(footprint).lon_lat_extent


def _widen(west: float, east: float, south: float, north: float, metres: float):
    dlat = metres / MIN_METRES_PER_DEGREE_LAT
    south, north = south - dlat, north + dlat
    if south <= -POLAR_CAP_LAT or north >= POLAR_CAP_LAT or east - west >= 360.0:
        # Near a pole any longitude may be near, and edges bulge poleward between samples (by up
        # to a kilometre within the cap), so the box runs all the way to the pole.
        south = -90.0 if south <= -POLAR_CAP_LAT else max(south, -90.0)
        north = 90.0 if north >= POLAR_CAP_LAT else min(north, 90.0)
        return -180.0, 180.0, south, north
    # A degree of longitude is shortest at the poleward edge; dividing by it errs outward.
    poleward = max(abs(south), abs(north))
    metres_per_degree_lon = MIN_METRES_PER_DEGREE_LAT * math.cos(math.radians(poleward))
    dlon = metres / metres_per_degree_lon if metres > 0 else 0.0
    west, east = west - dlon, east + dlon
    if east - west >= 360.0:
        return -180.0, 180.0, south, north
    return west, east, south, north


def _split_antimeridian(west: float, east: float) -> list[tuple[float, float]]:
    if west >= -180.0 and east <= 180.0:
        return [(west, east)]
    if west < -180.0:
        return [(west + 360.0, 180.0), (-180.0, east)]
    return [(west, 180.0), (-180.0, east - 360.0)]


def _boxes(volume: Volume4D, lateral_m: float, vertical_m: float, time_s: float) -> list[Box]:
    prepared = prepare(volume.footprint)
    west, east, south, north = _lon_lat_extent(volume.footprint)
    pad = RING_PAD_M + prepared.radius_m * 1.001
    west, east, south, north = _widen(west, east, south, north, lateral_m + pad)
    lower, upper = ellipsoidal_band(volume.altitude)
    lower, upper = lower - vertical_m - ALTITUDE_PAD_M, upper + vertical_m + ALTITUDE_PAD_M
    start, end = volume.time.start_s - time_s - TIME_PAD_S, volume.time.end_s + time_s + TIME_PAD_S
    return [Box(w, e, south, north, lower, upper, start, end) for w, e in _split_antimeridian(west, east)]


def _float32_outward(box: Box) -> Box:
    """The box with each bound moved outward to a float32 value. SQLite's R*Tree keeps float32 and
    means to round outward, but a bound that underflows float32 (|x| < 1.4e-45) it rounds to zero,
    which can move it inward; rounding here first leaves it nothing to round."""
    bounds = np.array(box.as_tuple(), dtype=np.float64)
    narrow = bounds.astype(np.float32)
    lows, highs = narrow[0::2], narrow[1::2]
    lows = np.where(lows.astype(np.float64) > bounds[0::2], np.nextafter(lows, np.float32(-np.inf)), lows)
    highs = np.where(highs.astype(np.float64) < bounds[1::2], np.nextafter(highs, np.float32(np.inf)), highs)
    return Box(*(float(x) for pair in zip(lows, highs) for x in pair))


def index_boxes(volume: Volume4D) -> list[Box]:
    """The boxes under which a stored volume is indexed (float32 bounds, rounded outward)."""
    return [_float32_outward(box) for box in _boxes(volume, 0.0, 0.0, 0.0)]


def search_boxes(volume: Volume4D, minima: Minima) -> list[Box]:
    """The boxes to search for volumes that may conflict with this one under the minima."""
    return _boxes(volume, minima.lateral_m, minima.vertical_m, minima.time_buffer_s)
