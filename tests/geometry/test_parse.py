"""Volumes from the shapes people send (F3548 Volume4D, GeoJSON, our own), units converted at the edge,
and every bad input refused with a clear error naming the field."""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta, timezone

import pytest

from deconfliction.errors import InvalidInput
from deconfliction.geometry import Circle, Polygon, load_volumes, volume_to_f3548

START, END = "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z"
SQUARE = [(10.0, 50.0), (10.1, 50.0), (10.1, 50.1), (10.0, 50.1)]


def altitude(value, reference="W84", units="M"):
    return {"value": value, "reference": reference, "units": units}


def f3548(outline, lower=altitude(0), upper=altitude(120), start=START, end=END):
    return {
        "volume": {**outline, "altitude_lower": lower, "altitude_upper": upper},
        "time_start": {"value": start, "format": "RFC3339"},
        "time_end": {"value": end, "format": "RFC3339"},
    }


def outline_polygon(points):
    return {"outline_polygon": {"vertices": [{"lat": lat, "lng": lon} for lon, lat in points]}}


def outline_circle(lon, lat, radius, units="M"):
    return {"outline_circle": {"center": {"lat": lat, "lng": lon}, "radius": {"value": radius, "units": units}}}


def feature(geometry, **properties):
    props = {"altitude_lower": 0, "altitude_upper": 120, "altitude_datum": "W84", "time_start": START, "time_end": END}
    props.update(properties)
    return {"type": "Feature", "geometry": geometry, "properties": {k: v for k, v in props.items() if v is not None}}


def geo_polygon(points, close=True):
    ring = [list(p) for p in points] + ([list(points[0])] if close else [])
    return {"type": "Polygon", "coordinates": [ring]}


def own(footprint=None, altitude_=None, time=None):
    return {
        "footprint": footprint or {"kind": "circle", "lon": 10.0, "lat": 50.0, "radius_m": 100.0},
        "altitude": altitude_ or {"lower_m": 0, "upper_m": 120, "datum": "W84"},
        "time": time or {"start": START, "end": END},
    }


# Accepted shapes -------------------------------------------------------------------------------------


def test_an_f3548_polygon_volume():
    (volume,) = load_volumes(f3548(outline_polygon(SQUARE)))
    assert isinstance(volume.footprint, Polygon) and list(volume.footprint.vertices) == SQUARE
    assert (volume.altitude.lower_m, volume.altitude.upper_m, volume.altitude.datum) == (0, 120, "W84")
    assert volume.time.start == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)


def test_an_f3548_volume_round_trips():
    (volume,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), lower=altitude(100, "AMSL"), upper=altitude(200, "AMSL")))
    assert load_volumes(volume_to_f3548(volume)) == [volume]


def test_f3548_feet_and_flight_levels_become_metres_at_the_edge():
    (feet,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), lower=altitude(1000, "AMSL", "FT"), upper=altitude(2000, "AMSL", "FT")))
    assert (feet.altitude.lower_m, feet.altitude.upper_m, feet.altitude.datum) == (pytest.approx(304.8), pytest.approx(609.6), "AMSL")
    (levels,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), lower=altitude(100, "AMSL", "FL"), upper=altitude(350, "AMSL", "FL")))
    assert (levels.altitude.lower_m, levels.altitude.upper_m) == (pytest.approx(3048.0), pytest.approx(10668.0))
    assert levels.altitude.datum == "AMSL"
    # Without a reference, a flight level is taken where it belongs: above mean sea level.
    (unreferenced,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), lower={"value": 100, "units": "FL"}, upper={"value": 350, "units": "FL"}))
    assert unreferenced.altitude.datum == "AMSL"


def test_f3548_radius_in_nautical_miles_and_feet():
    (nm,) = load_volumes(f3548(outline_circle(10.0, 50.0, 2, "NM")))
    assert nm.footprint.radius_m == pytest.approx(3704.0)
    (ft,) = load_volumes(f3548(outline_circle(10.0, 50.0, 1000, "FT")))
    assert ft.footprint.radius_m == pytest.approx(304.8)


def test_a_geojson_feature_with_a_polygon():
    (volume,) = load_volumes(feature(geo_polygon(SQUARE)))
    assert list(volume.footprint.vertices) == SQUARE  # the closing position is the same ring


