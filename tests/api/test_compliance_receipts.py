"""GET /v1/agreements/{id}/compliance returns the receipts behind the figures, checkable offline."""

from __future__ import annotations

from datetime import timedelta

from deconfliction.rules.compliance import ComplianceReport
from deconfliction.rules.compliance_check import check_report

from api.conftest import bearer


def test_the_report_over_http_cites_each_overdue_acknowledgment_with_a_proof_under_its_head(http, tokens, system, clock, vol):
    start = clock.now
    filed = system.file_notice("blue", "pact", [vol()])
    clock.advance(seconds=system.agreement("pact").notice_ack_deadline_s + 1)
    system.tick()  # red never acknowledged; green holds only an observer's token, so owes nothing
    window = {"from": start.isoformat(), "to": (clock.now + timedelta(seconds=1)).isoformat()}
    reply = http.get("/v1/agreements/pact/compliance", params=window, headers=bearer(tokens["admin"]))
    assert reply.status_code == 200, reply.text
    report = ComplianceReport.model_validate(reply.json())
    cited = {row.party_id: [(c.figure, c.kind, c.subject) for c in row.citations] for row in report.parties}
    assert cited == {"blue": [], "red": [("overdue", "ack.overdue", filed.notice.id)], "green": []}
    assert check_report(report, system.log_key.public_b64) == []
    as_observer = http.get("/v1/agreements/pact/compliance", params=window, headers=bearer(tokens["observer"]))
    assert ComplianceReport.model_validate(as_observer.json()).parties == report.parties
    csv = http.get("/v1/agreements/pact/compliance", params={**window, "format": "csv"}, headers=bearer(tokens["admin"])).text
    assert [line.rsplit(",", 1)[1] for line in csv.splitlines()] == ["receipts", "0", "1", "0"]
