"""What backs a figure of the compliance report: the audit entries a party could be shown for it.

A citation is one audit entry with its inclusion proof under the report's signed head: the receipt a
write returns, minus the head the report carries once for all. Each cited figure counts things the log
records one entry for; `BACKS` says which entries those are, so the report (compliance_receipts.py) and
whoever checks a saved report (compliance_check.py) read the same rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from pydantic import BaseModel, Field

from ..models import AuditEntry
from ..transparency.heads import TreeHead
from ..transparency.log import Receipt

NOTICE_RECORDS = ("notice.filed", "notice.changed", "notice.cancelled", "notice.ended")  # each holds the notice's `late`
ACKNOWLEDGED = ("notice.acknowledged", "conflict.acknowledged", "hotline.acknowledged")


def _late_notice(entry: AuditEntry, party: str) -> bool:
    # A notice is late from the first filing or change that gave too little notice (late is sticky).
    return entry.action in NOTICE_RECORDS and entry.payload.get("late") is True and entry.payload.get("party_id") == party


def _late_acknowledgment(entry: AuditEntry, party: str) -> bool:
    # The hotline's entry says whether it came late; a notice's or conflict's is late against the deadline the agreement set.
    return entry.action in ACKNOWLEDGED and entry.actor == party and (entry.action != "hotline.acknowledged" or entry.payload.get("late") is True)


def _overdue(entry: AuditEntry, party: str) -> bool:
    return entry.action == "ack.overdue" and entry.payload.get("party") == party


def _escalation(entry: AuditEntry, party: str) -> bool:
    return entry.action == "hotline.escalated" and entry.payload.get("party") == party


def _line_test_missed(entry: AuditEntry, party: str) -> bool:
    return _escalation(entry, party) and entry.payload.get("escalation") == 1


# figure of PartyCompliance → does this entry record one of the things it counts, for this party?
BACKS: dict[str, Callable[[AuditEntry, str], bool]] = {
    "late_notices": _late_notice,
    "acknowledged_late": _late_acknowledgment,
    "overdue": _overdue,
    "hotline_escalations": _escalation,
    "line_tests_missed": _line_test_missed,
}


# The kinds of entry each figure cites: the store indexes these by subject (store/tables.py CITABLE_ACTIONS).
ACTIONS: dict[str, tuple[str, ...]] = {
    "late_notices": NOTICE_RECORDS,
    "acknowledged_late": ACKNOWLEDGED,
    "overdue": ("ack.overdue",),
    "hotline_escalations": ("hotline.escalated",),
    "line_tests_missed": ("hotline.escalated",),
}


class Citation(BaseModel):
    """One audit entry behind a figure, provable against the report's `log_head`."""

    figure: str = Field(description="the figure of the party's row it backs: " + ", ".join(BACKS))
    leaf_index: int = Field(ge=0, description="the entry's place in the log (entry seq - 1)")
    kind: str = Field(description="the entry's action, e.g. ack.overdue")
    subject: str = Field(description="the entry's subject: a notice, conflict or message id")
    at: datetime = Field(description="when the entry was logged (UTC)")
    entry: AuditEntry = Field(description="the entry itself: its leaf hash is SHA-256(0x00 || canonical JSON)")
    inclusion_proof: list[str] = Field(default_factory=list, description="RFC 9162 audit path of leaf_index in the report's log_head, hex")

    @classmethod
    def of(cls, figure: str, entry: AuditEntry) -> "Citation":
        return cls(figure=figure, leaf_index=entry.seq - 1, kind=entry.action, subject=entry.subject, at=entry.at, entry=entry)

    def receipt(self, head: TreeHead) -> Receipt:
        """The citation as a write's receipt under `head`, for transparency.log.check_receipt."""
        return Receipt(leaf_index=self.leaf_index, leaf_count=1, entry=self.entry, tree_head=head, inclusion_proof=self.inclusion_proof)
