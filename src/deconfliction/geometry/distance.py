"""Exact lateral distance between footprints on the WGS84 ellipsoid (the method and its error bound:
docs/geometry.md).

A circle is its centre widened by its radius, so every case reduces to the distance between two cores
(points or polygons), minus the radii. A polygon's ring is densified into exact points of its geodesic
edges, no two more than 10 km apart; the pieces between them are pieces of the edges.

1. Overlap is topology, decided in the gnomonic plane of one shape (great circles are straight lines
   there): pieces that cross (found with the shape's GEOS STRtree), or, when no boundaries cross, one
   shape inside the other (point in polygon).
2. Otherwise the closest planar distance between pieces, from the same STRtree, bounds the true one
   from both sides (gnomonic scale between 1 and sec²θ; ellipsoid between the least and the greatest
   radius of curvature; pieces within EPSILON_RAD of their chords), and only the piece pairs that these
   bounds cannot exclude are kept.
3. Between pieces that do not cross, the shortest distance runs from an end of one to the other
   (Gaussian curvature is positive). Each (end, piece) candidate is refined geodesically with pyproj
   (Newton iteration along the piece), in the order of a spherical lower bound, until that bound
   passes the best exact distance found: the answer is an exact distance between two real points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .earth import (
    GEOD,
    MAX_RADIUS_M,
    MEAN_RADIUS_M,
    MIN_RADIUS_M,
    gnomonic,
    inverse_gnomonic,
    least_radius_m,
    lon_lat,
    sphere_point_to_arc_pairs,
)
from .footprint import Prepared, caps_apart, contains_point_core, planar_pieces, prepare

NEWTON_ITERATIONS = 8
# How far (radians, on the sphere of normals) a dense piece of a geodesic edge (≤ 10 km) strays from
# the great-circle arc between its ends: measured at most 1.03e-9 (6.6 mm) anywhere on Earth
# (tests/geometry/test_error_bound.py checks it stays under a fifth of this); taken ten times larger.
EPSILON_RAD = 1e-8
# Beyond this angle from the projection centre the gnomonic plane stretches distances by more than
# sec²(60°) = 4 and stops narrowing anything; shapes that far apart are compared piece by piece.
MAX_PROJECTION_ANGLE_RAD = math.radians(60.0)
FIRST_BATCH = 8
CHUNK = 4_000_000  # (point, piece) pairs per step of the piece-by-piece comparison


@dataclass(frozen=True)
class LateralDistance:
    """Shortest geodesic distance between two footprints and a point (lon, lat) where they are closest."""

    metres: float
    where: tuple[float, float]


def point_to_geodesic(plon, plat, alon, alat, blon, blat):
    """Distance from points P to geodesic segments A→B (arrays broadcast together) and the closest points.

    Returns (metres, lon, lat) arrays."""
    plon, plat, alon, alat, blon, blat = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (plon, plat, alon, alat, blon, blat))
    )
    shape = plon.shape
    plon, plat, alon, alat, blon, blat = (x.ravel() for x in (plon, plat, alon, alat, blon, blat))
    az_ab, _, length = GEOD.inv(alon, alat, blon, blat)
    az_ap, _, d_ap = GEOD.inv(alon, alat, plon, plat)
    # Start from the along-track distance on the sphere, then correct on the ellipsoid: at the
    # closest point the geodesic to P meets the edge at a right angle.
    s = _along_track(d_ap, np.radians(az_ap - az_ab))
    s = np.clip(s, 0.0, length)
    for _ in range(NEWTON_ITERATIONS):
        xlon, xlat, back = GEOD.fwd(alon, alat, az_ab, s)
        az_xp, _, d_xp = GEOD.inv(xlon, xlat, plon, plat)
        step = _along_track(d_xp, np.radians(az_xp - (np.asarray(back) + 180.0)))
        step = np.where(d_xp > 1e-6, step, 0.0)
        s_next = np.clip(s + step, 0.0, length)
        converged = np.all(np.abs(s_next - s) < 1e-5)
        s = s_next
        if converged:
            break
    xlon, xlat, _ = GEOD.fwd(alon, alat, az_ab, s)
    _, _, distance = GEOD.inv(xlon, xlat, plon, plat)
    return (np.asarray(distance).reshape(shape), np.asarray(xlon).reshape(shape), np.asarray(xlat).reshape(shape))


def _along_track(distance_m, angle_rad):
    """Signed distance along a great circle to the foot of the perpendicular from a point
    `distance_m` away at `angle_rad` from the direction of travel."""
    sigma = np.asarray(distance_m) / MEAN_RADIUS_M
    return MEAN_RADIUS_M * np.arctan2(np.sin(sigma) * np.cos(angle_rad), np.cos(sigma))


@dataclass
class _Candidates:
    """(point, piece) pairs to refine: a point of one shape against a piece of the other."""

    point_lon: np.ndarray
    point_lat: np.ndarray
    start_lon: np.ndarray
    start_lat: np.ndarray
    end_lon: np.ndarray
    end_lat: np.ndarray
    lower_bound_m: np.ndarray
    point_is_query: np.ndarray  # True when the point is on the query shape (else on the tree shape)


def _pairs(points: Prepared, pieces: Prepared, point_index: np.ndarray, piece_index: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unit vectors and lon/lat of (point, piece start, piece end) for each pair."""
    end_index = (piece_index + 1) % len(pieces.dense_lons)
    return (
        points.ring_xyz[point_index], pieces.ring_xyz[piece_index], pieces.ring_xyz[end_index],
        points.dense_lons[point_index], points.dense_lats[point_index],
        pieces.dense_lons[piece_index], pieces.dense_lats[piece_index],
        pieces.dense_lons[end_index], pieces.dense_lats[end_index],
    )  # fmt: skip


