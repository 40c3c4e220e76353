"""A filing's area limit is decided by a cheap bound when it can be (footprint.area_at_most_m2) and by
the geodesic area otherwise: the bound is never below the area, and the refusal is exactly the one the
geodesic area alone would give (invariant 5), with the area computed only when needed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.errors import InvalidInput
from deconfliction.geometry import Circle, Polygon, area_at_most_m2, area_m2, footprint
from deconfliction.rules import notices

from factories import T0, example_agreement, footprint_volume
from strategies import GEOD, _polygon, local_shapes, spots

big_sizes = st.one_of(st.floats(20.0, 20_000.0), st.floats(20_000.0, 400_000.0), st.floats(400_000.0, 3_800_000.0))


@st.composite
def shapes(draw):
    spot, size = draw(spots), draw(big_sizes)
    if draw(st.integers(0, 4)) == 0:
        return Circle(lon=spot[0], lat=spot[1], radius_m=min(size / 2, 2_000_000.0))
    return _polygon(spot, draw(local_shapes(size)), draw(st.floats(0, 360)))


@settings(max_examples=300, deadline=None)
@given(shapes())
def test_the_bound_is_never_below_the_geodesic_area(shape):
    assert area_m2(shape) <= area_at_most_m2(shape)


@settings(max_examples=200, deadline=None)
@given(shapes(), st.floats(0.5, 1.5))
def test_the_limit_refuses_exactly_what_the_geodesic_area_refuses(shape, ratio):
    exact_km2 = area_m2(shape) / 1e6
    limit_km2 = max(exact_km2 * ratio, 1e-9)
    for limit in (limit_km2, exact_km2, math.nextafter(exact_km2, 0.0), area_at_most_m2(shape) / 1e6):
        agreement = example_agreement(max_area_km2=max(limit, 1e-9))
        try:
            notices.check_volumes(agreement, [footprint_volume(shape, T0)], T0)
            refused = False
        except InvalidInput as error:
            refused = True
            assert error.field == "volumes.0.footprint"
        assert refused == (exact_km2 > agreement.max_area_km2)


def _star(vertices: int, radius_m: float) -> Polygon:
    azimuths = [360.0 * k / vertices for k in range(vertices)]
    lons, lats, _ = GEOD.fwd([-140.0] * vertices, [-20.0] * vertices, azimuths, [radius_m * (0.7 if k % 2 else 1.0) for k in range(vertices)])
    return Polygon(vertices=tuple(zip(lons, lats)))


def test_a_large_ring_well_within_the_limit_skips_the_geodesic_area(monkeypatch):
    calls = []
    real = footprint.GEOD.polygon_area_perimeter
    monkeypatch.setattr(footprint.GEOD, "polygon_area_perimeter", lambda *a, **k: calls.append(1) or real(*a, **k))
    ring = footprint_volume(_star(2_000, 120_000.0), T0)
    notices.check_volumes(example_agreement(max_area_km2=100_000.0), [ring], T0)
    assert calls == []
    with pytest.raises(InvalidInput):  # and still refuses it under a limit the bound cannot clear
        notices.check_volumes(example_agreement(max_area_km2=1_000.0), [ring], T0)
    assert calls == [1]
