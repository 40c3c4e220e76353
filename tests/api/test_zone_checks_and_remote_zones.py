"""`check` tells of zones exactly as filing would — the prohibited zone that would refuse it, the
restricted ones with their contact and message — in the library, over HTTP, through the Python
client and in the CLI; and the remote client lists, imports and exports zones as the library does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconfliction.client import Client, RemoteDeconfliction
from deconfliction.errors import ConflictRefused, Forbidden
from deconfliction.zones.importers import ImportOptions, import_file

from .conftest import bearer, volume_json

DONLON = Path(__file__).resolve().parents[1] / "data" / "zones" / "donlon_airspace_extract.aixm.xml"


def imported(system) -> dict:
    result = import_file(DONLON, ImportOptions(agreement_id="pact", now=system.clock()))
    system.save_zones("admin", "pact", result.zones)
    return {z.identifier: z for z in system.zones(None, "pact")}


def into(zone, clock, radius_m=2000.0) -> list:
    from deconfliction.api.wire import volumes_from

    centre = (zone.footprint.lon, zone.footprint.lat) if zone.footprint.kind == "circle" else zone.footprint.vertices[0]
    return volumes_from([volume_json(clock.now, lon=centre[0], lat=centre[1], radius_m=radius_m)], clock.now)


def test_check_reports_the_refusal_and_the_restrictions_filing_would_meet(system, clock):
    zones = imported(system)
    prohibited, restricted = into(zones["EAP2"], clock), into(zones["EAR1"], clock)

    check = system.check("blue", "pact", prohibited)
    with pytest.raises(ConflictRefused) as filed:
        system.file_notice("blue", "pact", prohibited)
    assert check.refusal == {"code": "conflict_refused", "message": filed.value.message, "field": filed.value.field}
    assert [h.model_dump(mode="json") for h in check.zones if h.zone["restriction"] == "prohibited"] == filed.value.details["zones"] != []

    check = system.check("blue", "pact", restricted)
    assert check.refusal is None and list(check) == []
    filing = system.file_notice("blue", "pact", restricted)
    assert check.zones == filing.zones and [h.zone["name"] for h in check.zones] == ["EAR1 BRAVO"]
    assert check.zones[0].zone["contact"] == zones["EAR1"].contact and check.zones[0].zone["message"] == "AIXM R EAR1"


def test_check_over_http_and_through_the_client_says_what_filing_would(app, http, system, clock, tokens):
    zones = imported(system)
    prohibited = volume_json(clock.now, lon=zones["EAP2"].footprint.lon, lat=zones["EAP2"].footprint.lat, radius_m=2000)
    answer = http.post("/v1/check", json={"agreement_id": "pact", "volumes": [prohibited]}, headers=bearer(tokens["owner"]))
    assert answer.status_code == 200
    filed = http.post("/v1/notices", json={"agreement_id": "pact", "volumes": [prohibited]}, headers=bearer(tokens["owner"]))
    assert filed.status_code == 409
    assert answer.json()["refused"] == {"code": filed.json()["code"], "message": filed.json()["detail"], "field": filed.json()["field"]}
    assert [h["zone"]["id"] for h in answer.json()["zones"]] == [zones["EAP2"].id]

    with TestClient(app) as client:
        remote = RemoteDeconfliction("http://testserver", tokens["owner"], transport=client._transport)
        volumes = into(zones["EAP2"], clock)
        assert remote.check("blue", "pact", volumes).refusal == system.check("blue", "pact", volumes).refusal
        restricted = into(zones["EAR1"], clock)
        assert remote.check("blue", "pact", restricted).zones == system.check("blue", "pact", restricted).zones != []


def test_the_remote_client_lists_imports_and_exports_zones_as_the_library_does(app, system, clock, tokens):
    with TestClient(app) as client:
        admin = Client("http://testserver", tokens["admin"], transport=client._transport)
        summary = admin.import_zones("pact", DONLON.read_bytes())
        assert summary["imported"] == 5 and {s["element"] for s in summary["skipped"]} == {"EAAD", "EAD21"}
        member = RemoteDeconfliction("http://testserver", tokens["member"], transport=client._transport)
        assert member.zones("red", "pact") == system.zones("red", "pact")
        with pytest.raises(Forbidden):
            member.zones("blue", "pact")  # the token acts for red

        # Zones as records (the CLI's import over --server): saved as the library saves them.
        operator = RemoteDeconfliction("http://testserver", tokens["admin"], transport=client._transport)
        renamed = [z.model_copy(update={"name": z.name + " (amended)"}) for z in system.zones(None, "pact")[:2]]
        assert operator.save_zones("admin", "pact", renamed, replace=True) == {"saved": 2, "removed": 3}
        assert sorted(z.name for z in member.zones("red", "pact")) == sorted(z.name for z in renamed)
        assert all(z.version == 2 for z in system.zones(None, "pact"))
        with pytest.raises(Forbidden):
            member.save_zones("admin", "pact", renamed)  # only the operator

        from deconfliction import export

        exported = json.loads(Client("http://testserver", tokens["member"], transport=client._transport).export("pact", "geojson"))
        local = export.to_geojson(export.gather(system, "red", "pact"))
        assert exported == local == export.to_geojson(export.gather(member, "red", "pact"))


def test_the_cli_check_prints_the_zones_and_would_be_refusal(system, clock, db_path, tmp_path):
    from deconfliction.cli import app as cli

    zones = imported(system)
    volumes = tmp_path / "into-prohibited.json"
    volumes.write_text(json.dumps([volume_json(clock.now, lon=zones["EAP2"].footprint.lon, lat=zones["EAP2"].footprint.lat, radius_m=2000)]))
    as_json = CliRunner().invoke(cli, ["--db", str(db_path), "check", str(volumes), "--as", "blue", "-a", "pact", "--json"])
    assert as_json.exit_code == 0, as_json.output
    answer = json.loads(as_json.stdout)
    assert answer["refused"]["field"] == "volumes[0]" and answer["zones"][0]["zone"]["name"] == "EAP2 VAARDNOR"
    human = CliRunner().invoke(cli, ["--db", str(db_path), "check", str(volumes), "--as", "blue", "-a", "pact"])
    assert "Filing would be refused" in human.output and "prohibited zone EAP2 VAARDNOR" in human.output


def test_zone_records_with_a_bad_field_are_refused_naming_it_and_nothing_is_saved(http, tokens, system):
    good = {"id": "0b7f4a8e-8d3c-4c55-9d0e-1f2a3b4c5d6e", "agreement_id": "pact", "name": "Test", "restriction": "information",
            "footprint": {"kind": "circle", "lon": 7.0, "lat": 46.0, "radius_m": 500.0},
            "lower": {"reference": "SFC"}, "upper": {"reference": "AMSL", "value_m": 100.0}}
    cases = [
        ({**good, "agreement_id": "other"}, "zones[0].agreement_id"),
        ({**good, "lower": {"reference": "AMSL", "value_m": 500.0}}, "zones.1"),  # above the upper limit
        ({**good, "restriction": "forbidden"}, "zones.1.restriction"),
        ({**good, "footprint": {"kind": "circle", "lon": 700.0, "lat": 46.0, "radius_m": 500.0}}, "zones.1.footprint"),
    ]
    for zone, field in cases:
        answer = http.put("/v1/agreements/pact/zones", json={"zones": [good, zone]} if field != "zones[0].agreement_id" else {"zones": [zone]},
                          headers=bearer(tokens["admin"]))
        assert 400 <= answer.status_code < 500 and answer.json()["field"].startswith(field), (zone, answer.json())
    assert system.zones(None, "pact") == []
