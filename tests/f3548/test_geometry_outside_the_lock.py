"""Invariant 5 on the F3548 interface: an intent write's geometry (the key's intersections, the
conflicts, the constraints, the subscriptions to notify) runs against a snapshot before the write
transaction (f3548/prechecked.py), so another USS's write never waits on it. Real threads, a real
SQLite file, real HTTP requests through the app; the slow geometry waits until the test releases it,
so the test is about who waits for whom, not about timings."""

from __future__ import annotations

import pytest


from held_geometry import hold_geometry, in_thread

from .conftest import new_id, square

SLOW_LNG = 7.3  # a polygon of the intent whose every check is slow has its centre at this longitude
SLOW_HALF_DEG = 0.01


def _is_slow(footprint) -> bool:
    return any(abs(lon - (SLOW_LNG - SLOW_HALF_DEG)) < 1e-9 for lon, _ in getattr(footprint, "vertices", ()))


@pytest.fixture
def slow_geometry(monkeypatch):
    return hold_geometry(monkeypatch, _is_slow)


def _ovn(response) -> str:
    assert response.status_code in (200, 201), response.text
    return response.json()["operational_intent_reference"]["ovn"]


def test_a_slow_intent_write_does_not_hold_another_ussss_write(uss_factory, clock, slow_geometry):
    entered, release = slow_geometry
    uss1, uss2, uss3 = uss_factory("uss1"), uss_factory("uss2"), uss_factory("uss3")
    there = _ovn(uss2.put_intent(new_id(), [square(clock.now, lng=SLOW_LNG + 0.005)]))  # overlaps the slow square
    uss3.call("GET", f"/operational_intent_references/{new_id()}")  # enrolled before the race (a write of its own)
    slow, slow_outcome = in_thread(lambda: uss1.put_intent(new_id(), [square(clock.now, lng=SLOW_LNG, half_deg=SLOW_HALF_DEG)], key=[there]))
    assert entered.wait(30)  # uss1's put is inside its geometry now
    other, other_outcome = in_thread(lambda: uss3.put_intent(new_id(), [square(clock.now, lng=9.0)]))
    other.join(timeout=20)
    waited, still_computing = other.is_alive(), slow.is_alive()
    release.set()
    assert not waited, "an intent write waited for another USS's geometry"
    assert still_computing
    assert other_outcome["value"].status_code == 201
    slow.join(timeout=30)
    assert slow_outcome["value"].status_code == 201, slow_outcome


def test_an_intent_moved_while_the_geometry_ran_is_checked_again_under_the_lock(uss_factory, clock, slow_geometry):
    """The snapshot saw another intent over the slow square but hours later (a candidate of the index,
    not relevant); it moved to the same hour before the slow write: the write computes that intent
    again and refuses the key, naming it. It is the writer's own intent, which F3548's key counts and
    the notices' conflicts do not, so only the interface's own check can refuse: an answer reused for
    the intent's old version would accept the key."""
    entered, release = slow_geometry
    uss1, uss3 = uss_factory("uss1"), uss_factory("uss3")
    near = _ovn(uss3.put_intent(new_id(), [square(clock.now, lng=SLOW_LNG + 0.005)]))
    moving = new_id()
    beside = SLOW_LNG - 0.018  # 150 m over uss1's square, 230 m from uss3's
    later = _ovn(uss1.put_intent(moving, [square(clock.now, lng=beside, start_min=120)]))
    slow, outcome = in_thread(lambda: uss1.put_intent(new_id(), [square(clock.now, lng=SLOW_LNG, half_deg=SLOW_HALF_DEG)], key=[near]))
    assert entered.wait(30)
    try:
        _ovn(uss1.put_intent(moving, [square(clock.now, lng=beside)], ovn=later))
    finally:
        release.set()
    slow.join(timeout=30)
    refused = outcome["value"]
    assert refused.status_code == 409, refused.text
    assert [m["id"] for m in refused.json()["missing_operational_intents"]] == [moving]
