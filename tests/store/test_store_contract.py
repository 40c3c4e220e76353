"""The store contract: every Transaction method, on every backend (`any_store`: SQLite, PostgreSQL + PostGIS).

The candidate search is held to its one promise — never miss a notice the exact check would find —
against brute force on random volumes, including the antimeridian and the poles, and at distances a
metre inside the lateral minimum.
"""

from __future__ import annotations

import math
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pyproj import Geod

from deconfliction.rules import audit, notices
from deconfliction.models.agreements import Agreement, Party, Separation
from deconfliction.errors import MissingKey
from deconfliction.geometry import AltitudeBand, Circle, Minima, Polygon, TimeWindow, Volume4D, lateral_distance, volume_conflict
from deconfliction.models import (
    LIVE_STATES, AuditEntry, Conflict, Credential, Deadline, Delivery, Endpoint, HotlineMessage, MessageRefs, Notice, NoticePrivate,
    Subscription,
)
from deconfliction.store import run_in_transaction

GEOD = Geod(ellps="WGS84")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


# Builders ------------------------------------------------------------------------------------------


def at(hours: float = 0.0) -> datetime:
    return T0 + timedelta(hours=hours)


def circle_volume(lon=2.35, lat=48.85, radius_m=500.0, lower=0.0, upper=300.0, start_h=1.0, hours=1.0, datum="W84") -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=lon, lat=lat, radius_m=radius_m),
        altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
        time=TimeWindow(start=at(start_h), end=at(start_h + hours)),
    )


def polygon_volume(vertices, lower=0.0, upper=300.0, start_h=1.0, hours=1.0, datum="W84") -> Volume4D:
    return Volume4D(
        footprint=Polygon(vertices=tuple(vertices)),
        altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
        time=TimeWindow(start=at(start_h), end=at(start_h + hours)),
    )


def ring_around(lon: float, lat: float, radii: list[float]) -> list[tuple[float, float]]:
    """A star-shaped ring around a point: vertices at evenly spaced azimuths and the given distances."""
    n = len(radii)
    azimuths = [i * 360.0 / n for i in range(n)]
    lons, lats, _ = GEOD.fwd([lon] * n, [lat] * n, azimuths, radii)
    return [(((x + 180.0) % 360.0) - 180.0, y) for x, y in zip(lons, lats)][::-1]


def make_notice(volumes, party="blue", agreement="pact", state="planned", notice_id=None, filed_h=0.0, private=None) -> Notice:
    return Notice(
        id=notice_id or str(uuid.uuid4()),
        agreement_id=agreement,
        party_id=party,
        volumes=volumes,
        state=state,
        version=uuid.uuid4().hex[:12],
        filed_at=at(filed_h),
        updated_at=at(filed_h),
        lead_time_s=3600.0,
        private=private or NoticePrivate(),
    )


def agreement(agreement_id="pact", parties=("blue", "red", "green"), lateral=1852.0, vertical=150.0, buffer=300.0) -> Agreement:
    return Agreement(
        id=agreement_id, name=agreement_id, parties=list(parties),
        separation=Separation(lateral_m=lateral, vertical_m=vertical, time_buffer_s=buffer), min_lead_time_s=0,
    )


def setup(store, *agreements: Agreement) -> None:
    agreements = agreements or (agreement(),)
    with store.transaction() as tx:
        for a in agreements:
            for party in a.parties:
                tx.put_party(Party(id=party, name=party.title()))
            tx.put_agreement(a, T0)


def put(store, *items: Notice) -> None:
    with store.transaction() as tx:
        for notice in items:
            tx.put_notice(notice)


def candidates(store, volumes, minima: Minima, agreement_id="pact", states=LIVE_STATES) -> set[str]:
    with store.transaction(write=False) as tx:
        return {n.id for n in tx.candidate_notices(agreement_id, volumes, minima, states)}


# Agreements and parties ------------------------------------------------------------------------------


def test_agreements_and_parties(any_store):
    a = agreement("pact", ("blue", "red"))
    b = agreement("other", ("red", "green"))
    setup(any_store, a, b)
    with any_store.transaction(write=False) as tx:
        assert tx.get_agreement("pact") == a
        assert tx.get_agreement("nope") is None
        assert [x.id for x in tx.list_agreements()] == ["other", "pact"]
        assert [x.id for x in tx.list_agreements("blue")] == ["pact"]
        assert [x.id for x in tx.list_agreements("red")] == ["other", "pact"]
        assert [p.id for p in tx.list_parties()] == ["blue", "green", "red"]
        assert tx.get_party("red") == Party(id="red", name="Red")
        assert tx.get_party("nobody") is None
    # Replacing an agreement replaces its membership.
    with any_store.transaction() as tx:
        tx.put_agreement(agreement("pact", ("green",)), at(1))
        tx.put_party(Party(id="red", name="Red Side", contacts=["ops@red"]))
    with any_store.transaction(write=False) as tx:
        assert [x.id for x in tx.list_agreements("blue")] == []
        assert [x.id for x in tx.list_agreements("green")] == ["other", "pact"]
        assert tx.get_agreement("pact").parties == ["green"]
        assert tx.get_party("red").contacts == ["ops@red"]


