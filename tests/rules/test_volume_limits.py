"""Per-agreement limits on what one request asks the geometry to compare: vertices per volume (default
10,000, enough for real fire perimeters and AIXM areas), volumes per notice, vertices per request.
Above them: a 400 naming the field, before any geometry runs, and nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from deconfliction import AltitudeBand, Polygon, Volume4D
from deconfliction.errors import InvalidInput

from factories import example_agreement, snapshot, window

GEOD = Geod(ellps="WGS84")


def ring_volume(now, n: int, lon: float = 2.35, lat: float = 48.85, radius_m: float = 20_000.0) -> Volume4D:
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), azimuths, np.full(n, radius_m))
    polygon = Polygon(vertices=tuple(zip(lons.tolist(), lats.tolist())))
    return Volume4D(footprint=polygon, altitude=AltitudeBand(lower_m=0, upper_m=100), time=window(now))


def refused(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.status == 400
    return caught.value


def test_the_default_admits_a_volume_of_10000_vertices_and_refuses_10001_naming_it(system, clock, db_path):
    accepted = system.file_notice("red", "pact", [ring_volume(clock.now, 10_000)])
    assert len(accepted.notice.volumes[0].footprint.vertices) == 10_000
    before = snapshot(db_path)
    error = refused(lambda: system.file_notice("blue", "pact", [ring_volume(clock.now, 100), ring_volume(clock.now, 10_001)]))
    assert error.field == "volumes.1.footprint.vertices" and "10,000" in error.message
    assert snapshot(db_path) == before


def test_an_agreement_sets_its_own_limits_for_volumes_and_vertices(system, clock, db_path):
    system.add_agreement(example_agreement(id="small", max_vertices_per_volume=50, max_volumes_per_notice=2, max_vertices_per_request=80))
    before = snapshot(db_path)
    assert refused(lambda: system.file_notice("red", "small", [ring_volume(clock.now, 51)])).field == "volumes.0.footprint.vertices"
    assert refused(lambda: system.file_notice("red", "small", [ring_volume(clock.now, 10, lon=2.0 + k) for k in range(3)])).field == "volumes"
    total = refused(lambda: system.file_notice("red", "small", [ring_volume(clock.now, 50), ring_volume(clock.now, 50, lon=2.9)]))
    assert total.field == "volumes" and "per request" in total.message
    assert snapshot(db_path) == before
    system.file_notice("red", "small", [ring_volume(clock.now, 50), ring_volume(clock.now, 30, lon=2.9)])  # within the limits: accepted


def test_a_check_is_bounded_by_the_same_limits(system, clock):
    system.add_agreement(example_agreement(id="small", max_vertices_per_volume=50))
    error = refused(lambda: system.check("red", "small", [ring_volume(clock.now, 51)]))
    assert error.field == "volumes.0.footprint.vertices"
