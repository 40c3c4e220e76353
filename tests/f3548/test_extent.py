"""The reference DSS's view of an intent (f3548/extent.py) against independent truths: any two volumes
that meet make their intents' extents meet (so a key that satisfies the F3548 check satisfies the
awareness check of notices.py), the index search over the extent never misses an intent the exact
check finds, and a subscription made to an extent covers it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction.f3548 import extent
from deconfliction.geometry import search_boxes, volume_conflict
from deconfliction.geometry.bounds import index_boxes
from strategies import minima, spots, volumes

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _boxes_meet(a, b) -> bool:
    return (a.min_lon <= b.max_lon and b.min_lon <= a.max_lon and a.min_lat <= b.max_lat and b.min_lat <= a.max_lat
            and a.min_alt <= b.max_alt and b.min_alt <= a.max_alt and a.min_t <= b.max_t and b.min_t <= a.max_t)


@st.composite
def two_intents(draw):
    spot = draw(spots)
    a = draw(st.lists(volumes(near=spot, spread_m=20_000.0), min_size=1, max_size=3))
    b = draw(st.lists(volumes(near=spot, spread_m=20_000.0), min_size=1, max_size=3))
    return a, b


@SETTINGS
@given(two_intents(), minima)
def test_volumes_that_meet_make_their_extents_meet(pair, rules):
    a, b = pair
    if any(volume_conflict(x, y, rules) for x in a for y in b):
        assert extent.relevant(a, b, rules)
        assert extent.relevant(b, a, rules)


@SETTINGS
@given(two_intents(), minima)
def test_the_extent_search_finds_every_intent_whose_extent_meets(pair, rules):
    a, b = pair
    if extent.relevant(a, b, rules):
        wanted = [box for v in extent.search_volumes(a) for box in search_boxes(v, rules)]
        stored = [box for v in b for box in index_boxes(v)]
        assert any(_boxes_meet(w, s) for w in wanted for s in stored)


@SETTINGS
@given(st.lists(volumes(), min_size=1, max_size=3))
def test_a_subscription_made_to_an_extent_covers_it(intent):
    assert extent.covers(extent.stretched(intent), intent)