def _with_bounds(parts: list[tuple[np.ndarray, ...]], on_query: list[bool]) -> _Candidates:
    """(point, piece) candidates with their lower bounds: the point is an exact point of its shape; the
    piece strays at most EPSILON_RAD from its chord; distance ≥ least radius of curvature × angle."""
    p, s, e, plon, plat, slon, slat, elon, elat = (np.concatenate(column) for column in zip(*parts))
    angle = sphere_point_to_arc_pairs(p, s, e)
    lower = least_radius_m(plat, slat, elat) * np.maximum(angle - EPSILON_RAD, 0.0)
    flags = np.concatenate([np.full(len(part[0]), flag) for part, flag in zip(parts, on_query)])
    return _Candidates(plon, plat, slon, slat, elon, elat, lower, flags)


def _refine(candidates: _Candidates, limit_m: float | None):
    """The least exact distance over the candidates: (metres, point on query, point on tree), or None
    when none can be within limit_m. Refined in order of lower bound, stopping when the next lower
    bound cannot beat the best exact distance found."""
    order = np.argsort(candidates.lower_bound_m, kind="stable")
    bounds = candidates.lower_bound_m[order]
    ceiling = math.inf if limit_m is None else limit_m
    best = None
    done, batch = 0, FIRST_BATCH
    while done < len(order) and bounds[done] <= (ceiling if best is None else min(ceiling, best[0])):
        stop = done + batch
        take = order[done:stop]
        d, xlon, xlat = point_to_geodesic(
            candidates.point_lon[take], candidates.point_lat[take],
            candidates.start_lon[take], candidates.start_lat[take],
            candidates.end_lon[take], candidates.end_lat[take],
        )  # fmt: skip
        k = int(np.argmin(d))
        if best is None or float(d[k]) < best[0]:
            i = take[k]
            point = (float(candidates.point_lon[i]), float(candidates.point_lat[i]))
            foot = (float(xlon[k]), float(xlat[k]))
            best = (float(d[k]), point, foot) if candidates.point_is_query[i] else (float(d[k]), foot, point)
        done, batch = stop, batch * 2
    if best is None or (limit_m is not None and best[0] > limit_m):
        return None
    return best


def _plane_point(tree: Prepared, xy) -> tuple[float, float]:
    lon, lat = lon_lat(inverse_gnomonic(np.asarray(xy, dtype=float), tree.cap_centre, tree.basis))
    return float(lon), float(lat)


def _first_inside(polygon, xy: np.ndarray) -> int | None:
    """Index of a point of xy inside the (prepared) planar polygon, testing in growing chunks from the
    start: a shared point is usually found among the first few, without testing them all."""
    start, size = 0, 16
    while start < len(xy):
        chunk = xy[start : start + size]
        inside = np.flatnonzero(shapely.intersects_xy(polygon, chunk[:, 0], chunk[:, 1]))
        if len(inside):
            return start + int(inside[0])
        start, size = start + size, size * 4
    return None