def test_a_geojson_point_with_a_radius_and_flight_levels():
    (volume,) = load_volumes(feature({"type": "Point", "coordinates": [10.0, 50.0]}, radius="2 NM", altitude_lower="FL100", altitude_upper="FL120", altitude_datum=None))
    assert isinstance(volume.footprint, Circle) and volume.footprint.radius_m == pytest.approx(3704.0)
    assert volume.altitude.lower_m == pytest.approx(3048.0) and volume.altitude.upper_m == pytest.approx(3657.6)
    assert volume.altitude.datum == "AMSL"


def test_geojson_feet_are_converted():
    (volume,) = load_volumes(feature(geo_polygon(SQUARE), altitude_lower="500 ft", altitude_upper="1500 ft", altitude_datum="AMSL"))
    assert (volume.altitude.lower_m, volume.altitude.upper_m) == (pytest.approx(152.4), pytest.approx(457.2))


def test_a_geojson_feature_collection_and_a_multipolygon_give_one_volume_per_polygon():
    other = [(11.0, 50.0), (11.1, 50.0), (11.1, 50.1)]
    multi = {"type": "MultiPolygon", "coordinates": [geo_polygon(SQUARE)["coordinates"], geo_polygon(other)["coordinates"]]}
    collection = {"type": "FeatureCollection", "features": [feature(multi), feature({"type": "Point", "coordinates": [12.0, 50.0]}, radius=50)]}
    volumes = load_volumes(collection)
    assert [type(v.footprint).__name__ for v in volumes] == ["Polygon", "Polygon", "Circle"]
    assert list(volumes[1].footprint.vertices) == other


def test_geojson_properties_may_come_from_defaults():
    bare = {"type": "Feature", "geometry": geo_polygon(SQUARE), "properties": {}}
    defaults = {"altitude_lower": 0, "altitude_upper": 50, "altitude_datum": "W84", "time_start": START, "time_end": END}
    (volume,) = load_volumes(bare, defaults=defaults)
    assert volume.altitude.upper_m == 50


def test_our_own_shape_round_trips():
    (volume,) = load_volumes(f3548(outline_polygon(SQUARE)))
    assert load_volumes(volume.model_dump(mode="json")) == [volume]


def test_a_list_and_a_volumes_wrapper_of_mixed_shapes():
    mixed = [f3548(outline_polygon(SQUARE)), feature({"type": "Point", "coordinates": [12.0, 50.0]}, radius=50), own()]
    assert len(load_volumes(mixed)) == 3
    assert load_volumes({"volumes": mixed}) == load_volumes(mixed)


def test_times_relative_to_now():
    now = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)
    (volume,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), start="now+90 min", end="now + 3 h"), now=now)
    assert (volume.time.start, volume.time.end) == (now + timedelta(minutes=90), now + timedelta(hours=3))


def test_times_in_other_zones_become_utc():
    (volume,) = load_volumes(f3548(outline_circle(10.0, 50.0, 300.0), start="2026-06-01T12:00:00+02:00", end="2026-06-01T13:00:00+02:00"))
    assert volume.time.start == datetime(2026, 6, 1, 10, tzinfo=timezone.utc) and volume.time.start.utcoffset() == timedelta(0)


# Refused, naming the field ----------------------------------------------------------------------------

BOWTIE = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]

