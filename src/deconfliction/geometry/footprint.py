"""A footprint prepared for computation: densified ring, bounding cap, edges; and its topology.

Preparing costs a few geodesic calls, so it is cached by value: the store hands out fresh model
objects, but equal footprints share one preparation.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Point as PlanarPoint
from shapely.geometry import Polygon as PlanarPolygon

from .earth import (
    GEOD,
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    angle_between,
    angle_between_3,
    gnomonic,
    lon_lat,
    normalise,
    tangent_basis,
    unit_vectors,
)
from .limits import MAX_FOOTPRINT_RADIUS_M

# Geodesic edges are sampled at least this densely for topology; between samples the true edge
# strays from the sampled chord by millimetres, far below the 1 m we promise.
DENSIFY_STEP_M = 10_000.0


@dataclass(eq=False)
class Prepared:
    kind: str  # "polygon" or "circle"
    radius_m: float  # 0 for polygons: a circle is its centre widened by the radius
    lons: np.ndarray  # polygon vertices, or the circle's centre
    lats: np.ndarray
    ring_xyz: np.ndarray  # densified ring on the unit sphere (polygon), or the centre (circle)
    cap_centre: np.ndarray
    cap_radius: float  # radians; the whole footprint lies within it
    dense_lons: np.ndarray  # the densified ring (polygon), or the centre (circle): exact points of the shape
    dense_lats: np.ndarray

    @property
    def is_point_core(self) -> bool:
        return self.kind == "circle"

    @cached_property
    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """tangent_basis(cap_centre): the axes of the footprint's own gnomonic plane."""
        return tangent_basis(self.cap_centre)

    @cached_property
    def lon_lat_extent(self) -> tuple[float, float, float, float]:
        """(west, east, south, north) of the densified ring (or the centre), west/east unwrapped (east
        may exceed 180, west go below -180); a ring around a pole spans every longitude (bounds.py)."""
        if self.kind == "circle":
            lon, lat = float(self.lons[0]), float(self.lats[0])
            return lon, lon, lat, lat  # widened by the radius below
        ring_lon, ring_lat = lon_lat(self.ring_xyz)
        steps = np.diff(np.concatenate([ring_lon, ring_lon[:1]]))
        steps = (steps + 180.0) % 360.0 - 180.0  # each step the short way round
        if abs(float(steps.sum())) > 180.0:  # the ring winds around a pole
            pole = 90.0 if float(self.cap_centre[2]) > 0 else -90.0
            south, north = (float(ring_lat.min()), 90.0) if pole > 0 else (-90.0, float(ring_lat.max()))
            return -180.0, 180.0, south, north
        unwrapped = ring_lon[0] + np.concatenate([[0.0], np.cumsum(steps[:-1])])
        return float(unwrapped.min()), float(unwrapped.max()), float(ring_lat.min()), float(ring_lat.max())

    @cached_property
    def centre_floats(self) -> tuple[float, float, float]:
        """cap_centre as plain floats (the cap tests of every candidate pair)."""
        return float(self.cap_centre[0]), float(self.cap_centre[1]), float(self.cap_centre[2])

    @cached_property
    def plane_floats(self) -> tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]:
        """cap_centre and the two axes of basis as plain floats: one point at a time is too small for numpy."""
        return self.centre_floats, *(tuple(float(x) for x in axis) for axis in self.basis)  # type: ignore[return-value]

    @cached_property
    def own_planar(self):
        """The polygon in the gnomonic plane at its own cap centre, prepared for repeated tests."""
        shape = self.planar(self.cap_centre, self.basis)
        shapely.prepare(shape)
        return shape

    @cached_property
    def own_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(least x, y), (greatest x, y) of the ring in the own plane: a box test before any other."""
        points = self.own_points.data
        return points.min(axis=0), points.max(axis=0)

    @cached_property
    def own_pieces(self) -> np.ndarray:
        """The densified ring's pieces (point k to k+1, closing) as planar segments in the own plane."""
        return planar_pieces(gnomonic(self.ring_xyz, self.cap_centre, self.basis))

    @cached_property
    def own_points(self) -> cKDTree:
        """The densified ring's points in the own plane, in a KD-tree (nearest point in log n)."""
        return cKDTree(gnomonic(self.ring_xyz, self.cap_centre, self.basis))

    @cached_property
    def longest_piece(self) -> float:
        """The longest of own_pieces (planar length)."""
        return float(np.max(shapely.length(self.own_pieces)))

    @cached_property
    def own_tree(self) -> shapely.STRtree:
        """A spatial index of own_pieces (GEOS STRtree): nearest and within-distance queries in n log n."""
        return shapely.STRtree(self.own_pieces)

    def planar(self, centre: np.ndarray, basis: tuple[np.ndarray, np.ndarray] | None = None):
        """The footprint's core as a shapely geometry in the gnomonic plane at `centre` (basis: tangent_basis(centre))."""
        xy = gnomonic(self.ring_xyz, centre, basis)
        if self.kind == "circle":
            return PlanarPoint(xy[0])
        return PlanarPolygon(xy)


