"""The hotline: messages between co-parties, acknowledged or escalated again and again, and line tests.

Time is a FixedClock moved by hand: escalation intervals of minutes pass in microseconds.
"""

from __future__ import annotations

import pytest

from deconfliction.rules import audit
from deconfliction.errors import DeconflictionError
from deconfliction.models import MessageRefs

from builders import circle, make_system


def kinds(system, party):
    return [e.kind for e in system.events(party, limit=1000)]


def test_a_message_to_all_reaches_every_co_party_and_each_owes_an_acknowledgment(tmp_path):
    system, clock = make_system(tmp_path)
    sent = system.send_message("blue", "pact", kind="info", text="Exercise starts at 14:00Z")
    assert sent.to == ["red", "green"] and sent.sender == "blue" and sent.thread_id == sent.id
    assert {a.party_id: a.state for a in sent.acknowledgments} == {"red": "pending", "green": "pending"}
    for party in ("red", "green"):
        (item,) = system.inbox(party)
        assert item.message.id == sent.id and item.deadline.state == "pending"
        assert (item.deadline.due_at - clock.now).total_seconds() == 900  # hotline_ack_deadline_s
        assert kinds(system, party)[-1] == "hotline.message"
    assert system.inbox("blue") == []


def test_an_alert_has_the_agreements_short_deadline(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60)
    sent = system.send_message("blue", "pact", kind="alert", text="Climbing through FL100 now", to=["red"])
    assert sent.to == ["red"]
    (item,) = system.inbox("red")
    assert (item.deadline.due_at - clock.now).total_seconds() == 60
    assert system.inbox("green") == []


def test_acknowledging_tells_the_sender_and_is_idempotent(tmp_path):
    system, clock = make_system(tmp_path)
    sent = system.send_message("blue", "pact", kind="query", text="Is your tanker track active?", to=["red"])
    clock.advance(seconds=30)
    done = system.acknowledge_message("red", sent.id)
    assert done.state == "acknowledged" and done.acknowledged_at == clock.now
    assert kinds(system, "blue")[-1] == "hotline.acknowledged"
    events_before = len(system.events("blue"))
    again = system.acknowledge_message("red", sent.id)
    assert again == done and len(system.events("blue")) == events_before
    assert system.message("blue", sent.id).acknowledgments[0].state == "acknowledged"


def test_only_a_recipient_acknowledges_and_others_cannot_see_the_message(tmp_path):
    system, clock = make_system(tmp_path)
    sent = system.send_message("blue", "pact", kind="info", text="private to red", to=["red"])
    with pytest.raises(DeconflictionError) as sender:
        system.acknowledge_message("blue", sent.id)
    assert sender.value.code == "forbidden"
    for outsider in ("green", "nobody"):
        with pytest.raises(DeconflictionError) as hidden:
            system.acknowledge_message(outsider, sent.id)
        assert hidden.value.code == "not_found"
        with pytest.raises(DeconflictionError):
            system.message(outsider, sent.id)
    assert all(e.kind != "hotline.message" for e in system.events("green"))


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(kind="gossip"), "kind"),
        (dict(text="   "), "text"),
        (dict(text="x" * 4001), "text"),
        (dict(to=["blue"]), "to"),
        (dict(to=["mallory"]), "to"),
        (dict(to=[]), "to"),
        (dict(refs=MessageRefs(notices=["no-such-notice"])), "refs.notices[0]"),
        (dict(refs=MessageRefs(conflicts=["no-such-conflict"])), "refs.conflicts[0]"),
        (dict(refs=MessageRefs(aircraft=[""])), "refs.aircraft[0]"),
        (dict(in_reply_to="no-such-message"), "in_reply_to"),
    ],
)
def test_bad_messages_are_refused_naming_the_field_and_change_nothing(tmp_path, change, field):
    system, clock = make_system(tmp_path)
    before = (system.last_event_seq(), len(system.audit_entries()))
    message = dict(kind="info", text="hello", to=None) | change
    with pytest.raises(DeconflictionError) as refused:
        system.send_message("blue", "pact", **message)
    assert refused.value.field == field
    assert (system.last_event_seq(), len(system.audit_entries())) == before
    assert system.inbox("red") == [] and system.inbox("green") == []


