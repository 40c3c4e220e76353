"""Acknowledgments and their deadlines: proof that a party was told, and what happens when it stays silent.

One deadline per (subject, party): a changed notice or conflict replaces what is owed, with a new
deadline. When a deadline passes unacknowledged, an `ack.overdue` event goes to the one waiting,
to the one who owes, and a summary of it to the escalation contacts that are members (escalation.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from . import audit, escalation
from ..models.agreements import Agreement
from ..errors import Forbidden, NotFound
from .events import publish
from ..models import Deadline

if TYPE_CHECKING:
    from ..store import Transaction

Kind = Literal["notice", "conflict", "hotline"]


def deadline_id(kind: str, subject_id: str, party_id: str) -> str:
    return f"{kind}:{subject_id}:{party_id}"


def expect(tx: Transaction, **owing: Any) -> Deadline:
    """Write the deadline `owed(**owing)` describes: a party owes an acknowledgment."""
    deadline = owed(**owing)
    tx.put_deadline(deadline)
    return deadline


def owed(
    *,
    kind: Kind,
    subject_id: str,
    version: str | None,
    agreement: Agreement,
    party_id: str,
    owner_id: str | None,
    within_s: float,
    now: datetime,
    escalate_every_s: float | None = None,
) -> Deadline:
    """The deadline `expect` writes, not yet written (callers owing many write them together: put_deadlines)."""
    return Deadline(
        id=deadline_id(kind, subject_id, party_id),
        kind=kind,
        subject_id=subject_id,
        subject_version=version,
        agreement_id=agreement.id,
        party_id=party_id,
        owner_id=owner_id,
        created_at=now,
        due_at=now + timedelta(seconds=within_s),
        escalate_every_s=escalate_every_s,
    )


def withdraw(tx: Transaction, subject_id: str, now: datetime) -> None:
    """Nothing is owed any more on this subject (cleared conflict, cancelled notice)."""
    for deadline in tx.deadlines_of(subject_id, state="pending"):
        tx.put_deadline(deadline.model_copy(update={"state": "withdrawn", "next_escalation_at": None}))


def fulfil(tx: Transaction, kind: Kind, subject_id: str, party_id: str, now: datetime) -> Deadline | None:
    """Mark what `party_id` owed on the subject as acknowledged (late ones stay visibly late: due_at < acknowledged_at)."""
    for deadline in tx.deadlines_of(subject_id, party_id=party_id):
        if deadline.kind == kind and deadline.state in ("pending", "overdue"):
            done = deadline.model_copy(update={"state": "acknowledged", "acknowledged_at": now, "next_escalation_at": None})
            tx.put_deadline(done)
            return done
    return None


def acknowledge_notice(tx: Transaction, *, notice_id: str, party_id: str, now: datetime) -> Deadline:
    """A party confirms it has seen another party's notice (its current version)."""
    notice = tx.get_notice(notice_id)
    agreement = tx.get_agreement(notice.agreement_id) if notice else None
    if notice is None or agreement is None or party_id not in agreement.parties:
        raise NotFound(f"no notice {notice_id}", field="notice_id")
    if notice.party_id == party_id:
        raise Forbidden("a party does not acknowledge its own notice", field="notice_id")
    owed = [d for d in tx.deadlines_of(notice_id, party_id=party_id) if d.kind == "notice"]
    if owed and owed[0].state == "acknowledged" and owed[0].subject_version == notice.version:
        return owed[0]  # acknowledging twice changes nothing
    done = fulfil(tx, "notice", notice_id, party_id, now)
    if done is None:
        # Not addressed to this party (e.g. outside its subscriptions), but acknowledging is still worth recording.
        done = expect(
            tx, kind="notice", subject_id=notice_id, version=notice.version, agreement=agreement,
            party_id=party_id, owner_id=notice.party_id, within_s=0, now=now,
        ).model_copy(update={"state": "acknowledged", "acknowledged_at": now})
        tx.put_deadline(done)
    publish(tx, notice.party_id, "notice.acknowledged", {"notice_id": notice_id, "version": notice.version, "by": party_id}, now)
    audit.record(tx, party_id, "notice.acknowledged", notice_id, {"version": notice.version}, now)
    return done


def run_due(tx: Transaction, now: datetime, limit: int = 100) -> list[Deadline]:
    """Turn every pending deadline that has passed into an overdue one, and tell everyone concerned.
    A deadline that escalates repeatedly (hotline) is returned again each time its next escalation comes;
    `ack.overdue` goes out only the first time (the hotline tells of later escalations itself)."""
    overdue = []
    for deadline in tx.due_deadlines(now, limit):
        again = None if deadline.escalate_every_s is None else now + timedelta(seconds=deadline.escalate_every_s)
        late = deadline.model_copy(update={"state": "overdue", "escalations": deadline.escalations + 1, "next_escalation_at": again})
        tx.put_deadline(late)
        if deadline.state == "overdue":
            overdue.append(late)
            continue
        agreement = tx.get_agreement(deadline.agreement_id)
        sides = {deadline.party_id} | ({deadline.owner_id} if deadline.owner_id else set())
        payload = {
            "deadline": late.model_dump(mode="json"),
            "escalation_contacts": escalation.contacts_to_tell(agreement) if agreement else [],
            "escalation_contact_points": agreement.escalation_contact_points if agreement else [],
        }
        for party in sorted(sides):
            publish(tx, party, "ack.overdue", payload, now)
        for party in escalation.contacts_to_tell(agreement, exclude=sides) if agreement else []:
            publish(tx, party, "ack.overdue", escalation.overdue_summary(late), now)  # a summary: escalation.py
        audit.record(tx, "system", "ack.overdue", deadline.subject_id, {"party": deadline.party_id, "kind": deadline.kind}, now)
        overdue.append(late)
    return overdue