def planar_pieces(xy: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
    """Segments from each planar point to the next, the last back to the first (shapely LineStrings);
    only the pieces `which` (indices of their first points) when given."""
    start = np.arange(len(xy)) if which is None else which
    return shapely.linestrings(np.stack([xy[start], xy[(start + 1) % len(xy)]], axis=1))


def densify(lons: np.ndarray, lats: np.ndarray, step_m: float = DENSIFY_STEP_M, angles: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ring with extra points on each geodesic edge, no two consecutive points more than step_m apart.

    Every point returned lies exactly on the ring's geodesic edges (the direct problem from the edge's
    start along its azimuth, as Geod.npts solves it), so the geodesic between two consecutive points is a
    piece of an edge, not an approximation of it. `angles`: the angles between consecutive vertices'
    normals (angle_between), when the caller has them. One vectorised call for every extra point of
    every edge: one call per edge cost ~4 µs each, 8 ms for a jagged 2,000-vertex ring."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if angles is None:
        xyz = unit_vectors(lons, lats)
        angles = angle_between(xyz, np.roll(xyz, -1, axis=0))
    # An edge is at most MAX_RADIUS × the angle between its ends' normals long: only edges that may
    # exceed the step are measured.
    maybe = np.nonzero(angles * MAX_RADIUS_M > step_m)[0]
    if len(maybe) == 0:
        return lons.copy(), lats.copy()
    ends = (maybe + 1) % len(lons)
    azimuths, _, lengths = GEOD.inv(lons[maybe], lats[maybe], lons[ends], lats[ends])
    extras = np.ceil(np.atleast_1d(lengths) / step_m).astype(int) - 1
    long = extras > 0
    if not long.any():
        return lons.copy(), lats.copy()
    edges, counts = maybe[long], extras[long]
    lengths, azimuths = np.atleast_1d(lengths)[long], np.atleast_1d(azimuths)[long]
    # The k-th extra point of an edge (k = 1 … count) lies k × length / (count + 1) along it.
    first = np.cumsum(counts) - counts
    k = np.arange(int(counts.sum())) - np.repeat(first, counts) + 1
    inner_lon, inner_lat, _ = GEOD.fwd(
        np.repeat(lons[edges], counts), np.repeat(lats[edges], counts), np.repeat(azimuths, counts), k * np.repeat(lengths / (counts + 1), counts)
    )
    added = np.zeros(len(lons), dtype=int)
    added[edges] = counts
    at = np.arange(len(lons)) + np.concatenate([[0], np.cumsum(added)[:-1]])  # where each vertex lands
    out_lon, out_lat = np.empty(len(lons) + len(k)), np.empty(len(lons) + len(k))
    out_lon[at], out_lat[at] = lons, lats
    inner = np.repeat(at[edges], counts) + k
    out_lon[inner], out_lat[inner] = inner_lon, inner_lat
    return out_lon, out_lat


def _cap(xyz: np.ndarray) -> tuple[np.ndarray, float]:
    centre = normalise(xyz.mean(axis=0))
    return centre, float(angle_between(xyz, centre[None]).max())


# Footprints seen before, by identity: the notices the store hands out again (store/notice_cache.py)
# carry the very same objects, and hashing a 2,000-vertex ring by value costs more than a lookup.
# An entry lives as long as its footprint.
_by_identity: dict[int, tuple[weakref.ref, Prepared]] = {}


def prepare(footprint) -> Prepared:
    key = id(footprint)
    held = _by_identity.get(key)
    if held is not None and held[0]() is footprint:
        return held[1]
    prepared = _by_value.get(footprint)
    _hold(footprint, prepared)
    return prepared


def _hold(footprint, prepared: Prepared) -> None:
    """Keep `prepared` for this very footprint object, for as long as the object lives."""
    key = id(footprint)

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _by_identity.get(key, (None,))[0] is ref:
            _by_identity.pop(key, None)

    _by_identity[key] = (weakref.ref(footprint, forget), prepared)


def forget_prepared() -> None:
    """Empty both caches: every footprint is prepared anew (benchmarks of a first sight)."""
    _by_identity.clear()
    _by_value.clear()


class _ByValue:
    """Prepared footprints by value, least recently used out first, bounded by the vertices they hold
    (a preparation costs ~60 bytes a vertex, and its key, the footprint's tuples, ~100 more): a store's
    every footprint is prepared when indexed, and bounding these by count held 6.7 GB at 10^5 detailed
    volumes. Shapes still in use stay prepared through _by_identity: the notice cache holds them."""

    def __init__(self, max_weight: int):
        self.max_weight = max_weight
        self._entries: OrderedDict = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def weight(footprint) -> int:
        return max(8, len(getattr(footprint, "vertices", ())))  # a circle's few small arrays weigh about 8 vertices

    def get(self, footprint) -> Prepared:
        with self._lock:
            entry = self._entries.get(footprint)
            if entry is not None:
                self._entries.move_to_end(footprint)
                return entry[0]
        prepared = _prepare_anew(footprint)
        weight = self.weight(footprint)
        with self._lock:
            if footprint not in self._entries and weight <= self.max_weight:
                self._entries[footprint] = (prepared, weight)
                self._held += weight
                while self._held > self.max_weight:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._held -= dropped
        return prepared

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._entries)


