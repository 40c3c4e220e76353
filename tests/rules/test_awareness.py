"""Invariant 1, awareness: a party files or changes a notice only by presenting, as its key, the current
version of every other party's notice the new volumes conflict with. Otherwise: 409 missing_key with
the missing notices minimised, and nothing written."""

from __future__ import annotations

import json

import pytest

from deconfliction import NoticePrivate
from deconfliction.errors import MissingKey

from factories import snapshot

MINIMISED_FIELDS = {"id", "party_id", "volumes", "state", "version", "filed_at", "lead_time_s"}


def refused(call) -> MissingKey:
    with pytest.raises(MissingKey) as caught:
        call()
    return caught.value


def test_stale_key_is_refused_and_nothing_is_written(system, vol, db_path):
    theirs = system.file_notice("red", "pact", [vol()], private=NoticePrivate(reference="op-nightjar", remarks="tankers"))
    before = snapshot(db_path)
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=2.36)], key=[]))
    assert error.code == "missing_key" and error.status == 409 and error.field == "key"
    assert snapshot(db_path) == before  # no notice, box, conflict, event, deadline or audit entry
    (missing,) = error.details["missing"]
    assert set(missing) == MINIMISED_FIELDS
    assert missing["id"] == theirs.notice.id and missing["version"] == theirs.notice.version
    body = json.dumps(error.to_dict())
    assert "op-nightjar" not in body and "tankers" not in body and "agreement_id" not in body


def test_a_key_with_an_outdated_version_is_refused_with_the_current_one(system, vol, db_path):
    theirs = system.file_notice("red", "pact", [vol()])
    seen = theirs.notice.version
    moved = system.change_notice("red", theirs.notice.id, volumes=[vol(lon=2.351)])
    before = snapshot(db_path)
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=2.352)], key=[seen]))
    assert [m["version"] for m in error.details["missing"]] == [moved.notice.version]
    assert snapshot(db_path) == before


def test_the_current_key_is_accepted_and_the_conflict_opens(system, vol):
    theirs = system.file_notice("red", "pact", [vol()])
    mine = system.file_notice("blue", "pact", [vol(lon=2.352)], key=[theirs.notice.version])
    assert [c.state for c in mine.conflicts] == ["open"]
    assert {mine.conflicts[0].notice_a, mine.conflicts[0].notice_b} == {theirs.notice.id, mine.notice.id}


def test_only_the_missing_notices_are_listed(system, vol):
    red = system.file_notice("red", "pact", [vol()])
    green = system.file_notice("green", "pact", [vol(lon=2.351)], key=[red.notice.version])
    error = refused(lambda: system.file_notice("blue", "pact", [vol(lon=2.352)], key=[red.notice.version]))
    assert [m["id"] for m in error.details["missing"]] == [green.notice.id]
    accepted = system.file_notice("blue", "pact", [vol(lon=2.352)], key=[red.notice.version, green.notice.version])
    assert len(accepted.conflicts) == 2


def test_a_notice_that_conflicts_with_nothing_needs_no_key(system, vol):
    system.file_notice("red", "pact", [vol()])
    assert system.file_notice("blue", "pact", [vol(lon=3.0)]).conflicts == []
    assert system.file_notice("blue", "pact", [vol(start_h=5)]).conflicts == []  # later, same place


def test_a_partys_own_notices_need_no_key(system, vol):
    system.file_notice("red", "pact", [vol()])
    assert system.file_notice("red", "pact", [vol(lon=2.351)]).conflicts == []


def test_notices_of_other_agreements_need_no_key(system, vol):
    system.file_notice("yellow", "other", [vol()])
    assert system.file_notice("blue", "pact", [vol()]).conflicts == []


def test_changing_a_notice_into_a_conflicting_position_needs_the_key(system, vol, db_path):
    theirs = system.file_notice("red", "pact", [vol()])
    mine = system.file_notice("blue", "pact", [vol(lon=3.0)])
    before = snapshot(db_path)
    error = refused(lambda: system.change_notice("blue", mine.notice.id, volumes=[vol(lon=2.352)]))
    assert [m["id"] for m in error.details["missing"]] == [theirs.notice.id]
    assert snapshot(db_path) == before
    assert system.notice("blue", mine.notice.id).version == mine.notice.version
    moved = system.change_notice("blue", mine.notice.id, volumes=[vol(lon=2.352)], key=[theirs.notice.version])
    assert len(moved.conflicts) == 1


def test_a_change_in_time_into_a_conflict_needs_the_key(system, vol):
    theirs = system.file_notice("red", "pact", [vol(start_h=1)])
    mine = system.file_notice("blue", "pact", [vol(start_h=5)])
    refused(lambda: system.change_notice("blue", mine.notice.id, volumes=[vol(start_h=1.5)]))
    assert system.change_notice("blue", mine.notice.id, volumes=[vol(start_h=1.5)], key=[theirs.notice.version]).conflicts


def test_a_state_change_alone_needs_no_key(system, vol):
    theirs = system.file_notice("red", "pact", [vol()])
    mine = system.file_notice("blue", "pact", [vol(lon=2.352)], key=[theirs.notice.version])
    # Red changes its notice, so blue's view is stale, but activating or ending claims nothing new.
    system.change_notice("red", theirs.notice.id, volumes=[vol(lon=2.351)], key=[mine.notice.version])
    assert system.activate_notice("blue", mine.notice.id).notice.state == "active"
    assert system.end_notice("blue", mine.notice.id).notice.state == "ended"


def test_check_shows_what_the_key_must_hold(system, vol, db_path):
    theirs = system.file_notice("red", "pact", [vol()])
    before = snapshot(db_path)
    findings = system.check("blue", "pact", [vol(lon=2.352)])
    assert snapshot(db_path) == before  # check writes nothing
    key = [f.notice.version for f in findings]
    assert key == [theirs.notice.version]
    assert system.file_notice("blue", "pact", [vol(lon=2.352)], key=key).conflicts
