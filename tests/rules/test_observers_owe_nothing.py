"""Observers owe nothing (issue 15, item 6): a member that only reads — named in the agreement's
`observers`, or holding only observer tokens, which may not acknowledge — is told, but owes no
acknowledgment: no deadline, no `ack.overdue` about it, no overdue count in the compliance report.
The control: the same party with a token that may acknowledge does owe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.models.agreements import agreement_from_dict
from deconfliction.errors import InvalidInput

from builders import circle, make_system


def overdue_told(system, party):
    return [e.payload for e in system.events(party, limit=1000) if e.kind == "ack.overdue"]


def owed_by(system, party):
    with system.store.transaction(write=False) as tx:
        return tx.find_deadlines(agreement_id="pact", party_id=party)


def report_row(system, clock, party):
    report = system.compliance("pact", clock.now - timedelta(days=1), clock.now + timedelta(days=1))
    return next(r for r in report.parties if r.party_id == party)


@pytest.fixture(params=["named in the agreement", "only observer tokens"])
def with_observer(request, tmp_path):
    if request.param == "named in the agreement":
        system, clock = make_system(tmp_path, observers=["green"])
    else:
        system, clock = make_system(tmp_path)
        system.issue_token("green", ["observer"])
    return system, clock


def test_an_observer_is_told_of_a_notice_but_owes_no_acknowledgment(with_observer):
    system, clock = with_observer
    filed = system.file_notice("blue", "pact", [circle(clock)])
    assert "notice.filed" in [e.kind for e in system.events("green")]
    assert owed_by(system, "green") == []
    clock.advance(minutes=20)
    system.tick()
    assert [p["deadline"]["party_id"] for p in overdue_told(system, "blue")] == ["red"]  # red owes; green does not
    assert overdue_told(system, "green") == []
    row = report_row(system, clock, "green")
    assert (row.acknowledgments_owed, row.overdue) == (0, 0)
    assert filed.notice.id


def test_an_observer_owes_nothing_on_hotline_messages_or_line_tests(tmp_path):
    system, clock = make_system(tmp_path, observers=["green"], line_test_interval_s=3600, alert_ack_deadline_s=60)
    sent = system.send_message("blue", "pact", kind="alert", text="Traffic north", to=None)
    assert {a.party_id for a in sent.acknowledgments} == {"red"}
    system.tick()  # a line test to everyone
    clock.advance(minutes=5)
    system.tick()
    assert [line.state for line in system.lines("blue", "pact") if line.party_id == "green"] != ["down"]
    assert overdue_told(system, "green") == []


def test_a_reader_that_may_acknowledge_still_owes(tmp_path):
    system, clock = make_system(tmp_path)
    system.issue_token("green", ["observer"])
    system.issue_token("green")  # may acknowledge: owes
    system.file_notice("blue", "pact", [circle(clock)])
    assert [d.party_id for d in owed_by(system, "green")] == ["green"]


def test_observers_must_be_members():
    with pytest.raises(InvalidInput) as refused:
        agreement_from_dict({"id": "pact", "name": "P", "parties": ["blue", "red"], "separation": {"lateral_m": 1000, "vertical_m": 0},
                             "observers": ["red", "yellow"]})
    assert refused.value.field == "agreement.observers"
