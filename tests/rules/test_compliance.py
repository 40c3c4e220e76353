"""The compliance report counts what each party did, from the store's own records."""

from __future__ import annotations

from datetime import timedelta

from builders import circle, make_system


def test_report_counts_notices_lead_times_late_notices_and_acknowledgment_delays(tmp_path):
    system, clock = make_system(tmp_path, min_lead_time_s=3600, late_notices="flag")
    start = clock.now
    a = system.file_notice("blue", "pact", [circle(clock, start_h=2)])  # 2 h of notice
    system.file_notice("blue", "pact", [circle(clock, lon=5.0, start_h=0.5)])  # 30 min: late
    system.file_notice("red", "pact", [circle(clock, lon=8.0, start_h=3)])
    clock.advance(minutes=5)
    system.acknowledge_notice("red", a.notice.id)
    clock.advance(minutes=30)
    system.tick()  # the rest become overdue
    report = system.compliance("pact", start, clock.now + timedelta(seconds=1))
    rows = {row.party_id: row for row in report.parties}
    assert rows["blue"].notices == 2 and rows["blue"].late_notices == 1
    assert rows["blue"].lead_time_min_s == 1800 and rows["blue"].lead_time_median_s == (7200 + 1800) / 2
    assert rows["red"].acknowledged == 1 and rows["red"].ack_delay_median_s == 300
    assert rows["red"].overdue == 1  # blue's second notice
    assert rows["green"].acknowledged == 0 and rows["green"].overdue == 3
    csv = report.to_csv().splitlines()
    assert csv[0].startswith("party_id,notices") and len(csv) == 4


def test_report_window_excludes_notices_filed_outside_it(tmp_path):
    system, clock = make_system(tmp_path)
    system.file_notice("blue", "pact", [circle(clock)])
    clock.advance(hours=3)
    later = clock.now
    system.file_notice("blue", "pact", [circle(clock, lon=3.0)])
    rows = {r.party_id: r for r in system.compliance("pact", later, later + timedelta(hours=1)).parties}
    assert rows["blue"].notices == 1
