"""Zones at work: a notice crossing an imported prohibited zone is refused (nothing written), or
flagged per agreement; other restrictions are reported with their contact and message; vertical
limits, schedules and geometry decided exactly; zones stored on both stores; API and CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pyproj import Geod
from typer.testing import CliRunner

from deconfliction import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D
from deconfliction.errors import ConflictRefused
from deconfliction.zones.importers import ImportOptions, import_file

DATA = Path(__file__).resolve().parents[1] / "data" / "zones"
DONLON = DATA / "donlon_airspace_extract.aixm.xml"
GEOD = Geod(ellps="WGS84")
FT = 0.3048


def _import(system, agreement="pact", **overrides):
    result = import_file(DONLON, ImportOptions(agreement_id=agreement, now=system.clock(), **overrides))
    system.save_zones("admin", agreement, result.zones)
    return {z.identifier: z for z in result.zones}


def _volume(clock, footprint, lower=0.0, upper=300.0, datum="W84", start_h=1.0, hours=1.0):
    start = clock.now + timedelta(hours=start_h)
    return Volume4D(footprint=footprint, altitude=AltitudeBand(lower_m=lower, upper_m=upper, datum=datum),
                    time=TimeWindow(start=start, end=start + timedelta(hours=hours)))


def _audit_length(system):
    with system.store.transaction(write=False) as tx:
        last = tx.last_audit()
    return last.seq if last else 0


def test_a_notice_crossing_an_imported_prohibited_zone_is_refused_and_nothing_is_written(system, clock):
    zones = _import(system)
    vaardnor = zones["EAP2"].footprint  # P area, a 15 NM circle, GND-UNL
    before = _audit_length(system)
    # a polygon whose edge cuts through the circle with no vertex inside it
    east, _, _ = GEOD.fwd(vaardnor.lon, vaardnor.lat, 90, vaardnor.radius_m * 0.9)
    west, _, _ = GEOD.fwd(vaardnor.lon, vaardnor.lat, 90, vaardnor.radius_m * 1.5)
    _, north, _ = GEOD.fwd(vaardnor.lon, vaardnor.lat, 0, vaardnor.radius_m * 2)
    _, south, _ = GEOD.fwd(vaardnor.lon, vaardnor.lat, 180, vaardnor.radius_m * 2)
    crossing = Polygon(vertices=((east, north), (west, north), (west, south), (east, south)))
    for vertex in crossing.vertices:
        assert GEOD.inv(vaardnor.lon, vaardnor.lat, *vertex)[2] > vaardnor.radius_m
    with pytest.raises(ConflictRefused) as refused:
        system.file_notice("blue", "pact", [_volume(clock, Circle(lon=2.35, lat=48.85, radius_m=500)), _volume(clock, crossing)])
    assert refused.value.field == "volumes[1]" and "VAARDNOR" in str(refused.value)
    assert [z["zone"]["id"] for z in refused.value.details["zones"]] == [zones["EAP2"].id]
    assert system.notices("blue", agreement_id="pact") == [] and _audit_length(system) == before


def test_a_notice_just_outside_the_prohibited_zone_is_accepted_with_nothing_reported(system, clock):
    zones = _import(system)
    zone = zones["EAP2"].footprint
    lon, lat, _ = GEOD.fwd(zone.lon, zone.lat, 45, zone.radius_m + 600)  # a 500 m circle, 100 m clear of it
    filing = system.file_notice("blue", "pact", [_volume(clock, Circle(lon=lon, lat=lat, radius_m=500))])
    assert filing.zones == []


def test_under_a_flag_policy_the_prohibited_zone_is_reported_not_refused(system, clock, agreement):
    system.add_agreement(agreement.model_copy(update={"zone_policy": "flag"}))
    zones = _import(system)
    zone = zones["EAP2"].footprint
    filing = system.file_notice("blue", "pact", [_volume(clock, Circle(lon=zone.lon, lat=zone.lat, radius_m=1000))])
    assert [(h.zone["name"], h.zone["restriction"], h.volume_index) for h in filing.zones] == [("EAP2 VAARDNOR", "prohibited", 0)]


def test_other_restrictions_are_reported_with_message_and_exact_vertical_limits(system, clock):
    zones = _import(system)
    pasound = zones["EAR2"]  # R area FL250-FL350
    centre = pasound.footprint.vertices[0]
    inside = Polygon(vertices=tuple(pasound.footprint.vertices))
    at_fl300 = system.file_notice("blue", "pact", [_volume(clock, inside, 30_000 * FT, 31_000 * FT, "AMSL")])
    (hit,) = at_fl300.zones
    assert hit.zone["restriction"] == "authorisation_required" and hit.zone["message"] == "AIXM R EAR2"
    assert (hit.zone["lower"], hit.zone["upper"]) == ("FL250", "FL350")
    below = system.file_notice("red", "pact", [_volume(clock, inside, 0, 24_990 * FT, "AMSL", start_h=3)])
    assert below.zones == []  # 10 ft below FL250, same datum: clear
    # across datums the geoid's range is given to the zone: 7600 m above the ellipsoid may be FL250 (7620 m AMSL)
    ellipsoid = system.file_notice("green", "pact", [_volume(clock, inside, 7000, 7600, "W84", start_h=5)])
    assert [h.zone["name"] for h in ellipsoid.zones] == ["EAR2 PASOUND"]
    assert centre  # the polygon is the zone's own ring


def test_a_zone_applies_only_while_its_schedule_is_active(system, clock):
    zones = _import(system)  # EAD4 HORSHAM: MON-FRI 07:00-17:00 (widened 06:00-18:00); the clock is Monday 08:00
    horsham = zones["EAD4"].footprint
    here = Circle(lon=horsham.lon, lat=horsham.lat, radius_m=1000)
    monday = system.file_notice("blue", "pact", [_volume(clock, here, start_h=1)])
    assert [h.zone["name"] for h in monday.zones] == ["EAD4 HORSHAM"]
    saturday = system.file_notice("red", "pact", [_volume(clock, here, start_h=5 * 24)], key=[monday.notice.version])
    assert saturday.zones == []


def test_zones_round_trip_on_every_store(any_store):
    from datetime import datetime, timezone

    result = import_file(DONLON, ImportOptions(agreement_id="pact", now=datetime(2026, 6, 1, tzinfo=timezone.utc)))
    with any_store.transaction() as tx:
        for zone in result.zones:
            tx.put_zone(zone)
        tx.put_zone(result.zones[0].model_copy(update={"message": "changed"}))
        tx.put_zone(result.zones[1].model_copy(update={"agreement_id": "other", "id": "elsewhere"}))
    with any_store.transaction(write=False) as tx:
        stored = tx.zones_of("pact")
        assert [z.id for z in stored] == sorted(z.id for z in result.zones)
        assert {z.id: z for z in stored}[result.zones[0].id].message == "changed"
        assert tx.get_zone(result.zones[3].id) == result.zones[3]
        assert [z.id for z in tx.zones_of("other")] == ["elsewhere"]
    with any_store.transaction() as tx:
        tx.delete_zone(result.zones[0].id)
    with any_store.transaction(write=False) as tx:
        assert len(tx.zones_of("pact")) == len(result.zones) - 1 and tx.get_zone(result.zones[0].id) is None


def test_zones_are_seen_by_members_only(system):
    _import(system)
    assert len(system.zones("red", "pact")) == 5
    from deconfliction.errors import NotFound

    with pytest.raises(NotFound):
        system.zones("yellow", "pact")


def test_the_cli_imports_with_a_summary_and_refuses_a_bad_file(tmp_path, system, db_path):
    from deconfliction.cli import app

    result = CliRunner().invoke(app, ["--db", str(db_path), "zones", "import", str(DONLON), "-a", "pact", "--terrain-max", "500"])
    assert result.exit_code == 0, result.output
    assert "5 imported, 2 skipped" in result.output and "skipped EAD21: composed of other airspaces" in result.output
    assert "checking zones" in result.output
    listed = CliRunner().invoke(app, ["--db", str(db_path), "zones", "list", "-a", "pact", "--as", "red", "--json"])
    assert sorted(z["identifier"] for z in json.loads(listed.stdout)) == ["EAD4", "EADD", "EAP2", "EAR1", "EAR2"]
    bad = CliRunner().invoke(app, ["--db", str(db_path), "zones", "import", str(DATA / "openair-invalid-coordinates.txt"), "-a", "pact"])
    assert bad.exit_code == 2 and "line 14" in bad.output and "not a coordinate" in bad.output
    again = CliRunner().invoke(app, ["--db", str(db_path), "zones", "import", str(DATA / "openair-circular.txt"), "-a", "pact",
                                     "--replace", "--json"])
    assert json.loads(again.stdout)["removed"] == 5 and len(system.zones("red", "pact")) == 1


def test_the_stores_coarse_search_never_misses_a_zone_the_exact_check_finds(any_store):
    """Random circles and polygons, some across the antimeridian and near the poles, as published zones
    and as F3548 constraints of several volumes; the zones the store hands the check must include
    every zone the exact check finds among all of them."""
    import random
    from datetime import datetime, timezone

    from deconfliction.geometry import search_boxes
    from deconfliction.models.zones import VerticalLimit, Zone
    from deconfliction.rules.zones import REACHING_INTO, zone_hits

    rng = random.Random(7)
    start = datetime(2026, 6, 1, tzinfo=timezone.utc)

    def footprint():
        lat = rng.choice([rng.uniform(-60, 60), rng.uniform(80, 89), rng.uniform(-89, -80)])
        lon = rng.choice([rng.uniform(-180, 180), rng.uniform(178, 180), rng.uniform(-180, -178)])
        if rng.random() < 0.5:
            return Circle(lon=lon, lat=lat, radius_m=rng.uniform(1_000, 300_000))
        size = rng.uniform(0.05, 3.0)
        return Polygon(vertices=((lon, lat), (((lon + size + 180) % 360) - 180, lat), (lon, max(-89.9, min(89.9, lat + size)))))

    zones = [Zone(id=f"z{i:03d}", agreement_id="pact", name=f"z{i}", restriction="information", footprint=footprint(),
                  lower=VerticalLimit(reference="SFC"), upper=VerticalLimit(reference="UNL")) for i in range(120)]
    # F3548 constraints are zones too: several volumes each, far apart (the box must cover them all)
    from deconfliction.models.zones import constraint_zone

    zones += [constraint_zone(
        zone_id=f"c{i:03d}", agreement_id="pact", manager="uss1", version=1, ovn="o" * 16, uss_base_url="https://u", created_at=start,
        volumes=[Volume4D(footprint=footprint(), altitude=AltitudeBand(lower_m=0, upper_m=500, datum="W84"),
                          time=TimeWindow(start=start, end=start + timedelta(hours=2))) for _ in range(rng.randint(1, 3))])
        for i in range(40)]
    with any_store.transaction() as tx:
        for zone in zones:
            tx.put_zone(zone)
    found = narrowed = 0
    for _ in range(60):
        volume = Volume4D(footprint=footprint(), altitude=AltitudeBand(lower_m=0, upper_m=100, datum="W84"),
                          time=TimeWindow(start=start, end=start + timedelta(hours=1)))
        exact = {hit.zone["id"] for hit in zone_hits(zones, [volume])}
        with any_store.transaction(write=False) as tx:
            near = {z.id for z in tx.zones_near("pact", search_boxes(volume, REACHING_INTO))}
        assert exact <= near
        found, narrowed = found + len(exact), narrowed + len(zones) - len(near)
    assert found > 5 and narrowed > 60 * len(zones) // 2  # the test meets zones, and the boxes do narrow