def test_rollback_writes_nothing(any_store):
    setup(any_store)
    with pytest.raises(RuntimeError):
        with any_store.transaction() as tx:
            tx.put_notice(make_notice([circle_volume()], notice_id="n1"))
            tx.append_event("blue", "notice.filed", {"x": 1}, T0)
            raise RuntimeError("refused")
    with any_store.transaction(write=False) as tx:
        assert tx.get_notice("n1") is None
        assert tx.last_event_seq() == 0
    assert candidates(any_store, [circle_volume()], Minima(1852, 150, 0)) == set()


# Notices ---------------------------------------------------------------------------------------------


def test_notice_round_trip_and_update(any_store):
    setup(any_store)
    notice = make_notice(
        [circle_volume(), polygon_volume([(2.0, 48.0), (2.1, 48.0), (2.1, 48.1)], datum="AMSL")],
        notice_id="n1", private=NoticePrivate(reference="op-7", remarks="ünïcode \u0000 and quotes ' \""),
    )
    put(any_store, notice)
    with any_store.transaction(write=False) as tx:
        assert tx.get_notice("n1") == notice
        assert tx.get_notice("n2") is None
    changed = notice.model_copy(update={"state": "active", "version": "v2", "volumes": [circle_volume(lon=3.0)]})
    put(any_store, changed)
    with any_store.transaction(write=False) as tx:
        assert tx.get_notice("n1") == changed
    # The index follows the change: the old place no longer finds it, the new one does.
    minima = Minima(1852, 150, 0)
    assert candidates(any_store, [circle_volume()], minima) == set()
    assert candidates(any_store, [circle_volume(lon=3.0)], minima) == {"n1"}


def test_find_notices_filters_and_pages(any_store):
    setup(any_store, agreement("pact"), agreement("other"))
    made = []
    for i in range(12):
        made.append(
            make_notice(
                [circle_volume(lon=i * 0.1)], notice_id=f"n{i:02d}", party=("blue", "red")[i % 2],
                agreement=("pact", "other")[i % 3 == 0], state=("planned", "active", "cancelled", "ended")[i % 4], filed_h=i,
            )
        )
    put(any_store, *made)
    with any_store.transaction(write=False) as tx:
        assert [n.id for n in tx.find_notices()] == [n.id for n in made]
        assert [n.id for n in tx.find_notices(limit=5)] == [n.id for n in made[:5]]
        assert [n.id for n in tx.find_notices(after_id="n04", limit=3)] == ["n05", "n06", "n07"]
        assert [n.id for n in tx.find_notices(party_id="red")] == [n.id for n in made if n.party_id == "red"]
        assert [n.id for n in tx.find_notices(agreement_id="other")] == [n.id for n in made if n.agreement_id == "other"]
        assert [n.id for n in tx.find_notices(states=["cancelled", "ended"])] == [n.id for n in made if n.state in ("cancelled", "ended")]
        assert tx.find_notices(states=[]) == []
        assert [n.id for n in tx.find_notices(filed_from=at(3), filed_to=at(6))] == ["n03", "n04", "n05"]
        assert [n.id for n in tx.find_notices(agreement_id="pact", party_id="blue", states=["planned"])] == [
            n.id for n in made if n.agreement_id == "pact" and n.party_id == "blue" and n.state == "planned"
        ]


def test_ids_order_bytewise(any_store):
    """Pagination by id works the same on every backend: ids compare as bytes (not by locale)."""
    setup(any_store)
    ids = ["B", "a", "_x", "Z9", "a-b", "a.b", "ab"]
    put(any_store, *[make_notice([circle_volume()], notice_id=i) for i in ids])
    with any_store.transaction(write=False) as tx:
        assert [n.id for n in tx.find_notices()] == sorted(ids)
        assert [n.id for n in tx.find_notices(after_id="Z9")] == [i for i in sorted(ids) if i > "Z9"]


def test_expired_notices(any_store):
    setup(any_store)
    put(
        any_store,
        make_notice([circle_volume(start_h=1, hours=1)], notice_id="ends-2", state="active"),
        make_notice([circle_volume(start_h=1, hours=2)], notice_id="ends-3", state="planned"),
        make_notice([circle_volume(start_h=0, hours=1), circle_volume(start_h=3, hours=2)], notice_id="ends-5"),
        make_notice([circle_volume(start_h=0, hours=1)], notice_id="cancelled", state="cancelled"),
        make_notice([circle_volume(start_h=0, hours=1)], notice_id="ended", state="ended"),
        make_notice([circle_volume(start_h=0, hours=1)], notice_id="straying", state="nonconforming"),
    )
    with any_store.transaction(write=False) as tx:
        assert [n.id for n in tx.expired_notices(at(0.5))] == []
        assert [n.id for n in tx.expired_notices(at(1))] == ["straying"]
        assert [n.id for n in tx.expired_notices(at(3))] == ["straying", "ends-2", "ends-3"]
        assert [n.id for n in tx.expired_notices(at(10), limit=2)] == ["straying", "ends-2"]
        assert {n.id for n in tx.expired_notices(at(10))} == {"straying", "ends-2", "ends-3", "ends-5"}


# Candidate search ------------------------------------------------------------------------------------


