"""Acknowledgments with deadlines: who owes what, by when, and what happens when a deadline passes."""

from __future__ import annotations

import pytest

from deconfliction.errors import DeconflictionError

from builders import circle, make_system


def test_every_other_member_owes_an_acknowledgment_of_a_new_notice(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    for party in ("red", "green"):
        (owed,) = system.deadlines(party, subject_id=filed.notice.id)
        assert owed.state == "pending" and owed.owner_id == "blue"
        assert (owed.due_at - clock.now).total_seconds() == 900
    assert system.deadlines("blue", subject_id=filed.notice.id) == []


def test_acknowledging_a_notice_tells_its_owner(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    clock.advance(minutes=2)
    done = system.acknowledge_notice("red", filed.notice.id)
    assert done.state == "acknowledged" and done.acknowledged_at == clock.now
    assert [e.kind for e in system.events("blue")][-1] == "notice.acknowledged"


def test_a_party_cannot_acknowledge_its_own_notice_or_one_it_cannot_see(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    with pytest.raises(DeconflictionError) as own:
        system.acknowledge_notice("blue", filed.notice.id)
    assert own.value.code == "forbidden"
    with pytest.raises(DeconflictionError) as outsider:
        system.acknowledge_notice("nobody", filed.notice.id)
    assert outsider.value.code == "not_found"


def test_a_passed_deadline_becomes_overdue_once_and_tells_sender_and_debtor(tmp_path):
    system, clock = make_system(tmp_path, escalation_contacts=["green", "ops@example.org"])
    filed = system.file_notice("blue", "pact", [circle(clock)])
    system.acknowledge_notice("green", filed.notice.id)
    clock.advance(minutes=14)
    assert system.tick().overdue == []
    clock.advance(minutes=2)
    overdue = system.tick().overdue
    assert [(d.party_id, d.state) for d in overdue] == [("red", "overdue")]
    for party in ("blue", "red", "green"):  # sender, debtor, escalation contact that is a party
        kinds = [e.kind for e in system.events(party)]
        assert kinds.count("ack.overdue") == 1
    payload = system.events("blue")[-1].payload
    assert payload["escalation_contacts"] == ["green"] and payload["escalation_contact_points"] == ["ops@example.org"]
    assert system.tick().overdue == []  # not again


def test_a_late_acknowledgment_is_recorded_as_late(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    clock.advance(minutes=20)
    system.tick()
    done = system.acknowledge_notice("red", filed.notice.id)
    assert done.state == "acknowledged" and done.acknowledged_at > done.due_at


def test_conflicts_owe_acknowledgments_from_both_sides_and_clearing_withdraws_them(tmp_path):
    system, clock = make_system(tmp_path)
    first = system.file_notice("blue", "pact", [circle(clock)])
    second = system.file_notice("red", "pact", [circle(clock, lon=2.36)], key=[first.notice.version])
    conflict = second.conflicts[0]
    assert {d.party_id for d in system.deadlines("blue", subject_id=conflict.id) + system.deadlines("red", subject_id=conflict.id)} == {"blue", "red"}
    system.acknowledge_conflict("blue", conflict.id)
    assert system.deadlines("blue", subject_id=conflict.id)[0].state == "acknowledged"
    system.cancel_notice("red", second.notice.id)
    assert system.deadlines("red", subject_id=conflict.id)[0].state == "withdrawn"
    clock.advance(hours=1)
    assert all(d.subject_id != conflict.id for d in system.tick().overdue)


def test_changing_a_notice_renews_what_is_owed(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    system.acknowledge_notice("red", filed.notice.id)
    clock.advance(minutes=1)
    changed = system.change_notice("blue", filed.notice.id, version=filed.notice.version, volumes=[circle(clock, radius_m=900)])
    (owed,) = system.deadlines("red", subject_id=filed.notice.id)
    assert owed.state == "pending" and owed.subject_version == changed.notice.version


def test_notices_past_their_end_are_ended_by_time_and_their_conflicts_clear(tmp_path):
    system, clock = make_system(tmp_path)
    first = system.file_notice("blue", "pact", [circle(clock)])
    system.file_notice("red", "pact", [circle(clock, lon=2.36)], key=[first.notice.version])
    clock.advance(hours=2, minutes=1)
    ended = system.tick().ended
    assert {n.state for n in ended} == {"ended"} and len(ended) == 2
    assert system.conflicts(None) == []
    assert system.verify_audit().ok
