"""Validating a polygon prepares it (footprint.check_polygon): the densified ring, its cap and its planar
polygon are computed once per request, and are exactly what a preparation from scratch computes; the
vectorised densification puts the same points as Geod.npts; the edge rules refuse exactly what the
exact edge lengths refuse (invariant 5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from deconfliction.geometry import Polygon
from deconfliction.geometry import footprint as fp
from deconfliction.geometry.earth import GEOD

from strategies import spots


def npts_densify(lons, lats, step_m=fp.DENSIFY_STEP_M):
    """The ring densified edge by edge with Geod.npts (the reference the vectorised version must match)."""
    out_lon, out_lat = [], []
    for i in range(len(lons)):
        j = (i + 1) % len(lons)
        _, _, length = GEOD.inv(lons[i], lats[i], lons[j], lats[j])
        out_lon.append(lons[i])
        out_lat.append(lats[i])
        extras = int(np.ceil(length / step_m)) - 1
        if extras > 0:
            for lon, lat in GEOD.npts(lons[i], lats[i], lons[j], lats[j], extras):
                out_lon.append(lon)
                out_lat.append(lat)
    return np.array(out_lon), np.array(out_lat)


@st.composite
def rings(draw):
    """Star rings around any spot (poles and ±180° included), edges from metres to 1,500 km."""
    spot = draw(spots)
    n = draw(st.integers(3, 40))
    azimuths = np.sort(np.array(draw(st.lists(st.floats(0, 360), min_size=n, max_size=n))))
    distances = np.array(draw(st.lists(st.floats(10.0, 1_500_000.0), min_size=n, max_size=n)))
    lons, lats, _ = GEOD.fwd(np.full(n, spot[0]), np.full(n, spot[1]), azimuths, distances)
    return np.asarray(lons), np.asarray(lats)


@settings(max_examples=150, deadline=None)
@given(rings())
def test_densify_puts_the_points_geod_npts_puts(ring):
    lons, lats = ring
    dense_lon, dense_lat = fp.densify(lons, lats)
    ref_lon, ref_lat = npts_densify(lons, lats)
    assert dense_lon.shape == ref_lon.shape
    _, _, apart = GEOD.inv(dense_lon, dense_lat, ref_lon, ref_lat)
    assert float(np.max(apart)) < 1e-6  # metres


def _ring(count: int = 300) -> tuple:
    azimuths = 360.0 * np.arange(count) / count
    lons, lats, _ = GEOD.fwd(np.full(count, -140.0), np.full(count, -20.0), azimuths, np.where(np.arange(count) % 2, 84_000.0, 120_000.0))
    return tuple(zip(lons.tolist(), lats.tolist()))


def test_a_validated_polygon_is_prepared_once_and_as_from_scratch(monkeypatch):
    polygon = Polygon(vertices=_ring())
    calls = []
    monkeypatch.setattr(fp, "densify", lambda *a, **k: calls.append(1))
    prepared = fp.prepare(polygon)
    assert calls == []  # validation's work, not done again
    monkeypatch.undo()
    anew = fp._prepare_anew(polygon)
    for name in ("lons", "lats", "dense_lons", "dense_lats", "ring_xyz", "cap_centre"):
        assert np.array_equal(getattr(prepared, name), getattr(anew, name)), name
    assert prepared.cap_radius == anew.cap_radius
    assert prepared.own_planar.equals_exact(anew.own_planar, 0.0)
    assert fp.contains_point_core(prepared, -140.0, -20.0) and not fp.contains_point_core(prepared, -138.0, -20.0)


@pytest.mark.parametrize("gap_m, refused", [(0.0099, True), (0.0101, False), (0.012, False)])
def test_the_one_centimetre_rule_is_decided_on_the_exact_edge(gap_m, refused):
    lon, lat, _ = GEOD.fwd(10.0, 45.0, 90.0, gap_m)
    vertices = ((10.0, 45.0), (float(lon), float(lat)), (10.0, 45.1))
    if refused:
        with pytest.raises(ValidationError, match="less than 1 cm"):
            Polygon(vertices=vertices)
    else:
        Polygon(vertices=vertices)


@settings(max_examples=100, deadline=None)
@given(spots, st.floats(0, 360), st.floats(0.005, 0.02))
def test_short_edges_are_refused_exactly_when_under_one_centimetre(spot, azimuth, gap_m):
    lon, lat, _ = GEOD.fwd(spot[0], spot[1], azimuth, gap_m)
    far_lon, far_lat, _ = GEOD.fwd(spot[0], spot[1], azimuth + 90.0, 5_000.0)
    vertices = ((spot[0], spot[1]), (float(lon), float(lat)), (float(far_lon), float(far_lat)))
    if len(set(vertices)) < 3:
        return
    lons, lats = np.array([v[0] for v in vertices]), np.array([v[1] for v in vertices])
    _, _, lengths = GEOD.inv(lons, lats, np.roll(lons, -1), np.roll(lats, -1))
    try:
        Polygon(vertices=vertices)
        refused_short = False
    except ValidationError as error:
        refused_short = "less than 1 cm" in str(error)
    assert refused_short == bool(np.any(np.asarray(lengths) < 0.01))
