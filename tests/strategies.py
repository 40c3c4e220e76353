"""Hypothesis strategies for volumes anywhere on Earth: circles and small polygons, near the
antimeridian and the poles as often as elsewhere, with random altitude bands (either datum) and
time windows. Volumes of one example are drawn around a shared spot, so that they often meet."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError
from pyproj import Geod

from deconfliction.geometry import AltitudeBand, Circle, Minima, Polygon, TimeWindow, Volume4D

from factories import T0

GEOD = Geod(ellps="WGS84")

latitudes = st.one_of(
    st.floats(-89.9, 89.9),
    st.floats(89.0, 90.0),
    st.floats(-90.0, -89.0),
    st.sampled_from([90.0, -90.0, 0.0]),
)
longitudes = st.one_of(
    st.floats(-180.0, 180.0),
    st.floats(179.0, 180.0),
    st.floats(-180.0, -179.0),
    st.sampled_from([180.0, -180.0, 0.0]),
)
spots = st.tuples(longitudes, latitudes)


def _offset(lon, lat, azimuth, metres):
    out_lon, out_lat, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return float(out_lon), float(out_lat)


@st.composite
def footprints(draw, near=None, spread_m: float = 60_000.0, max_radius_m: float = 40_000.0):
    if near is None:
        lon, lat = draw(spots)
    else:
        lon, lat = _offset(*near, draw(st.floats(0, 360)), draw(st.floats(0, spread_m)))
    if draw(st.booleans()):
        return Circle(lon=lon, lat=lat, radius_m=draw(st.floats(1.0, max_radius_m)))
    n = draw(st.integers(3, 8))
    radius = draw(st.floats(50.0, min(30_000.0, max_radius_m)))
    rotation = draw(st.floats(0, 360))
    # Azimuths in order around the centre, each in its own sector, and distances within [r/2, r]:
    # a star-shaped, hence simple, ring.
    ring = []
    for k in range(n):
        azimuth = rotation + 360.0 * (k + draw(st.floats(0.1, 0.9))) / n
        ring.append(_offset(lon, lat, azimuth, radius * draw(st.floats(0.5, 1.0))))
    try:
        return Polygon(vertices=tuple(ring))
    except ValidationError:
        assume(False)


bands = st.builds(
    lambda lower, thickness, datum: AltitudeBand(lower_m=lower, upper_m=lower + thickness, datum=datum),
    st.floats(-500.0, 3000.0),
    st.floats(0.0, 2000.0),
    st.sampled_from(["W84", "AMSL"]),
)


@st.composite
def windows(draw, earliest_h: float = 0.5):
    start = T0 + timedelta(hours=earliest_h) + timedelta(seconds=draw(st.floats(0, 12 * 3600)))
    return TimeWindow(start=start, end=start + timedelta(seconds=draw(st.floats(1.0, 4 * 3600))))


@st.composite
def volumes(draw, near=None, spread_m: float = 60_000.0):
    return Volume4D(footprint=draw(footprints(near, spread_m)), altitude=draw(bands), time=draw(windows()))


minima = st.builds(
    Minima,
    lateral_m=st.floats(1.0, 20_000.0),
    vertical_m=st.floats(0.0, 300.0),
    time_buffer_s=st.floats(0.0, 1800.0),
)
