"""Notices: lead time, states, versions, ownership, what others may see, the conflict policy, and the
events and audit entries written with each change (in the same transaction)."""

from __future__ import annotations

import json

import pytest

from deconfliction import NoticePrivate
from deconfliction.rules import audit as audit_module
from deconfliction.errors import ConflictRefused, Forbidden, InvalidState, NotFound, TooLate, VersionMismatch

from factories import count, example_agreement, snapshot

MINIMISED_FIELDS = {"id", "party_id", "volumes", "state", "version", "filed_at", "lead_time_s"}


# Lead time ------------------------------------------------------------------------------------------


def test_a_notice_given_in_time_records_its_lead_time(system, vol):
    filing = system.file_notice("blue", "pact", [vol(start_h=2), vol(lon=2.4, start_h=1)])
    assert filing.notice.lead_time_s == 3600.0  # from the earliest volume
    assert filing.late is False and filing.notice.late is False


def test_a_late_notice_is_refused_when_the_agreement_rejects_late_notices(system, vol, db_path):
    before = snapshot(db_path)
    with pytest.raises(TooLate) as caught:
        system.file_notice("blue", "pact", [vol(start_h=0.1)])  # 6 min of the 10 required
    error = caught.value
    assert error.code == "too_late" and error.status == 422 and error.field == "volumes"
    assert error.details["lead_time_s"] == pytest.approx(360.0) and error.details["min_lead_time_s"] == 600.0
    assert snapshot(db_path) == before


def test_a_notice_exactly_at_the_minimum_lead_time_is_in_time(system, vol):
    assert system.file_notice("blue", "pact", [vol(start_h=600 / 3600)]).late is False


def test_a_late_notice_is_accepted_and_flagged_when_the_agreement_flags_them(system, vol):
    system.add_agreement(example_agreement(id="lenient", late_notices="flag"))
    filing = system.file_notice("blue", "lenient", [vol(start_h=0.05)])
    assert filing.late is True and filing.notice.late is True
    assert filing.notice.lead_time_s == pytest.approx(180.0)
    assert system.notice("blue", filing.notice.id).late is True


def test_claiming_new_airspace_late_is_refused_but_shrinking_late_is_fine(system, vol, clock):
    mine = system.file_notice("blue", "pact", [vol(radius_m=1000, start_h=1, hours=2)])
    clock.advance(minutes=55)  # now 5 minutes before the start
    smaller = system.change_notice("blue", mine.notice.id, volumes=[vol(radius_m=500, start_h=0.1, hours=1)])
    assert smaller.late is False and smaller.notice.lead_time_s == 3600.0
    with pytest.raises(TooLate):
        system.change_notice("blue", mine.notice.id, volumes=[vol(radius_m=2000, start_h=0.1, hours=1)])


# States and versions ------------------------------------------------------------------------------------


def test_planned_active_ended_with_a_new_version_at_every_write(system, vol):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    changed = system.change_notice("blue", filed.id, volumes=[vol(radius_m=400)]).notice
    active = system.activate_notice("blue", filed.id).notice
    ended = system.end_notice("blue", filed.id).notice
    assert [filed.state, changed.state, active.state, ended.state] == ["planned", "planned", "active", "ended"]
    versions = [filed.version, changed.version, active.version, ended.version]
    assert len(set(versions)) == 4
    assert system.notice("blue", filed.id).version == ended.version


def test_a_private_remark_change_is_a_write_with_a_new_version(system, vol):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    again = system.change_notice("blue", filed.id, private=NoticePrivate(remarks="two ships")).notice
    assert again.version != filed.version and again.private.remarks == "two ships"


