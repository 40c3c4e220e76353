"""Prepared footprints kept by value are bounded by the vertices they hold (not by count: a count of
200,000 held 6.7 GB of 2,000-vertex shapes), least recently used out first."""

from __future__ import annotations

import math

from deconfliction.geometry import Circle, Polygon
from deconfliction.geometry.footprint import _ByValue


def ring(count: int, lon: float) -> Polygon:
    return Polygon(vertices=tuple((lon + 0.01 * math.cos(2 * math.pi * k / count), 45 + 0.01 * math.sin(2 * math.pi * k / count)) for k in range(count)))


def test_the_cache_holds_at_most_its_weight_and_drops_the_least_recently_used():
    cache = _ByValue(max_weight=1_000)
    shapes = [ring(300, lon) for lon in (1.0, 2.0, 3.0)]
    first = cache.get(shapes[0])
    cache.get(shapes[1])
    assert cache.get(shapes[0]) is first  # a hit, and now the most recent
    cache.get(shapes[2])  # 900 vertices: still fits
    cache.get(ring(300, 4.0))  # 1,200: the least recently used (shapes[1]) goes
    assert len(cache) == 3 and cache._held <= 1_000
    assert cache.get(shapes[0]) is first
    assert shapes[1] not in cache._entries


def test_a_shape_heavier_than_the_whole_cache_is_prepared_but_not_kept():
    cache = _ByValue(max_weight=100)
    big = ring(300, 1.0)
    assert cache.get(big).kind == "polygon"
    assert len(cache) == 0


def test_equal_footprints_share_one_preparation_and_circles_weigh_little():
    cache = _ByValue(max_weight=1_000)
    a = cache.get(Circle(lon=2.0, lat=48.0, radius_m=100.0))
    assert cache.get(Circle(lon=2.0, lat=48.0, radius_m=100.0)) is a
    assert cache._held == 8