PREPARED_MAX_VERTICES = 1_000_000
_by_value = _ByValue(PREPARED_MAX_VERTICES)


def _prepare_anew(footprint) -> Prepared:
    if footprint.kind == "circle":
        centre = unit_vectors([footprint.lon], [footprint.lat])
        return Prepared(
            kind="circle",
            radius_m=footprint.radius_m,
            lons=np.array([footprint.lon]),
            lats=np.array([footprint.lat]),
            ring_xyz=centre,
            cap_centre=centre[0],
            cap_radius=footprint.radius_m / MIN_RADIUS_M,
            dense_lons=np.array([footprint.lon]),
            dense_lats=np.array([footprint.lat]),
        )
    vertices = np.array(footprint.vertices, dtype=float)  # one conversion, not a Python loop per coordinate
    lons, lats = vertices[:, 0].copy(), vertices[:, 1].copy()
    return _polygon_prepared(lons, lats, *densify(lons, lats))


def _polygon_prepared(lons: np.ndarray, lats: np.ndarray, dense_lon: np.ndarray, dense_lat: np.ndarray) -> Prepared:
    ring = unit_vectors(dense_lon, dense_lat)
    centre, radius = _cap(ring)
    return Prepared(
        kind="polygon",
        radius_m=0.0,
        lons=lons,
        lats=lats,
        ring_xyz=ring,
        cap_centre=centre,
        cap_radius=radius + 1e-6,
        dense_lons=dense_lon,
        dense_lats=dense_lat,
    )


# Bounds of an edge's length from the angle ψ between its ends' normals: M_eq·ψ ≤ D ≤ (a²/b)·ψ
# (docs/geometry.md). The exact length is asked for only where they cannot decide a rule; the margins
# cover the rounding of ψ (~1e-16 rad, nanometres).
_MIN_EDGE_M = 0.01
_MAX_EDGE_M = 20_000_000.0 / 2


