"""Zone import from real public sample files (tests/data/zones/README.md): each format read back
against the file itself (parsed here independently: json, lxml, the OpenAir parser's own expected
output), vertical limits and schedules, what is skipped and why, and bad files refused by element."""

import json
import math
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pyproj import Geod

from deconfliction.errors import InvalidInput
from deconfliction.zones.importers import ImportOptions, import_file, import_text
from deconfliction.zones.importers.openair import coordinate

DATA = Path(__file__).resolve().parents[1] / "data" / "zones"
LFBOTMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "airspace" / "LFBOTMA.json"
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)  # a Monday
GEOD = Geod(ellps="WGS84")
FT, NM = 0.3048, 1852.0


def options(**overrides):
    return ImportOptions(agreement_id="pact", now=NOW, **overrides)


def test_ed318_swiss_sample_reads_every_zone_with_its_ring_layer_and_authority():
    result = import_file(DATA / "che_sample.ed318.json", options())
    source = json.loads((DATA / "che_sample.ed318.json").read_text())
    assert result.format == "ED-318" and not result.skipped
    assert [z.identifier for z in result.zones] == [f["properties"]["identifier"] for f in source["features"]]
    for zone, feature in zip(result.zones, source["features"]):
        ring = [tuple(p) for p in feature["geometry"]["coordinates"][0]][:-1]
        assert list(zone.footprint.vertices) == ring
        assert zone.restriction == "authorisation_required"  # REQ_AUTHORIZATION
        layer = feature["geometry"]["layer"]
        assert zone.lower.reference == ("AGL" if layer["lower"] else "SFC") and zone.upper.reference == "AGL"
        assert zone.lower.value_m == layer["lower"] and zone.upper.value_m == layer["upper"]
    bern = result.zones[0]
    assert bern.name == "LSZB Bern-Belp 2" and "Skyguide" in bern.contact and "exemption permit" in bern.message
    band = bern.band()  # AGL without terrain: widened over the Earth's lowest and highest ground
    assert band.lower_m == 60 - 430 and band.upper_m == 100_000 and band.datum == "AMSL"
    with_terrain = import_file(DATA / "che_sample.ed318.json", options(terrain_m=(400.0, 700.0))).zones[0].band()
    assert (with_terrain.lower_m, with_terrain.upper_m) == (460.0, 100_000.0)


def test_ed269_sample_reads_restriction_message_contact_and_open_upper_limit():
    (zone,) = import_file(DATA / "che_sample.ed269.json", options()).zones
    assert (zone.identifier, zone.restriction) == ("LSXX", "authorisation_required")
    assert zone.message == "MSG01; RST02" and "admin@example.interuss.org" in zone.contact
    assert zone.lower.reference == "SFC" and zone.upper.reference == "UNL"
    assert zone.schedule == []  # permanent


def _aixm_truth():
    root = etree.parse(str(DATA / "donlon_airspace_extract.aixm.xml")).getroot()
    ns = {"aixm": "http://www.aixm.aero/schema/5.1.1", "gml": "http://www.opengis.net/gml/3.2"}
    truth = {}
    for slice_ in root.iterfind(".//aixm:AirspaceTimeSlice", ns):
        truth[slice_.findtext("aixm:designator", namespaces=ns)] = slice_
    return truth, ns


def test_aixm_donlon_extract_reads_restriction_areas_and_skips_the_rest_with_reasons():
    result = import_file(DATA / "donlon_airspace_extract.aixm.xml", options())
    zones = {z.identifier: z for z in result.zones}
    assert set(zones) == {"EAP2", "EAR1", "EAR2", "EAD4", "EADD"}
    assert dict(result.skipped) == {"EAAD": "type FIR is not a restriction area",
                                    "EAD21": "composed of other airspaces (not supported: import its parts)"}
    assert zones["EAP2"].restriction == "prohibited" and zones["EAR1"].restriction == "authorisation_required"
    assert zones["EAD4"].restriction == "conditional"
    truth, ns = _aixm_truth()
    circle = truth["EAP2"].find(".//gml:CircleByCenterPoint", ns)
    lat, lon = map(float, circle.findtext("gml:posList", namespaces=ns).split())
    radius = float(circle.findtext("gml:radius", namespaces=ns))
    assert (zones["EAP2"].footprint.lat, zones["EAP2"].footprint.lon) == (lat, lon)  # EPSG:4326 is latitude first
    assert zones["EAP2"].footprint.radius_m == pytest.approx(radius * NM)
    assert zones["EAP2"].lower.reference == "SFC" and zones["EAP2"].upper.reference == "UNL"
    band = zones["EAR2"].band()
    assert band.lower_m == pytest.approx(25_000 * FT) and band.upper_m == pytest.approx(35_000 * FT) and band.datum == "AMSL"
    ctr = zones["EADD"].band()
    assert ctr.upper_m == pytest.approx(3000 * FT)


