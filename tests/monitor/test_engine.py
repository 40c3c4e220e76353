"""The detection engine: hand-computed encounters, awkward places on Earth, and the pruned search
against the all-pairs reference."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from deconfliction.monitor import Minima, Traffic, all_pairs, candidate_pairs, detect

LON_DEGREE_AT_EQUATOR = 111_319.4908  # a·π/180
LAT_DEGREE_AT_EQUATOR = 110_574.2727  # a(1−e²)·π/180
LAT_DEGREE_AT_POLE = 111_693.9173  # a/√(1−e²)·π/180
MINIMA = Minima(lateral_m=9_260.0, vertical_m=304.8, lookahead_s=300.0)


def traffic(*aircraft, parties=None):
    """aircraft: (lon, lat, altitude_m, ground_speed_ms, track_deg, vertical_rate_ms)"""
    columns = list(zip(*aircraft))
    return Traffic.from_geodetic(*columns, party=parties)


def only(encounters):
    assert len(encounters) == 1, f"expected one conflict, got {len(encounters)}"
    return {name: getattr(encounters, name)[0] for name in encounters.__dataclass_fields__}


def test_head_on_at_the_equator_meets_in_the_middle():
    gap = 0.1 * 2 * LON_DEGREE_AT_EQUATOR
    e = only(detect(traffic((-0.1, 0, 10_000, 200, 90, 0), (0.1, 0, 10_000, 200, 270, 0)), MINIMA))
    assert e["t_cpa_s"] == pytest.approx(gap / 400, abs=0.01)
    assert e["d_cpa_m"] == pytest.approx(0, abs=0.5)
    assert e["t_in_s"] == pytest.approx((gap - 9_260) / 400, abs=0.01)
    assert e["t_out_s"] == pytest.approx((gap + 9_260) / 400, abs=0.01)
    assert e["distance_m"] == pytest.approx(gap, abs=0.5)
    assert not e["loss_now"]


def test_crossing_at_right_angles_passes_at_the_difference_of_the_legs():
    east, north = 0.1 * LON_DEGREE_AT_EQUATOR, 0.1 * LAT_DEGREE_AT_EQUATOR
    # one flies north towards the origin, the other east towards it, both at 200 m/s
    e = only(detect(traffic((0, -0.1, 10_000, 200, 0, 0), (-0.1, 0, 10_000, 200, 90, 0)), MINIMA))
    assert e["t_cpa_s"] == pytest.approx((east + north) / 400, abs=0.05)
    assert e["d_cpa_m"] == pytest.approx(abs(east - north) / math.sqrt(2), abs=0.5)


def test_parallel_tracks_never_converge():
    apart = traffic((0, 0, 10_000, 230, 0, 0), (0.1, 0, 10_000, 230, 0, 0))  # 11 km abreast
    assert len(detect(apart, MINIMA)) == 0
    close = traffic((0, 0, 10_000, 230, 0, 0), (0.05, 0, 10_000, 230, 0, 0))  # 5.6 km abreast
    e = only(detect(close, MINIMA))
    assert e["loss_now"] and e["t_in_s"] == -math.inf and e["t_out_s"] == math.inf
    assert e["d_cpa_m"] == pytest.approx(0.05 * LON_DEGREE_AT_EQUATOR, abs=0.5)


def test_climbing_below_a_level_aircraft_conflicts_when_it_enters_the_vertical_band():
    formation = traffic((0, 0, 10_000, 200, 45, 0), (0, 0, 8_000, 200, 45, 10))  # same place, same velocity
    e = only(detect(formation, MINIMA))
    assert e["t_in_s"] == pytest.approx((2_000 - 304.8) / 10, abs=1e-6)
    assert e["t_out_s"] == pytest.approx((2_000 + 304.8) / 10, abs=1e-6)
    assert len(detect(formation, Minima(9_260, 304.8, lookahead_s=160))) == 0


def test_adjacent_flight_levels_are_separated_and_one_foot_less_is_not():
    fl350, fl360 = 35_000 * 0.3048, 36_000 * 0.3048
    assert len(detect(traffic((0, 0, fl350, 200, 0, 0), (0, 0, fl360, 200, 180, 0)), MINIMA)) == 0
    assert len(detect(traffic((0, 0, fl350, 200, 0, 0), (0, 0, fl360 - 0.3048, 200, 180, 0)), MINIMA)) == 1


@pytest.mark.parametrize("lat", [0.0, 60.0, -75.0])
def test_head_on_across_the_antimeridian(lat):
    scale = math.cos(math.radians(lat))
    pair = traffic((179.95, lat, 10_000, 200, 90, 0), (-179.95, lat, 10_000, 200, 270, 0))
    e = only(detect(pair, MINIMA))
    assert e["d_cpa_m"] < 50  # meets, rather than being 360° apart
    assert e["distance_m"] == pytest.approx(0.1 * LON_DEGREE_AT_EQUATOR * scale, rel=0.01)
    assert e["t_cpa_s"] == pytest.approx(e["distance_m"] / 400, rel=0.01)


def test_head_on_over_the_north_pole():
    # both fly "north" on opposite meridians: straight at each other across the pole
    pair = traffic((0, 89.95, 10_000, 200, 0, 0), (180, 89.95, 10_000, 200, 0, 0))
    e = only(detect(pair, MINIMA))
    gap = 0.1 * LAT_DEGREE_AT_POLE
    assert e["distance_m"] == pytest.approx(gap, abs=2)
    assert e["t_cpa_s"] == pytest.approx(gap / 400, abs=0.05)
    assert e["d_cpa_m"] < 5


def test_loss_of_separation_now_is_flagged():
    e = only(detect(traffic((10, 50, 5_000, 150, 10, 0), (10.02, 50, 5_100, 150, 190, 0)), MINIMA))
    assert e["loss_now"] and e["t_in_s"] < 0
    receding = traffic((10, 50, 5_000, 150, 90, 0), (10.2, 50, 5_100, 150, 90, 0))  # 14 km in trail
    assert len(detect(receding, MINIMA)) == 0


def test_same_party_pairs_are_excluded_unless_asked_for():
    pair = traffic((-0.1, 0, 10_000, 200, 90, 0), (0.1, 0, 10_000, 200, 270, 0), parties=[7, 7])
    assert len(detect(pair, MINIMA)) == 0
    assert len(detect(pair, MINIMA, same_party=True)) == 1


def test_conflict_beyond_the_lookahead_is_not_reported():
    gap_deg = 1.2  # 133 km, closing at 400 m/s: loss of separation after ~310 s
    pair = traffic((-gap_deg / 2, 0, 10_000, 200, 90, 0), (gap_deg / 2, 0, 10_000, 200, 270, 0))
    assert len(detect(pair, MINIMA)) == 0
    assert len(detect(pair, Minima(9_260, 304.8, 400))) == 1


@st.composite
def clustered_traffic(draw):
    """Up to 60 aircraft within ~1.5° of a random point anywhere (poles and antimeridian included),
    in a 3 km altitude block so that many of them conflict."""
    n = draw(st.integers(2, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    centre_lat = draw(st.sampled_from([0.0, 45.0, -60.0, 89.5, -89.9])) if draw(st.booleans()) else draw(st.floats(-89.9, 89.9))
    centre_lon = draw(st.sampled_from([180.0, -179.9, 0.0])) if draw(st.booleans()) else draw(st.floats(-180, 180))
    rng = np.random.default_rng(seed)
    lat = np.clip(centre_lat + rng.uniform(-1.5, 1.5, n), -90, 90)
    lon = (centre_lon + rng.uniform(-1.5, 1.5, n) / max(math.cos(math.radians(centre_lat)), 0.02) + 180) % 360 - 180
    level = rng.random(n) < 0.6
    return traffic(*zip(
        lon, lat, rng.uniform(3_000, 6_000, n), rng.uniform(0, 300, n), rng.uniform(0, 360, n),
        np.where(level, 0.0, rng.uniform(-20, 20, n)),
    ), parties=rng.integers(0, 4, n)), draw(st.integers(1, 8))


@settings(max_examples=120, deadline=None)
@given(clustered_traffic(), st.booleans())
def test_pruned_search_finds_exactly_the_all_pairs_conflicts(case, same_party):
    fleet, slices = case
    found = detect(fleet, MINIMA, same_party=same_party, slices=slices)
    reference = all_pairs(fleet, MINIMA, same_party=same_party)
    assert found.pairs() == reference.pairs()


def test_pruning_keeps_far_fewer_pairs_than_all_pairs():
    rng = np.random.default_rng(4)
    n = 3_000
    fleet = traffic(*zip(rng.uniform(-10, 30, n), rng.uniform(35, 60, n), rng.uniform(3_000, 12_500, n),
                         rng.uniform(120, 260, n), rng.uniform(0, 360, n), np.zeros(n)))
    first, _ = candidate_pairs(fleet, MINIMA)
    assert len(first) < n * (n - 1) / 2 / 100
    assert detect(fleet, MINIMA).pairs() == all_pairs(fleet, MINIMA).pairs()


def test_a_vertical_minimum_of_zero_is_valid_and_no_gap_is_below_it():
    """F3548 agreements have no vertical minimum: aircraft at the very same altitude, climbing through
    each other or co-located are never closer than 0 m vertically (strictly less, as everywhere)."""
    flat = Minima(lateral_m=1.0, vertical_m=0.0, lookahead_s=300.0)
    crowd = traffic((0, 0, 100, 0, 0, 0), (0, 0, 100, 0, 0, 0), (0.0001, 0, 50, 10, 270, 5), (-0.0001, 0, 150, 10, 90, -5))
    assert len(detect(crowd, flat)) == 0
    assert len(all_pairs(crowd, flat)) == 0
    assert len(candidate_pairs(crowd, flat)[0]) == 0
    with pytest.raises(ValueError, match="vertical_m"):
        Minima(lateral_m=1.0, vertical_m=-1.0)
    with pytest.raises(ValueError, match="lateral_m"):
        Minima(lateral_m=0.0, vertical_m=10.0)