def _edge_lengths_where_needed(lons: np.ndarray, lats: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices, exact lengths) of the edges whose length the bounds leave in doubt about either rule."""
    least = MIN_RADIUS_M * angles * (1 - 1e-9) - 1e-6
    most = MAX_RADIUS_M * angles * (1 + 1e-9) + 1e-6
    doubt = np.nonzero((least < _MIN_EDGE_M) | (most > _MAX_EDGE_M))[0]
    if len(doubt) == 0:
        return doubt, np.empty(0)
    ends = (doubt + 1) % len(lons)
    _, _, lengths = GEOD.inv(lons[doubt], lats[doubt], lons[ends], lats[ends])
    return doubt, np.atleast_1d(np.asarray(lengths, dtype=float))


def check_polygon(polygon) -> None:
    """Raise ValueError if the ring is self-intersecting, degenerate or too large.

    What it computes (the densified ring, its cap, its planar polygon) is the shape's preparation: it
    is kept for this very object (prepare), so a request's first conflict search does not repeat it."""
    vertices = np.array(polygon.vertices, dtype=float)
    lons, lats = vertices[:, 0].copy(), vertices[:, 1].copy()
    xyz = unit_vectors(lons, lats)
    angles = angle_between(xyz, np.roll(xyz, -1, axis=0))
    _, lengths = _edge_lengths_where_needed(lons, lats, angles)
    if np.any(lengths < _MIN_EDGE_M):
        raise ValueError("two consecutive vertices are less than 1 cm apart (degenerate edge)")
    if np.any(lengths > _MAX_EDGE_M):
        raise ValueError("an edge spans half the globe; its geodesic is ambiguous")
    prepared = _polygon_prepared(lons, lats, *densify(lons, lats, angles=angles))
    if (prepared.cap_radius - 1e-6) * MIN_RADIUS_M > MAX_FOOTPRINT_RADIUS_M * 1.01:
        raise ValueError(f"the polygon does not fit within {MAX_FOOTPRINT_RADIUS_M / 1000:.0f} km of its centre")
    planar = PlanarPolygon(gnomonic(prepared.ring_xyz, prepared.cap_centre, prepared.basis))
    if not planar.is_valid:
        reason = shapely.is_valid_reason(planar).split("[")[0].strip().lower()
        raise ValueError(f"the ring is not a simple polygon ({reason}): edges cross or touch")
    if planar.area <= 0:
        raise ValueError("the ring encloses no area (degenerate polygon)")
    shapely.prepare(planar)
    prepared.__dict__["own_planar"] = planar  # what Prepared.own_planar would build: the same ring, the same plane
    _hold(polygon, prepared)


def area_m2(footprint) -> float:
    """Geodesic area on the WGS84 ellipsoid (the smaller region the ring bounds)."""
    if footprint.kind == "circle":
        # Area of a geodesic disc on the sphere of equal area; error < 0.5 % up to 2000 km radius.
        radius_angle = footprint.radius_m / 6_371_007.2
        return 2 * math.pi * 6_371_007.2**2 * (1 - math.cos(radius_angle))
    prepared = prepare(footprint)  # its vertex arrays: the filing needs them anyway
    area, _ = GEOD.polygon_area_perimeter(prepared.lons, prepared.lats)
    area = abs(area)
    earth = 510_065_621_724_088.5  # WGS84 surface area, m²
    return min(area, earth - area)


# The ellipsoid's area element is M·N times the solid angle of its normals, and M·N never exceeds
# (a²/b)² (both radii of curvature are largest at the poles).
_MAX_AREA_PER_STERADIAN = MAX_RADIUS_M**2


def area_at_most_m2(footprint) -> float:
    """An upper bound of area_m2 that costs nothing once the shape is prepared: the area whose normals
    lie in the ring's bounding cap (the polygon's normals do: the cap holds its ring and is convex),
    2π(1 − cos r) steradians at most (a²/b)² m² each. Within a few per cent of the area for round
    shapes; a long corridor's cap holds much more than the corridor."""
    if footprint.kind == "circle":
        return area_m2(footprint)
    prepared = prepare(footprint)
    return _MAX_AREA_PER_STERADIAN * 2 * math.pi * (1 - math.cos(prepared.cap_radius)) * (1 + 1e-9)


def caps_apart(a: Prepared, b: Prepared) -> float:
    """Angle between the caps' edges (negative when the caps overlap)."""
    return angle_between_3(a.centre_floats, b.centre_floats) - a.cap_radius - b.cap_radius


def _unit_vector(lon: float, lat: float) -> tuple[float, float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _own_plane_point(polygon: Prepared, point: tuple[float, float, float]) -> tuple[float, float] | None:
    """A unit vector in the polygon's own gnomonic plane, or None when it is outside the polygon's cap
    (then it is certainly outside the polygon). Plain floats: one point is too small for numpy."""
    (c0, c1, c2), (e0, e1, e2), (n0, n1, n2) = polygon.plane_floats
    if angle_between_3(point, (c0, c1, c2)) > polygon.cap_radius:
        return None
    p0, p1, p2 = point
    scale = p0 * c0 + p1 * c1 + p2 * c2
    return (p0 * e0 + p1 * e1 + p2 * e2) / scale, (p0 * n0 + p1 * n1 + p2 * n2) / scale


def contains_point_core(polygon: Prepared, lon: float, lat: float) -> bool:
    """Is (lon, lat) inside the polygon (boundary included)?"""
    xy = _own_plane_point(polygon, _unit_vector(lon, lat))
    # For a point, intersecting the polygon is being covered by it (boundary included).
    return xy is not None and bool(shapely.intersects_xy(polygon.own_planar, xy[0], xy[1]))
