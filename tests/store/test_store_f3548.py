"""The store contract for the F3548 interface's tables (store/f3548.py), on every backend (`any_store`).

The subscriptions' 4-D index is held to its one promise, as the notices' is in test_store_contract.py:
never miss a subscription the exact check would find, on random volumes at the antimeridian and near
the poles, and at overlaps of a fraction of a metre; and it is filled for subscriptions stored before
it existed (migration 004)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from pyproj import Geod

from deconfliction.rules.events import TOUCHING
from deconfliction.models.f3548 import DssReport, IntentRecord, SubscriptionRecord, UssAvailability
from deconfliction.f3548.subscriptions import intersects
from deconfliction.geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D

from .backends import postgres_database_at_schema, sqlite_file_at_schema

GEOD = Geod(ellps="WGS84")

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def volume(start_h: float, hours: float = 1.0) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=7.0, lat=46.0, radius_m=500.0),
        altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"),
        time=TimeWindow(start=T0 + timedelta(hours=start_h), end=T0 + timedelta(hours=start_h + hours)),
    )


def test_intent_records_round_trip_and_are_found_by_subscription(any_store):
    a = IntentRecord(notice_id="n1", agreement_id="utm", manager="uss1", state="Contingent", version=3, ovn="o" * 16,
                     uss_base_url="https://u", subscription_id="s1")
    b = a.model_copy(update={"notice_id": "n2", "state": "Accepted", "subscription_id": None})
    with any_store.transaction() as tx:
        tx.put_f3548_intent(a)
        tx.put_f3548_intent(b)
        tx.put_f3548_intent(a.model_copy(update={"version": 4}))  # an upsert, not a second row
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_intent("n1") == a.model_copy(update={"version": 4})
        assert [r.notice_id for r in tx.f3548_intents_using("s1")] == ["n1"]
        assert tx.get_f3548_intent("nope") is None
    with any_store.transaction() as tx:
        tx.delete_f3548_intent("n1")
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_intent("n1") is None and tx.f3548_intents_using("s1") == []


def test_subscriptions_are_found_by_overlapping_time_and_manager(any_store):
    early = SubscriptionRecord(id="s1", agreement_id="utm", manager="uss1", version="v1", uss_base_url="https://u",
                               notify_for_operational_intents=True, volumes=[volume(0)])
    late = early.model_copy(update={"id": "s2", "manager": "uss2", "volumes": [volume(5)]})
    elsewhere = early.model_copy(update={"id": "s3", "agreement_id": "other"})
    with any_store.transaction() as tx:
        for s in (early, late, elsewhere):
            tx.put_f3548_subscription(s)
        tx.put_f3548_subscription(early.model_copy(update={"notification_index": 7}))
    with any_store.transaction(write=False) as tx:
        assert [s.id for s in tx.f3548_subscriptions("utm", T0, T0 + timedelta(hours=10))] == ["s1", "s2"]
        assert [s.id for s in tx.f3548_subscriptions("utm", T0 + timedelta(minutes=30), T0 + timedelta(hours=2))] == ["s1"]
        # [start, end) windows: one that ends as another starts does not overlap it
        assert tx.f3548_subscriptions("utm", T0 + timedelta(hours=1), T0 + timedelta(hours=5)) == []
        assert [s.id for s in tx.f3548_subscriptions("utm", T0, T0 + timedelta(hours=10), manager="uss2")] == ["s2"]
        assert tx.get_f3548_subscription("s1").notification_index == 7
        assert tx.get_f3548_subscription("s1").volumes == early.volumes
    with any_store.transaction() as tx:
        tx.delete_f3548_subscription("s1")
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_subscription("s1") is None


def test_availability_and_reports(any_store):
    with any_store.transaction() as tx:
        assert tx.get_uss_availability("uss1") is None
        tx.put_uss_availability(UssAvailability(uss_id="uss1", availability="Down", version="v1", updated_at=T0))
        tx.put_uss_availability(UssAvailability(uss_id="uss1", availability="Normal", version="v2", updated_at=T0))
        tx.put_dss_report(DssReport(id="r2", reporter="uss1", report={"exchange": {"url": "b"}}, created_at=T0 + timedelta(seconds=1)))
        tx.put_dss_report(DssReport(id="r1", reporter="uss2", report={"exchange": {"url": "a"}}, created_at=T0))
    with any_store.transaction(write=False) as tx:
        assert tx.get_uss_availability("uss1").availability == "Normal"
        assert [(r.id, r.report["exchange"]["url"]) for r in tx.dss_reports()] == [("r1", "a"), ("r2", "b")]


# The subscriptions' 4-D index (migration 004) -------------------------------------------------------

# Places where a flat index would go wrong: the antimeridian, both poles, high latitudes, mid latitudes.
PLACES = [(179.95, 0.0), (-179.9, -35.0), (180.0, 65.0), (0.0, 89.97), (77.0, -89.9), (10.0, 84.0), (7.0, 46.0), (-70.0, -10.0)]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ring_around(lon: float, lat: float, radii: list[float]) -> tuple[tuple[float, float], ...]:
    """A star-shaped ring around a point: vertices at evenly spaced azimuths and the given distances."""
    n = len(radii)
    lons, lats, _ = GEOD.fwd([lon] * n, [lat] * n, [i * 360.0 / n for i in range(n)], radii)
    return tuple((((x + 180.0) % 360.0) - 180.0, y) for x, y in zip(lons, lats))[::-1]


def offset(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return ((x + 180.0) % 360.0) - 180.0, y


def random_volume(rng: random.Random, lon: float, lat: float, spread_m: float) -> Volume4D:
    clon, clat = offset(lon, lat, rng.uniform(0, 360), rng.uniform(0, spread_m))
    lower = rng.uniform(0, 600)
    start_h = rng.uniform(0, 6)
    if rng.random() < 0.5:
        footprint = Circle(lon=clon, lat=clat, radius_m=rng.uniform(50, 15_000))
    else:
        footprint = Polygon(vertices=ring_around(clon, clat, [rng.uniform(200, 20_000) for _ in range(rng.randint(3, 9))]))
    return Volume4D(
        footprint=footprint,
        altitude=AltitudeBand(lower_m=lower, upper_m=lower + rng.uniform(10, 600), datum=rng.choice(["W84", "W84", "AMSL"])),
        time=TimeWindow(start=at(start_h), end=at(start_h + rng.uniform(0.1, 3))),
    )


def subscription(sid: str, volumes: list[Volume4D], manager: str = "uss1", agreement: str = "utm") -> SubscriptionRecord:
    return SubscriptionRecord(id=sid, agreement_id=agreement, manager=manager, version="v", uss_base_url="https://u",
                              notify_for_operational_intents=True, volumes=volumes)


def put_subscriptions(store, *subs: SubscriptionRecord) -> None:
    with store.transaction() as tx:
        for sub in subs:
            tx.put_f3548_subscription(sub)


def near(store, volumes: list[Volume4D], manager: str | None = None, agreement: str = "utm") -> set[str]:
    with store.transaction(write=False) as tx:
        return {s.id for s in tx.f3548_subscriptions_near(agreement, volumes, TOUCHING, manager=manager)}


def circle(lon: float, lat: float, radius_m: float, lower: float = 0.0, upper: float = 120.0, start_h: float = 1.0,
           hours: float = 1.0, datum: str = "W84") -> Volume4D:
    return Volume4D(footprint=Circle(lon=lon, lat=lat, radius_m=radius_m), altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
                    time=TimeWindow(start=at(start_h), end=at(start_h + hours)))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_subscription_search_never_misses_one_the_exact_check_finds(any_store, seed):
    rng = random.Random(seed)
    stored = []
    for i in range(64):
        lon, lat = PLACES[i % len(PLACES)]
        volumes = [random_volume(rng, lon, lat, 25_000) for _ in range(rng.randint(1, 2))]
        stored.append(subscription(f"s{i:03d}", volumes, manager=f"uss{i % 3}"))
    put_subscriptions(any_store, *stored)
    hits = candidates = 0
    for j in range(48):
        lon, lat = PLACES[j % len(PLACES)]
        query = [random_volume(rng, lon, lat, 25_000) for _ in range(rng.randint(1, 2))]
        manager = "uss1" if j % 4 == 0 else None
        expected = {s.id for s in stored if intersects(s.volumes, query) and manager in (None, s.manager)}
        found = near(any_store, query, manager)
        assert expected <= found, f"missed {sorted(expected - found)} near {(lon, lat)}"
        assert manager is None or all(s.manager == manager for s in stored if s.id in found)
        hits, candidates = hits + len(expected), candidates + len(found)
    assert hits > 20  # the data must exercise the search
    assert candidates < 48 * 64 / 4  # and the index narrows: each place holds an eighth of the subscriptions


@pytest.mark.parametrize("place", PLACES)
def test_subscriptions_overlapping_by_a_fraction_of_a_metre_are_found(any_store, place):
    """Overlaps the index's boxes round away: 0.3 m laterally, 0.3 m vertically (across datums too), 1 s in time."""
    lon, lat = place
    put_subscriptions(
        any_store,
        subscription("lateral", [circle(*offset(lon, lat, 90.0, 1_000.0 - 0.3), 500.0)]),
        subscription("vertical", [circle(lon, lat, 300.0, lower=120.0 - 0.3, upper=400.0)]),
        subscription("amsl", [circle(lon, lat, 300.0, lower=-200.0, upper=0.0, datum="AMSL")]),  # the geoid may lift it
        subscription("time", [circle(lon, lat, 300.0, start_h=2.0 - 1 / 3600)]),
        subscription("apart", [circle(*offset(lon, lat, 90.0, 1_000.0 + 0.5), 500.0)]),
    )
    query = [circle(lon, lat, 500.0)]
    with any_store.transaction(write=False) as tx:
        stored = tx.f3548_subscriptions("utm", at(0), at(24))
    expected = {s.id for s in stored if intersects(s.volumes, query)}
    assert {"lateral", "vertical", "time"} <= expected and "apart" not in expected  # what the exact check says
    assert expected <= near(any_store, query)