BAD = {
    # geometry
    "bow-tie polygon (F3548)": (f3548(outline_polygon(BOWTIE)), "volume.outline_polygon", "not a simple polygon"),
    "bow-tie polygon (GeoJSON)": (feature(geo_polygon(BOWTIE)), "geometry.coordinates", "not a simple polygon"),
    "bow-tie polygon (own)": (own({"kind": "polygon", "vertices": BOWTIE}), "footprint", "not a simple polygon"),
    "unclosed GeoJSON ring": (feature(geo_polygon(SQUARE, close=False)), "geometry.coordinates.0", "not closed"),
    "GeoJSON ring of 3 positions": (feature({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}), "geometry.coordinates.0", "at least 4"),
    "collinear ring": (f3548(outline_polygon([(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)])), "volume.outline_polygon", "polygon"),
    "repeated points": (f3548(outline_polygon([(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (1.0, 0.0)])), "volume.outline_polygon.vertices", "degenerate"),
    "two vertices": (f3548(outline_polygon([(0.0, 0.0), (1.0, 0.0)])), "volume.outline_polygon.vertices", "at least 3"),
    "NaN vertex": (f3548(outline_polygon([(0.0, 0.0), (math.nan, 0.0), (1.0, 1.0)])), "volume.outline_polygon.vertices", "finite"),
    "infinite centre": (f3548(outline_circle(math.inf, 0.0, 10.0)), "volume.outline_circle", "finite"),
    "NaN GeoJSON position": (feature({"type": "Point", "coordinates": [math.nan, 0.0]}, radius=10), "geometry", "finite"),
    "latitude 91": (f3548(outline_circle(0.0, 91.0, 10.0)), "volume.outline_circle", "latitude"),
    "latitude -90.5 (GeoJSON)": (feature(geo_polygon([(0.0, -90.5), (1.0, -89.0), (2.0, -89.0)])), "geometry.coordinates.vertices", "latitude"),
    "longitude 181": (f3548(outline_polygon([(0.0, 0.0), (181.0, 0.0), (1.0, 1.0)])), "volume.outline_polygon.vertices", "longitude"),
    "longitude -180.01 (own)": (own({"kind": "circle", "lon": -180.01, "lat": 0.0, "radius_m": 10.0}), "footprint", "longitude"),
    "zero radius": (f3548(outline_circle(0.0, 0.0, 0.0)), "volume.outline_circle", "radius_m"),
    "negative radius": (feature({"type": "Point", "coordinates": [0.0, 0.0]}, radius=-5), "geometry", "radius_m"),
    "NaN radius": (own({"kind": "circle", "lon": 0.0, "lat": 0.0, "radius_m": math.nan}), "footprint", "radius_m"),
    "coordinate as a string": (f3548(outline_circle("10", 50.0, 10.0)), "volume.outline_circle.center.lng", "number"),
    # altitude
    "lower above upper (F3548)": (f3548(outline_circle(0.0, 0.0, 10.0), lower=altitude(200), upper=altitude(100)), "volume.altitude", "inverted"),
    "lower above upper (GeoJSON)": (feature(geo_polygon(SQUARE), altitude_lower=200, altitude_upper=100), "properties.altitude", "inverted"),
    "lower above upper (own)": (own(altitude_={"lower_m": 200, "upper_m": 100}), "altitude", "inverted"),
    "NaN altitude": (own(altitude_={"lower_m": math.nan, "upper_m": 100}), "altitude", "finite"),
    "unknown altitude reference": (f3548(outline_circle(0.0, 0.0, 10.0), lower=altitude(0, "AGL")), "volume.altitude_lower.reference", "AGL"),
    "unknown altitude units": (f3548(outline_circle(0.0, 0.0, 10.0), upper=altitude(100, "W84", "YD")), "volume.altitude_upper.units", "YD"),
    "mixed references": (f3548(outline_circle(0.0, 0.0, 10.0), lower=altitude(0, "W84"), upper=altitude(100, "AMSL")), "volume.altitude_upper.reference", "same reference"),
    "unknown GeoJSON datum": (feature(geo_polygon(SQUARE), altitude_datum="AGL"), "properties.altitude_datum", "W84"),
    "missing GeoJSON datum": (feature(geo_polygon(SQUARE), altitude_datum=None), "properties.altitude_datum", "required"),
    "unknown GeoJSON length unit": (feature(geo_polygon(SQUARE), altitude_lower="100 yd"), "properties.altitude_lower", "length"),
    # flight levels are pressure altitudes (AMSL on the standard atmosphere), never above the ellipsoid
    "flight levels above the ellipsoid (GeoJSON)": (
        feature(geo_polygon(SQUARE), altitude_lower="FL100", altitude_upper="FL120", altitude_datum="W84"),
        "properties.altitude_datum",
        "flight level",
    ),
    "one flight level above the ellipsoid (GeoJSON)": (
        feature(geo_polygon(SQUARE), altitude_lower=0, altitude_upper="FL120", altitude_datum="W84"),
        "properties.altitude_datum",
        "flight level",
    ),
    "flight levels above the ellipsoid (F3548 shape)": (
        f3548(outline_circle(0.0, 0.0, 10.0), lower=altitude(100, "W84", "FL"), upper=altitude(120, "W84", "FL")),
        "volume.altitude_lower.reference",
        "flight level",
    ),
    "unknown own datum": (own(altitude_={"lower_m": 0, "upper_m": 100, "datum": "AGL"}), "altitude.datum", "W84"),
    "unknown radius units": (f3548(outline_circle(0.0, 0.0, 10.0, "YD")), "volume.outline_circle.radius.units", "YD"),
    # time
    "end equal to start": (f3548(outline_circle(0.0, 0.0, 10.0), start=END, end=END), "time", "not after"),
    "end before start (GeoJSON)": (feature(geo_polygon(SQUARE), time_start=END, time_end=START), "properties.time", "not after"),
    "naive start (F3548)": (f3548(outline_circle(0.0, 0.0, 10.0), start="2026-06-01T10:00:00"), "time.start", "time zone"),
    "naive end (own)": (own(time={"start": START, "end": "2026-06-01T11:00:00"}), "time.end", "time zone"),
    "not a time": (f3548(outline_circle(0.0, 0.0, 10.0), start="tomorrow"), "time.start", ""),
    "missing time_end": ({k: v for k, v in f3548(outline_circle(0.0, 0.0, 10.0)).items() if k != "time_end"}, "time_end", "required"),
    # unknown fields where strict
    "unknown field in own footprint": (own({"kind": "circle", "lon": 0.0, "lat": 0.0, "radius_m": 10.0, "colour": "red"}), "footprint.colour", "Extra"),
    "unknown field in own volume": ({**own(), "ceiling": 3}, "ceiling", "Extra"),
    "unknown field in F3548 Volume4D": ({**f3548(outline_circle(0.0, 0.0, 10.0)), "priority": 3}, "priority", "unknown field"),
    "unknown field in F3548 Volume3D": (
        {**f3548(outline_circle(0.0, 0.0, 10.0)), "volume": {**f3548(outline_circle(0.0, 0.0, 10.0))["volume"], "outline_polgon": {}}},
        "volume.outline_polgon",
        "unknown field",
    ),
    "misspelt F3548 altitude units": (
        f3548(outline_circle(0.0, 0.0, 10.0), upper={"value": 1000, "reference": "W84", "unit": "FT"}),
        "volume.altitude_upper.unit",
        "unknown field",
    ),
    "unknown field in F3548 radius": (
        f3548({"outline_circle": {"center": {"lat": 0, "lng": 0}, "radius": {"value": 10, "unit": "NM"}}}),
        "volume.outline_circle.radius.unit",
        "unknown field",
    ),
    "unknown field in F3548 time": (f3548(outline_circle(0.0, 0.0, 10.0)) | {"time_end": {"value": END, "format": "RFC3339", "zone": "Z"}}, "time_end.zone", "unknown field"),
    # shapes
    "both outlines": (f3548({**outline_circle(0.0, 0.0, 10.0), **outline_polygon(SQUARE)}), "volume", "exactly one"),
    "unsupported GeoJSON geometry": (feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}), "geometry.type", "LineString"),
    "GeoJSON polygon with a hole": (feature({"type": "Polygon", "coordinates": geo_polygon(SQUARE)["coordinates"] * 2}), "geometry.coordinates.1", "holes"),
    "Point without radius": (feature({"type": "Point", "coordinates": [0.0, 0.0]}), "properties.radius", "radius"),
    "not a volume at all": ({"hello": 1}, None, "not a volume"),
    "second of a list": ([own(), own(altitude_={"lower_m": 5, "upper_m": 1})], "volumes.1.altitude", "inverted"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_refused_naming_the_field(case):
    obj, field, words = BAD[case]
    original = copy.deepcopy(obj)
    with pytest.raises(InvalidInput) as caught:
        load_volumes(obj)
    error = caught.value
    assert error.code == "invalid_input" and error.status == 400
    assert error.field == field, (error.field, error.message)
    assert words in error.message
    assert repr(original) == repr(obj)  # the input itself is left as it was