@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], "ended_then_active"),
        (["cancelled"], "active"),
        (["cancelled"], "planned"),
        (["active", "ended"], "active"),
        (["active"], "planned"),
        (["ended"], "cancelled"),
    ],
)
def test_illegal_state_changes_are_refused(system, vol, db_path, path, illegal):
    notice = system.file_notice("blue", "pact", [vol()]).notice
    if illegal == "ended_then_active":
        notice = system.end_notice("blue", notice.id).notice
        illegal = "active"
    for state in path:
        notice = system.change_notice("blue", notice.id, state=state).notice
    before = snapshot(db_path)
    with pytest.raises(InvalidState) as caught:
        system.change_notice("blue", notice.id, state=illegal)
    assert caught.value.code == "invalid_state" and caught.value.status == 409
    assert snapshot(db_path) == before


def test_a_cancelled_notice_can_no_longer_change_its_volumes(system, vol):
    notice = system.cancel_notice("blue", system.file_notice("blue", "pact", [vol()]).notice.id).notice
    assert notice.state == "cancelled"
    with pytest.raises(InvalidState):
        system.change_notice("blue", notice.id, volumes=[vol(lon=3.0)])


def test_a_change_from_an_outdated_version_is_refused(system, vol, db_path):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    current = system.change_notice("blue", filed.id, volumes=[vol(radius_m=400)], version=filed.version).notice
    before = snapshot(db_path)
    with pytest.raises(VersionMismatch) as caught:
        system.change_notice("blue", filed.id, volumes=[vol(radius_m=300)], version=filed.version)
    assert caught.value.code == "version_mismatch" and caught.value.details["current_version"] == current.version
    with pytest.raises(VersionMismatch):
        system.cancel_notice("blue", filed.id, version=filed.version)
    assert snapshot(db_path) == before
    assert system.cancel_notice("blue", filed.id, version=current.version).notice.state == "cancelled"


# Ownership and visibility ---------------------------------------------------------------------------------


def test_only_the_owner_may_change_a_notice(system, vol, db_path):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    before = snapshot(db_path)
    for call in (
        lambda: system.change_notice("red", filed.id, volumes=[vol(lon=3.0)]),
        lambda: system.cancel_notice("red", filed.id),
        lambda: system.activate_notice("green", filed.id),
    ):
        with pytest.raises(Forbidden) as caught:
            call()
        assert caught.value.code == "forbidden" and caught.value.status == 403
    assert snapshot(db_path) == before


def test_non_members_see_nothing_of_an_agreement(system, vol, db_path):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    before = snapshot(db_path)
    for call in (
        lambda: system.notice("yellow", filed.id),
        lambda: system.change_notice("yellow", filed.id, state="cancelled"),
        lambda: system.notices("yellow", agreement_id="pact"),
        lambda: system.file_notice("yellow", "pact", [vol(lon=3.0)]),
        lambda: system.check("yellow", "pact", [vol()]),
        lambda: system.conflicts("yellow", notice_id=filed.id),
    ):
        with pytest.raises(NotFound):
            call()
    # Not found, exactly as for a notice that does not exist: nothing tells them it does.
    with pytest.raises(NotFound) as missing:
        system.notice("yellow", "no-such-notice")
    assert missing.value.code == "not_found"
    assert system.notices("yellow") == []
    assert snapshot(db_path) == before


def test_others_see_a_notice_minimised_and_the_owner_sees_all_of_it(system, vol):
    filed = system.file_notice("blue", "pact", [vol()], private=NoticePrivate(reference="op-kestrel", remarks="two tankers")).notice
    theirs = system.notice("red", filed.id).seen_by("red")
    assert set(theirs) == MINIMISED_FIELDS
    assert "op-kestrel" not in json.dumps(theirs) and "two tankers" not in json.dumps(theirs)
    mine = system.notice("blue", filed.id).seen_by("blue")
    assert mine["private"] == {"reference": "op-kestrel", "remarks": "two tankers"}
    assert mine["agreement_id"] == "pact" and mine["late"] is False


