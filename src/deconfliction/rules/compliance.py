"""The compliance report: per party, how much notice it gave and how fast it acknowledged."""

from __future__ import annotations

from typing import TYPE_CHECKING
import csv
import io
import statistics
from datetime import datetime

from pydantic import BaseModel

from . import observers

if TYPE_CHECKING:
    from ..store import Transaction


class PartyCompliance(BaseModel):
    party_id: str
    notices: int
    lead_time_min_s: float | None
    lead_time_median_s: float | None
    late_notices: int
    acknowledgments_owed: int
    acknowledged: int
    acknowledged_late: int
    ack_delay_median_s: float | None
    ack_delay_max_s: float | None
    overdue: int  # still unacknowledged past the deadline
    hotline_escalations: int = 0  # times its unacknowledged hotline messages were escalated
    line_tests_missed: int = 0  # line tests it let go overdue (acknowledged late or never)


class ComplianceReport(BaseModel):
    agreement_id: str
    start: datetime
    end: datetime
    parties: list[PartyCompliance]

    def to_csv(self) -> str:
        out = io.StringIO()
        fields = list(PartyCompliance.model_fields)
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in self.parties:
            writer.writerow(row.model_dump())
        return out.getvalue()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _is_line_test(tx: Transaction, message_id: str) -> bool:
    message = tx.get_message(message_id)
    return message is not None and message.kind == "test" and message.sender is None


def report(tx: Transaction, agreement_id: str, start: datetime, end: datetime) -> ComplianceReport:
    agreement = tx.get_agreement(agreement_id)
    if agreement is None:
        from ..errors import NotFound

        raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
    rows = []
    for party in agreement.parties:
        notices = []
        after = None
        while True:
            batch = tx.find_notices(agreement_id=agreement_id, party_id=party, filed_from=start, filed_to=end, limit=1000, after_id=after)
            notices.extend(batch)
            if len(batch) < 1000:
                break
            after = batch[-1].id
        leads = [n.lead_time_s for n in notices]
        owed = [d for d in tx.find_deadlines(agreement_id=agreement_id, party_id=party, since=start, until=end) if d.state != "withdrawn"]
        if observers.owes_nothing(tx, agreement, party):
            owed = []  # deadlines an older version set on an observer: it could never meet them
        done = [d for d in owed if d.state == "acknowledged" and d.acknowledged_at is not None]
        delays = [(d.acknowledged_at - d.created_at).total_seconds() for d in done]
        rows.append(
            PartyCompliance(
                party_id=party,
                notices=len(notices),
                lead_time_min_s=min(leads) if leads else None,
                lead_time_median_s=_median(leads),
                late_notices=sum(1 for n in notices if n.late),
                acknowledgments_owed=len(owed),
                acknowledged=len(done),
                acknowledged_late=sum(1 for d in done if d.acknowledged_at > d.due_at),
                ack_delay_median_s=_median(delays),
                ack_delay_max_s=max(delays) if delays else None,
                overdue=sum(1 for d in owed if d.state == "overdue"),
                hotline_escalations=sum(d.escalations for d in owed if d.kind == "hotline"),
                line_tests_missed=sum(1 for d in owed if d.kind == "hotline" and d.escalations and _is_line_test(tx, d.subject_id)),
            )
        )
    return ComplianceReport(agreement_id=agreement_id, start=start, end=end, parties=rows)
