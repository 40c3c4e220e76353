"""A footprint prepared for computation: densified ring, bounding cap, edges; and its topology.

Preparing costs a few geodesic calls, so it is cached by value: the store hands out fresh model
objects, but equal footprints share one preparation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import shapely
from shapely.geometry import Point as PlanarPoint
from shapely.geometry import Polygon as PlanarPolygon

from .earth import (
    GEOD,
    MIN_RADIUS_M,
    angle_between,
    angle_between_3,
    arc_normals,
    arc_planes,
    gnomonic,
    inverse_gnomonic,
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

    @property
    def is_point_core(self) -> bool:
        return self.kind == "circle"

    @cached_property
    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """tangent_basis(cap_centre): the axes of the footprint's own gnomonic plane."""
        return tangent_basis(self.cap_centre)

    @cached_property
    def own_planar(self):
        """The polygon in the gnomonic plane at its own cap centre, prepared for repeated tests."""
        shape = self.planar(self.cap_centre, self.basis)
        shapely.prepare(shape)
        return shape

    @cached_property
    def vertex_xyz(self) -> np.ndarray:
        return unit_vectors(self.lons, self.lats)

    @cached_property
    def edge_arrays(self) -> tuple[np.ndarray, ...]:
        """Edges as (start lon, start lat, end lon, end lat, start xyz, end xyz, great-circle normal)."""
        start = self.vertex_xyz
        end = np.roll(start, -1, axis=0)
        return (self.lons, self.lats, np.roll(self.lons, -1), np.roll(self.lats, -1), start, end, arc_normals(start, end))

    @cached_property
    def planes(self) -> np.ndarray:
        """earth.arc_planes of the edges, for distance estimates to them."""
        _, _, _, _, start, end, normal = self.edge_arrays
        return arc_planes(start, end, normal)

    def planar(self, centre: np.ndarray, basis: tuple[np.ndarray, np.ndarray] | None = None):
        """The footprint's core as a shapely geometry in the gnomonic plane at `centre` (basis: tangent_basis(centre))."""
        xy = gnomonic(self.ring_xyz, centre, basis)
        if self.kind == "circle":
            return PlanarPoint(xy[0])
        return PlanarPolygon(xy)


def densify(lons: np.ndarray, lats: np.ndarray, step_m: float = DENSIFY_STEP_M) -> tuple[np.ndarray, np.ndarray]:
    """The ring with extra points on each geodesic edge, no two consecutive points more than step_m apart."""
    out_lon: list[float] = []
    out_lat: list[float] = []
    ends_lon, ends_lat = np.roll(lons, -1), np.roll(lats, -1)
    _, _, lengths = GEOD.inv(lons, lats, ends_lon, ends_lat)
    for i, length in enumerate(np.atleast_1d(lengths)):
        out_lon.append(float(lons[i]))
        out_lat.append(float(lats[i]))
        extra = int(math.ceil(length / step_m)) - 1
        if extra > 0:
            for lon, lat in GEOD.npts(lons[i], lats[i], ends_lon[i], ends_lat[i], extra):
                out_lon.append(lon)
                out_lat.append(lat)
    return np.asarray(out_lon), np.asarray(out_lat)


def _cap(xyz: np.ndarray) -> tuple[np.ndarray, float]:
    centre = normalise(xyz.mean(axis=0))
    return centre, float(angle_between(xyz, centre[None]).max())


@lru_cache(maxsize=200_000)
def prepare(footprint) -> Prepared:
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
        )
    lons = np.array([v[0] for v in footprint.vertices])
    lats = np.array([v[1] for v in footprint.vertices])
    dense_lon, dense_lat = densify(lons, lats)
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
    )


