"""Export: KML, GeoJSON and CSV from the API and the CLI, parsed back (fastkml, json, csv) and checked
against the stored notices and conflicts, geodesics and the minimal-disclosure rules."""

import csv
import io
import json

import pytest
from pyproj import Geod
from typer.testing import CliRunner

from deconfliction import Polygon
from deconfliction.export import ring_of

from .conftest import SECRET_REFERENCE, SECRET_REMARKS, bearer

GEOD = Geod(ellps="WGS84")


def _get(http, tokens, role, file_format, agreement="pact"):
    return http.get(f"/v1/agreements/{agreement}/export", params={"format": file_format}, headers=bearer(tokens[role]))


def test_geojson_has_every_visible_volume_with_its_band_and_window_and_others_minimised(http, tokens, world, system):
    reply = _get(http, tokens, "member", "geojson")  # red
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/geo+json")
    assert SECRET_REFERENCE not in reply.text and SECRET_REMARKS not in reply.text
    features = reply.json()["features"]
    notices = {f["properties"]["id"]: f for f in features if f["properties"]["kind"] == "notice"}
    assert set(notices) == {world.notice, world.red_notice}
    blue = notices[world.notice]
    assert set(blue["properties"]) == {"kind", "id", "party_id", "state", "version", "filed_at", "lead_time_s", "volume",
                                       "lower_m", "upper_m", "datum", "start", "end"}
    stored = system.notice("blue", world.notice).volumes[0]
    assert (blue["properties"]["lower_m"], blue["properties"]["upper_m"], blue["properties"]["datum"]) == (0, 300, "W84")
    assert blue["properties"]["start"] == stored.time.start.isoformat().replace("+00:00", "Z")
    ring = blue["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 73
    for lon, lat in ring:  # every vertex on the circle, by pyproj's inverse geodesic
        _, _, metres = GEOD.inv(stored.footprint.lon, stored.footprint.lat, lon, lat)
        assert metres == pytest.approx(stored.footprint.radius_m, abs=0.01)
    (conflict,) = [f for f in features if f["properties"]["kind"] == "conflict"]
    recorded = system.conflicts("red", agreement_id="pact")[0]
    assert conflict["geometry"]["coordinates"] == list(recorded.where)
    assert conflict["properties"]["lateral_m"] == pytest.approx(recorded.lateral_m, abs=1e-3)


def test_kml_parses_back_with_extruded_roofs_floors_and_time_spans(http, tokens, world, system):
    from fastkml import kml

    reply = _get(http, tokens, "owner", "kml")  # blue: its own notice carries its reference
    assert reply.status_code == 200 and "kml" in reply.headers["content-type"]
    document = kml.KML.from_string(reply.content).features[0]
    folders = {folder.name: folder for folder in document.features}
    assert set(folders) == {"Notices", "Conflicts", "Zones"}
    placemarks = folders["Notices"].features
    assert len(placemarks) == 2
    for placemark in placemarks:
        values = {d.name: d.value for d in placemark.extended_data.elements}
        notice = system.notice("blue", values["id"])
        volume = notice.volumes[int(values["volume"])]
        assert placemark.times.begin.dt == volume.time.start and placemark.times.end.dt == volume.time.end
        roof, floor = placemark.kml_geometry.kml_geometries
        assert roof.extrude and roof.altitude_mode.value == "absolute"
        assert {c[2] for c in roof.geometry.exterior.coords} == {volume.altitude.upper_m}
        assert {c[2] for c in floor.geometry.exterior.coords} == {volume.altitude.lower_m}
        assert ("reference" in values) == (notice.party_id == "blue")
        if notice.party_id == "blue":
            assert values["reference"] == SECRET_REFERENCE
    (conflict,) = folders["Conflicts"].features
    assert (conflict.kml_geometry.geometry.x, conflict.kml_geometry.geometry.y) == tuple(system.conflicts("blue")[0].where)


def test_conflicts_csv_gives_each_side_its_conflicts_and_nothing_to_others(http, tokens, world, system):
    rows = list(csv.DictReader(io.StringIO(_get(http, tokens, "member", "csv").text)))
    recorded = system.conflicts("red", agreement_id="pact")[0]
    assert len(rows) == 1 and rows[0]["id"] == recorded.id
    assert {rows[0]["party_a"], rows[0]["party_b"]} == {"blue", "red"}
    assert float(rows[0]["lateral_m"]) == pytest.approx(recorded.lateral_m, abs=1e-3)
    assert rows[0]["time_start"] == recorded.time_start.isoformat().replace("+00:00", "Z")
    observer = list(csv.DictReader(io.StringIO(_get(http, tokens, "observer", "csv").text)))
    assert observer == []  # green is in the agreement but not a side of the conflict
    assert _get(http, tokens, "nonmember", "geojson").status_code == 404  # yellow is not in pact
    wrong = _get(http, tokens, "member", "shapefile")
    assert wrong.status_code == 400 and "format" in wrong.text


def test_long_polygon_edges_follow_the_geodesic():
    polygon = Polygon(vertices=((0.0, 50.0), (20.0, 50.0), (20.0, 60.0)))
    ring = ring_of(polygon)
    first_edge = [p for p in ring if p[1] > 49.9 and p[1] != 60.0 and ring.index(p) <= ring.index((20.0, 50.0))]
    _, _, edge = GEOD.inv(0.0, 50.0, 20.0, 50.0)
    assert len(first_edge) > 100  # ~1430 km in 10 km steps
    for lon, lat in first_edge:
        _, _, a = GEOD.inv(0.0, 50.0, lon, lat)
        _, _, b = GEOD.inv(lon, lat, 20.0, 50.0)
        assert a + b == pytest.approx(edge, abs=0.01)  # on the geodesic, not the parallel at 50°N
    assert max(lat for _, lat in first_edge) > 50.3  # bulges poleward of the parallel


def test_the_cli_writes_the_same_export(tmp_path, world, system, db_path):
    from deconfliction.cli import app

    out = tmp_path / "pact.geojson"
    result = CliRunner().invoke(app, ["--db", str(db_path), "export", "-a", "pact", "--as", "red", "--format", "geojson", "--out", str(out)])
    assert result.exit_code == 0, result.output
    features = json.loads(out.read_text())["features"]
    assert {f["properties"]["kind"] for f in features} == {"notice", "conflict"}
    bad = CliRunner().invoke(app, ["--db", str(db_path), "export", "-a", "pact", "--as", "red", "--format", "shp"])
    assert bad.exit_code == 2 and "--format" in bad.output
