"""State-based conflict detection: straight-line prediction of every pair of aircraft.

The method is the established one (BlueSky's StateBasedCD): each aircraft keeps its present
velocity; a pair *intrudes laterally* while its horizontal distance is below the lateral minimum
and *vertically* while its altitude gap is below the vertical minimum; it is *in conflict* when the
two intrusion intervals overlap somewhere inside (0, look-ahead). Loss of separation now is the
special case where both intrusions already hold at t = 0.

Relative geometry is done per pair in ECEF: the relative position and velocity are projected on the
tangent plane at the pair's midpoint (the mean of the two geodetic normals). So it is the same
at the equator, at a pole and across the antimeridian. Altitudes are compared directly, in the
datum they were reported in.

Sub-quadratic: `candidate_pairs` splits the look-ahead into time slices; in each slice every
aircraft sweeps a short segment, and a k-d tree (over ECEF x, y, z and a scaled altitude) returns the pairs whose segments could come within the minima, with a margin that covers
the difference between the 3-D chord and the midpoint-plane distance. The exact test then runs only
on those candidates. `all_pairs` applies the same exact test to every pair, for reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .frames import MIN_CURVATURE_RADIUS_M, ground_velocity, local_axes, surface_points

# Gaps within a micrometre of a minimum count as meeting it: 36000 ft and 35000 ft converted to
# metres must stay exactly one 1000-ft minimum apart, not a rounding error inside it.
ROUNDING_M = 1e-6
# Below this relative speed (m/s) two aircraft are treated as not moving relative to each other.
STILL_MS = 1e-6
# A pair within `reach` laterally and within `reach` in scaled altitude is within √2·reach in the
# 4-D Euclidean metric the k-d tree answers fastest (a ball around the cylinder-shaped bound).
_DIAGONAL = math.sqrt(2.0) * (1.0 + 1e-9)


@dataclass(frozen=True)
class Minima:
    """Separation minima and how far ahead to look. Defaults: 5 NM, 1000 ft, 300 s.

    A vertical minimum of 0 (F3548 agreements: volumes conflict only where they overlap) is allowed:
    no two aircraft are ever closer than 0 m vertically, so such minima predict no losses of
    separation, while conformance to notices is still watched."""

    lateral_m: float = 9_260.0
    vertical_m: float = 304.8
    lookahead_s: float = 300.0

    def __post_init__(self) -> None:
        for name in ("lateral_m", "lookahead_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number (got {value!r})")
        if not (math.isfinite(self.vertical_m) and self.vertical_m >= 0):
            raise ValueError(f"vertical_m must be a number ≥ 0 (got {self.vertical_m!r})")

    @property
    def can_conflict(self) -> bool:
        """False for a vertical minimum of 0: a gap is never below it (the tests below would divide by it)."""
        return self.vertical_m > ROUNDING_M


@dataclass(frozen=True)
class Traffic:
    """The state of n aircraft at one instant, as arrays (SI units).

    position: (n, 3) ECEF metres of the point on the ellipsoid below each aircraft
    velocity: (n, 3) ECEF m/s, horizontal (tangent to the ellipsoid at the aircraft)
    up:       (n, 3) geodetic normal (unit)
    altitude: (n,) metres, all in one datum
    vertical_rate: (n,) m/s, positive up
    party:    (n,) integer code of the party each aircraft belongs to
    """

    position: np.ndarray
    velocity: np.ndarray
    up: np.ndarray
    altitude: np.ndarray
    vertical_rate: np.ndarray
    party: np.ndarray

    @classmethod
    def from_geodetic(cls, lon, lat, altitude_m, ground_speed_ms, track_deg, vertical_rate_ms, party=None) -> "Traffic":
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = lon.shape[0]
        _, _, up = local_axes(lon, lat)
        return cls(
            position=surface_points(lon, lat).reshape(n, 3),
            velocity=ground_velocity(lon, lat, ground_speed_ms, track_deg).reshape(n, 3),
            up=up.reshape(n, 3),
            altitude=np.asarray(altitude_m, dtype=float).reshape(n),
            vertical_rate=np.asarray(vertical_rate_ms, dtype=float).reshape(n),
            party=np.arange(n) if party is None else np.asarray(party).reshape(n),
        )

    def __len__(self) -> int:
        return int(self.altitude.shape[0])


@dataclass(frozen=True)
class Encounters:
    """Pairs in conflict (first < second, indices into Traffic) and what was predicted for each.

    t_cpa_s: time to closest lateral approach (negative: the aircraft are already diverging)
    d_cpa_m: lateral distance at closest approach
    t_in_s / t_out_s: when the loss of separation starts and ends (t_in < 0: it already has)
    distance_m / vertical_gap_m: lateral distance and absolute altitude gap now
    loss_now: separation is lost at this instant
    """

    first: np.ndarray
    second: np.ndarray
    t_cpa_s: np.ndarray
    d_cpa_m: np.ndarray
    t_in_s: np.ndarray
    t_out_s: np.ndarray
    distance_m: np.ndarray
    vertical_gap_m: np.ndarray
    loss_now: np.ndarray

    def __len__(self) -> int:
        return int(self.first.shape[0])

    def pairs(self) -> set[tuple[int, int]]:
        return set(zip(self.first.tolist(), self.second.tolist()))

    def take(self, keep: np.ndarray) -> "Encounters":
        return Encounters(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})

    @classmethod
    def concatenate(cls, parts: list["Encounters"]) -> "Encounters":
        if not parts:
            return evaluate_pairs(_EMPTY, np.empty(0, int), np.empty(0, int), Minima())
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__})


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def _vertical_intrusion(gap: np.ndarray, gap_rate: np.ndarray, vertical: float) -> tuple[np.ndarray, np.ndarray]:
    """When |gap + gap_rate t| < vertical: (t_in, t_out), infinite for a constant gap inside the
    band, and empty (t_in = +inf, t_out = -inf) for a constant gap outside it."""
    converging = np.abs(gap_rate) > STILL_MS
    safe_rate = np.where(converging, gap_rate, 1.0)
    cross_low = (-vertical - gap) / safe_rate
    cross_high = (vertical - gap) / safe_rate
    inside_band = np.abs(gap) < vertical
    t_in = np.where(converging, np.minimum(cross_low, cross_high), np.where(inside_band, -np.inf, np.inf))
    t_out = np.where(converging, np.maximum(cross_low, cross_high), np.where(inside_band, np.inf, -np.inf))
    return t_in, t_out


def evaluate_pairs(traffic: Traffic, first: np.ndarray, second: np.ndarray, minima: Minima) -> Encounters:
    """The exact state-based test on the given pairs; returns those in conflict."""
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    if not minima.can_conflict:
        first, second = first[:0], second[:0]
    lateral = minima.lateral_m - ROUNDING_M
    vertical = minima.vertical_m - ROUNDING_M

    # The vertical test is cheap and discards most candidates, so it goes first.
    gap = traffic.altitude[second] - traffic.altitude[first]
    t_in_vert, t_out_vert = _vertical_intrusion(gap, traffic.vertical_rate[second] - traffic.vertical_rate[first], vertical)
    possible = (t_in_vert < minima.lookahead_s) & (t_out_vert > 0.0)
    first, second, gap = first[possible], second[possible], gap[possible]
    t_in_vert, t_out_vert = t_in_vert[possible], t_out_vert[possible]

    normal = traffic.up[first] + traffic.up[second]
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    rel_position = traffic.position[second] - traffic.position[first]
    rel_velocity = traffic.velocity[second] - traffic.velocity[first]
    rel_position -= _rowdot(rel_position, normal)[:, None] * normal
    rel_velocity -= _rowdot(rel_velocity, normal)[:, None] * normal

    distance2 = _rowdot(rel_position, rel_position)
    speed2 = _rowdot(rel_velocity, rel_velocity)
    closing = _rowdot(rel_position, rel_velocity)
    moving = speed2 > STILL_MS**2
    safe_speed2 = np.where(moving, speed2, 1.0)
    t_cpa = np.where(moving, -closing / safe_speed2, 0.0)
    d_cpa2 = np.maximum(np.where(moving, distance2 - closing * closing / safe_speed2, distance2), 0.0)

    lateral_intrusion = d_cpa2 < lateral * lateral
    half = np.sqrt(np.maximum(lateral * lateral - d_cpa2, 0.0) / safe_speed2)
    t_in_lat = np.where(moving, t_cpa - half, -np.inf)
    t_out_lat = np.where(moving, t_cpa + half, np.inf)

    t_in = np.maximum(t_in_lat, t_in_vert)
    t_out = np.minimum(t_out_lat, t_out_vert)
    conflict = lateral_intrusion & (t_in < t_out) & (t_out > 0.0) & (t_in < minima.lookahead_s)
    return Encounters(
        first=first[conflict],
        second=second[conflict],
        t_cpa_s=t_cpa[conflict],
        d_cpa_m=np.sqrt(d_cpa2[conflict]),
        t_in_s=t_in[conflict],
        t_out_s=t_out[conflict],
        distance_m=np.sqrt(distance2[conflict]),
        vertical_gap_m=np.abs(gap[conflict]),
        loss_now=((distance2 < lateral * lateral) & (np.abs(gap) < vertical))[conflict],
    )


_EMPTY = Traffic.from_geodetic(np.empty(0), np.empty(0), np.empty(0), np.empty(0), np.empty(0), np.empty(0))


def chord_margin_m(traffic: Traffic, minima: Minima) -> float:
    """How much longer the 3-D chord between two predicted positions can be than their distance
    in the midpoint tangent plane, for any pair that can still conflict.

    Such a pair is at most D = lateral + 2 v_max T apart now. Its chord leaves the tangent plane by
    at most D²/2ρ, and each velocity (tangent at its own aircraft) tilts out of the midpoint plane
    by at most the angle D/2ρ, ρ being the smallest radius of curvature of the ellipsoid. 10 % and
    1 m on top absorb second-order terms."""
    v_max = float(np.sqrt(_rowdot(traffic.velocity, traffic.velocity).max())) if len(traffic) else 0.0
    reach = 1.01 * (minima.lateral_m + 2.0 * v_max * minima.lookahead_s)
    radial = 1.1 * (reach**2 + 2.0 * v_max * minima.lookahead_s * reach) / (2.0 * MIN_CURVATURE_RADIUS_M)
    return math.hypot(minima.lateral_m, radial) - minima.lateral_m + 1.0


def default_slices(traffic: Traffic, minima: Minima) -> int:
    """How many time slices to split the look-ahead into. More slices mean shorter segments and
    fewer candidate pairs, but one more k-d tree each; measured on 1k–100k aircraft (bench/tactical.py)
    the sweet spot grows with log n. Never more than the slices in which an aircraft sweeps one
    lateral minimum, past which slicing saves nothing."""
    n = len(traffic)
    if n < 2:
        return 1
    v_max = float(np.sqrt(_rowdot(traffic.velocity, traffic.velocity).max()))
    by_speed = max(1, math.ceil(v_max * minima.lookahead_s / minima.lateral_m))
    by_size = max(1, round(math.log2(max(n, 1) / 2500.0))) if n > 2500 else 1
    return int(min(by_speed, by_size))


def candidate_pairs(traffic: Traffic, minima: Minima, slices: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) that could be in conflict, and usually few others.

    In slice k of the look-ahead ([k Δ, (k+1) Δ]) aircraft i stays within |v_i| Δ/2 of the midpoint
    of its segment and within |w_i| Δ/2 of its mid-slice altitude. A pair that conflicts at some
    instant of the slice therefore has segment midpoints within lateral + margin + (|v_i| + |v_j|) Δ/2
    in every ECEF axis and altitudes within vertical + (|w_i| + |w_j|) Δ/2; scaling altitude so that
    both bounds are the same number lets one k-d tree query (a ball of √2 times that number) find them all."""
    n = len(traffic)
    if n < 2 or not minima.can_conflict:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    slices = slices or default_slices(traffic, minima)
    step = minima.lookahead_s / slices
    speed = np.sqrt(_rowdot(traffic.velocity, traffic.velocity))
    climb = np.abs(traffic.vertical_rate)
    lateral_reach = minima.lateral_m + chord_margin_m(traffic, minima) + float(speed.max()) * step
    vertical_reach = minima.vertical_m + float(climb.max()) * step
    scale = lateral_reach / vertical_reach
    codes = []
    points = np.empty((n, 4))
    for k in range(slices):
        t_mid = (k + 0.5) * step
        points[:, :3] = traffic.position + traffic.velocity * t_mid
        points[:, 3] = (traffic.altitude + traffic.vertical_rate * t_mid) * scale
        tree = cKDTree(points)
        pairs = tree.query_pairs(lateral_reach * _DIAGONAL, output_type="ndarray")
        if len(pairs):
            codes.append(pairs[:, 0].astype(np.int64) * n + pairs[:, 1])
    if not codes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # Sort-based de-duplication: numpy's hash-based unique is several times slower here.
    merged = np.concatenate(codes)
    merged.sort()
    unique = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
    return unique // n, unique % n


def detect(traffic: Traffic, minima: Minima, *, same_party: bool = False, slices: int | None = None) -> Encounters:
    """Conflicts among the traffic: pruned candidates, then the exact test."""
    first, second = candidate_pairs(traffic, minima, slices)
    if not same_party and len(first):
        other = traffic.party[first] != traffic.party[second]
        first, second = first[other], second[other]
    return evaluate_pairs(traffic, first, second, minima)


def all_pairs(traffic: Traffic, minima: Minima, *, same_party: bool = False, chunk_pairs: int = 2_000_000) -> Encounters:
    """The same exact test on every pair, without an index (the reference for `detect`)."""
    n = len(traffic)
    rows_per_chunk = max(1, chunk_pairs // max(n, 1))
    parts = []
    for start in range(0, n, rows_per_chunk):
        rows = np.arange(start, min(n, start + rows_per_chunk))
        first = np.repeat(rows, n)
        second = np.tile(np.arange(n), len(rows))
        keep = first < second
        if not same_party:
            keep &= traffic.party[first] != traffic.party[second]
        parts.append(evaluate_pairs(traffic, first[keep], second[keep], minima))
    return Encounters.concatenate(parts)
