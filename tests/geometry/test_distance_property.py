"""Random footprints anywhere (poles and antimeridian included): lateral_distance agrees to 1 m with the
independent oracle (tests/geometry/geodesic_truth.py). Round star-shaped polygons and circles near each
other; the hard shapes are drawn in test_differential.py."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction.geometry import lateral_distance

from geodesic_truth import footprint_distance
from strategies import footprints, spots


@st.composite
def pairs(draw):
    spot = draw(spots)
    shapes = footprints(near=spot, spread_m=40_000, max_radius_m=12_000)
    return spot, draw(shapes), draw(shapes)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(pair=pairs())
def test_lateral_distance_agrees_with_independent_truth_to_1_m(pair):
    spot, a, b = pair
    expected = footprint_distance(a, b)
    found = lateral_distance(a, b)
    assert found is not None
    assert abs(found.metres - expected) <= 1.0, (found.metres, expected)
    # A limit above the distance never hides it, and one well below always does.
    limited = lateral_distance(a, b, limit_m=expected + 2.0)
    assert limited is not None and abs(limited.metres - found.metres) < 1e-6
    if expected > 10.0:
        assert lateral_distance(a, b, limit_m=expected - 5.0) is None