def test_candidates_basic_filters(any_store):
    setup(any_store, agreement("pact"), agreement("other"))
    minima = Minima(1852, 150, 300)
    put(
        any_store,
        make_notice([circle_volume()], notice_id="here"),
        make_notice([circle_volume(lon=2.38)], notice_id="2km-east"),  # ~2.2 km away edge to edge
        make_notice([circle_volume(lon=12.0)], notice_id="far"),
        make_notice([circle_volume()], notice_id="other-agreement", agreement="other"),
        make_notice([circle_volume()], notice_id="cancelled", state="cancelled"),
        make_notice([circle_volume()], notice_id="ended", state="ended"),
        make_notice([circle_volume()], notice_id="active", state="active"),
        make_notice([circle_volume()], notice_id="nonconforming", state="nonconforming"),
        make_notice([circle_volume(lower=1000, upper=2000)], notice_id="above"),
        make_notice([circle_volume(start_h=5)], notice_id="later"),
    )
    query = [circle_volume()]
    found = candidates(any_store, query, minima)
    assert {"here", "active", "nonconforming"} <= found
    assert not found & {"far", "other-agreement", "cancelled", "ended", "above", "later"}
    assert candidates(any_store, query, minima, states=["active"]) == {"active"}
    assert candidates(any_store, query, minima, states=[]) == set()
    assert "other-agreement" in candidates(any_store, query, minima, agreement_id=None)
    assert candidates(any_store, query, minima, agreement_id="nope") == set()
    # Re-filing as ended takes a notice out of the search.
    with any_store.transaction() as tx:
        tx.put_notice(tx.get_notice("here").model_copy(update={"state": "ended"}))
    assert "here" not in candidates(any_store, query, minima)


def test_candidates_widen_by_minima(any_store):
    setup(any_store)
    put(
        any_store,
        make_notice([circle_volume(lower=400, upper=500)], notice_id="100m-above"),  # gap 100 m
        make_notice([circle_volume(start_h=2.05)], notice_id="3min-after"),  # gap 180 s
        make_notice([circle_volume(start_h=4)], notice_id="2h-after"),
        make_notice([circle_volume(lower=0, upper=300, datum="AMSL")], notice_id="amsl"),
        make_notice([circle_volume(lower=490, upper=600, datum="AMSL")], notice_id="amsl-190m-above"),
    )
    query = [circle_volume()]
    assert {"100m-above", "3min-after", "amsl"} <= candidates(any_store, query, Minima(1852, 150, 300))
    # An index may err outward (SQLite's R*Tree keeps 32-bit floats: ~2 min in time), never inward.
    assert not {"100m-above", "2h-after"} & candidates(any_store, query, Minima(1852, 50, 60))
    # AMSL against W84: the geoid may be 107 m below the ellipsoid, so 190 m above might be 83 m.
    assert "amsl-190m-above" in candidates(any_store, query, Minima(1852, 100, 0))


def _exact_conflicts(query: list[Volume4D], stored: list[Notice], minima: Minima) -> set[str]:
    return {n.id for n in stored if any(volume_conflict(q, v, minima) for q in query for v in n.volumes)}


# Places where a flat index would go wrong: the antimeridian, both poles, high latitudes, mid latitudes.
PLACES = [(179.95, 0.0), (-179.9, -35.0), (180.0, 65.0), (0.0, 89.97), (77.0, -89.9), (10.0, 84.0), (2.35, 48.85), (-70.0, -10.0)]