def test_aixm_arc_follows_its_circle_and_joins_the_straight_parts():
    zone = {z.identifier: z for z in import_file(DATA / "donlon_airspace_extract.aixm.xml", options()).zones}["EAR1"]
    truth, ns = _aixm_truth()
    arc = truth["EAR1"].find(".//gml:ArcByCenterPoint", ns)
    lat, lon = map(float, arc.findtext("gml:pos", namespaces=ns).split())
    radius = float(arc.findtext("gml:radius", namespaces=ns)) * NM
    on_arc = [v for v in zone.footprint.vertices if abs(GEOD.inv(lon, lat, *v)[2] - radius) < 1.0]
    assert len(on_arc) > 50  # 227° of arc, every 2°
    for vertex in on_arc:  # clockwise from 270° through north to 137°: never south-west of the centre
        azimuth = GEOD.inv(lon, lat, *vertex)[0] % 360
        assert not 137.5 < azimuth < 269.5


def test_aixm_timesheets_become_weekday_windows_widened_for_daylight_saving():
    zone = {z.identifier: z for z in import_file(DATA / "donlon_airspace_extract.aixm.xml", options()).zones}["EAD4"]
    assert zone.schedule  # MON-FRI 07:00-17:00 UTC (daylight-saving adjusted)
    for window in zone.schedule:
        assert window.start.weekday() < 5 and window.start.hour == 6 and window.end.hour == 18
    assert zone.schedule[0].start == NOW + timedelta(hours=6)
    assert all(w.end <= NOW + timedelta(days=31) for w in zone.schedule)
    saturday = NOW + timedelta(days=5, hours=12)
    assert not any(w.start <= saturday < w.end for w in zone.schedule)


def test_openair_circle_matches_the_reference_parsers_expected_output():
    (zone,) = import_file(DATA / "openair-circular.txt", options()).zones
    assert zone.footprint.radius_m == pytest.approx(1.10 * NM)
    assert (zone.footprint.lat, zone.footprint.lon) == pytest.approx((53 + 24 / 60 + 25 / 3600, 10 + 25 / 60 + 10 / 3600))
    expected = json.loads((DATA / "openair-circular-result.json").read_text())["features"][0]
    for lon, lat in expected["geometry"]["coordinates"][0]:  # openAIP's own circle, rounded to 1e-6°
        assert GEOD.inv(zone.footprint.lon, zone.footprint.lat, lon, lat)[2] == pytest.approx(zone.footprint.radius_m, rel=0.01)
    assert zone.lower.reference == "SFC" and zone.upper.text == "2200FT AMSL" and zone.band().upper_m == pytest.approx(2200 * FT)


def test_openair_polygon_and_arcs():
    (polygon,) = import_file(DATA / "openair-polygon.txt", options()).zones
    assert polygon.footprint.vertices[0] == pytest.approx((10 + 40 / 60, 54 + 25 / 60))
    assert len(polygon.footprint.vertices) == 7  # eight DP lines, the last closing the ring
    (corridor,) = import_file(DATA / "openair-arc-angle-cw.txt", options()).zones
    centre = (9 + 41 / 60 + 6 / 3600, 45 + 6 / 60 + 41 / 3600)
    first_arc = [v for v in corridor.footprint.vertices if abs(GEOD.inv(*centre, *v)[2] - 0.25 * NM) < 0.5]
    assert len(first_arc) > 80  # 180° of arc every 2°
    assert corridor.upper.reference == "AGL" and corridor.upper.value_m == pytest.approx(500 * FT)


@given(st.integers(0, 89), st.integers(0, 59), st.integers(0, 59), st.integers(0, 179), st.integers(0, 59), st.integers(0, 59),
       st.sampled_from("NS"), st.sampled_from("EW"))