def test_a_party_outside_the_agreement_cannot_send(tmp_path):
    system, clock = make_system(tmp_path)
    with pytest.raises(DeconflictionError) as refused:
        system.send_message("mallory", "pact", kind="info", text="hi")
    assert refused.value.code == "not_found" and refused.value.field == "agreement_id"


def test_messages_refer_to_notices_conflicts_and_aircraft(tmp_path):
    system, clock = make_system(tmp_path)
    mine = system.file_notice("blue", "pact", [circle(clock)])
    theirs = system.file_notice("red", "pact", [circle(clock)], key=[mine.notice.version])
    (conflict,) = theirs.conflicts
    refs = MessageRefs(notices=[mine.notice.id], conflicts=[conflict.id], aircraft=["RCH123", "ae1234"])
    sent = system.send_message("blue", "pact", kind="notice", text="See conflict", to=["red"], refs=refs)
    assert system.inbox("red")[0].message.refs == refs
    # green is not a side of the conflict, so it cannot point at it.
    with pytest.raises(DeconflictionError) as refused:
        system.send_message("green", "pact", kind="query", text="?", refs=MessageRefs(conflicts=[conflict.id]))
    assert refused.value.field == "refs.conflicts[0]"
    assert sent.refs.aircraft == ["RCH123", "ae1234"]


def test_a_reply_joins_the_thread_and_goes_back_to_the_others_on_it(tmp_path):
    system, clock = make_system(tmp_path)
    question = system.send_message("blue", "pact", kind="query", text="Who is at FL200 over the lake?", to=["red"])
    clock.advance(seconds=5)
    answer = system.send_message("red", "pact", kind="info", text="Ours, leaving in 10 min", in_reply_to=question.id)
    assert answer.to == ["blue"] and answer.thread_id == question.id
    assert [m.id for m in system.thread("blue", answer.id)] == [question.id, answer.id]
    assert [m.id for m in system.thread("red", question.id)] == [question.id, answer.id]
    with pytest.raises(DeconflictionError):
        system.thread("green", question.id)


def test_an_unacknowledged_message_escalates_at_the_deadline_and_again_every_interval(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_escalation_interval_s=120, escalation_contacts=["green"])
    sent = system.send_message("blue", "pact", kind="alert", text="Traffic at your 12 o'clock", to=["red"])
    clock.advance(seconds=59)
    assert system.tick().overdue == []

    clock.advance(seconds=1)
    (late,) = system.tick().overdue
    assert late.state == "overdue" and late.escalations == 1
    assert (late.next_escalation_at - clock.now).total_seconds() == 120
    assert kinds(system, "red")[-2:] == ["ack.overdue", "hotline.message"]  # told, and the message delivered again
    assert "hotline.escalated" in kinds(system, "blue") and "hotline.escalated" in kinds(system, "green")
    assert system.inbox("red")[0].deadline.state == "overdue"

    clock.advance(seconds=119)
    assert system.tick().overdue == []
    clock.advance(seconds=1)
    (again,) = system.tick().overdue
    assert again.escalations == 2
    redelivered = [e for e in system.events("red", limit=1000) if e.kind == "hotline.message"]
    assert [e.payload["escalation"] for e in redelivered] == [0, 1, 2]
    assert kinds(system, "red").count("ack.overdue") == 1  # the first escalation only

    clock.advance(seconds=10)
    done = system.acknowledge_message("red", sent.id)
    assert done.state == "acknowledged" and done.escalations == 2 and done.next_escalation_at is None
    clock.advance(hours=1)
    assert system.tick().overdue == []
    assert system.message("blue", sent.id).acknowledgments[0].acknowledged_at == done.acknowledged_at


def test_escalation_after_a_long_outage_happens_once_not_once_per_missed_interval(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_escalation_interval_s=60)
    system.send_message("blue", "pact", kind="alert", text="!", to=["red"])
    clock.advance(hours=3)
    assert len(system.tick().overdue) == 1
    assert system.tick().overdue == []


def test_the_inbox_puts_overdue_first_then_pending_by_due_time_then_the_rest(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_ack_deadline_s=900)
    info = system.send_message("blue", "pact", kind="info", text="info", to=["red"])
    clock.advance(seconds=1)
    alert = system.send_message("blue", "pact", kind="alert", text="alert", to=["red"])
    clock.advance(seconds=1)
    answered = system.send_message("blue", "pact", kind="query", text="query", to=["red"])
    system.acknowledge_message("red", answered.id)
    old_alert = alert
    clock.advance(seconds=70)
    system.tick()  # the alert is now overdue
    newer_alert = system.send_message("blue", "pact", kind="alert", text="second alert", to=["red"])
    order = [item.message.id for item in system.inbox("red")]
    assert order == [old_alert.id, newer_alert.id, info.id, answered.id]
    assert [i.message.id for i in system.inbox("red", state="overdue")] == [old_alert.id]


