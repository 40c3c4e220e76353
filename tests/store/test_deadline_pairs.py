"""The two deadlines both sides of a conflict owe at once are one row (store/deadline_pairs.py), on both
backends; every reader still sees each side's own deadline, and each side's goes its own way as soon
as one acknowledges, is late, or the conflict clears or is updated."""

from __future__ import annotations

from datetime import timedelta

from deconfliction import Deconfliction
from deconfliction.store import run_in_transaction

from factories import FixedClock, circle_volume, example_agreement

DEADLINE_S = 600


def _conflict(store):
    clock = FixedClock()
    system = Deconfliction(store, clock=clock)
    system.add_agreement(example_agreement(min_lead_time_s=0, notice_ack_deadline_s=DEADLINE_S))
    system.file_notice("red", "pact", [circle_volume(clock.now)])
    mine = [circle_volume(clock.now, lon=2.351)]
    filing = system.file_notice("blue", "pact", mine, key=[f.notice.version for f in system.check("blue", "pact", mine)])
    (conflict,) = filing.conflicts
    return system, clock, filing, conflict


def _rows(store, subject_id: str) -> list[tuple[str, str]]:
    return run_in_transaction(store, lambda tx: tx._all("SELECT party_id, state FROM deadlines WHERE subject_id = ? ORDER BY id", (subject_id,)))


def _owed(system, conflict) -> dict[str, tuple[str, str]]:
    """Each side's deadlines on the conflict, as its owner reads them: {party: (id, state)}."""
    found = {}
    for party in ("blue", "red"):
        (deadline,) = system.deadlines(party, subject_id=conflict.id)
        found[party] = (deadline.id, deadline.state)
    return found


def _overdue(system, party: str) -> list[str]:
    """Who owed each conflict acknowledgment that `party` heard was overdue."""
    return [e.payload["deadline"]["party_id"] for e in system.events(party) if e.kind == "ack.overdue" and e.payload["deadline"]["kind"] == "conflict"]


def test_both_sides_deadlines_are_one_row_and_read_as_each_sides_own(any_store):
    system, clock, filing, conflict = _conflict(any_store)
    assert _rows(any_store, conflict.id) == [("*", "pending")]
    assert _owed(system, conflict) == {p: (f"conflict:{conflict.id}:{p}", "pending") for p in ("blue", "red")}
    everyone = [d for d in system.deadlines(None) if d.subject_id == conflict.id]  # every deadline, no party filter
    assert sorted(d.party_id for d in everyone) == ["blue", "red"]
    assert {d.due_at for d in everyone} == {clock.now + timedelta(seconds=DEADLINE_S)}


def test_one_side_acknowledges_and_only_the_other_goes_overdue(any_store):
    system, clock, filing, conflict = _conflict(any_store)
    clock.advance(seconds=10)
    system.acknowledge_conflict("red", conflict.id)
    assert _owed(system, conflict) == {"blue": (f"conflict:{conflict.id}:blue", "pending"), "red": (f"conflict:{conflict.id}:red", "acknowledged")}
    assert _rows(any_store, conflict.id) == [("blue", "pending"), ("red", "acknowledged")]
    clock.advance(seconds=DEADLINE_S)
    system.tick()
    assert _owed(system, conflict)["blue"][1] == "overdue" and _owed(system, conflict)["red"][1] == "acknowledged"
    assert _overdue(system, "blue") == ["blue"] and _overdue(system, "red") == []


def test_both_silent_both_go_overdue_once(any_store):
    system, clock, filing, conflict = _conflict(any_store)
    clock.advance(seconds=DEADLINE_S + 1)
    system.tick()
    system.tick()
    assert {p: s for p, (_, s) in _owed(system, conflict).items()} == {"blue": "overdue", "red": "overdue"}
    for party in ("blue", "red"):
        assert _overdue(system, party) == [party]


def test_an_updated_conflict_is_owed_again_by_both_once(any_store):
    system, clock, filing, conflict = _conflict(any_store)
    clock.advance(seconds=10)
    system.acknowledge_conflict("red", conflict.id)
    moved = [circle_volume(clock.now, lon=2.352)]
    system.change_notice("blue", filing.notice.id, volumes=moved, key=[f.notice.version for f in system.check("blue", "pact", moved)])
    assert _owed(system, conflict) == {p: (f"conflict:{conflict.id}:{p}", "pending") for p in ("blue", "red")}
    assert _rows(any_store, conflict.id) == [("*", "pending")]


def test_a_cleared_conflict_withdraws_both(any_store):
    system, clock, filing, conflict = _conflict(any_store)
    clock.advance(seconds=10)
    system.cancel_notice("blue", filing.notice.id)
    assert {p: s for p, (_, s) in _owed(system, conflict).items()} == {"blue": "withdrawn", "red": "withdrawn"}
    clock.advance(seconds=DEADLINE_S)
    system.tick()
    assert _overdue(system, "blue") == [] and _overdue(system, "red") == []
