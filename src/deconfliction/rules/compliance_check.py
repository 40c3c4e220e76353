"""Checking a saved compliance report with the log key alone (`deconfliction report check FILE`).

A report holds, for each party, the figures and the citations behind them, and the signed head they
were read under. It holds when the head is signed by the log key, every citation's entry is in the
head's tree (its inclusion proof), says what the citation claims (place, kind, subject, time) and
records one of the things its figure counts for that party (compliance_citations.BACKS), no entry is
cited twice for one figure, and each cited figure equals the number of its citations. Every problem is
named: the party, the figure, the citation.
"""

from __future__ import annotations

from collections import Counter

from ..transparency import merkle
from ..transparency.heads import HeadError, verify_cosignatures, verify_head
from ..transparency.log import check_receipt
from .compliance import ComplianceReport, PartyCompliance
from .compliance_citations import BACKS, Citation


def check_report(report: ComplianceReport, trusted_public_key: str | None = None) -> list[str]:
    """What does not hold in the report (empty when it all does)."""
    head = report.log_head
    if head is None:
        return ["log_head: the report has no signed head, so nothing in it can be proven"]
    try:
        verify_head(head, trusted_public_key)
        verify_cosignatures(head)
    except HeadError as exc:
        return [f"log_head: {exc}"]
    problems: list[str] = []
    for row in report.parties:
        problems += _check_row(row, report)
    return problems


def _check_row(row: PartyCompliance, report: ComplianceReport) -> list[str]:
    problems = []
    seen: set[tuple[str, int]] = set()
    for i, citation in enumerate(row.citations):
        where = f"parties[{row.party_id}].citations[{i}] ({citation.figure}, leaf {citation.leaf_index})"
        problem = _check_citation(citation, row.party_id, report)
        if problem is None and (citation.figure, citation.leaf_index) in seen:
            problem = f"cites an entry already cited for {citation.figure}"
        if problem is not None:
            problems.append(f"{where}: {problem}")
        seen.add((citation.figure, citation.leaf_index))
    cited = Counter(c.figure for c in row.citations)
    for figure in BACKS:
        counted = getattr(row, figure)
        if counted != cited[figure]:
            problems.append(f"parties[{row.party_id}].{figure}: the report counts {counted}, but {cited[figure]} receipts back it")
    return problems


def _check_citation(citation: Citation, party: str, report: ComplianceReport) -> str | None:
    entry = citation.entry
    if citation.figure not in BACKS:
        return f"no figure is called {citation.figure!r}"
    said = (citation.leaf_index, citation.kind, citation.subject, citation.at)
    if said != (entry.seq - 1, entry.action, entry.subject, entry.at):
        return f"says leaf {said[0]}, {said[1]} {said[2]} at {said[3].isoformat()}, but its entry is leaf {entry.seq - 1}, {entry.action} {entry.subject} at {entry.at.isoformat()}"
    try:
        check_receipt(citation.receipt(report.log_head))
    except (merkle.ProofError, HeadError, ValueError) as exc:
        return f"its entry is not in the signed log: {exc}"
    if not BACKS[citation.figure](entry, party):
        return f"its entry ({entry.action} {entry.subject}) does not record one of {party}'s {citation.figure}"
    return None
