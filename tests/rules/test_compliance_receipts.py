"""The compliance report cites receipts: every late notice, late or missing acknowledgment, escalation
and missed line test it counts against a party is backed by the audit entry that records it, provable
under the report's signed head with the log key alone; a report edited afterwards is caught by name."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction.rules.compliance import ComplianceReport
from deconfliction.rules.compliance_check import check_report
from deconfliction.transparency.keys import SigningKey

from builders import circle, make_system


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """Three parties, each with something to answer for; what each is counted for, written down as it happens."""
    system, clock = make_system(
        tmp_path_factory.mktemp("receipts"), min_lead_time_s=3600, late_notices="flag", notice_ack_deadline_s=600,
        alert_ack_deadline_s=60, hotline_escalation_interval_s=60, line_test_interval_s=3600,
    )
    start = clock.now
    (line_test,) = system.tick().line_tests
    system.acknowledge_message("blue", line_test.id)
    a = system.file_notice("blue", "pact", [circle(clock, start_h=2)]).notice
    b = system.file_notice("blue", "pact", [circle(clock, lon=5.0, start_h=0.5)]).notice  # late
    filed = system.file_notice("red", "pact", [circle(clock, lon=2.36, start_h=2)], key=[a.version])
    c, (x,) = filed.notice, filed.conflicts
    d = system.file_notice("red", "pact", [circle(clock, lon=8.0, start_h=0.5)]).notice  # late
    clock.advance(minutes=5)
    system.acknowledge_notice("red", a.id)  # in time
    m = system.send_message("red", "pact", kind="alert", text="!", to=["green", "blue"])
    clock.advance(minutes=6)
    system.tick()  # everything still owed is overdue; the line test and the alert escalate once
    system.acknowledge_conflict("blue", x.id)  # late
    system.acknowledge_message("blue", m.id)  # late
    system.acknowledge_notice("green", b.id)  # late
    for _ in range(2):
        clock.advance(seconds=61)
        system.tick()  # the line test (red, green) and the alert (green) escalate again
    truth = {
        "blue": Counter({("late_notices", b.id): 1, ("acknowledged_late", x.id): 1, ("acknowledged_late", m.id): 1,
                         ("overdue", c.id): 1, ("overdue", d.id): 1, ("hotline_escalations", m.id): 1}),
        "red": Counter({("late_notices", d.id): 1, ("overdue", b.id): 1, ("overdue", x.id): 1, ("overdue", line_test.id): 1,
                        ("hotline_escalations", line_test.id): 3, ("line_tests_missed", line_test.id): 1}),
        "green": Counter({("acknowledged_late", b.id): 1, **{("overdue", s): 1 for s in (a.id, c.id, d.id, line_test.id, m.id)},
                          ("hotline_escalations", line_test.id): 3, ("hotline_escalations", m.id): 3, ("line_tests_missed", line_test.id): 1}),
    }
    report = system.compliance("pact", start, clock.now + timedelta(seconds=1))
    yield {"report": report, "truth": truth, "log_key": system.log_key.public_b64, "system": system}
    system.close()


def test_each_party_is_cited_exactly_the_entries_of_what_it_is_counted_for(story):
    rows = {row.party_id: row for row in story["report"].parties}
    for party, truth in story["truth"].items():
        assert Counter((c.figure, c.subject) for c in rows[party].citations) == truth, party
        for figure in ("late_notices", "acknowledged_late", "overdue", "hotline_escalations", "line_tests_missed"):
            assert getattr(rows[party], figure) == sum(n for (f, _), n in truth.items() if f == figure), (party, figure)


def test_every_citation_is_the_logged_entry_with_a_proof_under_the_reports_head(story):
    report, system = story["report"], story["system"]
    log = {e.seq: e for e in system.audit_entries(0, 10**6)}
    assert report.log_head.size == len(log)
    for row in report.parties:
        for c in row.citations:
            assert log[c.leaf_index + 1] == c.entry and (c.kind, c.subject, c.at) == (c.entry.action, c.entry.subject, c.entry.at)
            assert c.inclusion_proof == [p.hex() for p in system.inclusion_proof(c.leaf_index, report.log_head.size)]
    assert check_report(report, story["log_key"]) == []


def test_every_kind_of_entry_a_figure_cites_is_indexed_by_subject():
    from deconfliction.rules.compliance_citations import ACTIONS, BACKS
    from deconfliction.store.tables import CITABLE_ACTIONS

    assert set(ACTIONS) == set(BACKS)
    assert {action for actions in ACTIONS.values() for action in actions} <= set(CITABLE_ACTIONS)
    for migration in ("012_audit_by_subject.sql", "postgres/012_audit_by_subject.sql"):
        text = (Path(__file__).resolve().parents[2] / "src/deconfliction/store/migrations" / migration).read_text()
        assert all(f"'{action}'" in text for action in CITABLE_ACTIONS), migration


def test_a_report_read_back_from_its_json_still_holds(story):
    saved = json.dumps(story["report"].model_dump(mode="json"))
    assert check_report(ComplianceReport.model_validate_json(saved), story["log_key"]) == []


def _edit(report: ComplianceReport, change) -> ComplianceReport:
    raw = report.model_dump(mode="json")
    change({row["party_id"]: row for row in raw["parties"]}, raw)
    return ComplianceReport.model_validate(raw)


def _drop_a_citation(rows, raw):
    rows["red"]["citations"] = [c for c in rows["red"]["citations"] if c["figure"] != "late_notices"]


def _raise_a_figure(rows, raw):
    rows["green"]["overdue"] += 1


def _lower_a_figure_and_its_citations(rows, raw):  # consistent inside the row, but the entry is still in the head's log
    rows["blue"]["late_notices"] = 0
    rows["blue"]["citations"] = [c for c in rows["blue"]["citations"] if c["figure"] != "late_notices"]


def _edit_a_cited_entry(rows, raw):
    rows["green"]["citations"][0]["entry"]["actor"] = "blue"


def _point_a_citation_elsewhere(rows, raw):
    rows["red"]["citations"][0]["leaf_index"] += 1


def _cite_another_partys_entry(rows, raw):
    moved = next(c for c in rows["green"]["citations"] if c["figure"] == "overdue")
    rows["blue"]["citations"].append(moved)
    rows["blue"]["overdue"] += 1


def _cite_one_entry_twice(rows, raw):
    twice = next(c for c in rows["red"]["citations"] if c["figure"] == "late_notices")
    rows["red"]["citations"].append(twice)
    rows["red"]["late_notices"] += 1


def _relabel_a_citation(rows, raw):
    cited = next(c for c in rows["blue"]["citations"] if c["figure"] == "overdue")
    cited["figure"] = "late_notices"
    rows["blue"]["late_notices"] += 1
    rows["blue"]["overdue"] -= 1


def _move_the_head(rows, raw):
    raw["log_head"]["size"] -= 1


def _remove_the_head(rows, raw):
    raw["log_head"] = None


@pytest.mark.parametrize("tamper, named", [
    (_drop_a_citation, "parties[red].late_notices: the report counts 1, but 0 receipts back it"),
    (_raise_a_figure, "parties[green].overdue: the report counts 6, but 5 receipts back it"),
    (_edit_a_cited_entry, "parties[green].citations[0] (acknowledged_late, leaf"),
    (_point_a_citation_elsewhere, "parties[red].citations[0] (hotline_escalations, leaf"),
    (_cite_another_partys_entry, "does not record one of blue's overdue"),
    (_cite_one_entry_twice, "cites an entry already cited for late_notices"),
    (_relabel_a_citation, "does not record one of blue's late_notices"),
    (_move_the_head, "log_head: bad signature"),
    (_remove_the_head, "log_head: the report has no signed head"),
])
def test_a_tampered_report_is_caught_by_name(story, tamper, named):
    problems = check_report(_edit(story["report"], tamper), story["log_key"])
    assert any(named in p for p in problems), problems


def test_a_report_that_leaves_out_a_figure_with_its_citations_holds_but_the_left_out_entry_stays_provable(story):
    """What the checker cannot see: a report that says less (a figure lowered with its citations) holds
    by itself. The entry left out is still provable under the very head the edited report names."""
    edited = _edit(story["report"], _lower_a_figure_and_its_citations)
    assert check_report(edited, story["log_key"]) == []
    blue = next(row for row in story["report"].parties if row.party_id == "blue")
    (dropped,) = [c for c in blue.citations if c.figure == "late_notices"]
    from deconfliction.transparency.log import check_receipt

    check_receipt(dropped.receipt(edited.log_head), story["log_key"])  # still in the log the edited report names


def test_a_report_signed_by_another_key_than_the_one_trusted_fails(story):
    other = SigningKey.generate().public_b64
    (problem,) = check_report(story["report"], other)
    assert problem.startswith("log_head:") and "not by the key you trust" in problem



PARTIES = ("blue", "red", "green")
step = st.one_of(
    st.tuples(st.just("file"), st.sampled_from(PARTIES), st.booleans(), st.sampled_from([2.35, 2.36, 5.0])),  # late?, where (2.35/2.36 conflict)
    st.tuples(st.just("ack_notice"), st.sampled_from(PARTIES), st.integers(0, 5)),
    st.tuples(st.just("ack_conflict"), st.sampled_from(PARTIES), st.integers(0, 5)),
    st.tuples(st.just("send"), st.sampled_from(PARTIES), st.sampled_from(["alert", "info"]), st.sets(st.sampled_from(PARTIES), max_size=2)),
    st.tuples(st.just("ack_message"), st.sampled_from(PARTIES), st.integers(0, 5)),
    st.tuples(st.just("wait"), st.sampled_from([20, 61, 130, 700])),  # then time's work runs (tick)
    st.tuples(st.just("wait"), st.sampled_from([61, 700])),  # twice as likely: most lapses need time to pass
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=6, max_size=16))
def test_whatever_happened_every_counted_lapse_has_exactly_one_receipt_and_the_report_holds(steps):
    """Late acknowledgments of overdue deadlines, repeated escalations, acknowledgments nobody owed,
    line tests, conflicts reopened by later filings: the citations match the figures one to one."""
    from deconfliction.errors import DeconflictionError

    with tempfile.TemporaryDirectory() as where:
        system, clock = make_system(
            Path(where), min_lead_time_s=3600, late_notices="flag", notice_ack_deadline_s=600,
            alert_ack_deadline_s=60, hotline_ack_deadline_s=120, hotline_escalation_interval_s=60, line_test_interval_s=600,
        )
        start = clock.now
        notices, conflicts, messages = [], [], []
        for kind, party, *rest in [(s[0], *s[1:]) if s[0] != "wait" else ("wait", None, s[1]) for s in steps]:
            try:
                if kind == "file":
                    late, lon = rest
                    filed = system.file_notice(party, "pact", [circle(clock, lon=lon, start_h=0.5 if late else 2)], key=[n.version for n in notices])
                    notices.append(filed.notice)
                    conflicts += filed.conflicts
                elif kind == "ack_notice" and notices:
                    system.acknowledge_notice(party, notices[rest[0] % len(notices)].id)
                elif kind == "ack_conflict" and conflicts:
                    system.acknowledge_conflict(party, conflicts[rest[0] % len(conflicts)].id)
                elif kind == "send":
                    message_kind, to = rest
                    messages.append(system.send_message(party, "pact", kind=message_kind, text="?", to=sorted(to - {party}) or None))
                elif kind == "ack_message" and messages:
                    system.acknowledge_message(party, messages[rest[0] % len(messages)].id)
                elif kind == "wait":
                    clock.advance(seconds=rest[0])
                    messages += system.tick().line_tests
            except DeconflictionError:
                pass  # not a side, not a recipient, already cleared: refused, nothing written
        report = system.compliance("pact", start, clock.now + timedelta(seconds=1))
        for row in report.parties:
            for figure in ("late_notices", "acknowledged_late", "overdue", "hotline_escalations", "line_tests_missed"):
                assert getattr(row, figure) == sum(1 for c in row.citations if c.figure == figure), (row.party_id, figure)
        assert check_report(report, system.log_key.public_b64) == []
        system.close()