def _overlap(query: Prepared, tree: Prepared, xy: np.ndarray):
    """A (lon, lat) shared by the two cores, or None. The tree is a polygon; xy is the query's dense
    ring (or centre) in the tree's plane, where great circles are straight: the chords are the pieces.
    The caller has found the query's first point outside the tree (the cheapest test, and the commonest answer)."""
    if query.is_point_core:
        return None
    low, high = xy.min(axis=0), xy.max(axis=0)
    own_low, own_high = tree.own_bounds
    if np.any(high < own_low) or np.any(low > own_high):
        return None  # boxes apart in the plane
    polygon = shapely.polygons(xy)
    # GEOS's prepared polygon: indexed segment intersection and point in polygon, n log n.
    if not tree.own_planar.intersects(polygon):
        return None
    # Where: a point of one inside the other, or else a point where the boundaries cross. Each test
    # is indexed (prepared polygons, the tree's STRtree): never the n·m overlay of an intersection.
    inside = _first_inside(tree.own_planar, xy)
    if inside is not None:
        return float(query.dense_lons[inside]), float(query.dense_lats[inside])
    shapely.prepare(polygon)
    inside = _first_inside(polygon, tree.own_points.data)
    if inside is not None:
        return float(tree.dense_lons[inside]), float(tree.dense_lats[inside])
    pieces = planar_pieces(xy)
    query_index, tree_index = tree.own_tree.query(pieces, predicate="intersects")
    crossing = shapely.intersection(pieces[query_index[0]], tree.own_pieces[tree_index[0]])
    return _plane_point(tree, shapely.get_coordinates(crossing)[0])


def _near_pieces(tree: Prepared, xy: np.ndarray, reach: float) -> np.ndarray:
    """The query's pieces (index k: point k to k+1) that may come within `reach` of the tree's pieces.

    If piece k comes within reach of a tree piece, one of its ends is within reach + its length + half
    the longest tree piece of a tree point, which the KD-tree answers with a bounded search."""
    lengths = np.hypot(*(np.roll(xy, -1, axis=0) - xy).T)
    slack = reach + float(lengths.max()) + tree.longest_piece / 2
    gaps, _ = tree.own_points.query(xy, k=1, distance_upper_bound=slack * (1 + 1e-9))
    near_end = np.isfinite(gaps)
    return np.nonzero(near_end | np.roll(near_end, -1))[0]


def _upper_bound(tree: Prepared, xy: np.ndarray, sample: int = 32) -> float:
    """A planar distance that some pair of ring points achieves, hence at least the least distance
    between pieces: the query's points nearest the tree's centre against the tree's KD-tree, and the
    tree's points nearest the query's centre against those. Any pair would do; these are usually close."""
    if len(xy) <= 4 * sample:
        return float(np.min(tree.own_points.query(xy, k=1)[0]))
    toward_tree = xy[np.argpartition(np.einsum("ij,ij->i", xy, xy), sample)[:sample]]
    best = float(np.min(tree.own_points.query(toward_tree, k=1)[0]))
    own = tree.own_points.data
    middle = xy.mean(axis=0)
    offsets = own - middle
    toward_query = own[np.argpartition(np.einsum("ij,ij->i", offsets, offsets), sample)[:sample]] if len(own) > sample else own
    gaps = np.sqrt(((toward_tree[:, None, :] - toward_query[None, :, :]) ** 2).sum(axis=-1))
    return min(best, float(gaps.min()))