def _random_volume(rng: random.Random, lon: float, lat: float, spread_m: float) -> Volume4D:
    azimuth, distance = rng.uniform(0, 360), rng.uniform(0, spread_m)
    clon, clat, _ = GEOD.fwd(lon, lat, azimuth, distance)
    clon = ((clon + 180.0) % 360.0) - 180.0
    lower = rng.uniform(0, 3000)
    upper = lower + rng.uniform(10, 1500)
    start_h = rng.uniform(0, 6)
    datum = rng.choice(["W84", "W84", "AMSL"])
    if rng.random() < 0.5:
        footprint = Circle(lon=clon, lat=clat, radius_m=rng.uniform(50, 15_000))
    else:
        size = rng.uniform(200, 20_000)
        n = rng.randint(3, 9)
        footprint = Polygon(vertices=tuple(ring_around(clon, clat, [size * rng.uniform(0.6, 1.0) for _ in range(n)])))
    return Volume4D(
        footprint=footprint,
        altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
        time=TimeWindow(start=at(start_h), end=at(start_h + rng.uniform(0.1, 3))),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_candidates_never_miss_a_conflict_random(any_store, seed):
    """Brute force over random volumes in awkward places: every exact conflict is among the candidates."""
    rng = random.Random(seed)
    setup(any_store)
    stored = []
    for i in range(64):
        lon, lat = PLACES[i % len(PLACES)]
        stored.append(make_notice([_random_volume(rng, lon, lat, 25_000) for _ in range(rng.randint(1, 2))], notice_id=f"s{i:03d}"))
    put(any_store, *stored)
    conflicts_seen = 0
    for j in range(32):
        lon, lat = PLACES[j % len(PLACES)]
        query = [_random_volume(rng, lon, lat, 25_000)]
        minima = Minima(rng.choice([500.0, 1852.0, 9260.0, 30_000.0]), rng.choice([0.0, 150.0, 300.0]), rng.choice([0.0, 300.0, 3600.0]))
        expected = _exact_conflicts(query, stored, minima)
        found = candidates(any_store, query, minima)
        assert expected <= found, f"missed {sorted(expected - found)} near {(lon, lat)} under {minima}"
        conflicts_seen += len(expected)
    assert conflicts_seen > 20  # the data must actually exercise the search


def _offset(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return ((x + 180.0) % 360.0) - 180.0, y


@pytest.mark.parametrize("lateral", [100.0, 1852.0, 50_000.0, 500_000.0])
@pytest.mark.parametrize("place", [(179.99, 0.0), (-180.0, 60.0), (0.0, 89.0), (45.0, -88.5), (30.0, 45.0)])
def test_candidates_at_the_edge_of_the_minimum(any_store, lateral, place):
    """Pairs a metre inside the lateral minimum (the exact check calls them conflicts) are always candidates,
    across the antimeridian and near the poles, for circles, polygons and long edges."""
    setup(any_store, agreement(lateral=lateral))
    lon, lat = place
    minima = Minima(lateral, 150, 0)
    stored, queries = [], []
    for k, azimuth in enumerate([0.0, 90.0, 180.0, 270.0, 37.0]):
        radius_a, radius_b = 2_000.0, 30_000.0
        # Two circles lateral - 1 m apart (edge to edge).
        blon, blat = _offset(lon, lat, azimuth, radius_a + radius_b + lateral - 1.0)
        stored.append(make_notice([circle_volume(lon=blon, lat=blat, radius_m=radius_b)], notice_id=f"circle-{k}"))
        # A polygon whose long edge passes lateral - 1 m from the centre circle.
        mlon, mlat = _offset(lon, lat, azimuth, radius_a + lateral - 1.0)
        _, back, _ = GEOD.inv(mlon, mlat, lon, lat)
        edge = 400_000.0
        p1 = _offset(mlon, mlat, back + 90.0, edge / 2)
        p2 = _offset(mlon, mlat, back - 90.0, edge / 2)
        far = _offset(mlon, mlat, back + 180.0, 50_000.0)
        stored.append(make_notice([polygon_volume([p1, far, p2])], notice_id=f"edge-{k}"))
    queries = [circle_volume(lon=lon, lat=lat, radius_m=2_000.0)]
    put(any_store, *stored)
    expected = _exact_conflicts(queries, stored, minima)
    assert {f"circle-{k}" for k in range(5)} <= expected  # the construction is right (exact check agrees)
    found = candidates(any_store, queries, minima)
    assert expected <= found, f"missed {sorted(expected - found)}"


def test_candidates_polygons_across_the_antimeridian_and_around_the_poles(any_store):
    setup(any_store)
    minima = Minima(1852, 150, 0)
    across = polygon_volume([(179.5, -1.0), (-179.5, -1.0), (-179.5, 1.0), (179.5, 1.0)])
    north_cap = polygon_volume(ring_around(0.0, 90.0, [100_000.0] * 8))  # around the North Pole
    south_cap = polygon_volume(ring_around(0.0, -90.0, [100_000.0] * 8))  # around the South Pole
    put(
        any_store,
        make_notice([across], notice_id="across"),
        make_notice([north_cap], notice_id="north"),
        make_notice([south_cap], notice_id="south"),
        make_notice([polygon_volume([(170.0, -1.0), (171.0, -1.0), (171.0, 1.0)])], notice_id="west-of-it"),
    )
    # Inside the antimeridian square on either side of the line; not the square's "complement" at lon 0.
    assert "across" in candidates(any_store, [circle_volume(lon=179.9, lat=0.0, radius_m=100)], minima)
    assert "across" in candidates(any_store, [circle_volume(lon=-179.9, lat=0.5, radius_m=100)], minima)
    assert "across" not in candidates(any_store, [circle_volume(lon=0.0, lat=0.0, radius_m=100)], minima)
    assert "west-of-it" not in candidates(any_store, [circle_volume(lon=-179.9, lat=0.0, radius_m=100)], minima)
    # The pole is inside the polar caps, at any longitude; far outside they are not candidates.
    for lon in (-180.0, -90.0, 0.0, 135.0, 180.0):
        assert "north" in candidates(any_store, [circle_volume(lon=lon, lat=89.8, radius_m=100)], minima)
        assert "south" in candidates(any_store, [circle_volume(lon=lon, lat=-89.8, radius_m=100)], minima)
    assert "north" in candidates(any_store, [circle_volume(lon=0.0, lat=90.0, radius_m=100)], minima)
    assert "north" not in candidates(any_store, [circle_volume(lon=0.0, lat=80.0, radius_m=100)], minima)
    assert "south" not in candidates(any_store, [circle_volume(lon=0.0, lat=89.8, radius_m=100)], minima)


# Conflicts -------------------------------------------------------------------------------------------


def make_conflict(cid, a, b, party_a="blue", party_b="red", agreement_id="pact", state="open") -> Conflict:
    return Conflict(
        id=cid, agreement_id=agreement_id, notice_a=a, notice_b=b, party_a=party_a, party_b=party_b,
        version_a="va", version_b="vb", state=state, opened_at=T0, updated_at=T0, lateral_m=10.0, vertical_m=0.0,
        time_start=at(1), time_end=at(2), where=(2.35, 48.85),
    )


def test_conflicts(any_store):
    setup(any_store, agreement("pact"), agreement("other"))
    with any_store.transaction() as tx:
        tx.put_conflict(make_conflict("c1", "n1", "n2"))
        tx.put_conflict(make_conflict("c2", "n2", "n3", party_a="red", party_b="green"))
        tx.put_conflict(make_conflict("c3", "n0", "n1", party_a="green", party_b="blue", state="cleared"))
        tx.put_conflict(make_conflict("c4", "n8", "n9", agreement_id="other", party_a="red", party_b="green"))
    with any_store.transaction(write=False) as tx:
        assert tx.get_conflict("c1") == make_conflict("c1", "n1", "n2")
        assert tx.get_conflict("zz") is None
        assert [c.id for c in tx.conflicts_of_notice("n1")] == ["c1"]
        assert [c.id for c in tx.conflicts_of_notice("n1", open_only=False)] == ["c1", "c3"]
        assert [c.id for c in tx.conflicts_of_notice("n2")] == ["c1", "c2"]
        assert [c.id for c in tx.find_conflicts()] == ["c1", "c2", "c4"]
        assert [c.id for c in tx.find_conflicts(open_only=False)] == ["c1", "c2", "c3", "c4"]
        assert [c.id for c in tx.find_conflicts(party_id="blue", open_only=False)] == ["c1", "c3"]
        assert [c.id for c in tx.find_conflicts(party_id="green")] == ["c2", "c4"]
        assert [c.id for c in tx.find_conflicts(agreement_id="other")] == ["c4"]
        assert [c.id for c in tx.find_conflicts(after_id="c1", limit=1)] == ["c2"]
    cleared = make_conflict("c1", "n1", "n2", state="cleared").model_copy(update={"cleared_at": at(1), "acknowledged_a": at(0.5)})
    with any_store.transaction() as tx:
        tx.put_conflict(cleared)
    with any_store.transaction(write=False) as tx:
        assert tx.get_conflict("c1") == cleared
        assert tx.conflicts_of_notice("n1") == []


# Events ----------------------------------------------------------------------------------------------


def test_events_written_together_are_numbered_in_order_each_with_its_own_payload(any_store):
    shared = {"notice": {"id": "n1", "vertices": [[1.0, 2.0]] * 3}}
    with any_store.transaction() as tx:
        before = tx.append_event("green", "kind.before", {"i": -1}, at(0))
        numbers = tx.append_events(
            [("blue", "notice.filed", shared), ("red", "notice.filed", shared), ("blue", "conflict.opened", {"i": 1})], at(1)
        )
        after = tx.append_event("green", "kind.after", {"i": 2}, at(2))
    assert numbers == sorted(numbers) and len(set(numbers)) == 3 and before < numbers[0] and numbers[-1] < after
    with any_store.transaction(write=False) as tx:
        found = {seq: tx.get_event(seq) for seq in numbers}
    assert [(found[s].party_id, found[s].kind) for s in numbers] == [("blue", "notice.filed"), ("red", "notice.filed"), ("blue", "conflict.opened")]
    assert found[numbers[0]].payload == found[numbers[1]].payload == shared and found[numbers[2]].payload == {"i": 1}


def test_events_in_order_per_party_and_resumable(any_store):
    seqs = {"blue": [], "red": []}
    with any_store.transaction() as tx:
        assert tx.last_event_seq() == 0
        for i in range(7):
            party = ("blue", "red")[i % 2 == 0]
            seqs[party].append(tx.append_event(party, f"kind.{i}", {"i": i, "when": at(i), "nested": {"a": [1, 2.5, None]}}, at(i)))
    allseq = sorted(seqs["blue"] + seqs["red"])
    assert allseq == sorted(set(allseq)) and allseq[0] >= 1
    with any_store.transaction(write=False) as tx:
        assert tx.last_event_seq() == allseq[-1]
        red = tx.events_after("red")
        assert [e.seq for e in red] == seqs["red"]
        assert [e.kind for e in red] == ["kind.0", "kind.2", "kind.4", "kind.6"]
        assert red[1].payload == {"i": 2, "when": str(at(2)), "nested": {"a": [1, 2.5, None]}}
        assert red[1].created_at == at(2) and red[1].party_id == "red"
        # Resume from any point, in pages.
        assert [e.seq for e in tx.events_after("red", seqs["red"][1])] == seqs["red"][2:]
        assert [e.seq for e in tx.events_after("red", 0, limit=2)] == seqs["red"][:2]
        assert tx.events_after("red", seqs["red"][-1]) == []
        assert tx.events_after("nobody") == []
        assert tx.get_event(seqs["blue"][0]).kind == "kind.1"
        assert tx.get_event(10_000) is None
    with any_store.transaction() as tx:  # later transactions continue the sequence
        later = tx.append_event("blue", "later", {}, at(9))
    assert later > allseq[-1]


# Credentials, subscriptions, endpoints, deliveries, deadlines -------------------------------------------


def test_credentials(any_store):
    one = Credential(id="k1", party_id="blue", token_hash="h1", scopes=["notices:write"], label="ops", created_at=T0)
    two = Credential(id="k2", party_id="red", token_hash="h2", scopes=[], created_at=T0)
    admin = Credential(id="k0", party_id=None, token_hash="h0", scopes=["admin"], created_at=T0)
    with any_store.transaction() as tx:
        for c in (one, two, admin):
            tx.put_credential(c)
    with any_store.transaction(write=False) as tx:
        assert tx.credential_by_hash("h1") == one
        assert tx.credential_by_hash("h0") == admin
        assert tx.credential_by_hash("nope") is None
        assert [c.id for c in tx.list_credentials()] == ["k0", "k1", "k2"]
        assert [c.id for c in tx.list_credentials("red")] == ["k2"]
    revoked = one.model_copy(update={"revoked_at": at(1)})
    with any_store.transaction() as tx:
        tx.put_credential(revoked)
    with any_store.transaction(write=False) as tx:
        assert tx.credential_by_hash("h1") == revoked


def test_subscriptions(any_store):
    subs = [
        Subscription(id="s1", party_id="blue", agreement_id="pact", volumes=[circle_volume()], created_at=T0),
        Subscription(id="s2", party_id="red", agreement_id="pact", volumes=[circle_volume(lon=3)], kinds=["conflict."], created_at=T0),
        Subscription(id="s3", party_id="blue", agreement_id="other", volumes=[circle_volume()], created_at=T0),
    ]
    with any_store.transaction() as tx:
        for s in subs:
            tx.put_subscription(s)
    with any_store.transaction(write=False) as tx:
        assert tx.get_subscription("s2") == subs[1]
        assert tx.get_subscription("zz") is None
        assert [s.id for s in tx.list_subscriptions()] == ["s1", "s2", "s3"]
        assert [s.id for s in tx.list_subscriptions(party_id="blue")] == ["s1", "s3"]
        assert [s.id for s in tx.list_subscriptions(agreement_id="pact")] == ["s1", "s2"]
        assert [s.id for s in tx.list_subscriptions(party_id="blue", agreement_id="pact")] == ["s1"]
    with any_store.transaction() as tx:
        tx.delete_subscription("s1")
        tx.delete_subscription("absent")
        tx.put_subscription(subs[1].model_copy(update={"kinds": ["notice.", "hotline."]}))
    with any_store.transaction(write=False) as tx:
        assert tx.get_subscription("s1") is None
        assert tx.get_subscription("s2").kinds == ["notice.", "hotline."]


def test_endpoints(any_store):
    eps = [
        Endpoint(id="e1", party_id="blue", url="https://blue.example/hook", secret="s", created_at=T0),
        Endpoint(id="e2", party_id="red", url="https://red.example/hook", secret="t", kinds=["conflict."], created_at=T0),
    ]
    with any_store.transaction() as tx:
        for e in eps:
            tx.put_endpoint(e)
    with any_store.transaction(write=False) as tx:
        assert tx.get_endpoint("e2") == eps[1]
        assert tx.get_endpoint("zz") is None
        assert [e.id for e in tx.list_endpoints()] == ["e1", "e2"]
        assert [e.id for e in tx.list_endpoints("blue")] == ["e1"]
    with any_store.transaction() as tx:
        tx.put_endpoint(eps[0].model_copy(update={"active": False}))
        tx.delete_endpoint("e2")
    with any_store.transaction(write=False) as tx:
        assert tx.get_endpoint("e1").active is False
        assert tx.list_endpoints("red") == []


def test_deliveries_due_by_time(any_store):
    def delivery(did, due_h, party="blue", state="pending"):
        return Delivery(id=did, event_seq=1, endpoint_id="e1", party_id=party, state=state, next_attempt_at=at(due_h))

    with any_store.transaction() as tx:
        for d in (delivery("d1", 2), delivery("d2", 1), delivery("d3", 1), delivery("d4", 0, state="delivered"),
                  delivery("d5", 0, state="dead"), delivery("d6", 5, party="red")):
            tx.put_delivery(d)
    with any_store.transaction(write=False) as tx:
        assert [d.id for d in tx.due_deliveries(at(0.5))] == []
        assert [d.id for d in tx.due_deliveries(at(1))] == ["d2", "d3"]
        assert [d.id for d in tx.due_deliveries(at(10))] == ["d2", "d3", "d1", "d6"]
        assert [d.id for d in tx.due_deliveries(at(10), limit=3)] == ["d2", "d3", "d1"]
        assert [d.id for d in tx.list_deliveries()] == ["d1", "d2", "d3", "d4", "d5", "d6"]
        assert [d.id for d in tx.list_deliveries(party_id="red")] == ["d6"]
        assert [d.id for d in tx.list_deliveries(state="dead")] == ["d5"]
        assert [d.id for d in tx.list_deliveries(after_id="d2", limit=2)] == ["d3", "d4"]
    done = delivery("d2", 1, state="delivered").model_copy(update={"attempts": 1, "delivered_at": at(1)})
    retry = delivery("d3", 3).model_copy(update={"attempts": 1, "last_error": "HTTP 500"})
    with any_store.transaction() as tx:
        tx.put_delivery(done)
        tx.put_delivery(retry)
    with any_store.transaction(write=False) as tx:
        assert [d.id for d in tx.due_deliveries(at(2))] == ["d1"]
        assert tx.list_deliveries(state="delivered", party_id="blue")[0] == done
        assert [d.id for d in tx.due_deliveries(at(3))] == ["d1", "d3"]


def test_deadlines_due_by_time(any_store):
    def deadline(did, subject, party, due_h, created_h=0.0, kind="notice", agreement_id="pact", state="pending"):
        return Deadline(
            id=did, kind=kind, subject_id=subject, agreement_id=agreement_id, party_id=party,
            created_at=at(created_h), due_at=at(due_h), state=state,
        )

    items = [
        deadline("a", "n1", "red", 1.0, 0.0),
        deadline("b", "n1", "green", 0.5, 0.1),
        deadline("c", "c1", "blue", 2.0, 0.2, kind="conflict"),
        deadline("d", "n1", "blue", 0.2, 0.3, state="acknowledged"),
        deadline("e", "h1", "red", 3.0, 0.4, kind="hotline", agreement_id="other"),
    ]
    with any_store.transaction() as tx:
        for d in items:
            tx.put_deadline(d)
    with any_store.transaction(write=False) as tx:
        assert [d.id for d in tx.deadlines_of("n1")] == ["a", "b", "d"]
        assert [d.id for d in tx.deadlines_of("n1", party_id="red")] == ["a"]
        assert [d.id for d in tx.deadlines_of("n1", state="pending")] == ["a", "b"]
        assert tx.deadlines_of("nothing") == []
        assert [d.id for d in tx.due_deadlines(at(0.1))] == []
        assert [d.id for d in tx.due_deadlines(at(1))] == ["b", "a"]
        assert [d.id for d in tx.due_deadlines(at(5), limit=3)] == ["b", "a", "c"]
        assert [d.id for d in tx.find_deadlines()] == ["a", "b", "c", "d", "e"]
        assert [d.id for d in tx.find_deadlines(agreement_id="other")] == ["e"]
        assert [d.id for d in tx.find_deadlines(party_id="red")] == ["a", "e"]
        assert [d.id for d in tx.find_deadlines(kind="conflict")] == ["c"]
        assert [d.id for d in tx.find_deadlines(since=at(0.1), until=at(0.3))] == ["b", "c"]
    overdue = items[1].model_copy(update={"state": "overdue", "escalations": 1, "due_at": at(2)})
    with any_store.transaction() as tx:
        tx.put_deadline(overdue)
    with any_store.transaction(write=False) as tx:
        assert tx.deadlines_of("n1", party_id="green") == [overdue]
        assert [d.id for d in tx.due_deadlines(at(5))] == ["a", "c", "e"]


def test_overdue_deadlines_that_escalate_again_are_due_at_their_next_escalation(any_store):
    def deadline(did, state, due_h, next_h=None):
        return Deadline(
            id=did, kind="hotline", subject_id=did, agreement_id="pact", party_id="red", created_at=at(0), due_at=at(due_h),
            state=state, escalate_every_s=600.0, next_escalation_at=at(next_h) if next_h is not None else None,
        )

    with any_store.transaction() as tx:
        tx.put_deadline(deadline("once", "overdue", 0.5))  # escalates once: never due again
        tx.put_deadline(deadline("again", "overdue", 0.5, next_h=1.5))
        tx.put_deadline(deadline("pending", "pending", 1.0))
        tx.put_deadline(deadline("done", "acknowledged", 0.2, next_h=None))
    with any_store.transaction(write=False) as tx:
        assert [d.id for d in tx.due_deadlines(at(1.2))] == ["pending"]
        assert [d.id for d in tx.due_deadlines(at(2))] == ["pending", "again"]
        assert tx.deadlines_of("again")[0].next_escalation_at == at(1.5)
    with any_store.transaction() as tx:  # acknowledged: no next escalation
        tx.put_deadline(deadline("again", "acknowledged", 0.5))
    with any_store.transaction(write=False) as tx:
        assert [d.id for d in tx.due_deadlines(at(9))] == ["pending"]


def test_hotline_messages_by_agreement_party_thread_and_kind(any_store):
    def message(mid, sender, to, hours, kind="info", thread=None, agreement_id="pact"):
        return HotlineMessage(
            id=mid, agreement_id=agreement_id, sender=sender, to=to, kind=kind, text=f"text of {mid}",
            refs=MessageRefs(aircraft=["RCH1"]), thread_id=thread or mid, created_at=at(hours),
        )

    items = [
        message("m1", "blue", ["red"], 0.1),
        message("m2", "red", ["blue"], 0.2, thread="m1"),
        message("m3", None, ["blue", "red", "green"], 0.3, kind="test"),
        message("m4", "green", ["red"], 0.4, agreement_id="other"),
    ]
    with any_store.transaction() as tx:
        for m in items:
            tx.put_message(m)
    with any_store.transaction(write=False) as tx:
        assert tx.get_message("m2") == items[1] and tx.get_message("m3").sender is None
        assert tx.get_message("nothing") is None
        assert [m.id for m in tx.find_messages()] == ["m1", "m2", "m3", "m4"]
        assert [m.id for m in tx.find_messages(party_id="green")] == ["m3", "m4"]
        assert [m.id for m in tx.find_messages(party_id="blue", agreement_id="pact")] == ["m1", "m2", "m3"]
        assert [m.id for m in tx.find_messages(thread_id="m1")] == ["m1", "m2"]
        assert [m.id for m in tx.find_messages(kind="test", agreement_id="pact", newest_first=True, limit=1)] == ["m3"]
        assert [m.id for m in tx.find_messages(newest_first=True, limit=2)] == ["m4", "m3"]
        assert [m.id for m in tx.find_messages(sender="red")] == ["m2"]
        assert [m.id for m in tx.find_messages(sender="blue", party_id="blue", newest_first=True)] == ["m1"]
    with pytest.raises(Exception):  # messages are immutable: the same id twice is refused
        with any_store.transaction() as tx:
            tx.put_message(items[0])


# Audit -----------------------------------------------------------------------------------------------


def test_audit_append_and_read_in_order(any_store):
    with any_store.transaction(write=False) as tx:
        assert tx.last_audit() is None
        assert tx.audit_entries() == []
    written = []
    for i in range(5):
        with any_store.transaction() as tx:
            written.append(audit.record(tx, "blue", f"act.{i}", f"subject-{i}", {"i": i, "f": 0.1 * i, "s": "ü\u0000", "at": at(i)}, at(0) + timedelta(microseconds=7 * i)))
    with any_store.transaction(write=False) as tx:
        entries = tx.audit_entries()
        assert entries == written
        assert tx.last_audit() == written[-1]
        assert tx.audit_entries(after_seq=2, limit=2) == written[2:4]
        assert audit.verify(entries).ok
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]


def test_citable_audit_entries_about_given_subjects_up_to_an_entry_in_log_order(any_store):
    # More subjects than one batch of the query holds, interleaved, cited kinds among others, some
    # subjects asked for and never logged.
    from deconfliction.store.tables import CITABLE_ACTIONS

    rng = random.Random(7)
    subjects = [f"s-{i}" for i in range(700)]
    actions = [*CITABLE_ACTIONS, "conflict.opened", "events.delivered", "statement.signed", "notice"]
    items = [("blue", rng.choice(actions), rng.choice(subjects), {"k": k}) for k in range(1500)]
    with any_store.transaction() as tx:
        audit.record_many(tx, items, at(0))
    with any_store.transaction(write=False) as tx:
        everything = tx.audit_entries(0, 10_000)
        asked = set(rng.sample(subjects, 620)) | {"never-logged"}
        for upto in (0, 1, 777, 1500, 2000):
            expected = [e for e in everything if e.subject in asked and e.action in CITABLE_ACTIONS and e.seq <= upto]
            assert tx.citable_audit(asked, upto) == expected
        assert len(expected) > 500 and tx.citable_audit([], 1500) == []


def test_citable_audit_reads_through_the_subject_index_not_the_whole_log(any_store):
    with any_store.transaction() as tx:
        audit.record_many(tx, [("blue", "ack.overdue", f"s-{k % 50}", {}) for k in range(200)], at(0))
    with any_store.transaction(write=False) as tx:
        ran = []
        run = tx._all
        tx._all = lambda sql, params=(): ran.append((sql, params)) or run(sql, params)
        tx.citable_audit(["s-1", "s-2"], 150)
        ((sql, params),) = ran
        sqlite = tx.MARK == "?"
        if not sqlite:
            tx._run("SET LOCAL enable_seqscan = off")  # a 200-row table: a scan would be cheaper, say the index is usable
        plan = " ".join(str(row) for row in run(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params))
    assert "audit_by_subject" in plan, plan


# Concurrency -----------------------------------------------------------------------------------------


def _run_threads(count: int, target) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_concurrent_writers_all_commit(any_store):
    """Writers in several threads at once: every one commits (retried if the store asks), the audit chain
    stays whole, and each party's events are all there, in order."""
    setup(any_store)
    per_thread = 8

    def write(tx, i, k):
        audit.record(tx, f"p{i}", "write", f"{i}-{k}", {"k": k}, T0)
        tx.append_event("blue", "write", {"i": i, "k": k}, T0)
        tx.put_notice(make_notice([circle_volume()], notice_id=f"n{i}-{k}"))

    def worker(i):
        for k in range(per_thread):
            run_in_transaction(any_store, write, i, k, attempts=50)

    assert _run_threads(4, worker) == []
    with any_store.transaction(write=False) as tx:
        entries = tx.audit_entries()
        events = tx.events_after("blue", 0, limit=1000)
        assert len(tx.find_notices(limit=1000)) == 4 * per_thread
    assert len(entries) == 4 * per_thread
    assert audit.verify(entries).ok
    assert len(events) == 4 * per_thread
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    for i in range(4):  # each thread's own events in the order it wrote them
        assert [e.payload["k"] for e in events if e.payload["i"] == i] == list(range(per_thread))


def test_two_conflicting_filings_at_once(any_store):
    """Invariant 1 under concurrency: two parties file conflicting notices at the same moment with empty
    keys; exactly one is accepted, the other is refused for its missing key. Both stores queue writers
    (SQLite at BEGIN IMMEDIATE, PostgreSQL on the pool's write lock, taken before the snapshot), so the
    second sees the first; SERIALIZABLE, behind it, is tested in test_postgres.py."""
    from deconfliction.store.sqlite import SQLiteStore

    setup(any_store)
    two_workers = not isinstance(any_store, SQLiteStore)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def file(tx, i, party):
        return notices.file_notice(
            tx, agreement_id="pact", party_id=party, volumes=[circle_volume(start_h=2)], now=T0, notice_id=f"{party}-op"
        )

    # Two store objects where the backend has several processes' worth of writers (PostgreSQL: each
    # store queues its own writers, so two workers' stores are what meet at once).
    stores = [any_store, type(any_store)(any_store.url)] if two_workers else [any_store, any_store]

    def worker(i):
        party = ("blue", "red")[i]
        barrier.wait(10)
        try:
            outcome[party] = run_in_transaction(stores[i], file, i, party)
        except MissingKey as exc:
            outcome[party] = exc

    assert _run_threads(2, worker) == []
    if two_workers:
        stores[1].close()
    accepted = [p for p, o in outcome.items() if not isinstance(o, Exception)]
    refused = [p for p, o in outcome.items() if isinstance(o, MissingKey)]
    assert len(accepted) == 1 and len(refused) == 1, outcome
    with any_store.transaction(write=False) as tx:
        assert [n.id for n in tx.find_notices()] == [f"{accepted[0]}-op"]
        assert audit.verify(tx.audit_entries()).ok