def test_subscriptions_across_the_antimeridian_and_around_the_poles(any_store):
    put_subscriptions(
        any_store,
        subscription("across", [Volume4D(
            footprint=Polygon(vertices=((179.5, -1.0), (-179.5, -1.0), (-179.5, 1.0), (179.5, 1.0))),
            altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"), time=TimeWindow(start=at(1), end=at(2)))]),
        *[subscription(name, [Volume4D(
            footprint=Polygon(vertices=ring_around(0.0, pole, [100_000.0] * 8)),
            altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"), time=TimeWindow(start=at(1), end=at(2)))])
          for name, pole in (("north", 90.0), ("south", -90.0))],
    )
    assert near(any_store, [circle(179.9, 0.0, 100)]) == {"across"}
    assert near(any_store, [circle(-179.9, 0.5, 100)]) == {"across"}
    assert near(any_store, [circle(0.0, 0.0, 100)]) == set()
    for lon in (-180.0, -90.0, 0.0, 135.0, 180.0):
        assert near(any_store, [circle(lon, 89.8, 100)]) == {"north"}
        assert near(any_store, [circle(lon, -89.8, 100)]) == {"south"}
    assert near(any_store, [circle(0.0, 80.0, 100)]) == set()


def test_the_subscription_index_follows_updates_and_deletes(any_store):
    here, there = circle(7.0, 46.0, 500.0), circle(8.0, 47.0, 500.0)
    put_subscriptions(any_store, subscription("s1", [here]), subscription("other", [here], agreement="other"))
    assert near(any_store, [here]) == {"s1"} and near(any_store, [here], agreement="other") == {"other"}
    for _ in range(3):  # moved back and forth: no stale entries are left behind
        put_subscriptions(any_store, subscription("s1", [there]))
        assert near(any_store, [here]) == set() and near(any_store, [there]) == {"s1"}
        put_subscriptions(any_store, subscription("s1", [here, there]))
        assert near(any_store, [here]) == near(any_store, [there]) == {"s1"}
    # outside its time or altitude it is not a candidate
    assert near(any_store, [circle(7.0, 46.0, 500.0, start_h=2.0)]) == set()
    assert near(any_store, [circle(7.0, 46.0, 500.0, lower=500.0, upper=600.0)]) == set()
    with any_store.transaction() as tx:
        tx.delete_f3548_subscription("s1")
    assert near(any_store, [here]) == near(any_store, [there]) == set()
    put_subscriptions(any_store, subscription("s2", [there]))  # SQLite may hand out s1's row id again
    assert near(any_store, [here]) == set() and near(any_store, [there]) == {"s2"}


# Subscriptions stored before migration 004 are indexed by it ----------------------------------------

OLD_SUBSCRIPTIONS = [subscription("old-antimeridian", [circle(179.99, 10.0, 2_000.0)]),
                     subscription("old-zurich", [circle(8.54, 47.37, 200.0), circle(8.6, 47.4, 200.0, start_h=3.0)])]


def check_old_subscriptions_are_found(store) -> None:
    assert near(store, [circle(-179.99, 10.0, 100.0)]) == {"old-antimeridian"}
    assert near(store, [circle(8.6, 47.4, 50.0, start_h=3.5)]) == {"old-zurich"}
    assert near(store, [circle(8.6, 47.4, 50.0, start_h=1.5)]) == set()
    put_subscriptions(store, OLD_SUBSCRIPTIONS[1].model_copy(update={"volumes": [circle(0.0, 0.0, 100.0)]}))
    assert near(store, [circle(8.54, 47.37, 50.0)]) == set()  # its old boxes went with the update


def old_row(sub: SubscriptionRecord) -> tuple:
    return (sub.id, sub.agreement_id, sub.manager, sub.time_start.timestamp(), sub.time_end.timestamp(), sub.model_dump_json())


def test_a_schema_3_sqlite_file_has_its_subscriptions_indexed(tmp_path):
    from deconfliction.store import SQLiteStore

    def fill(connection):
        connection.executemany("INSERT INTO f3548_subscriptions VALUES (?, ?, ?, ?, ?, ?)", [old_row(s) for s in OLD_SUBSCRIPTIONS])

    store = SQLiteStore(sqlite_file_at_schema(tmp_path / "old.db", 3, fill))
    try:
        check_old_subscriptions_are_found(store)
    finally:
        store.close()


def test_a_schema_3_postgres_database_has_its_subscriptions_indexed(tmp_path):
    from deconfliction.store.postgres import PostgresStore

    def fill(connection):
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO f3548_subscriptions VALUES (%s, %s, %s, %s, %s, %s)", [old_row(s) for s in OLD_SUBSCRIPTIONS])

    with postgres_database_at_schema(3, fill) as url:
        store = PostgresStore(url, max_size=2)
        try:
            check_old_subscriptions_are_found(store)
        finally:
            store.close()