def _planar_candidates(tree: Prepared, xy: np.ndarray, point_core: bool, cos2: float, limit_m: float | None):
    """The piece pairs (query piece or point index, tree piece index) that may hold the closest
    approach, with the least planar distance; None when the shapes are certainly more than limit_m apart.

    Planar distance d between pieces and the angle ψ between their chords: ψ ≤ d ≤ ψ·sec²θ (gnomonic
    scale). True distance D between the pieces: MIN_RADIUS·(ψ − 2ε) ≤ D ≤ MAX_RADIUS·(ψ + 2ε). So the
    closest pair has d ≤ (MAX/MIN·(m + 2ε) + 2ε) / cos²θ, m the least planar distance."""

    def threshold(m: float) -> float:
        return (MAX_RADIUS_M / MIN_RADIUS_M * (m + 2 * EPSILON_RAD) + 2 * EPSILON_RAD) / cos2

    within_limit = math.inf if limit_m is None else (limit_m / MIN_RADIUS_M + 2 * EPSILON_RAD) / cos2
    # An upper bound on the least planar distance: a pair of ring points (KD-tree), since pieces are
    # never farther apart than their ends. Every pair that may be closest lies within threshold(upper)
    # of each other; the exact planar distances of those pairs then narrow it down.
    reach = min(threshold(_upper_bound(tree, xy)), within_limit)
    if point_core:
        near, geometries = np.zeros(1, dtype=int), shapely.points(xy)
    else:
        near = _near_pieces(tree, xy, reach)
        geometries = planar_pieces(xy, near)
    query_index, tree_index = tree.own_tree.query(geometries, predicate="dwithin", distance=reach)
    if len(query_index) == 0:
        return None  # nothing within the limit
    planar = shapely.distance(geometries[query_index], tree.own_pieces[tree_index])
    m = float(np.min(planar))
    if m > within_limit:
        return None
    keep = planar <= min(threshold(m), within_limit)
    return m, (near[query_index[keep]], tree_index[keep]), planar[keep]


def _unique_pairs(first: np.ndarray, second: np.ndarray, modulus: int) -> tuple[np.ndarray, np.ndarray]:
    key = np.unique(first.astype(np.int64) * modulus + second)
    return key // modulus, key % modulus


def _candidates(query: Prepared, tree: Prepared, query_index: np.ndarray, tree_index: np.ndarray) -> _Candidates:
    """Ends of one piece against the other piece, both ways, for each piece pair (each (end, piece) once)."""
    nq, nt = len(query.dense_lons), len(tree.dense_lons)
    if query.is_point_core:
        piece_index = np.unique(tree_index)
        return _with_bounds([_pairs(query, tree, np.zeros(len(piece_index), dtype=int), piece_index)], [True])
    query_points = _unique_pairs(np.concatenate([query_index, (query_index + 1) % nq]), np.concatenate([tree_index, tree_index]), nt + 1)
    tree_points = _unique_pairs(np.concatenate([tree_index, (tree_index + 1) % nt]), np.concatenate([query_index, query_index]), nq + 1)
    return _with_bounds([_pairs(query, tree, *query_points), _pairs(tree, query, *tree_points)], [True, False])


def _polygon_distance(query: Prepared, tree: Prepared, limit_m: float | None):
    """(metres, point on query, point on tree) between a core and a polygon, or None beyond limit_m."""
    lon, lat = float(query.dense_lons[0]), float(query.dense_lats[0])
    if contains_point_core(tree, lon, lat):  # overlap at the query's first point: most overlapping pairs end here
        return 0.0, (lon, lat), (lon, lat)
    nearest_dot = float(np.min(query.ring_xyz @ tree.cap_centre))
    farthest = math.acos(max(-1.0, min(1.0, nearest_dot))) + 1e-9  # only a bound: acos's rounding is covered
    theta = max(farthest, tree.cap_radius)
    if theta > MAX_PROJECTION_ANGLE_RAD:
        # A continent apart (the caps cannot touch): no plane narrows the pairs, every pair is a candidate.
        return _every_pair(query, tree, limit_m)
    xy = gnomonic(query.ring_xyz, tree.cap_centre, tree.basis)
    shared = _overlap(query, tree, xy)
    if shared is not None:
        return 0.0, shared, shared
    cos2 = math.cos(theta) ** 2
    found = _planar_candidates(tree, xy, query.is_point_core, cos2, limit_m)
    if found is None:
        return None
    closest_planar, (query_index, tree_index), planar = found
    if not query.is_point_core and closest_planar * cos2 <= 2 * EPSILON_RAD:
        # Chords within 2ε: the true pieces may cross; they are at most ~10ε·radius (< 0.7 m) apart.
        k = int(np.argmin(planar))
        near = shapely.shortest_line(planar_pieces(xy, query_index[k : k + 1])[0], tree.own_pieces[tree_index[k]])
        point = _plane_point(tree, shapely.get_coordinates(near)[0])
        return 0.0, point, point
    return _refine(_candidates(query, tree, query_index, tree_index), limit_m)


