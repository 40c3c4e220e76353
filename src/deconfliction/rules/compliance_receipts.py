"""Finding the audit entries behind the compliance report's figures, and proving them.

The report counts records (notices, deadlines); the log holds one entry for each thing counted. For
each counted record, `cite` picks the entry that records it, among the entries about the record's
subject (one indexed read for the whole report, store `citable_audit`), never one entry for two counted
things of one figure. `prove` then adds each entry's inclusion proof under the head the report is
signed under. All of it is read-side: a write pays only for the index on the audit's subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from ..models import AuditEntry
from ..transparency import log
from ..transparency.heads import TreeHead
from .compliance_citations import BACKS, Citation

if TYPE_CHECKING:
    from ..models import Deadline, Notice
    from ..store import Transaction
    from .compliance import ComplianceReport

# A deadline's times and its entries' are the same `now`, stored apart (the deadline's in its JSON
# body, the entry's in the audit's `at` column, timestamptz on PostgreSQL): a little slack for encodings.
SAME_MOMENT = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Counted:
    """`count` things a figure counts: the subject whose entries record them, and which of them fit."""

    figure: str
    subject: str
    fits: Callable[[AuditEntry], bool] = lambda entry: True
    count: int = 1


def late_notice(notice: Notice) -> Counted:
    return Counted("late_notices", notice.id)


def late_acknowledgment(deadline: Deadline) -> Counted:
    action, moment = f"{deadline.kind}.acknowledged", deadline.acknowledged_at
    return Counted("acknowledged_late", deadline.subject_id, lambda e: e.action == action and abs(e.at - moment) <= SAME_MOMENT)


def overdue(deadline: Deadline) -> Counted:
    # Logged when the deadline passed; an earlier version's deadline on the subject went overdue before this one was set.
    kind, since = deadline.kind, deadline.due_at - SAME_MOMENT
    return Counted("overdue", deadline.subject_id, lambda e: e.payload.get("kind") == kind and e.at >= since)


def escalations(deadline: Deadline) -> Counted:
    since = deadline.created_at - SAME_MOMENT
    return Counted("hotline_escalations", deadline.subject_id, lambda e: e.at >= since, count=deadline.escalations)


def line_test_missed(deadline: Deadline) -> Counted:
    since = deadline.created_at - SAME_MOMENT
    return Counted("line_tests_missed", deadline.subject_id, lambda e: e.at >= since)


def cite(tx: Transaction, counted: dict[str, list[Counted]], upto_seq: int) -> dict[str, list[Citation]]:
    """For each party, the entry (up to entry `upto_seq`) behind each thing counted against it, by
    figure then log order. A counted thing whose entry is missing gets no citation: the checker then
    names the figure."""
    about: dict[str, list[AuditEntry]] = {}
    for entry in tx.citable_audit({c.subject for items in counted.values() for c in items}, upto_seq):
        about.setdefault(entry.subject, []).append(entry)
    cited: dict[str, list[Citation]] = {}
    for party, items in counted.items():
        used: set[tuple[str, int]] = set()
        citations = []
        for item in items:
            backs, wanted = BACKS[item.figure], item.count
            for entry in about.get(item.subject, []) if wanted else []:
                if (item.figure, entry.seq) not in used and backs(entry, party) and item.fits(entry):
                    used.add((item.figure, entry.seq))
                    citations.append(Citation.of(item.figure, entry))
                    wanted -= 1
                    if not wanted:
                        break
        cited[party] = sorted(citations, key=lambda c: (c.figure, c.leaf_index))
    return cited


def prove(tx: Transaction, report: ComplianceReport, head: TreeHead) -> ComplianceReport:
    """The report under `head` (which covers every cited entry), each citation with its inclusion proof."""
    rows = []
    for row in report.parties:
        proven = [
            c.model_copy(update={"inclusion_proof": [p.hex() for p in log.inclusion_proof(tx, c.leaf_index, head.size)]})
            for c in row.citations
        ]
        rows.append(row.model_copy(update={"citations": proven}))
    return report.model_copy(update={"parties": rows, "log_head": head})