def test_openair_coordinates_read_degrees_minutes_seconds_in_both_hemispheres(d1, m1, s1, d2, m2, s2, ns, ew):
    lon, lat = coordinate(f"{d1:02d}:{m1:02d}:{s1:02d} {ns} {d2:03d}:{m2:02d}:{s2:02d} {ew}", "DP")
    assert lat == pytest.approx((d1 + m1 / 60 + s1 / 3600) * (1 if ns == "N" else -1), abs=1e-12)
    assert lon == pytest.approx((d2 + m2 / 60 + s2 / 3600) * (1 if ew == "E" else -1), abs=1e-12)


@pytest.mark.skipif(not LFBOTMA.exists() and not os.environ.get("CI"), reason=f"{LFBOTMA} absent")
def test_the_shared_toulouse_airspace_imports_as_three_flight_level_layers():
    result = import_file(LFBOTMA, options())
    source = json.loads(LFBOTMA.read_text())
    assert len(result.zones) == len(source["shapes"]) == 3
    for zone, shape in zip(result.zones, source["shapes"]):
        band = zone.band()
        assert band.upper_m == pytest.approx(shape["upper"] * 100 * FT)
        assert band.lower_m == (-430.0 if shape["lower"] == 0 else pytest.approx(shape["lower"] * 100 * FT))
        assert zone.restriction == "information" and len(zone.footprint.vertices) == len(shape["polygon"]["coordinates"][0]) - 1


BAD_ED318 = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
    "identifier": "BAD1", "type": "PROHIBITED", "zoneAuthority": []},
    "geometry": {"type": "Polygon", "coordinates": [[[7.0, 46.0], [7.1, 46.1], [7.1, 46.0], [7.0, 46.1], [7.0, 46.0]]],
                 "layer": {"upper": 120, "upperReference": "AGL", "lower": 0, "lowerReference": "AGL", "uom": "m"}}}]}


@pytest.mark.parametrize("text, element, reason", [
    (json.dumps(BAD_ED318), "features[0].geometry.coordinates", "self-intersect"),
    (json.dumps({**BAD_ED318, "features": [{**BAD_ED318["features"][0], "properties": {"identifier": "X", "type": "FORBIDDEN"}}]}),
     "features[0].properties.restriction", "unknown restriction"),
    (json.dumps({**BAD_ED318, "features": [{**BAD_ED318["features"][0], "geometry": {
        **BAD_ED318["features"][0]["geometry"], "coordinates": [[[7.0, 46.0], [7.1, 46.0], [7.1, 46.1], [7.0, 46.0]]],
        "layer": {"upper": 10, "upperReference": "AMSL", "lower": 500, "lowerReference": "AMSL", "uom": "m"}}}]}),
     "features[0]", "above the upper limit"),
    ("<message:AIXMBasicMessage xmlns:message='http://www.aixm.aero/schema/5.1/message'><oops></message:AIXMBasicMessage>",
     "line 1", "not well-formed XML"),
    ((DATA / "openair-invalid-coordinates.txt").read_text(), "line 14", "is not a coordinate"),
    ("AC R\nAN Nowhere\nAL 1500 furlongs\nAH FL95\nDP 45:00:00 N 008:00:00 E\n", "line 1 AL", "is not an altitude"),
    ('{"features": 3}', "root", "neither ED-318"),
])
def test_bad_files_are_refused_naming_the_element_and_reason(text, element, reason):
    with pytest.raises(InvalidInput) as refused:
        import_text(text, options())
    assert refused.value.field.startswith(element) and reason in str(refused.value)


def test_airways_and_expired_zones_are_skipped_with_their_reason():
    airway = "AC P\nAN Axe\nAL FL090\nAH FL140\nV W=2.5\nDY 44:17:00 N 004:59:00 E\nDY 44:19:30 N 005:05:00 E\n"
    result = import_text(airway, options())
    assert result.zones == [] and result.skipped == [("Axe", "airways (V W=, DY) are not areas")]
    expired = json.loads((DATA / "che_sample.ed269.json").read_text())
    expired["UASZoneList"][0]["applicability"] = [{"permanent": "NO", "startDateTime": "2020-01-01T00:00:00Z",
                                                   "endDateTime": "2020-02-01T00:00:00Z"}]
    result = import_text(json.dumps(expired), options())
    assert result.zones == [] and result.skipped == [("LSXX", "not applicable within the import horizon")]
