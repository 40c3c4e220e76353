"""Vertical gap, time gap with the buffer, and datum mixing: a conflict needs all three minima broken at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.geometry import AltitudeBand, Circle, Minima, TimeWindow, Volume4D, vertical_separation, volume_conflict
from deconfliction.geometry.separation import GEOID_MAX_M, GEOID_MIN_M, time_separation

from factories import T0


def volume(lower=0.0, upper=300.0, datum="W84", start_min=60.0, minutes=60.0, lon=2.35, lat=48.85, radius_m=500.0) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=lon, lat=lat, radius_m=radius_m),
        altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
        time=TimeWindow(start=T0 + timedelta(minutes=start_min), end=T0 + timedelta(minutes=start_min + minutes)),
    )


def test_the_geoid_range_is_the_documented_one():
    assert (GEOID_MIN_M, GEOID_MAX_M) == (-107.0, 86.0)


# Vertical ---------------------------------------------------------------------------------------


def test_vertical_gap_on_one_datum_is_exact():
    assert vertical_separation(AltitudeBand(lower_m=0, upper_m=100), AltitudeBand(lower_m=250, upper_m=400)) == 150.0
    assert vertical_separation(AltitudeBand(lower_m=0, upper_m=100, datum="AMSL"), AltitudeBand(lower_m=250, upper_m=400, datum="AMSL")) == 150.0
    assert vertical_separation(AltitudeBand(lower_m=0, upper_m=300), AltitudeBand(lower_m=100, upper_m=200)) < 0


def test_a_vertical_gap_equal_to_the_minimum_is_not_a_conflict_and_one_metre_less_is():
    low, high = volume(0, 100), volume(250, 400)
    assert volume_conflict(low, high, Minima(1000, 150, 0)) is None
    found = volume_conflict(low, high, Minima(1000, 151, 0))
    assert found is not None and found.vertical_m == 150.0


def test_ellipsoidal_against_mean_sea_level_is_compared_over_the_whole_geoid_range():
    w84 = AltitudeBand(lower_m=0, upper_m=100, datum="W84")
    # 208 m AMSL may be as low as 208 - 107 = 101 m above the ellipsoid: 1 m above the W84 band.
    above = AltitudeBand(lower_m=208, upper_m=300, datum="AMSL")
    assert vertical_separation(w84, above) == pytest.approx(1.0)
    assert vertical_separation(above, w84) == pytest.approx(1.0)
    # -100 m AMSL may be as high as -100 + 86 = -14 m: 14 m below the W84 band.
    below = AltitudeBand(lower_m=-300, upper_m=-100, datum="AMSL")
    assert vertical_separation(w84, below) == pytest.approx(14.0)


def test_mixed_datums_conflict_where_the_same_numbers_on_one_datum_would_not():
    w84, amsl, w84_too = volume(0, 100, "W84"), volume(208, 300, "AMSL"), volume(208, 300, "W84")
    minima = Minima(1000, 50, 0)
    assert volume_conflict(w84, w84_too, minima) is None  # 108 m apart on one datum
    found = volume_conflict(w84, amsl, minima)  # only 1 m apart at the geoid's lowest
    assert found is not None and found.vertical_m == pytest.approx(1.0)
    assert volume_conflict(w84, amsl, Minima(1000, 1.0, 0)) is None


def test_overlapping_bands_report_zero_vertical_gap():
    found = volume_conflict(volume(0, 300), volume(100, 200), Minima(1000, 0.0, 0))
    assert found is not None and found.vertical_m == 0.0


def test_a_zero_vertical_minimum_still_catches_overlapping_bands_but_not_touching_ones():
    assert volume_conflict(volume(0, 100), volume(50, 150), Minima(1000, 0.0, 0)) is not None
    assert volume_conflict(volume(0, 100), volume(100, 150), Minima(1000, 0.0, 0)) is None


# Time ---------------------------------------------------------------------------------------------


def test_time_gap_between_windows():
    a, b = volume(start_min=0, minutes=60), volume(start_min=70, minutes=60)
    assert time_separation(a.time, b.time) == 600.0
    assert time_separation(b.time, a.time) == 600.0


def test_the_time_buffer_joins_windows_closer_than_it():
    a, b = volume(start_min=0, minutes=60), volume(start_min=70, minutes=60)  # 10 min apart
    assert volume_conflict(a, b, Minima(1000, 100, 599)) is None
    assert volume_conflict(a, b, Minima(1000, 100, 600)) is None  # a gap equal to the buffer is enough
    found = volume_conflict(a, b, Minima(1000, 100, 601))
    assert found is not None
    # The span reported is the gap between them (they are never both active).
    assert (found.time_start, found.time_end) == (a.time.end, b.time.start)


def test_back_to_back_windows_need_a_buffer_to_conflict():
    a, b = volume(start_min=0, minutes=60), volume(start_min=60, minutes=60)
    assert volume_conflict(a, b, Minima(1000, 100, 0)) is None  # [start, end): no shared instant
    assert volume_conflict(a, b, Minima(1000, 100, 1)) is not None


def test_overlapping_windows_report_the_shared_span():
    a, b = volume(start_min=0, minutes=60), volume(start_min=30, minutes=60)
    found = volume_conflict(a, b, Minima(1000, 100, 0))
    assert found is not None and (found.time_start, found.time_end) == (b.time.start, a.time.end)


# All three at once ----------------------------------------------------------------------------------


def test_a_conflict_needs_every_minimum_broken():
    base = volume()
    minima = Minima(lateral_m=1000, vertical_m=100, time_buffer_s=60)
    assert volume_conflict(base, volume(), minima) is not None
    assert volume_conflict(base, volume(lon=2.5), minima) is None  # far laterally
    assert volume_conflict(base, volume(500, 600), minima) is None  # far vertically
    assert volume_conflict(base, volume(start_min=200), minima) is None  # far in time
    found = volume_conflict(base, volume(lon=2.35 + 0.0138, lower=350, upper=400), minima)  # ~1.01 km between centres
    assert found is not None and 0 < found.lateral_m < 1000 and found.vertical_m == 50.0
