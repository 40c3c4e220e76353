"""Invariant 3 at the library level: what one party gets back of another party's notice."""

from __future__ import annotations

from builders import circle, make_system

from deconfliction import NoticePrivate


def test_library_callers_get_other_parties_notices_without_private_fields(tmp_path):
    system, clock = make_system(tmp_path, min_lead_time_s=7200, late_notices="flag")
    filed = system.file_notice("blue", "pact", [circle(clock)], private=NoticePrivate(reference="REF-1", remarks="secret"))
    assert filed.late
    own = system.notice("blue", filed.notice.id)
    assert own.private.reference == "REF-1" and own.late
    theirs = system.notice("red", filed.notice.id)
    assert theirs.private == NoticePrivate() and not theirs.late
    (listed,) = system.notices("red")
    assert listed.private == NoticePrivate()
    (finding,) = system.check("red", "pact", [circle(clock, lon=2.351)])
    assert finding.notice.private == NoticePrivate()
    assert set(theirs.seen_by("red")) == {"id", "party_id", "volumes", "state", "version", "filed_at", "lead_time_s"}
