"""Zones are the F3548 constraint references: one concept, not two.

A constraint put through /dss/v1 is a zone of the agreement (listed, exported, reported to notices
that enter it); a zone the operator imports is served as a constraint reference (found by area and
time, with its version, manager, time span, and its details and OVN from the address it names), and
processors must hold its OVN in their keys as for any constraint. A prohibited zone refuses an intent
in the standard's shape."""

from __future__ import annotations

import json
from datetime import timedelta

from deconfliction.export import Bundle, to_geojson
from deconfliction.geometry import AltitudeBand, Circle, TimeWindow, Volume4D
from deconfliction.models.zones import VerticalLimit, Zone, stable_zone_id

from . import spec
from .conftest import CM, CP, SC, circle, new_id


def put_constraint(uss, cid, extents, ovn=None):
    path = f"/constraint_references/{cid}" + (f"/{ovn}" if ovn else "")
    return uss.call("PUT", path, {"extents": extents, "uss_base_url": uss.base_url})


def imported_zone(clock, *, restriction="conditional", lng=7.0, name="Valley hospital") -> Zone:
    """A zone as an importer makes it: published limits, a schedule of one window."""
    return Zone(
        id=stable_zone_id(f"deconfliction:zone:utm:test:{name}"), agreement_id="utm", name=name, restriction=restriction,
        footprint=Circle(lon=lng, lat=46.0, radius_m=800.0),
        lower=VerticalLimit(reference="SFC", text="SFC"), upper=VerticalLimit(reference="AMSL", value_m=900.0, text="900 m AMSL"),
        schedule=[TimeWindow(start=clock.now + timedelta(minutes=5), end=clock.now + timedelta(hours=2))],
        message="Helicopter landing site", contact="+41 00 000 00 00", source="test", identifier=name,
    )


def native_volume(clock, lng=7.0) -> Volume4D:
    return Volume4D(footprint=Circle(lon=lng, lat=46.0, radius_m=300.0), altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"),
                    time=TimeWindow(start=clock.now + timedelta(minutes=20), end=clock.now + timedelta(minutes=40)))


def test_a_constraint_put_through_the_dss_is_a_zone_listed_exported_and_reported(system, uss_factory, clock):
    authority = uss_factory("authority", CM)
    other = uss_factory("uss2", SC)
    other.call("GET", "/uss_availability/uss2", scopes=SC)  # enrols uss2 as a member
    cid = new_id()
    ovn = put_constraint(authority, cid, [circle(clock.now, radius_m=1000)]).json()["constraint_reference"]["ovn"]

    (zone,) = system.zones("authority", "utm")
    assert (zone.id, zone.manager, zone.version, zone.ovn, zone.restriction) == (cid, "authority", 1, ovn, "conditional")
    assert zone.extents[0].footprint == Circle(lon=7.0, lat=46.0, radius_m=1000.0)
    assert system.zones("uss2", "utm")[0].ovn == ""  # the OVN is its manager's only

    exported = to_geojson(Bundle(agreement_id="utm", viewer="uss2", zones=system.zones("uss2", "utm")))
    (feature,) = exported["features"]
    assert feature["properties"]["manager"] == "authority" and feature["properties"]["kind"] == "zone"

    filing = system.file_notice("uss2", "utm", [native_volume(clock)])
    assert [hit.zone["id"] for hit in filing.zones] == [cid]  # reported, not refused: its conditions are with its manager
    assert not system.file_notice("uss2", "utm", [native_volume(clock, lng=7.05)]).zones

    updated = put_constraint(authority, cid, [circle(clock.now, radius_m=1000, lng=7.05)], ovn=ovn).json()["constraint_reference"]
    assert system.zones(None, "utm")[0].version == updated["version"] == 2
    authority.call("DELETE", f"/constraint_references/{cid}/{updated['ovn']}")
    assert system.zones(None, "utm") == []


