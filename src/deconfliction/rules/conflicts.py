"""Conflicts: found with the exact geometry among the index's candidates, opened, updated and
cleared by themselves as notices change, and acknowledged by each side."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from datetime import datetime

from . import acknowledgments, audit, channel_assignment, prechecked
from ..models.agreements import Agreement
from ..errors import InvalidState, NotFound
from .cancellation import raise_if_cancelled
from .events import publish, publish_many
from ..geometry import Minima, Volume4D, VolumeConflict, volume_conflict
from ..models import LIVE_STATES, ChannelRef, Conflict, Finding, Notice
from ..store import event_bodies
from ..transparency.canonical import Encoded

if TYPE_CHECKING:
    from ..store import Transaction


def closest_conflict(mine: list[Volume4D], theirs: list[Volume4D], minima: Minima) -> VolumeConflict | None:
    closest = None
    for a in mine:
        for b in theirs:
            found = volume_conflict(a, b, minima)
            if found and (closest is None or (found.lateral_m, found.vertical_m) < (closest.lateral_m, closest.vertical_m)):
                closest = found
    return closest


def find_conflicts(tx: Transaction, agreement: Agreement, party_id: str, volumes: list[Volume4D], exclude: str | None = None) -> list[Finding]:
    """Live notices of other parties in the agreement that these volumes would conflict with."""
    minima = agreement.separation.minima()
    known = prechecked.current()
    findings = []
    for other in tx.candidate_notices(agreement.id, volumes, minima, LIVE_STATES):
        if other.party_id == party_id or other.id == exclude:
            continue
        raise_if_cancelled()
        reused, closest = known.answer_for(volumes, minima, other.id, other.version, other.volumes) if known is not None else (False, None)
        if not reused:  # a notice written since the snapshot (prechecked.py), or no snapshot
            closest = closest_conflict(volumes, other.volumes, minima)
            if known is not None:
                known.learn(volumes, minima, other.id, other.version, other.volumes, closest)
        if closest is not None:
            findings.append(Finding(other, closest))
    return sorted(findings, key=lambda f: (f.closest.lateral_m, f.notice.id))


def new_conflict_id() -> str:
    """A random (version 4) UUID as text, as str(uuid.uuid4()) writes it, without building a UUID object:
    a filing may open hundreds of conflicts."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _shape(agreement: Agreement, notice: Notice, other: Notice, closest: VolumeConflict) -> dict:
    a, b = (notice, other) if notice.id < other.id else (other, notice)
    channel = agreement.channel_at(closest.where[0], closest.where[1], closest.time_start) if agreement.channels else None
    return dict(
        agreement_id=agreement.id,
        notice_a=a.id,
        notice_b=b.id,
        party_a=a.party_id,
        party_b=b.party_id,
        version_a=a.version,
        version_b=b.version,
        lateral_m=closest.lateral_m,
        vertical_m=closest.vertical_m,
        time_start=closest.time_start,
        time_end=closest.time_end,
        where=closest.where,
        channel=ChannelRef(name=channel.name, contact=channel.contact) if channel else None,
    )


def _tell_both(tx: Transaction, agreement: Agreement, told: list[tuple[Conflict, str]], bodies: list[Encoded], now: datetime) -> None:
    """Both sides hear of each conflict; while it is open, each owes an acknowledgment by the agreement's
    deadline; the audit records each one. `bodies`: each conflict encoded once (for its row, the audit
    and both sides' events); the events, the deadlines and the audit entries are each written as one
    statement for the whole batch."""
    # The audit first: each side's event names its entry, which holds the body (store/event_bodies.py).
    entries = audit.record_many(tx, [("system", kind, conflict.id, body) for (conflict, kind), body in zip(told, bodies)], now)
    events, owed, owed_again = [], [], []
    for (conflict, kind), entry in zip(told, entries):
        payload = event_bodies.naming("conflict", entry.seq, id=conflict.id, version_a=conflict.version_a, version_b=conflict.version_b)
        for party in (conflict.party_a, conflict.party_b):
            events.append((party, kind, payload))
            if conflict.state == "open":
                (owed if kind == "conflict.opened" else owed_again).append(acknowledgments.owed(
                    kind="conflict", subject_id=conflict.id, version=f"{conflict.version_a}/{conflict.version_b}",
                    agreement=agreement, party_id=party, owner_id=None, within_s=agreement.notice_ack_deadline_s, now=now,
                ))
        if conflict.state != "open":
            acknowledgments.withdraw(tx, conflict.id, now)
    publish_many(tx, events, now)
    tx.put_deadlines(owed, new_subjects=True)  # conflicts opened in this transaction: nothing of theirs is stored
    tx.put_deadlines(owed_again)


