"""The hotline: authenticated messages between the parties of an agreement, each acknowledged or escalated.

Every recipient of a message owes an acknowledgment by a deadline from the agreement (alerts and
line tests: `alert_ack_deadline_s`; other kinds: `hotline_ack_deadline_s`). What is owed is a
`Deadline` of kind "hotline", the same record notices and conflicts use, so the inbox, the compliance
report and the scheduler treat them alike. Unlike those, a hotline deadline does not escalate once:
while it stays unacknowledged it escalates again every `hotline_escalation_interval_s` — the message is
delivered again, and the sender and the escalation contacts are told.

Line tests: every `line_test_interval_s` the system sends a `test` message to each party; a party that
lets one go overdue has its line flagged down (`hotline.line_down` to every party of the agreement)
until it acknowledges a test again.

Messages are seen only by their sender and recipients (invariant 3) and are immutable once sent; every
message, acknowledgment and escalation is in the audit chain (invariant 6).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Iterator

from . import acknowledgments, audit, escalation, observers
from ..models.agreements import Agreement
from ..errors import Forbidden, InvalidInput, InvalidState, NotFound
from .events import new_id, publish
from ..models import (
    MESSAGE_KINDS,
    Deadline,
    HotlineMessage,
    InboxItem,
    LineStatus,
    MessageAcknowledgment,
    MessageRefs,
)

if TYPE_CHECKING:
    from ..store import Transaction

MAX_TEXT = 4000
SYSTEM = None  # the sender of line tests


def ack_deadline_s(agreement: Agreement, kind: str) -> float:
    return agreement.alert_ack_deadline_s if kind in ("alert", "test") else agreement.hotline_ack_deadline_s


def send(
    tx: Transaction,
    *,
    agreement_id: str,
    sender: str | None,
    kind: str,
    text: str,
    now: datetime,
    to: Iterable[str] | None = None,
    refs: MessageRefs | None = None,
    in_reply_to: str | None = None,
) -> HotlineMessage:
    """Send a message to some co-parties (`to`), or to all of them (`to` None). `sender` None: the system."""
    agreement = tx.get_agreement(agreement_id)
    if agreement is None or (sender is not None and sender not in agreement.parties):
        raise NotFound(f"no agreement {agreement_id!r} with {sender!r} as a member", field="agreement_id")
    if kind not in MESSAGE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(MESSAGE_KINDS)}", field="kind")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"text must be 1 to {MAX_TEXT} characters", field="text")
    refs = refs or MessageRefs()
    _check_refs(tx, agreement, sender, refs)

    thread_id = None
    if in_reply_to is not None:
        original = visible_message(tx, in_reply_to, sender, field="in_reply_to")
        if original.agreement_id != agreement_id:
            raise InvalidInput("a reply stays in the agreement of the message it answers", field="agreement_id")
        thread_id = original.thread_id
        if to is None:  # a reply goes back to everyone on the message but the one replying
            to = [p for p in [original.sender, *original.to] if p is not None and p != sender]
    recipients = _recipients(agreement, sender, to)

    message_id = new_id()
    message = HotlineMessage(
        id=message_id, agreement_id=agreement_id, sender=sender, to=recipients, kind=kind, text=text, refs=refs,
        in_reply_to=in_reply_to, thread_id=thread_id or message_id, created_at=now,
    )
    tx.put_message(message)
    for party in recipients:
        if observers.owes_nothing(tx, agreement, party):
            continue  # told, owes nothing (observers.py)
        acknowledgments.expect(
            tx, kind="hotline", subject_id=message_id, version=None, agreement=agreement, party_id=party,
            owner_id=sender, within_s=ack_deadline_s(agreement, kind), now=now,
            escalate_every_s=agreement.hotline_escalation_interval_s,
        )
    shown = with_acknowledgments(tx, message)
    for party in recipients:
        publish(tx, party, "hotline.message", {"message": shown.model_dump(mode="json"), "escalation": 0}, now)
    audit.record(
        tx, sender or "system", "hotline.sent", message_id,
        {"agreement_id": agreement_id, "to": recipients, "kind": kind, "text": text, "refs": refs.model_dump(mode="json"),
         "in_reply_to": in_reply_to},
        now,
    )
    return shown


def acknowledge(tx: Transaction, *, message_id: str, party_id: str, now: datetime) -> Deadline:
    """A recipient confirms it has read the message. Acknowledging twice changes nothing."""
    message = visible_message(tx, message_id, party_id)
    if party_id not in message.to:
        raise Forbidden("only a recipient acknowledges a message", field="message_id")
    owed = [d for d in tx.deadlines_of(message_id, party_id=party_id) if d.kind == "hotline"]
    if owed and owed[0].state == "acknowledged":
        return owed[0]
    was_down = message.kind == "test" and message.sender is SYSTEM and line_status(tx, message.agreement_id, party_id).state == "down"
    done = acknowledgments.fulfil(tx, "hotline", message_id, party_id, now)
    if done is None:  # withdrawn: nothing is owed any more
        raise InvalidState("nothing is owed on this message", field="message_id")
    if message.sender is not None:
        publish(tx, message.sender, "hotline.acknowledged", {"message_id": message_id, "by": party_id, "at": now.isoformat()}, now)
    audit.record(tx, party_id, "hotline.acknowledged", message_id, {"late": done.due_at < now}, now)
    if was_down and line_status(tx, message.agreement_id, party_id).state == "up":
        _tell_agreement(tx, message.agreement_id, "hotline.line_up", {"party_id": party_id, "agreement_id": message.agreement_id}, now)
    return done


def escalate(tx: Transaction, deadline: Deadline, now: datetime) -> None:
    """A message is overdue (again): deliver it again to the recipient, tell the sender and the escalation contacts."""
    message = tx.get_message(deadline.subject_id)
    agreement = tx.get_agreement(deadline.agreement_id)
    if message is None or agreement is None:
        return
    shown = with_acknowledgments(tx, message).model_dump(mode="json")
    publish(tx, deadline.party_id, "hotline.message", {"message": shown, "escalation": deadline.escalations}, now)
    notice = {
        "message_id": message.id, "kind": message.kind, "sender": message.sender, "party_id": deadline.party_id,
        "due_at": deadline.due_at.isoformat(), "escalation": deadline.escalations, "message": shown,
    }
    on_message = {message.sender, *message.to} - {None}
    told = {message.sender} if message.sender else set()
    for party in sorted(told | set(escalation.contacts_to_tell(agreement, exclude=[deadline.party_id]))):
        # Those on the message may read it; other contacts get a summary with the message id (escalation.py).
        publish(tx, party, "hotline.escalated", notice if party in on_message else escalation.escalation_summary(message, deadline), now)
    audit.record(tx, "system", "hotline.escalated", message.id, {"party": deadline.party_id, "escalation": deadline.escalations}, now)
    if message.kind == "test" and message.sender is SYSTEM and deadline.escalations == 1:
        _tell_agreement(tx, agreement.id, "hotline.line_down", {"party_id": deadline.party_id, "agreement_id": agreement.id, "since": now.isoformat()}, now)


def send_line_tests(tx: Transaction, now: datetime) -> list[HotlineMessage]:
    """Test every party's line in each agreement that asks for it, when its interval has passed."""
    sent = []
    for agreement in tx.list_agreements():
        if agreement.line_test_interval_s <= 0:
            continue
        last = _last_line_test(tx, agreement.id)
        if last is not None and now < last.created_at + timedelta(seconds=agreement.line_test_interval_s):
            continue
        sent.append(send(
            tx, agreement_id=agreement.id, sender=SYSTEM, kind="test", now=now,
            text="Line test: acknowledge to show your line is alive.",
        ))
    return sent


