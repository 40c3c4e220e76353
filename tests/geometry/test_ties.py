"""The tie rule: a conflict is *closer than* the minima; a gap exactly equal to a minimum is not one.
Decided in integer millimetres and milliseconds, so the answer never depends on how a float rounds
(272.4 - 120 is 152.39999999999998 in binary) nor on whether the input came in metres, feet or FL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.geometry import AltitudeBand, Circle, Minima, TimeWindow, Volume4D, load_volumes, volume_conflict
from deconfliction.units import parse_length

from factories import T0

SPOT = Circle(lon=7.0, lat=45.0, radius_m=500.0)
HOUR = TimeWindow(start=T0, end=T0 + timedelta(hours=1))
FIVE_HUNDRED_FEET = Minima(lateral_m=1852.0, vertical_m=parse_length("500 ft"))


def band_volume(lower: float, upper: float, datum: str = "W84", time: TimeWindow = HOUR) -> Volume4D:
    return Volume4D(footprint=SPOT, altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum), time=time)


@pytest.mark.parametrize("low_top, high_bottom", [(120.0, 272.4), (100.0, 252.4), (0.0, 152.4), (1000.1, 1152.5)])
def test_a_vertical_gap_equal_to_the_minimum_in_metres_is_not_a_conflict(low_top, high_bottom):
    low, high = band_volume(0.0, low_top), band_volume(high_bottom, high_bottom + 100.0)
    assert volume_conflict(low, high, FIVE_HUNDRED_FEET) is None
    assert volume_conflict(high, low, FIVE_HUNDRED_FEET) is None
    # One millimetre closer is a conflict: the rule has an edge, and it is here.
    closer = band_volume(high_bottom - 0.001, high_bottom + 100.0)
    assert volume_conflict(low, closer, FIVE_HUNDRED_FEET) is not None


def geojson_band(lower: str, upper: str, datum: str | None) -> Volume4D:
    props = {"altitude_lower": lower, "altitude_upper": upper, "time_start": "2026-06-01T08:00:00Z", "time_end": "2026-06-01T09:00:00Z", "radius": 500}
    if datum:
        props["altitude_datum"] = datum
    (volume,) = load_volumes({"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.0, 45.0]}, "properties": props})
    return volume


# Every pair here is exactly 500 ft apart; in floats several come out a hair under 152.4 m.
FEET_PAIRS = [(400, 900), (700, 1200), (1100, 1600), (5000, 5500)]
LEVEL_PAIRS = [(4, 9), (7, 12), (100, 105), (105, 110), (345, 350)]


@pytest.mark.parametrize("top, bottom", FEET_PAIRS)
def test_a_gap_of_exactly_500_ft_given_in_feet_is_not_a_conflict(top, bottom):
    low = geojson_band("0 ft", f"{top} ft", "AMSL")
    high = geojson_band(f"{bottom} ft", f"{bottom + 1000} ft", "AMSL")
    assert volume_conflict(low, high, FIVE_HUNDRED_FEET) is None
    nearer = geojson_band(f"{bottom - 1} ft", f"{bottom + 1000} ft", "AMSL")
    assert volume_conflict(low, nearer, FIVE_HUNDRED_FEET) is not None


@pytest.mark.parametrize("top, bottom", LEVEL_PAIRS)
def test_flight_levels_500_ft_apart_are_not_a_conflict(top, bottom):
    low = geojson_band("FL0" if top < 10 else "FL001", f"FL{top:03d}", None)
    high = geojson_band(f"FL{bottom:03d}", f"FL{bottom + 10:03d}", None)
    assert low.altitude.datum == high.altitude.datum == "AMSL"
    assert volume_conflict(low, high, FIVE_HUNDRED_FEET) is None
    assert volume_conflict(high, low, FIVE_HUNDRED_FEET) is None


def test_a_time_gap_equal_to_the_buffer_is_not_a_conflict_and_a_millisecond_less_is():
    minima = Minima(lateral_m=1852.0, vertical_m=150.0, time_buffer_s=300.0)
    first = band_volume(0.0, 100.0)
    later = TimeWindow(start=HOUR.end + timedelta(seconds=300), end=HOUR.end + timedelta(hours=1))
    assert volume_conflict(first, band_volume(0.0, 100.0, time=later), minima) is None
    sooner = TimeWindow(start=HOUR.end + timedelta(seconds=299.999), end=HOUR.end + timedelta(hours=1))
    assert volume_conflict(first, band_volume(0.0, 100.0, time=sooner), minima) is not None


def test_a_lateral_distance_equal_to_the_minimum_is_not_a_conflict():
    """Circles on one meridian: their gap is computed, then the minimum set to exactly that many
    millimetres; equal is no conflict, a millimetre more is."""
    from pyproj import Geod

    a = Circle(lon=7.0, lat=45.0, radius_m=250.0)
    lon, lat, _ = Geod(ellps="WGS84").fwd(7.0, 45.0, 0.0, 1250.0)
    b = Circle(lon=float(lon), lat=float(lat), radius_m=250.0)  # 1250 m centre to centre: 750 m apart
    va, vb = (Volume4D(footprint=f, altitude=AltitudeBand(lower_m=0, upper_m=100), time=HOUR) for f in (a, b))
    assert volume_conflict(va, vb, Minima(lateral_m=750.0, vertical_m=0.0)) is None
    assert volume_conflict(va, vb, Minima(lateral_m=750.001, vertical_m=0.0)) is not None
