"""Invariant 5 at the service: volumes that break the agreement's limits are refused with a clear error
naming the field, and the store is left exactly as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.errors import BeyondHorizon, DeconflictionError, InvalidInput, InvalidState, NotFound
from deconfliction.geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D

from factories import snapshot


@pytest.fixture
def unchanged(system, db_path):
    """Asserts, at the end of the test, that the store is as it was when the fixture was taken."""
    system.file_notice("red", "pact", [Volume4D(
        footprint=Circle(lon=2.35, lat=48.85, radius_m=500),
        altitude=AltitudeBand(lower_m=0, upper_m=300),
        time=TimeWindow(start=system.clock() + timedelta(hours=1), end=system.clock() + timedelta(hours=2)),
    )])
    before = snapshot(db_path)
    yield
    assert snapshot(db_path) == before


def refused(call, error=InvalidInput) -> DeconflictionError:
    with pytest.raises(error) as caught:
        call()
    return caught.value


def test_an_area_over_the_agreements_limit_is_refused(system, vol, unchanged):
    # The example agreement allows 100,000 km²; a 200 km radius is ~125,700 km².
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=20.0), vol(lon=30.0, radius_m=200_000)]))
    assert error.code == "invalid_input" and error.field == "volumes.1.footprint" and "km²" in error.message


def test_a_polygon_over_the_area_limit_is_refused(system, vol, unchanged):
    big = Volume4D(
        footprint=Polygon(vertices=((0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0))),  # ~197,000 km²
        altitude=AltitudeBand(lower_m=0, upper_m=100),
        time=vol().time,
    )
    assert refused(lambda: system.file_notice("blue", "pact", [big])).field == "volumes.0.footprint"


def test_too_many_volumes_are_refused(system, clock, store, vol, db_path):
    from factories import example_agreement

    system.add_agreement(example_agreement(id="small", max_volumes_per_notice=3))
    before = snapshot(db_path)
    error = refused(lambda: system.file_notice("blue", "small", [vol(lon=10 + i) for i in range(4)]))
    assert error.field == "volumes" and "at most 3" in error.message
    assert snapshot(db_path) == before
    assert len(system.file_notice("blue", "small", [vol(lon=10 + i) for i in range(3)]).notice.volumes) == 3


def test_a_notice_without_volumes_is_refused(system, unchanged):
    assert refused(lambda: system.file_notice("blue", "pact", [])).field == "volumes"


def test_a_volume_beyond_the_planning_horizon_is_refused(system, vol, unchanged):
    # The horizon is 7 days; this one ends 7 days and 1 hour ahead.
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=10.0), vol(lon=11.0, start_h=7 * 24, hours=1)]), BeyondHorizon)
    assert error.code == "beyond_horizon" and error.status == 422 and error.field == "volumes.1.time.end"


def test_a_volume_that_ended_in_the_past_is_refused(system, vol, clock, unchanged):
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=10.0, start_h=-3, hours=1)]))
    assert error.code == "invalid_input" and error.field == "volumes.0.time.end" and "past" in error.message


def test_a_notice_in_an_unknown_agreement_is_not_found(system, vol, unchanged):
    error = refused(lambda: system.file_notice("blue", "nowhere", [vol()]), NotFound)
    assert error.code == "not_found" and error.field == "agreement_id"


def test_a_notice_id_filed_twice_is_refused(system, vol, db_path):
    system.file_notice("blue", "pact", [vol(lon=10.0)], notice_id="op-1")
    before = snapshot(db_path)
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=11.0)], notice_id="op-1"), InvalidState)
    assert error.code == "invalid_state" and error.field == "id"
    assert snapshot(db_path) == before


def test_changing_a_notice_to_bad_volumes_changes_nothing(system, vol, db_path):
    mine = system.file_notice("blue", "pact", [vol(lon=10.0)])
    before = snapshot(db_path)
    assert refused(lambda: system.change_notice("blue", mine.notice.id, volumes=[vol(lon=10.0, radius_m=200_000)])).field == "volumes.0.footprint"
    assert refused(lambda: system.change_notice("blue", mine.notice.id, volumes=[])).field == "volumes"
    assert refused(lambda: system.change_notice("blue", mine.notice.id, volumes=[vol(start_h=200)]), BeyondHorizon).field == "volumes.0.time.end"
    assert refused(lambda: system.change_notice("blue", mine.notice.id, state="flying"), InvalidState).field == "state"
    assert snapshot(db_path) == before


def test_the_first_refusal_wins_and_nothing_of_a_half_valid_filing_is_kept(system, vol, unchanged):
    # A good volume before a bad one: the whole notice is refused, not its good part kept.
    refused(lambda: system.file_notice("blue", "pact", [vol(lon=10.0), vol(lon=10.0, start_h=-5)]))
