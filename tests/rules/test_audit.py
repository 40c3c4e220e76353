"""Invariant 6: every accepted change, delivery and acknowledgment is in the chain; verify catches tampering."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction import DeconflictionError
from deconfliction.rules import audit
from deconfliction.models import AuditEntry

from builders import circle, make_system


def _busy_system(tmp_path):
    system, clock = make_system(tmp_path)
    first = system.file_notice("blue", "pact", [circle(clock)])
    second = system.file_notice("red", "pact", [circle(clock, lon=2.36)], key=[first.notice.version])
    system.acknowledge_conflict("blue", second.conflicts[0].id)
    system.acknowledge_notice("red", first.notice.id)
    system.cancel_notice("red", second.notice.id)
    return system


def test_every_accepted_change_and_acknowledgment_is_recorded(tmp_path):
    system = _busy_system(tmp_path)
    actions = [e.action for e in system.audit_entries()]
    for action in ("agreement.saved", "notice.filed", "conflict.opened", "conflict.acknowledged", "notice.acknowledged", "notice.cancelled", "conflict.cleared"):
        assert action in actions
    assert system.verify_audit().ok


def test_a_refused_filing_leaves_no_audit_entry(tmp_path):
    system, clock = make_system(tmp_path)
    system.file_notice("blue", "pact", [circle(clock)])
    before = len(system.audit_entries())
    with pytest.raises(DeconflictionError):
        system.file_notice("red", "pact", [circle(clock, lon=2.36)])  # no key
    assert len(system.audit_entries()) == before


def test_private_fields_stay_out_of_the_record(tmp_path):
    from deconfliction import NoticePrivate

    system, clock = make_system(tmp_path)
    system.file_notice("blue", "pact", [circle(clock)], private=NoticePrivate(reference="OP-SECRET", remarks="target list"))
    dumped = json.dumps([e.model_dump(mode="json") for e in system.audit_entries()])
    assert "OP-SECRET" not in dumped and "target list" not in dumped


def _db_edit(tmp_path, sql, *params):
    connection = sqlite3.connect(tmp_path / "test.db")
    connection.execute(sql, params)
    connection.commit()
    connection.close()


def test_an_edited_entry_is_named(tmp_path):
    system = _busy_system(tmp_path)
    _db_edit(tmp_path, "UPDATE audit SET payload = ? WHERE seq = 4", json.dumps({"forged": True}))
    verdict = system.verify_audit()
    assert not verdict.ok and verdict.first_bad_seq == 4 and "edited" in verdict.reason


def test_a_removed_entry_is_named(tmp_path):
    system = _busy_system(tmp_path)
    _db_edit(tmp_path, "DELETE FROM audit WHERE seq = 3")
    verdict = system.verify_audit()
    assert not verdict.ok and verdict.first_bad_seq == 4


def test_reordered_entries_are_detected(tmp_path):
    system = _busy_system(tmp_path)
    entries = system.audit_entries()
    swapped = entries[:2] + [entries[3], entries[2]] + entries[4:]
    verdict = audit.verify(swapped)
    assert not verdict.ok and verdict.first_bad_seq == entries[3].seq


def test_a_rehashed_forgery_still_breaks_the_next_link(tmp_path):
    system = _busy_system(tmp_path)
    entries = system.audit_entries()
    forged = entries[2]
    payload = {"forged": True}
    new_hash = audit.entry_hash(forged.prev_hash, forged.seq, forged.at, forged.actor, forged.action, forged.subject, payload)
    entries[2] = forged.model_copy(update={"payload": payload, "hash": new_hash})
    verdict = audit.verify(entries)
    assert not verdict.ok and verdict.first_bad_seq == entries[3].seq


def test_an_exported_log_verifies_on_its_own(tmp_path):
    system = _busy_system(tmp_path)
    path = tmp_path / "log.jsonl"
    with system.store.transaction(write=False) as tx:
        path.write_text("".join(audit.export_lines(audit.read_all(tx))))
    assert audit.verify(audit.read_export(path)).ok
    lines = path.read_text().splitlines()
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    assert audit.verify(audit.read_export(path)).first_bad_seq == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_tampering_is_detected(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("audit")
    entries = _busy_system(tmp).audit_entries()
    assert audit.verify(entries).ok
    index = data.draw(st.integers(0, len(entries) - 1))
    how = data.draw(st.sampled_from(["edit_actor", "edit_payload", "remove", "swap", "duplicate"]))
    tampered: list[AuditEntry] = list(entries)
    if how == "edit_actor":
        tampered[index] = tampered[index].model_copy(update={"actor": tampered[index].actor + "x"})
    elif how == "edit_payload":
        tampered[index] = tampered[index].model_copy(update={"payload": {**tampered[index].payload, "x": 1}})
    elif how == "remove":
        if index == len(entries) - 1:
            index -= 1  # removing the newest entry is truncation; the chain cannot tell (see docs)
        del tampered[index]
    elif how == "swap":
        index = min(index, len(entries) - 2)
        tampered[index], tampered[index + 1] = tampered[index + 1], tampered[index]
    else:
        tampered.insert(index, tampered[index])
    assert not audit.verify(tampered).ok
