"""Zones over HTTP: the operator imports a file, members read the zones, a filing into a prohibited
zone is refused 409 naming the volume and the zone, and one into a restricted area reports it."""

from pathlib import Path

from .conftest import bearer, volume_json

DONLON = Path(__file__).resolve().parents[1] / "data" / "zones" / "donlon_airspace_extract.aixm.xml"


def test_import_read_and_file_against_zones_over_http(http, tokens, system, clock):
    upload = http.post("/v1/agreements/pact/zones/import", content=DONLON.read_bytes(), headers=bearer(tokens["admin"]))
    assert upload.status_code == 200, upload.text
    assert upload.json()["imported"] == 5 and {s["element"] for s in upload.json()["skipped"]} == {"EAAD", "EAD21"}
    assert http.post("/v1/agreements/pact/zones/import", content=b"AC R\n", headers=bearer(tokens["owner"])).status_code == 403
    listed = http.get("/v1/agreements/pact/zones", headers=bearer(tokens["member"])).json()["items"]
    zones = {z["identifier"]: z for z in listed}
    assert set(zones) == {"EAP2", "EAR1", "EAR2", "EAD4", "EADD"}
    assert http.get("/v1/agreements/pact/zones", headers=bearer(tokens["nonmember"])).status_code == 404

    prohibited = zones["EAP2"]["footprint"]
    body = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=prohibited["lon"], lat=prohibited["lat"], radius_m=2000)]}
    refused = http.post("/v1/notices", json=body, headers=bearer(tokens["owner"]))
    assert refused.status_code == 409 and refused.json()["field"] == "volumes[0]"
    assert refused.json()["zones"][0]["zone"]["name"] == "EAP2 VAARDNOR"
    assert system.notices("blue", agreement_id="pact") == []

    bravo = zones["EAR1"]["footprint"]["vertices"][0]  # R area GND-1525 m SFC: a 300 m notice at its corner
    body = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=bravo[0], lat=bravo[1], radius_m=2000)]}
    accepted = http.post("/v1/notices", json=body, headers=bearer(tokens["owner"]))
    assert accepted.status_code == 201, accepted.text
    (hit,) = accepted.json()["zones"]
    assert hit["zone"]["restriction"] == "authorisation_required" and hit["zone"]["name"] == "EAR1 BRAVO"

    bad = http.post("/v1/agreements/pact/zones/import", content=b"AC R\nAN X\nAL GND\nAH 1500 furlongs\nDP 45:00:00 N 008:00:00 E\n",
                    headers=bearer(tokens["admin"]))
    assert bad.status_code == 400 and bad.json()["field"] == "line 1 AH"
    kml = http.get("/v1/agreements/pact/export", params={"format": "kml"}, headers=bearer(tokens["member"]))
    assert kml.text.count("<Placemark>") >= 5 + 1 and "EAP2 VAARDNOR" in kml.text