def test_events_and_the_audit_never_carry_private_fields(system, vol):
    filed = system.file_notice("blue", "pact", [vol()], private=NoticePrivate(reference="op-kestrel", remarks="two tankers")).notice
    system.change_notice("blue", filed.id, volumes=[vol(radius_m=400)])
    events = system.events("red") + system.events("green")
    assert [e.kind for e in system.events("red")] == ["notice.filed", "notice.changed"]
    for event in events:
        assert set(event.payload["notice"]) == MINIMISED_FIELDS
    text = json.dumps([e.payload for e in events]) + json.dumps([e.payload for e in system.audit_entries()], default=str)
    assert "op-kestrel" not in text and "two tankers" not in text


# Conflict policy --------------------------------------------------------------------------------------------


def test_under_the_reject_policy_a_conflicting_notice_is_refused_even_with_the_key(system, vol, db_path):
    system.add_agreement(example_agreement(id="strict", conflict_policy="reject"))
    earlier = system.file_notice("red", "strict", [vol()]).notice
    before = snapshot(db_path)
    with pytest.raises(ConflictRefused) as caught:
        system.file_notice("blue", "strict", [vol(lon=2.352)], key=[earlier.version])
    error = caught.value
    assert error.code == "conflict_refused" and error.status == 409
    assert [n["id"] for n in error.details["conflicting"]] == [earlier.id]
    assert set(error.details["conflicting"][0]) == MINIMISED_FIELDS
    assert snapshot(db_path) == before
    assert system.file_notice("blue", "strict", [vol(lon=3.0)]).conflicts == []


def test_under_the_reject_policy_a_change_into_a_conflict_is_refused(system, vol, db_path):
    system.add_agreement(example_agreement(id="strict", conflict_policy="reject"))
    earlier = system.file_notice("red", "strict", [vol()]).notice
    mine = system.file_notice("blue", "strict", [vol(lon=3.0)]).notice
    before = snapshot(db_path)
    with pytest.raises(ConflictRefused):
        system.change_notice("blue", mine.id, volumes=[vol(lon=2.352)], key=[earlier.version])
    assert snapshot(db_path) == before


# Events and audit in the same transaction ---------------------------------------------------------------------


def test_a_filing_writes_its_notice_events_and_audit_entry_together(system, vol, db_path):
    events, audits = count(db_path, "events"), count(db_path, "audit")
    filed = system.file_notice("blue", "pact", [vol()]).notice
    assert count(db_path, "events") == events + 2  # red and green hear of it
    assert count(db_path, "audit") == audits + 1
    (entry,) = [e for e in system.audit_entries() if e.subject == filed.id]
    assert entry.action == "notice.filed" and entry.payload["version"] == filed.version


def test_a_failure_after_the_notice_is_written_leaves_no_notice_and_no_event(system, vol, db_path, monkeypatch):
    # Break the last step of a filing (the audit entry, written after the notice and with its events):
    # the whole transaction rolls back, so no event announces a notice that does not exist.
    before = snapshot(db_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(audit_module, "record", broken)
    with pytest.raises(RuntimeError):
        system.file_notice("blue", "pact", [vol()])
    assert snapshot(db_path) == before


def test_a_refused_filing_writes_no_event(system, vol, db_path):
    from deconfliction.errors import MissingKey

    system.file_notice("red", "pact", [vol()])
    heard = {party: len(system.events(party)) for party in ("blue", "red", "green")}
    assert heard == {"blue": 1, "red": 0, "green": 1}
    with pytest.raises(MissingKey):
        system.file_notice("blue", "pact", [vol(lon=2.351)], key=[])
    assert {party: len(system.events(party)) for party in ("blue", "red", "green")} == heard


def test_cancelling_tells_the_others_and_withdraws_what_they_owe(system, vol):
    filed = system.file_notice("blue", "pact", [vol()]).notice
    assert [d.state for d in system.deadlines("red", subject_id=filed.id)] == ["pending"]
    system.cancel_notice("blue", filed.id)
    assert [e.kind for e in system.events("red")] == ["notice.filed", "notice.cancelled"]
    assert [d.state for d in system.deadlines("red", subject_id=filed.id)] == ["withdrawn"]