def reconcile(
    tx: Transaction, agreement: Agreement, notice: Notice, findings: list[Finding], now: datetime, new: bool = False
) -> list[Conflict]:
    """Bring the stored conflicts of `notice` in line with `findings`: open new ones, update those
    that continue (each side must acknowledge again what changed), clear the rest. Returns the open ones.
    `new`: the notice was filed in this transaction, so it has no stored conflicts to read.

    Where the agreement assigns channels from a pool, the assignment runs before anyone is told, so the
    events name the channel the conflict ends up with."""
    pooled = agreement.channel_assignment is not None
    existing = {} if new else {c.other_notice(notice.id): c for c in tx.conflicts_of_notice(notice.id)}
    told: list[tuple[Conflict, str]] = []
    for finding in findings if notice.is_live else []:
        shape = _shape(agreement, notice, finding.notice, finding.closest)
        previous = existing.pop(finding.notice.id, None)
        if pooled:
            shape["channel"] = previous.channel if previous is not None else None  # the pool decides, below
        if previous is None:
            # Validated, not model_construct: pydantic's Rust validator is faster than its Python model_construct.
            conflict = Conflict(id=new_conflict_id(), opened_at=now, updated_at=now, **shape)
            kind = "conflict.opened"
        else:
            conflict = previous.model_copy(update={**shape, "updated_at": now, "acknowledged_a": None, "acknowledged_b": None})
            kind = "conflict.updated"
        told.append((conflict, kind))
    for stale in existing.values():
        cleared = stale.model_copy(update={"state": "cleared", "cleared_at": now, "updated_at": now})
        told.append((cleared, "conflict.cleared"))
    if pooled:  # the pool's assignment reads the stored conflicts, and writes those whose channel it changes
        tx.put_conflicts([conflict for conflict, _ in told])
        changed = channel_assignment.assign(tx, agreement, now, quiet={c.id for c, _ in told})
        told = [(changed.get(c.id, c), kind) for c, kind in told]
    bodies = [Encoded.whole(conflict.model_dump(mode="json")) for conflict, _ in told]
    if not pooled:
        tx.put_conflicts([conflict for conflict, _ in told], [body.text for body in bodies])
    _tell_both(tx, agreement, told, bodies, now)
    return [c for c, kind in told if kind != "conflict.cleared"]


def acknowledge(tx: Transaction, conflict_id: str, party_id: str, now: datetime) -> Conflict:
    """Record that `party_id` has taken note of the conflict. Only a side of the conflict may."""
    conflict = tx.get_conflict(conflict_id)
    if conflict is None or not conflict.involves(party_id):
        raise NotFound(f"no conflict {conflict_id} involving {party_id}", field="conflict_id")
    field = "acknowledged_a" if party_id == conflict.party_a else "acknowledged_b"
    if getattr(conflict, field) is not None:
        return conflict  # acknowledging twice is harmless and changes nothing
    if conflict.state != "open":
        raise InvalidState("the conflict has cleared; there is nothing to acknowledge", field="conflict_id")
    acknowledged = conflict.model_copy(update={field: now, "updated_at": now})
    tx.put_conflict(acknowledged)
    acknowledgments.fulfil(tx, "conflict", conflict.id, party_id, now)
    other = conflict.party_b if party_id == conflict.party_a else conflict.party_a
    publish(tx, other, "conflict.acknowledged", {"conflict": acknowledged.model_dump(mode="json"), "by": party_id}, now)
    audit.record(tx, party_id, "conflict.acknowledged", conflict.id, {"versions": [conflict.version_a, conflict.version_b]}, now)
    return acknowledged