def line_status(tx: Transaction, agreement_id: str, party_id: str) -> LineStatus:
    """The party's newest line test that is settled decides: overdue → down, acknowledged → up."""
    last_test = last_ack = None
    state = "unknown"
    for message in _line_tests(tx, agreement_id, party_id):
        last_test = last_test or message.created_at
        owed = [d for d in tx.deadlines_of(message.id, party_id=party_id) if d.kind == "hotline"]
        if owed and owed[0].state in ("overdue", "acknowledged"):
            state = "down" if owed[0].state == "overdue" else "up"
            last_ack = owed[0].acknowledged_at
            break
    return LineStatus(party_id=party_id, state=state, last_test_at=last_test, last_ack_at=last_ack)


def lines(tx: Transaction, agreement_id: str, viewer: str) -> list[LineStatus]:
    agreement = tx.get_agreement(agreement_id)
    if agreement is None or viewer not in agreement.parties:
        raise NotFound(f"no agreement {agreement_id!r} with {viewer!r} as a member", field="agreement_id")
    return [line_status(tx, agreement_id, party) for party in agreement.parties]


def visible_message(tx: Transaction, message_id: str, viewer: str | None, field: str = "message_id") -> HotlineMessage:
    """The message, if the viewer sent or received it; otherwise it does not exist for them."""
    message = tx.get_message(message_id)
    if message is None or (viewer is not None and viewer != message.sender and viewer not in message.to):
        raise NotFound(f"no message {message_id}", field=field)
    return message