def test_line_tests_go_to_every_party_each_interval_and_flag_a_silent_line(tmp_path):
    system, clock = make_system(tmp_path, line_test_interval_s=3600, alert_ack_deadline_s=60)
    (test,) = system.tick().line_tests
    assert test.sender is None and test.kind == "test" and set(test.to) == {"blue", "red", "green"}
    assert system.tick().line_tests == []  # not again before the interval
    assert {line.state for line in system.lines("blue", "pact")} == {"unknown"}

    system.acknowledge_message("blue", test.id)
    system.acknowledge_message("red", test.id)
    clock.advance(seconds=61)
    system.tick()
    lines = {line.party_id: line.state for line in system.lines("blue", "pact")}
    assert lines == {"blue": "up", "red": "up", "green": "down"}
    for party in ("blue", "red", "green"):
        assert "hotline.line_down" in kinds(system, party)

    system.acknowledge_message("green", test.id)  # late, but the line answers again
    assert {line.state for line in system.lines("red", "pact")} == {"up"}
    assert kinds(system, "red")[-1] == "hotline.line_up"

    clock.advance(seconds=3600)
    (second,) = system.tick().line_tests
    assert second.id != test.id


def test_every_message_acknowledgment_and_escalation_is_in_the_audit_chain(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60)
    sent = system.send_message("blue", "pact", kind="alert", text="Break right", to=["red"])
    clock.advance(seconds=61)
    system.tick()
    system.acknowledge_message("red", sent.id)
    actions = [(e.actor, e.action) for e in system.audit_entries() if e.subject == sent.id]
    assert actions == [("blue", "hotline.sent"), ("system", "ack.overdue"), ("system", "hotline.escalated"), ("red", "hotline.acknowledged")]
    sent_entry = next(e for e in system.audit_entries() if e.action == "hotline.sent")
    assert sent_entry.payload["text"] == "Break right" and sent_entry.payload["to"] == ["red"]
    assert system.verify_audit().ok


def test_hotline_deadlines_count_in_what_a_party_owes(tmp_path):
    system, clock = make_system(tmp_path)
    sent = system.send_message("blue", "pact", kind="query", text="?", to=["green"])
    (owed,) = system.deadlines("green", subject_id=sent.id)
    assert owed.kind == "hotline" and owed.owner_id == "blue"


def test_the_compliance_report_counts_hotline_escalations_and_missed_line_tests(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_escalation_interval_s=60, line_test_interval_s=3600)
    start = clock.now
    test = system.tick().line_tests[0]
    system.acknowledge_message("blue", test.id)
    system.send_message("blue", "pact", kind="alert", text="!", to=["red"])
    for _ in range(3):
        clock.advance(seconds=61)
        system.tick()
    rows = {p.party_id: p for p in system.compliance("pact", start, clock.now).parties}
    assert rows["red"].hotline_escalations == 3 + 3 and rows["red"].line_tests_missed == 1  # the alert and the line test
    assert rows["green"].hotline_escalations == 3 and rows["green"].line_tests_missed == 1
    assert rows["blue"].hotline_escalations == 0 and rows["blue"].line_tests_missed == 0


def test_the_sender_sees_what_it_sent_with_each_recipients_acknowledgment(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60)
    first = system.send_message("blue", "pact", kind="info", text="first")
    clock.advance(seconds=1)
    second = system.send_message("blue", "pact", kind="alert", text="second", to=["red"])
    system.send_message("red", "pact", kind="info", text="not blue's", to=["blue"])
    system.acknowledge_message("green", first.id)
    clock.advance(seconds=61)
    system.tick()
    sent = system.sent("blue")
    assert [m.id for m in sent] == [second.id, first.id]
    assert {a.party_id: a.state for a in sent[1].acknowledgments} == {"red": "pending", "green": "acknowledged"}
    assert [(a.state, a.escalations) for a in sent[0].acknowledgments] == [("overdue", 1)]
    assert system.sent("green") == []