def test_an_imported_zone_is_a_constraint_reference_with_its_details_served_here(system, uss_factory, clock, http):
    zone = imported_zone(clock)
    system.save_zones("admin", "utm", [zone])
    processor = uss_factory("uss1", f"{SC} {CP}")
    area = {"area_of_interest": circle(clock.now, radius_m=5000, start_min=0, minutes=240)}
    (ref,) = processor.call("POST", "/constraint_references/query", area).json()["constraint_references"]
    assert ref["id"] == zone.id and ref["manager"] == "operator" and ref["version"] == 1 and "ovn" not in ref
    assert (ref["time_start"]["value"], ref["time_end"]["value"]) == tuple(
        w.isoformat().replace("+00:00", "Z") for w in (zone.schedule[0].start, zone.schedule[0].end))
    assert processor.call("GET", f"/constraint_references/{zone.id}").json()["constraint_reference"] == ref
    elsewhere = {"area_of_interest": circle(clock.now, lng=7.2, radius_m=5000, start_min=0, minutes=240)}
    assert processor.call("POST", "/constraint_references/query", elsewhere).json()["constraint_references"] == []
    later = {"area_of_interest": circle(clock.now, radius_m=5000, start_min=180, minutes=60)}  # after its window
    assert processor.call("POST", "/constraint_references/query", later).json()["constraint_references"] == []

    # Its details, where the reference says its USS is: this server (as the standard's USS API answers).
    assert ref["uss_base_url"] == "http://testserver/dss/v1/zones"
    from .conftest import token

    bearer = {"Authorization": f"Bearer {token(processor.key, 'uss1', CP)}"}
    details = http.get(f"/dss/v1/zones/uss/v1/constraints/{zone.id}", headers=bearer)
    assert details.status_code == 200
    assert not list(spec.validator("GetConstraintDetailsResponse").iter_errors(details.json()))
    constraint = details.json()["constraint"]
    ovn = constraint["reference"]["ovn"]
    assert ovn == system.zones(None, "utm")[0].ovn
    (volume,) = constraint["details"]["volumes"]
    assert volume["volume"]["outline_circle"]["radius"]["value"] == 800.0
    # 900 m AMSL as W84, widened by the geoid's range (never smaller than the zone); SFC the lowest land
    assert volume["volume"]["altitude_upper"]["value"] == 900.0 + 86.0 and volume["volume"]["altitude_lower"]["value"] == -430.0 - 107.0
    assert http.get(f"/dss/v1/zones/uss/v1/constraints/{zone.id}").status_code == 401

    # A processor's intent that meets it must hold its OVN, as for a USS's constraint.
    with_constraints = {"new_subscription": {"uss_base_url": processor.base_url, "notify_for_constraints": True}}
    refused = processor.put_intent(new_id(), [circle(clock.now)], **with_constraints)
    assert refused.status_code == 409 and [c["id"] for c in refused.json()["missing_constraints"]] == [zone.id]
    assert processor.put_intent(new_id(), [circle(clock.now)], key=[ovn], **with_constraints).status_code == 201

    # Importing it again is a new version with a new OVN: the old key no longer does.
    system.save_zones("admin", "utm", [zone])
    again = processor.call("GET", f"/constraint_references/{zone.id}").json()["constraint_reference"]
    assert again["version"] == 2
    assert processor.put_intent(new_id(), [circle(clock.now)], key=[ovn], **with_constraints).status_code == 409


def test_the_operator_cannot_replace_or_remove_a_uss_constraint_by_import_nor_a_uss_an_imported_zone(system, uss_factory, clock):
    authority = uss_factory("authority", CM)
    cid = new_id()
    put_constraint(authority, cid, [circle(clock.now, radius_m=1000)])
    zone = imported_zone(clock, lng=7.3)
    counts = system.save_zones("admin", "utm", [zone], replace=True)
    assert counts == {"saved": 1, "removed": 0}
    assert {z.id for z in system.zones(None, "utm")} == {cid, zone.id}
    stored = next(z for z in system.zones(None, "utm") if z.id == zone.id)
    assert authority.call("DELETE", f"/constraint_references/{zone.id}/{stored.ovn}").status_code == 403
    assert put_constraint(authority, zone.id, [circle(clock.now)]).status_code == 409  # exists already


def test_an_intent_entering_a_prohibited_zone_is_refused_in_the_standards_shape(system, uss_factory, clock):
    zone = imported_zone(clock, restriction="prohibited", name="Prison")
    system.save_zones("admin", "utm", [zone])
    planner = uss_factory("uss1", SC)
    before = count_notices(system)
    refused = planner.put_intent(new_id(), [circle(clock.now)])  # spec.check: an AirspaceConflictResponse
    assert refused.status_code == 409
    assert [c["id"] for c in refused.json()["missing_constraints"]] == [zone.id] and "Prison" in refused.json()["message"]
    assert count_notices(system) == before
    assert planner.put_intent(new_id(), [circle(clock.now, lng=7.05)]).status_code == 201
    assert json.dumps(refused.json())  # a plain JSON body


def count_notices(system) -> int:
    with system.store.transaction(write=False) as tx:
        return len(tx.find_notices(limit=10_000))