def with_acknowledgments(tx: Transaction, message: HotlineMessage) -> HotlineMessage:
    acks = [
        MessageAcknowledgment(
            party_id=d.party_id, state=d.state, due_at=d.due_at, acknowledged_at=d.acknowledged_at, escalations=d.escalations
        )
        for d in tx.deadlines_of(message.id)
        if d.kind == "hotline"
    ]
    return message.model_copy(update={"acknowledgments": acks})


def inbox(tx: Transaction, party_id: str, agreement_id: str | None = None, state: str | None = None) -> list[InboxItem]:
    """Messages to the party with what it owes: overdue first, then pending by due time, then the rest, newest first."""
    owed = tx.find_deadlines(agreement_id=agreement_id, party_id=party_id, kind="hotline")
    if state is not None:
        owed = [d for d in owed if d.state == state]
    rank = {"overdue": 0, "pending": 1}
    owed.sort(key=lambda d: d.created_at, reverse=True)
    owed.sort(key=lambda d: (rank.get(d.state, 2), d.due_at.timestamp() if d.state in rank else 0))
    items = []
    for deadline in owed:
        message = tx.get_message(deadline.subject_id)
        if message is not None:
            items.append(InboxItem(message=with_acknowledgments(tx, message), deadline=deadline))
    return items


def sent(tx: Transaction, party_id: str, agreement_id: str | None = None, limit: int = 100) -> list[HotlineMessage]:
    """What the party sent, newest first, with each recipient's acknowledgment."""
    found = tx.find_messages(agreement_id=agreement_id, sender=party_id, limit=limit, newest_first=True)
    return [with_acknowledgments(tx, m) for m in found]


def thread(tx: Transaction, message_id: str, viewer: str) -> list[HotlineMessage]:
    """The conversation a message belongs to, as far as the viewer took part in it."""
    message = visible_message(tx, message_id, viewer)
    found = tx.find_messages(thread_id=message.thread_id, party_id=viewer, limit=1000)
    return [with_acknowledgments(tx, m) for m in found]


def _recipients(agreement: Agreement, sender: str | None, to: Iterable[str] | None) -> list[str]:
    everyone = [p for p in agreement.parties if p != sender]
    if to is None:
        recipients = everyone
    else:
        recipients = list(dict.fromkeys(to))
        for party in recipients:
            if party == sender:
                raise InvalidInput("a party does not send to itself", field="to")
            if party not in agreement.parties:
                raise InvalidInput(f"{party!r} is not a party of agreement {agreement.id!r}", field="to")
    if not recipients:
        raise InvalidInput("the message has no recipient", field="to")
    return recipients


def _check_refs(tx: Transaction, agreement: Agreement, sender: str | None, refs: MessageRefs) -> None:
    """A message refers only to what its sender can see in this agreement."""
    for i, notice_id in enumerate(refs.notices):
        notice = tx.get_notice(notice_id)
        if notice is None or notice.agreement_id != agreement.id:
            raise InvalidInput(f"no notice {notice_id} in agreement {agreement.id!r}", field=f"refs.notices[{i}]")
    for i, conflict_id in enumerate(refs.conflicts):
        conflict = tx.get_conflict(conflict_id)
        if conflict is None or conflict.agreement_id != agreement.id or (sender is not None and not conflict.involves(sender)):
            raise InvalidInput(f"no conflict {conflict_id} of yours in agreement {agreement.id!r}", field=f"refs.conflicts[{i}]")
    for i, aircraft in enumerate(refs.aircraft):
        if not 1 <= len(aircraft.strip()) <= 32:
            raise InvalidInput("an aircraft is named by 1 to 32 characters (callsign or ICAO address)", field=f"refs.aircraft[{i}]")


def _line_tests(tx: Transaction, agreement_id: str, party_id: str | None = None) -> Iterator[HotlineMessage]:
    """The system's line tests in the agreement (to `party_id`), newest first; a party's own `test`
    messages are not line tests."""
    for message in tx.find_messages(agreement_id=agreement_id, party_id=party_id, kind="test", limit=50, newest_first=True):
        if message.sender is SYSTEM:
            yield message


def _last_line_test(tx: Transaction, agreement_id: str) -> HotlineMessage | None:
    return next(_line_tests(tx, agreement_id), None)


def _tell_agreement(tx: Transaction, agreement_id: str, kind: str, payload: dict, now: datetime) -> None:
    agreement = tx.get_agreement(agreement_id)
    for party in agreement.parties if agreement else []:
        publish(tx, party, kind, payload, now)
    audit.record(tx, "system", kind, payload["party_id"], payload, now)
