"""The compliance report's receipts on both backends: the entries behind the figures are found through
the store's one query (citable_audit) and proven under a head signed after the figures were read."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from deconfliction import Deconfliction
from deconfliction.rules.compliance_check import check_report

from factories import FixedClock, circle_volume, example_agreement


def test_each_lapse_is_cited_and_the_report_holds_on_either_store(any_store):
    clock = FixedClock()
    system = Deconfliction(any_store, clock=clock)
    system.add_agreement(example_agreement(late_notices="flag", min_lead_time_s=3600, notice_ack_deadline_s=600,
                                           alert_ack_deadline_s=60, hotline_escalation_interval_s=60))
    start = clock.now
    late = system.file_notice("blue", "pact", [circle_volume(clock.now, start_h=0.5)]).notice
    alert = system.send_message("red", "pact", kind="alert", text="!", to=["blue"])
    clock.advance(seconds=601)
    system.tick()  # red and green never acknowledge the notice; blue lets the alert go overdue…
    system.acknowledge_notice("green", late.id)  # …and green acknowledges late
    clock.advance(seconds=61)
    system.tick()  # the alert escalates again
    report = system.compliance("pact", start, clock.now + timedelta(seconds=1))
    cited = {row.party_id: Counter((c.figure, c.subject) for c in row.citations) for row in report.parties}
    assert cited == {
        "blue": Counter({("late_notices", late.id): 1, ("overdue", alert.id): 1, ("hotline_escalations", alert.id): 2}),
        "red": Counter({("overdue", late.id): 1}),
        "green": Counter({("acknowledged_late", late.id): 1}),
    }
    assert check_report(report, system.log_key.public_b64) == []
