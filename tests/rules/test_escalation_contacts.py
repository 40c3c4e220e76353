"""Escalation contacts (issue 15, item 1): contacts that name parties are members; a contact that is not
on a message gets a summary with a pointer (ids, who owes what since when), never the text, the
recipients or a notice's version; e-mail and tel: contacts are contact points, not party ids.

Two agreements share nothing but the store: 'pact' (blue, red, green) and 'outside' (yellow), so yellow
is a party of the store that is no member of pact — the attacker of the finding.
"""

from __future__ import annotations

import json

import pytest

from deconfliction import Agreement, Separation
from deconfliction.models.agreements import agreement_from_dict, load_toml
from deconfliction.errors import DeconflictionError, InvalidInput

from builders import circle, make_system

SECRET = "Tanker VIPER 21 holding at the north track, FL180"


def everything_told(system, party):
    return json.dumps([e.model_dump(mode="json") for e in system.events(party, limit=1000)])


def _agreement(**rules) -> Agreement:
    return Agreement(id="pact", name="Test pact", parties=["blue", "red", "green"],
                     separation=Separation(lateral_m=1852, vertical_m=150, time_buffer_s=300), **rules)


def test_an_escalation_contact_naming_a_non_member_party_is_refused_with_the_field_named():
    with pytest.raises(InvalidInput) as refused:
        agreement_from_dict({"id": "pact", "name": "P", "parties": ["blue", "red"], "separation": {"lateral_m": 1000, "vertical_m": 0},
                             "escalation_contacts": ["blue", "yellow"]})
    assert refused.value.field == "agreement.escalation_contacts.1"
    assert "yellow" in str(refused.value)


def test_a_toml_agreement_with_a_non_member_contact_is_refused():
    text = """
[agreement]
id = "pact"
name = "P"
parties = ["blue", "red"]
escalation_contacts = ["ops@example.org", "mallory"]
[agreement.separation]
lateral = "1 NM"
vertical = "500 ft"
"""
    with pytest.raises(InvalidInput) as refused:
        load_toml(text)
    assert refused.value.field == "agreement.escalation_contacts.1"


def test_email_and_tel_contacts_are_contact_points_not_party_ids():
    agreement = _agreement(escalation_contacts=["green", "ops@example.org", "mailto:desk@example.org", "tel:+1-707-555-0100"])
    assert agreement.escalation_contacts == ["green"]
    assert agreement.escalation_contact_points == ["ops@example.org", "mailto:desk@example.org", "tel:+1-707-555-0100"]


@pytest.mark.parametrize("bad", ["", "javascript:alert(1)", "tel:", "a\r\nb@example.org"])
def test_a_contact_that_is_neither_a_member_nor_a_contact_point_is_refused(bad):
    with pytest.raises(InvalidInput) as refused:
        agreement_from_dict({"id": "pact", "name": "P", "parties": ["blue"], "separation": {"lateral_m": 1000, "vertical_m": 0},
                             "escalation_contacts": [bad]})
    assert refused.value.field == "agreement.escalation_contacts.0"


def _store_with_outsider(tmp_path, contacts):
    """pact's contacts as given, written past the validation (as an older version stored them)."""
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_escalation_interval_s=60)
    system.add_agreement(Agreement(id="outside", name="Outside", parties=["yellow"], separation=Separation(lateral_m=1000, vertical_m=0)))
    stored = system.agreement("pact").model_copy(update={"escalation_contacts": contacts})
    with system.store.transaction() as tx:
        tx.put_agreement(stored, clock.now)
    return system, clock


def test_a_non_member_named_as_contact_in_an_old_store_hears_nothing_of_the_agreement(tmp_path):
    system, clock = _store_with_outsider(tmp_path, ["yellow"])
    filed = system.file_notice("blue", "pact", [circle(clock)])
    system.send_message("blue", "pact", kind="alert", text=SECRET, to=["red"])
    clock.advance(minutes=20)
    system.tick()
    clock.advance(minutes=2)
    system.tick()
    told = everything_told(system, "yellow")
    assert SECRET not in told and filed.notice.id not in told and "pact" not in told
    assert system.events("yellow") == []


def test_a_member_contact_not_on_the_message_gets_a_summary_without_the_text(tmp_path):
    system, clock = make_system(tmp_path, alert_ack_deadline_s=60, hotline_escalation_interval_s=60, escalation_contacts=["green"])
    sent = system.send_message("blue", "pact", kind="alert", text=SECRET, to=["red"])
    clock.advance(seconds=60)
    system.tick()
    told = everything_told(system, "green")
    assert SECRET not in told and '"to"' not in told
    (escalated,) = [e for e in system.events("green") if e.kind == "hotline.escalated"]
    summary = escalated.payload
    assert summary["summary"] is True
    assert summary["message_id"] == sent.id and summary["agreement_id"] == "pact"  # the pointer
    assert summary["party_id"] == "red" and summary["escalation"] == 1
    assert "message" not in summary
    # What the sender gets is the whole message (it wrote it).
    (to_sender,) = [e for e in system.events("blue") if e.kind == "hotline.escalated"]
    assert to_sender.payload["message"]["text"] == SECRET


def test_a_member_contact_gets_an_overdue_summary_without_the_notice_version(tmp_path):
    agreement = _agreement(escalation_contacts=["green"], notice_ack_deadline_s=60, min_lead_time_s=0)
    system, clock = make_system(tmp_path)
    system.add_agreement(agreement)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    system.acknowledge_notice("green", filed.notice.id)
    clock.advance(minutes=2)
    system.tick()
    overdue = [e.payload for e in system.events("green") if e.kind == "ack.overdue"]
    assert overdue and all(p["summary"] is True for p in overdue)
    assert {p["subject_id"] for p in overdue} == {filed.notice.id}
    assert filed.notice.version not in json.dumps(overdue)
    assert all("deadline" not in p for p in overdue)
    # The owner and the debtor still get the whole deadline.
    (to_owner,) = [e.payload for e in system.events("blue") if e.kind == "ack.overdue"]
    assert to_owner["deadline"]["subject_version"] == filed.notice.version


def test_contact_points_are_listed_to_members_in_overdue_events(tmp_path):
    system, clock = make_system(tmp_path, escalation_contacts=["tel:+1-707-555-0100"])
    system.file_notice("blue", "pact", [circle(clock)])
    clock.advance(minutes=20)
    system.tick()
    (payload,) = [e.payload for e in system.events("blue") if e.kind == "ack.overdue"][:1]
    assert payload["escalation_contacts"] == [] and payload["escalation_contact_points"] == ["tel:+1-707-555-0100"]


def test_a_contact_point_given_as_such_must_be_one():
    with pytest.raises(InvalidInput) as refused:
        agreement_from_dict({"id": "pact", "name": "P", "parties": ["blue"], "separation": {"lateral_m": 1000, "vertical_m": 0},
                             "escalation_contact_points": ["tel:+1-707-555-0100", "yellow"]})
    assert refused.value.field == "agreement.escalation_contact_points.1"


def test_an_agreement_read_back_from_the_store_keeps_contacts_and_points_apart(tmp_path):
    system, _ = make_system(tmp_path, escalation_contacts=["green", "ops@example.org"])
    stored = system.agreement("pact")
    assert (stored.escalation_contacts, stored.escalation_contact_points) == (["green"], ["ops@example.org"])
