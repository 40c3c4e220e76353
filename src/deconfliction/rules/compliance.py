"""The compliance report: per party, how much notice it gave and how fast it acknowledged, each
figure a party could dispute backed by the audit entries that record what it counts (citations)."""

from __future__ import annotations

from typing import TYPE_CHECKING
import csv
import io
import statistics
from datetime import datetime

from pydantic import BaseModel

from . import compliance_receipts as receipts
from . import observers
from .compliance_citations import Citation
from ..transparency.heads import TreeHead

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
    # One per late notice, late acknowledgment, overdue acknowledgment, escalation and missed line
    # test counted above: the entry that records it, provable under the report's log_head.
    citations: list[Citation] = []


class ComplianceReport(BaseModel):
    agreement_id: str
    start: datetime
    end: datetime
    parties: list[PartyCompliance]
    # The signed tree head of the log these figures were read from: anyone can ask the server (or an
    # export) for proofs that the entries behind them are in that log (docs/evidence.md).
    log_head: TreeHead | None = None

    def to_csv(self) -> str:
        """One line per party: its figures, and how many receipts back them (the receipts are in the JSON form)."""
        out = io.StringIO()
        fields = [f for f in PartyCompliance.model_fields if f != "citations"]
        writer = csv.DictWriter(out, fieldnames=[*fields, "receipts"])
        writer.writeheader()
        for row in self.parties:
            writer.writerow({**row.model_dump(include=set(fields)), "receipts": len(row.citations)})
        return out.getvalue()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _is_line_test(tx: Transaction, message_id: str) -> bool:
    message = tx.get_message(message_id)
    return message is not None and message.kind == "test" and message.sender is None


def report(tx: Transaction, agreement_id: str, start: datetime, end: datetime) -> ComplianceReport:
    """The figures, and the entry behind each thing a cited figure counts, as this transaction sees the
    log: `compliance_receipts.prove` then proves them under a head signed after it."""
    agreement = tx.get_agreement(agreement_id)
    if agreement is None:
        from ..errors import NotFound

        raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
    rows = []
    counted: dict[str, list[receipts.Counted]] = {}
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
        late_notices = [n for n in notices if n.late]
        late_acks = [d for d in done if d.acknowledged_at > d.due_at]
        never = [d for d in owed if d.state == "overdue"]
        hotline = [d for d in owed if d.kind == "hotline"]
        tests_missed = [d for d in hotline if d.escalations and _is_line_test(tx, d.subject_id)]
        counted[party] = [
            *(receipts.late_notice(n) for n in late_notices),
            *(receipts.late_acknowledgment(d) for d in late_acks),
            *(receipts.overdue(d) for d in never),
            *(receipts.escalations(d) for d in hotline if d.escalations),
            *(receipts.line_test_missed(d) for d in tests_missed),
        ]
        rows.append(
            PartyCompliance(
                party_id=party,
                notices=len(notices),
                lead_time_min_s=min(leads) if leads else None,
                lead_time_median_s=_median(leads),
                late_notices=len(late_notices),
                acknowledgments_owed=len(owed),
                acknowledged=len(done),
                acknowledged_late=len(late_acks),
                ack_delay_median_s=_median(delays),
                ack_delay_max_s=max(delays) if delays else None,
                overdue=len(never),
                hotline_escalations=sum(d.escalations for d in hotline),
                line_tests_missed=len(tests_missed),
            )
        )
    cited = receipts.cite(tx, counted, tx.log_size())
    rows = [row.model_copy(update={"citations": cited[row.party_id]}) for row in rows]
    return ComplianceReport(agreement_id=agreement_id, start=start, end=end, parties=rows)
