"""F3548 constraint references are zones: one table on both backends. A constraint's zone (its 4-D
volumes, manager, version, OVN) round-trips and is found by the zones' box search; and a store of
the release before (schema 8: constraints in their own table) has them moved into `zones` by
migration 009, with the zones imported before it given an OVN and an id shaped as F3548's."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from deconfliction.geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D, search_boxes
from deconfliction.models.zones import VerticalLimit, Zone, constraint_zone, stable_zone_id
from deconfliction.rules.events import TOUCHING

from .backends import postgres_database_at_schema, sqlite_file_at_schema

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def volume(lon: float, start_h: float, hours: float = 1.0, lower: float = 0.0) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=lon, lat=46.0, radius_m=500.0),
        altitude=AltitudeBand(lower_m=lower, upper_m=lower + 120, datum="W84"),
        time=TimeWindow(start=T0 + timedelta(hours=start_h), end=T0 + timedelta(hours=start_h + hours)),
    )


def near(store, v: Volume4D) -> list[str]:
    with store.transaction(write=False) as tx:
        return [z.id for z in tx.zones_near("utm", search_boxes(v, TOUCHING))]


def test_a_constraint_zone_round_trips_and_is_found_by_each_of_its_volumes(any_store):
    zone = constraint_zone(zone_id="c1", agreement_id="utm", manager="authority", version=2, ovn="c" * 16,
                           uss_base_url="https://a", volumes=[volume(7.0, 1), volume(7.5, 3, lower=500)], created_at=T0)
    with any_store.transaction() as tx:
        tx.put_zone(zone)
    with any_store.transaction(write=False) as tx:
        assert tx.get_zone("c1") == zone
        assert [z.id for z in tx.zones_of("utm")] == ["c1"]
    assert near(any_store, volume(7.0, 0)) == ["c1"]
    assert near(any_store, volume(7.5, 0)) == ["c1"]  # the box covers both volumes, 38 km apart
    assert near(any_store, volume(9.0, 0)) == []
    # the exact part: each volume keeps its own time and band
    assert [v.time.start for v in zone.volumes_during(TimeWindow(start=T0, end=T0 + timedelta(hours=3, minutes=30)))] == [
        T0 + timedelta(hours=1), T0 + timedelta(hours=3)]
    assert zone.band() == AltitudeBand(lower_m=0, upper_m=620, datum="W84")
    with any_store.transaction() as tx:
        tx.delete_zone("c1")
    assert near(any_store, volume(7.0, 0)) == []


OLD_CONSTRAINT = {  # as release 8 wrote a ConstraintRecord
    "id": "2f6a4d6e-9b1f-4c47-8a53-0c9d1f3e5a71", "agreement_id": "utm", "manager": "authority", "version": 3,
    "ovn": "old-ovn-of-the-authority", "uss_base_url": "https://authority.example",
    "volumes": [json.loads(volume(8.55, 2).model_dump_json())],
}
OLD_ZONE_NAME = "deconfliction:zone:utm:AIXM:EAR1"
OLD_ZONE = Zone(
    id=str(uuid.uuid5(uuid.NAMESPACE_URL, OLD_ZONE_NAME)),  # as release 8's importers named zones
    agreement_id="utm", name="Imported", restriction="prohibited",
    footprint=Polygon(vertices=((8.0, 47.0), (8.1, 47.0), (8.1, 47.1))),
    lower=VerticalLimit(reference="SFC", text="SFC"), upper=VerticalLimit(reference="AMSL", value_m=1000, text="1000 m AMSL"),
)


def old_rows(marks: str) -> list[tuple[str, tuple]]:
    body = json.dumps(OLD_CONSTRAINT)
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
    return [
        (f"INSERT INTO f3548_constraints VALUES ({marks})", (OLD_CONSTRAINT["id"], "utm", "authority", start.timestamp(), end.timestamp(), body)),
        (f"INSERT INTO zones VALUES ({', '.join([marks.split(', ')[0]] * 9)})",
         (OLD_ZONE.id, "utm", "EAR1", "prohibited", 8.0, 8.1, 47.0, 47.1, OLD_ZONE.model_dump_json(exclude={"extents", "manager", "version", "ovn", "uss_base_url"}))),
    ]


def check_migrated(store) -> None:
    with store.transaction(write=False) as tx:
        moved = tx.get_zone(OLD_CONSTRAINT["id"])
        imported = tx.get_zone(stable_zone_id(OLD_ZONE_NAME))  # the id today's importer gives it
        assert tx.get_zone(OLD_ZONE.id) is None
    assert moved is not None
    assert (moved.agreement_id, moved.manager, moved.version, moved.ovn, moved.uss_base_url) == (
        "utm", "authority", 3, "old-ovn-of-the-authority", "https://authority.example")
    assert moved.extents == [volume(8.55, 2)] and moved.restriction == "conditional" and moved.source == "F3548"
    assert near(store, volume(8.55, 0)) == [OLD_CONSTRAINT["id"]]
    assert imported is not None and imported.footprint == OLD_ZONE.footprint and len(imported.ovn) >= 16 and imported.manager == ""
    assert uuid.UUID(imported.id).version == 4


def test_a_schema_8_sqlite_file_has_its_constraints_moved_into_zones(tmp_path):
    import sqlite3

    from deconfliction.store import SQLiteStore

    def fill(connection):
        for sql, params in old_rows("?, ?, ?, ?, ?, ?"):
            connection.execute(sql, params)

    path = sqlite_file_at_schema(tmp_path / "old.db", 8, fill)
    store = SQLiteStore(path)
    try:
        check_migrated(store)
    finally:
        store.close()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "zones" in tables and not any(t.startswith("f3548_constraints") for t in tables)


def test_a_schema_8_postgres_database_has_its_constraints_moved_into_zones(tmp_path):
    import psycopg

    from deconfliction.store.postgres import PostgresStore

    def fill(connection):
        for sql, params in old_rows("%s, %s, %s, %s, %s, %s"):
            connection.execute(sql, params)

    with postgres_database_at_schema(8, fill) as url:
        store = PostgresStore(url, max_size=2)
        try:
            check_migrated(store)
        finally:
            store.close()
        with psycopg.connect(url) as connection:
            tables = {r[0] for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert "zones" in tables and not any(t.startswith("f3548_constraints") for t in tables)
