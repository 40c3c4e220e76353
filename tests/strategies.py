"""Hypothesis strategies for volumes anywhere on Earth: circles and small polygons, near the
antimeridian and the poles as often as elsewhere, with random altitude bands (either datum) and
time windows. Volumes of one example are drawn around a shared spot, so that they often meet."""

from __future__ import annotations

import math
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


# Hard shapes for the differential geometry tests ---------------------------------------------------------
# Shapes are laid out in local metres (x east, y north) around a spot, rotated, and carried onto the
# ellipsoid along geodesics from the spot: thin bars and corridors, plus signs, concave C and comb
# shapes, shapes sharing an edge or a vertex, nested shapes, at any spot (poles and ±180° included),
# from metres to hundreds of kilometres across.

sizes = st.one_of(
    st.floats(20.0, 500.0),  # tiny
    st.floats(500.0, 20_000.0),  # drone and city scale
    st.floats(20_000.0, 400_000.0),  # fire perimeters, restricted areas, long corridors
)


def _to_lon_lat(spot, xy, rotation_deg: float) -> list[tuple[float, float]]:
    out = []
    for x, y in xy:
        distance = math.hypot(x, y)
        if distance == 0.0:
            out.append((float(spot[0]), float(spot[1])))
        else:
            out.append(_offset(spot[0], spot[1], math.degrees(math.atan2(x, y)) + rotation_deg, distance))
    return out


def _bar(length, width, cx=0.0, cy=0.0):
    return [(cx - length / 2, cy - width / 2), (cx + length / 2, cy - width / 2), (cx + length / 2, cy + width / 2), (cx - length / 2, cy + width / 2)]


def _c_shape(size, notch):
    s = size / 3
    return [(0, 0), (3 * s, 0), (3 * s, s), (s, s), (s, s + notch * s), (3 * s, s + notch * s), (3 * s, 2 * s + notch * s), (0, 2 * s + notch * s)]


def _comb(size, teeth, depth):
    """A base bar with `teeth` teeth pointing north, gaps as wide as the teeth."""
    tooth = size / (2 * teeth - 1)
    base, top = tooth, tooth + depth * size
    points = [(0.0, 0.0), (size, 0.0)]
    for k in reversed(range(teeth)):
        left = 2 * k * tooth
        points += [(left + tooth, top), (left, top)]
        if k > 0:
            points += [(left, base), (left - tooth, base)]
    return _centred(points)


def _centred(points):
    xs, ys = zip(*points)
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return [(x - cx, y - cy) for x, y in points]


def _star(draw, size):
    n = draw(st.integers(3, 12))
    rotation = draw(st.floats(0, 360))
    points = []
    for k in range(n):
        angle = math.radians(rotation + 360.0 * (k + draw(st.floats(0.1, 0.9))) / n)
        r = size / 2 * draw(st.floats(0.3, 1.0))
        points.append((r * math.sin(angle), r * math.cos(angle)))
    return points


def _regular(size, n):
    return [(size / 2 * math.sin(2 * math.pi * k / n), size / 2 * math.cos(2 * math.pi * k / n)) for k in range(n)]


@st.composite
def local_shapes(draw, size):
    """A polygon in local metres: a bar, a C, a comb or a star."""
    kind = draw(st.sampled_from(["bar", "c", "comb", "star"]))
    if kind == "bar":
        return _bar(size, size * draw(st.floats(0.002, 0.3)))
    if kind == "c":
        return _centred(_c_shape(size, draw(st.floats(0.05, 2.0))))
    if kind == "comb":
        return _comb(size, draw(st.integers(2, 8)), draw(st.floats(0.2, 2.0)))
    return _star(draw, size)


def _polygon(spot, xy, rotation):
    try:
        return Polygon(vertices=tuple(_to_lon_lat(spot, xy, rotation)))
    except ValidationError:
        assume(False)


def _polygon_of(lon_lat):
    try:
        return Polygon(vertices=tuple(lon_lat))
    except ValidationError:
        assume(False)


@st.composite
def shape_near(draw, spot, size):
    """A circle or any local shape, centred on the spot."""
    if draw(st.integers(0, 4)) == 0:
        return Circle(lon=spot[0], lat=spot[1], radius_m=size / 2 * draw(st.floats(0.01, 1.0)))
    return _polygon(spot, draw(local_shapes(size)), draw(st.floats(0, 360)))


@st.composite
def hard_pairs(draw):
    """Two footprints in one of the hard relations; which one is drawn as well."""
    spot = draw(spots)
    size = draw(sizes)
    relation = draw(st.sampled_from(["plus", "corridor_through", "nearby", "shared_edge", "shared_vertex", "nested"]))
    rotation = draw(st.floats(0, 360))
    if relation == "plus":
        # Two bars crossing (or, shifted along, nearly): no vertex of either need be inside the other.
        a = _polygon(spot, _bar(size, size * draw(st.floats(0.002, 0.2))), rotation)
        shift = draw(st.floats(-0.7, 0.7)) * size
        b_xy = _bar(size * draw(st.floats(0.5, 2.0)), size * draw(st.floats(0.002, 0.2)), 0.0, shift)
        return relation, a, _polygon(spot, b_xy, rotation + draw(st.floats(20, 160)))
    if relation == "corridor_through":
        a = _polygon(spot, draw(local_shapes(size)), rotation)
        across = draw(st.floats(-0.6, 0.6)) * size
        corridor = _bar(size * 3, size * draw(st.floats(0.001, 0.05)), 0.0, across)
        return relation, a, _polygon(spot, corridor, draw(st.floats(0, 360)))
    if relation == "nearby":
        a = draw(shape_near(spot, size))
        other_size = size * draw(st.floats(0.05, 2.0))
        place = _offset(spot[0], spot[1], draw(st.floats(0, 360)), size * draw(st.floats(0.0, 1.6)))
        return relation, a, draw(shape_near(place, other_size))
    n = draw(st.integers(3, 9))
    ring = _to_lon_lat(spot, _regular(size, n), rotation)
    a = _polygon_of(ring)
    i = draw(st.integers(0, n - 1))
    edge_xy = _regular(size, n)
    (x0, y0), (x1, y1) = edge_xy[i], edge_xy[(i + 1) % n]
    if relation == "shared_edge":
        # A quadrilateral on the outside of edge i, sharing its two vertices exactly.
        h = size * draw(st.floats(0.01, 1.0))
        nx, ny = (y1 - y0), -(x1 - x0)
        norm = math.hypot(nx, ny)
        nx, ny = nx / norm * h, ny / norm * h
        out = _to_lon_lat(spot, [(x0 + nx, y0 + ny), (x1 + nx, y1 + ny)], rotation)
        return relation, a, _polygon_of([ring[(i + 1) % n], ring[i], out[0], out[1]])
    if relation == "shared_vertex":
        # A thin triangle pointing at vertex i from outside, sharing it exactly.
        h = size * draw(st.floats(0.05, 1.0))
        spread = draw(st.floats(0.05, 0.5))
        ox, oy = x0 / math.hypot(x0, y0), y0 / math.hypot(x0, y0)
        tips = [(x0 + h * (ox - spread * oy), y0 + h * (oy + spread * ox)), (x0 + h * (ox + spread * oy), y0 + h * (oy - spread * ox))]
        return relation, a, _polygon_of([ring[i], *_to_lon_lat(spot, tips, rotation)])
    # nested: a smaller shape well inside the regular polygon (whose inradius is size/2·cos(π/n))
    inner = size * draw(st.floats(0.01, 0.5)) * math.cos(math.pi / n)
    return relation, a, draw(shape_near(spot, inner))
