"""Escalation contacts: who else hears when an acknowledgment is overdue, and what they may hear.

An agreement's `escalation_contacts` are of two sorts:
  - party ids, which must be members of the agreement (checked when the agreement is loaded);
  - contact points (`mailto:…`, `tel:…`, or a bare e-mail address): people to call, kept as written
    in `escalation_contact_points` and listed to the members in `ack.overdue`; nothing is sent to them.

A contact that is a party but not on the message (or not a side of the overdue deadline) gets a
*summary with a pointer*: which agreement, which subject (message, notice or conflict id), who owes,
since when, how often it escalated. Never the text, the recipients, the references or a notice's
version: a contact learns no more than a member of the agreement may read (invariant 3). A contact
that is no longer a member (an agreement stored before this rule) hears nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from ..models import Deadline, HotlineMessage


def contacts_to_tell(agreement: Any, exclude: Iterable[str | None] = ()) -> list[str]:
    """The contacts that are parties and still members of the agreement, less `exclude`."""
    excluded = set(exclude)
    return [c for c in agreement.escalation_contacts if c in agreement.parties and c not in excluded]


def escalation_summary(message: "HotlineMessage", deadline: "Deadline") -> dict[str, Any]:
    """What a contact that is not on the message hears of its escalation."""
    return {
        "summary": True,
        "agreement_id": message.agreement_id,
        "message_id": message.id,
        "kind": message.kind,
        "sender": message.sender,
        "party_id": deadline.party_id,
        "due_at": deadline.due_at.isoformat(),
        "escalation": deadline.escalations,
    }


def overdue_summary(deadline: "Deadline") -> dict[str, Any]:
    """What a contact that is not a side of the deadline hears of it becoming overdue."""
    return {
        "summary": True,
        "agreement_id": deadline.agreement_id,
        "kind": deadline.kind,
        "subject_id": deadline.subject_id,
        "party_id": deadline.party_id,
        "owner_id": deadline.owner_id,
        "due_at": deadline.due_at.isoformat(),
        "escalation": deadline.escalations,
    }