def _every_pair(query: Prepared, tree: Prepared, limit_m: float | None):
    """The least exact distance over every (query piece, tree piece) pair, CHUNK pairs at a time."""
    nq = 1 if query.is_point_core else len(query.dense_lons)
    nt = len(tree.dense_lons)
    rows = max(1, CHUNK // 4 // nt)
    best = None
    for start in range(0, nq, rows):
        query_index = np.repeat(np.arange(start, min(nq, start + rows)), nt)
        tree_index = np.tile(np.arange(nt), len(query_index) // nt)
        found = _refine(_candidates(query, tree, query_index, tree_index), limit_m)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return best


def _core_distance(a: Prepared, b: Prepared, limit_m: float | None):
    """(metres, point on a's core, point on b's core) or None when certainly beyond limit_m."""
    if a.is_point_core and b.is_point_core:
        _, _, d = GEOD.inv(a.lons[0], a.lats[0], b.lons[0], b.lats[0])
        return float(d), (float(a.lons[0]), float(a.lats[0])), (float(b.lons[0]), float(b.lats[0]))
    # The polygon with more pieces is searched through its STRtree (built once per shape, cached).
    if b.is_point_core or (not a.is_point_core and len(a.dense_lons) > len(b.dense_lons)):
        found = _polygon_distance(b, a, limit_m)
        return None if found is None else (found[0], found[2], found[1])
    return _polygon_distance(a, b, limit_m)


def _midpoint_between(lon1: float, lat1: float, lon2: float, lat2: float, fraction: float) -> tuple[float, float]:
    az, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
    lon, lat, _ = GEOD.fwd(lon1, lat1, az, length * fraction)
    return float(lon), float(lat)


def lateral_distance(footprint_a, footprint_b, limit_m: float | None = None) -> LateralDistance | None:
    """Exact shortest distance between two footprints (0 when they overlap).

    With `limit_m`, returns None as soon as the distance is certainly greater than limit_m, which
    spares the exact computation for the many far-apart pairs an index hands over."""
    a, b = prepare(footprint_a), prepare(footprint_b)
    if limit_m is not None and caps_apart(a, b) * MIN_RADIUS_M > limit_m:
        return None
    core_limit = None if limit_m is None else limit_m + a.radius_m + b.radius_m
    found = _core_distance(a, b, core_limit)
    if found is None:
        return None
    core_metres, pa, pb = found
    metres = max(0.0, core_metres - a.radius_m - b.radius_m)
    if limit_m is not None and metres > limit_m:
        return None
    if core_metres == 0.0:
        where = pa
    else:
        # Midway between the closest points of the footprints themselves, or the middle of the
        # overlap of two circles, along the line joining the cores.
        fraction = (core_metres + a.radius_m - b.radius_m) / (2 * core_metres)
        where = _midpoint_between(*pa, *pb, min(1.0, max(0.0, fraction)))
    return LateralDistance(metres=metres, where=where)


def contains_lon_lat(footprint, lon: float, lat: float) -> bool:
    """Is the point inside the footprint (boundary included)?"""
    prepared = prepare(footprint)
    if prepared.kind == "circle":
        _, _, d = GEOD.inv(prepared.lons[0], prepared.lats[0], lon, lat)
        return float(d) <= prepared.radius_m
    return contains_point_core(prepared, lon, lat)


def _centre_to_boundary_m(circle: Prepared, polygon: Prepared) -> float:
    """Exact distance from a circle's centre to a polygon's boundary (inside or out)."""
    xy = gnomonic(circle.ring_xyz, polygon.cap_centre, polygon.basis)
    _, (query_index, tree_index), _ = _planar_candidates(polygon, xy, True, math.cos(polygon.cap_radius) ** 2, None)
    metres, _, _ = _refine(_candidates(circle, polygon, query_index, tree_index), None)
    return metres


def footprint_covers(outer, inner) -> bool:
    """Does the outer footprint contain the whole inner one?"""
    o, i = prepare(outer), prepare(inner)
    if o.kind == "circle":
        # The farthest point of a geodesic edge from a point is one of its ends.
        _, _, d = GEOD.inv(np.full(i.lons.shape, o.lons[0]), np.full(i.lats.shape, o.lats[0]), i.lons, i.lats)
        return float(np.max(d)) + i.radius_m <= o.radius_m
    if i.kind == "circle":
        if not contains_point_core(o, float(i.lons[0]), float(i.lats[0])):
            return False
        return _centre_to_boundary_m(i, o) >= i.radius_m
    centre = o.cap_centre
    if caps_apart(o, i) > 0:
        return False
    return o.planar(centre).covers(i.planar(centre))