def check_polygon(polygon) -> None:
    """Raise ValueError if the ring is self-intersecting, degenerate or too large."""
    lons = np.array([v[0] for v in polygon.vertices])
    lats = np.array([v[1] for v in polygon.vertices])
    _, _, lengths = GEOD.inv(lons, lats, np.roll(lons, -1), np.roll(lats, -1))
    if np.any(np.asarray(lengths) < 0.01):
        raise ValueError("two consecutive vertices are less than 1 cm apart (degenerate edge)")
    if np.any(np.asarray(lengths) > 20_000_000.0 / 2):
        raise ValueError("an edge spans half the globe; its geodesic is ambiguous")
    dense_lon, dense_lat = densify(lons, lats)
    ring = unit_vectors(dense_lon, dense_lat)
    centre, radius = _cap(ring)
    if radius * MIN_RADIUS_M > MAX_FOOTPRINT_RADIUS_M * 1.01:
        raise ValueError(f"the polygon does not fit within {MAX_FOOTPRINT_RADIUS_M / 1000:.0f} km of its centre")
    planar = PlanarPolygon(gnomonic(ring, centre))
    if not planar.is_valid:
        reason = shapely.is_valid_reason(planar).split("[")[0].strip().lower()
        raise ValueError(f"the ring is not a simple polygon ({reason}): edges cross or touch")
    if planar.area <= 0:
        raise ValueError("the ring encloses no area (degenerate polygon)")


def area_m2(footprint) -> float:
    """Geodesic area on the WGS84 ellipsoid (the smaller region the ring bounds)."""
    if footprint.kind == "circle":
        # Area of a geodesic disc on the sphere of equal area; error < 0.5 % up to 2000 km radius.
        radius_angle = footprint.radius_m / 6_371_007.2
        return 2 * math.pi * 6_371_007.2**2 * (1 - math.cos(radius_angle))
    lons = [v[0] for v in footprint.vertices]
    lats = [v[1] for v in footprint.vertices]
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    area = abs(area)
    earth = 510_065_621_724_088.5  # WGS84 surface area, m²
    return min(area, earth - area)


def caps_apart(a: Prepared, b: Prepared) -> float:
    """Angle between the caps' edges (negative when the caps overlap)."""
    return angle_between_3(a.cap_centre, b.cap_centre) - a.cap_radius - b.cap_radius


def _unit_vector(lon: float, lat: float) -> tuple[float, float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _own_plane_point(polygon: Prepared, point: tuple[float, float, float]) -> tuple[float, float] | None:
    """A unit vector in the polygon's own gnomonic plane, or None when it is outside the polygon's cap
    (then it is certainly outside the polygon). Plain floats: one point is too small for numpy."""
    c = polygon.cap_centre
    if angle_between_3(point, c) > polygon.cap_radius:
        return None
    p0, p1, p2 = point
    scale = p0 * float(c[0]) + p1 * float(c[1]) + p2 * float(c[2])
    (e0, e1, e2), (n0, n1, n2) = (map(float, axis) for axis in polygon.basis)
    return (p0 * e0 + p1 * e1 + p2 * e2) / scale, (p0 * n0 + p1 * n1 + p2 * n2) / scale


def cores_intersect(a: Prepared, b: Prepared):
    """If the cores (circle centres, polygons) share a point, a (lon, lat) of that shared area; else None."""
    if caps_apart(a, b) > 0:
        return None
    if a.is_point_core and b.is_point_core:
        return None  # two centres: distance decides, not topology
    if a.is_point_core:
        a, b = b, a
    if b.is_point_core:
        # A polygon and a centre share the centre itself, if anything.
        lon, lat = float(b.lons[0]), float(b.lats[0])
        return (lon, lat) if contains_point_core(a, lon, lat) else None
    # Work in a's own plane, where its polygon is already built and prepared.
    other = b.planar(a.cap_centre, a.basis)
    if not a.own_planar.intersects(other):
        return None
    shared = a.own_planar.intersection(other)
    point = shared.representative_point() if not shared.is_empty else other.representative_point()
    lon, lat = lon_lat(inverse_gnomonic(np.array([point.x, point.y]), a.cap_centre, a.basis))
    return float(lon), float(lat)


def contains_point_core(polygon: Prepared, lon: float, lat: float) -> bool:
    """Is (lon, lat) inside the polygon (boundary included)?"""
    xy = _own_plane_point(polygon, _unit_vector(lon, lat))
    # For a point, intersecting the polygon is being covered by it (boundary included).
    return xy is not None and bool(shapely.intersects_xy(polygon.own_planar, xy[0], xy[1]))
