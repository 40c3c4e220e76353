"""A conflict's events name its audit entry instead of carrying its body (store/event_bodies.py), on
both backends: the stored row is short, every way of reading the feed gets the body back as it was
told at that moment, and events written before the change (body inline) read back unchanged."""

from __future__ import annotations

import json

from deconfliction import Deconfliction
from deconfliction.store import event_bodies, run_in_transaction
from deconfliction.transparency.canonical import dumps

from factories import FixedClock, circle_volume, example_agreement


def _filed_pair(store):
    clock = FixedClock()
    system = Deconfliction(store, clock=clock)
    system.add_agreement(example_agreement(min_lead_time_s=0))
    system.add_endpoint("red", "https://red.example/hook", kinds=["conflict."])
    system.file_notice("red", "pact", [circle_volume(clock.now)])
    mine = [circle_volume(clock.now, lon=2.351)]
    filing = system.file_notice("blue", "pact", mine, key=[f.notice.version for f in system.check("blue", "pact", mine)])
    return system, clock, filing


def test_a_conflicts_events_carry_its_body_as_told_though_the_row_only_names_it(any_store):
    system, clock, filing = _filed_pair(any_store)
    opened = filing.conflicts[0]
    clock.advance(seconds=5)
    system.acknowledge_conflict("red", opened.id)  # the conflict's row moves on; what was told does not
    entries = {e.action: e for e in system.audit_entries() if e.subject == opened.id}
    for party in ("blue", "red"):
        told = [e for e in system.events(party) if e.kind == "conflict.opened"]
        assert [e.payload for e in told] == [{"conflict": opened.model_dump(mode="json")}]
        assert told[0].payload["conflict"] == entries["conflict.opened"].payload
        assert told[0].payload["conflict"]["acknowledged_a"] is None and told[0].payload["conflict"]["acknowledged_b"] is None

    rows = run_in_transaction(any_store, lambda tx: tx._all("SELECT payload FROM events WHERE kind = 'conflict.opened'"))
    assert len(rows) == 2
    for (text,) in rows:  # the body is stored once, in the audit entry: the events name it
        assert "lateral_m" not in text and opened.id in text and str(entries["conflict.opened"].seq) in text

    # A webhook reads its event one by one (get_event): the same body.
    (delivery,) = [d for d in system.deliveries("red") if d.event_seq in {e.seq for e in system.events("red")}]
    event = run_in_transaction(any_store, lambda tx: tx.get_event(delivery.event_seq))
    assert event.kind == "conflict.opened" and event.payload == {"conflict": opened.model_dump(mode="json")}


def test_a_cleared_conflicts_events_tell_each_state_in_turn(any_store):
    system, clock, filing = _filed_pair(any_store)
    clock.advance(seconds=5)
    system.cancel_notice("blue", filing.notice.id)
    kinds = [(e.kind, e.payload["conflict"]["state"]) for e in system.events("red") if e.kind.startswith("conflict.")]
    assert kinds == [("conflict.opened", "open"), ("conflict.cleared", "cleared")]
    cleared = [e.payload["conflict"] for e in system.events("blue") if e.kind == "conflict.cleared"]
    stored = run_in_transaction(any_store, lambda tx: tx.get_conflict(filing.conflicts[0].id))
    assert stored.state == "cleared" and cleared == [stored.model_dump(mode="json")]


def test_events_written_with_their_body_inline_read_back_unchanged(any_store):
    system, clock, filing = _filed_pair(any_store)
    body = filing.conflicts[0].model_dump(mode="json")
    # As every store wrote a conflict's event before its events named the audit entry:
    seq = run_in_transaction(any_store, lambda tx: tx.append_events([("green", "conflict.opened", {"conflict": body})], clock.now)[0])
    (old,) = [e for e in system.events("green") if e.seq == seq]
    assert old.payload == {"conflict": body}
    assert run_in_transaction(any_store, lambda tx: tx.get_event(seq)).payload == {"conflict": body}


def test_a_reference_is_written_as_its_value_encodes_whatever_the_names_hold():
    # Versions may be a caller's (F3548 OVNs): quotes, backslashes, non-ASCII are escaped as the canonical encoder does.
    payload = event_bodies.naming("conflict", 42, id="c-1", version_a='a"b\\c', version_b="é☃\u2028")
    assert payload.text == dumps(payload.value)
    assert payload.value == {"conflict": {"$audit": 42, "id": "c-1", "version_a": 'a"b\\c', "version_b": "é☃\u2028"}}
    assert list(event_bodies.references(json.loads(payload.text))) == [("conflict", 42)]
