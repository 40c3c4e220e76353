"""The whole store against the oracle: random notices (poles, antimeridian, corridors, plus signs, C
and comb shapes, circles, a city) filed one by one, each presenting the key the store asks for; the set of
conflicting notice pairs the store then holds equals the set the independent oracle finds
(tests/geometry/geodesic_truth.py), not the library's own brute force.

Issue 10: in such a mix of 249 notices, the store held 181 conflicting pairs where the truth was 261."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction import Deconfliction, Separation
from deconfliction.errors import MissingKey
from deconfliction.geometry import AltitudeBand, TimeWindow, Volume4D
from deconfliction.store import SQLiteStore

from factories import T0, FixedClock, example_agreement
from geodesic_truth import footprint_distance, volumes_conflict
from strategies import _offset, shape_near, sizes

PARTIES = ["blue", "red", "green"]
SEPARATION = Separation(lateral_m=1852.0, vertical_m=152.4, time_buffer_s=300.0)  # 1 NM, 500 ft, 5 min
HOTSPOTS = [(0.0, 90.0), (45.0, -89.5), (180.0, 0.0), (-179.9, -16.5), (2.35, 48.85), (7.0, 45.0)]
NOTICES = int(os.environ.get("STORE_ORACLE_NOTICES", "60"))


@st.composite
def volume_specs(draw):
    spot = draw(st.sampled_from(HOTSPOTS))
    size = min(draw(sizes), 150_000.0)
    place = _offset(spot[0], spot[1], draw(st.floats(0, 360)), draw(st.floats(0, 1.0)) * size)
    footprint = draw(shape_near(place, size))
    # Bands on a 100 m grid with 152.4 m (= the minimum) among the gaps, on either datum.
    lower = draw(st.sampled_from([0.0, 100.0, 120.0, 252.4, 272.4, 500.0]))
    band = AltitudeBand(lower_m=lower, upper_m=lower + draw(st.sampled_from([20.0, 120.0, 400.0])), datum=draw(st.sampled_from(["W84", "W84", "AMSL"])))
    start = T0 + timedelta(hours=1) + timedelta(minutes=draw(st.sampled_from([0, 30, 65, 125, 185])))
    return Volume4D(footprint=footprint, altitude=band, time=TimeWindow(start=start, end=start + timedelta(minutes=draw(st.sampled_from([60, 120])))))


notice_specs = st.tuples(st.sampled_from(PARTIES), st.lists(volume_specs(), min_size=1, max_size=2))


def file_with_the_key_asked_for(system: Deconfliction, party: str, volumes):
    key: list[str] = []
    for _ in range(3):
        try:
            return system.file_notice(party, "pact", volumes, key=key)
        except MissingKey as refused:
            key += [m["version"] for m in refused.details["missing"]]
    raise AssertionError("the key asked for was refused again")


def oracle_pairs(filed):
    """Pairs of notices of different parties with some pair of volumes closer than all three minima;
    and the pairs whose lateral distance is within 5 mm of the minimum (either answer is right)."""
    conflicting, borderline = set(), set()
    for (id_a, party_a, vols_a), (id_b, party_b, vols_b) in itertools.combinations(filed, 2):
        if party_a == party_b:
            continue
        pair = frozenset((id_a, id_b))
        for va, vb in itertools.product(vols_a, vols_b):
            if volumes_conflict(va, vb, SEPARATION.lateral_m, SEPARATION.vertical_m, SEPARATION.time_buffer_s):
                conflicting.add(pair)
            elif volumes_conflict(va, vb, SEPARATION.lateral_m + 0.005, SEPARATION.vertical_m, SEPARATION.time_buffer_s):
                borderline.add(pair)
    return conflicting, borderline


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("STORE_ORACLE_EXAMPLES", "3")), deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=st.lists(notice_specs, min_size=NOTICES, max_size=NOTICES))
def test_the_conflicts_the_store_holds_are_the_oracles_conflicting_pairs(specs, tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("oracle") / "store.db")
    try:
        system = Deconfliction(store, clock=FixedClock())
        system.add_agreement(example_agreement(separation=SEPARATION, max_area_km2=10_000_000.0))
        filed = []
        for party, volumes in specs:
            filing = file_with_the_key_asked_for(system, party, volumes)
            filed.append((filing.notice.id, party, volumes))
        held = {frozenset((c.notice_a, c.notice_b)) for c in system.conflicts(agreement_id="pact", limit=1_000_000)}
        truth, borderline = oracle_pairs(filed)
        missed, extra = truth - held - borderline, held - truth - borderline
        assert not missed and not extra, (f"{len(held)} held, {len(truth)} true; missed {len(missed)}, extra {len(extra)}", sorted(map(sorted, missed))[:5])
        print(f"store against oracle: {len(filed)} notices, {len(held)} pairs held, {len(truth)} true, {len(borderline)} borderline")
    finally:
        store.close()


def test_the_issue_example_pair_is_held_as_a_conflict(system, clock):
    """The issue's two rectangles crossing as a plus sign, through the oracle and the store."""
    from deconfliction.geometry import Polygon

    bar = Polygon(vertices=((6, 44.99), (8, 44.99), (8, 45.01), (6, 45.01)))
    post = Polygon(vertices=((6.99, 44.3), (7.01, 44.3), (7.01, 45.7), (6.99, 45.7)))
    assert footprint_distance(bar, post) == 0.0
    window = TimeWindow(start=clock.now + timedelta(hours=1), end=clock.now + timedelta(hours=2))
    band = AltitudeBand(lower_m=0.0, upper_m=120.0)
    first = file_with_the_key_asked_for(system, "red", [Volume4D(footprint=bar, altitude=band, time=window)])
    second = file_with_the_key_asked_for(system, "blue", [Volume4D(footprint=post, altitude=band, time=window)])
    held = {frozenset((c.notice_a, c.notice_b)) for c in system.conflicts(agreement_id="pact")}
    assert held == {frozenset((first.notice.id, second.notice.id))}
