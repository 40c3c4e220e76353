"""When two volumes come closer than the minima in lateral distance, vertical gap and time, at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .distance import contains_lon_lat, footprint_covers, lateral_distance
from .volume import AltitudeBand, TimeWindow, Volume4D

# The geoid (mean sea level) lies between these heights above the WGS84 ellipsoid everywhere on
# Earth (EGM96: -106.2 m to +85.4 m, rounded outward). Without a geoid grid on the machine, a band
# given above mean sea level is compared with an ellipsoidal one over this whole range, so a
# conflict is never missed; bands on the same datum are compared exactly.
GEOID_MIN_M = -107.0
GEOID_MAX_M = 86.0


@dataclass(frozen=True)
class Minima:
    """Separation minima of an agreement: closer than all three at once is a conflict."""

    lateral_m: float
    vertical_m: float
    time_buffer_s: float = 0.0


@dataclass(frozen=True)
class VolumeConflict:
    lateral_m: float  # closest lateral distance (0 when the footprints overlap)
    vertical_m: float  # vertical gap (0 when the bands overlap)
    time_start: datetime  # the span in which both are (nearly) active
    time_end: datetime
    where: tuple[float, float]  # (lon, lat) where they come closest


def ellipsoidal_band(band: AltitudeBand) -> tuple[float, float]:
    """The band as heights above the ellipsoid; widened by the geoid's range when given above mean sea level."""
    if band.datum == "W84":
        return band.lower_m, band.upper_m
    return band.lower_m + GEOID_MIN_M, band.upper_m + GEOID_MAX_M


def vertical_separation(a: AltitudeBand, b: AltitudeBand) -> float:
    """Gap between two bands in metres; negative when they overlap."""
    if a.datum == b.datum:
        (la, ua), (lb, ub) = (a.lower_m, a.upper_m), (b.lower_m, b.upper_m)
    else:
        (la, ua), (lb, ub) = ellipsoidal_band(a), ellipsoidal_band(b)
    return max(la, lb) - min(ua, ub)


def time_separation(a: TimeWindow, b: TimeWindow) -> float:
    """Gap between two windows in seconds; negative when they overlap."""
    return (max(a.start, b.start) - min(a.end, b.end)).total_seconds()


def millimetres(metres: float) -> int:
    """A length as a whole number of millimetres: the unit in which 'closer than' is decided."""
    return round(metres * 1000.0)


def milliseconds(seconds: float) -> int:
    return round(seconds * 1000.0)


def closer_than(gap_m: float, minimum_m: float) -> bool:
    """The tie rule: a gap is a conflict only when it is *less* than the minimum, compared in whole
    millimetres, so that 272.4 - 120 (152.39999999999998 in floats) against 500 ft (152.4 m) is equal,
    hence no conflict, whether the bands came in metres, feet or flight levels."""
    return millimetres(gap_m) < millimetres(minimum_m)


def volume_conflict(a: Volume4D, b: Volume4D, minima: Minima) -> VolumeConflict | None:
    """The conflict between two volumes under the minima, or None. Cheapest tests first."""
    time_gap = time_separation(a.time, b.time)
    if not milliseconds(time_gap) < milliseconds(minima.time_buffer_s):
        return None
    vertical_gap = vertical_separation(a.altitude, b.altitude)
    if not closer_than(vertical_gap, minima.vertical_m):
        return None
    lateral = lateral_distance(a.footprint, b.footprint, limit_m=minima.lateral_m)
    if lateral is None or not closer_than(lateral.metres, minima.lateral_m):
        return None
    later_start, earlier_end = max(a.time.start, b.time.start), min(a.time.end, b.time.end)
    return VolumeConflict(
        lateral_m=lateral.metres,
        vertical_m=max(0.0, vertical_gap),
        time_start=min(later_start, earlier_end),
        time_end=max(later_start, earlier_end),
        where=lateral.where,
    )


def contains_position(volume: Volume4D, lon: float, lat: float, altitude_m: float, datum: str, when: datetime) -> bool:
    """Is an aircraft at (lon, lat, altitude above `datum`) at `when` inside the volume?

    Across datums the answer gives the benefit of the doubt over the geoid's range, so an aircraft
    is only called outside when it certainly is."""
    if not volume.time.start <= when < volume.time.end:
        return False
    band = volume.altitude
    if datum == band.datum:
        lower, upper = band.lower_m, band.upper_m
    elif datum == "W84":  # ellipsoidal altitude against a band above mean sea level
        lower, upper = ellipsoidal_band(band)
    else:  # altitude above mean sea level against an ellipsoidal band
        lower, upper = band.lower_m - GEOID_MAX_M, band.upper_m - GEOID_MIN_M
    if not lower <= altitude_m <= upper:
        return False
    return contains_lon_lat(volume.footprint, lon, lat)


def volume_covers(outer: Volume4D, inner: Volume4D) -> bool:
    """Does `outer` contain all of `inner`? Used to tell new airspace from airspace already announced."""
    if not (outer.time.start <= inner.time.start and inner.time.end <= outer.time.end):
        return False
    if outer.altitude.datum != inner.altitude.datum:
        return False
    if not (outer.altitude.lower_m <= inner.altitude.lower_m and inner.altitude.upper_m <= outer.altitude.upper_m):
        return False
    return footprint_covers(outer.footprint, inner.footprint)

