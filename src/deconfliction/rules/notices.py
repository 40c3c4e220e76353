"""Advance notices: file, change, activate, end, cancel — each one transaction, under the agreement's rules.

Order of checks in every write: membership and ownership → the volumes themselves (limits, horizon)
→ lead time → the index's candidates → exact conflicts → the awareness key → the conflict policy →
write the notice, its conflicts and their events. Anything refused raises before the first write,
and the store's transaction rolls back, so bad input and stale keys change nothing.
"""

from __future__ import annotations

import secrets
import uuid

from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from . import acknowledgments, audit, observers
from ..models.agreements import Agreement
from .conflicts import find_conflicts, reconcile
from .volume_limits import check_size
from .events import notice_audience, publish, publish_many
from ..errors import BeyondHorizon, ConflictRefused, Forbidden, InvalidInput, InvalidState, MissingKey, NotFound, TooLate, VersionMismatch
from ..geometry import Volume4D, area_at_most_m2, area_m2, volume_covers
from ..models import TRANSITIONS, Filing, Finding, Notice, NoticePrivate
from ..transparency.canonical import Encoded

if TYPE_CHECKING:
    from ..store import Transaction
from .zones import check_zones, zone_hits


def new_version() -> str:
    """Opaque, unguessable, different on every write."""
    return secrets.token_urlsafe(12)


def agreement_for(tx: Transaction, agreement_id: str, party_id: str) -> Agreement:
    agreement = tx.get_agreement(agreement_id)
    if agreement is None or party_id not in agreement.parties:
        # Not telling a non-member whether the agreement exists (invariant 3).
        raise NotFound(f"no agreement {agreement_id!r} with {party_id!r} as a member", field="agreement_id")
    return agreement


def check_volumes(agreement: Agreement, volumes: list[Volume4D], now: datetime, horizon: bool = True) -> None:
    """`horizon` False: the agreement's planning horizon is not enforced (the F3548 interface: the
    reference DSS has none; docs/f3548.md)."""
    if not volumes:
        raise InvalidInput("a notice needs at least one volume", field="volumes")
    check_size(agreement, volumes)
    for i, volume in enumerate(volumes):
        # The geodesic area (~1.5 ms for 2,000 vertices) only when the cheap bound cannot tell: the
        # bound is never below it, and dividing keeps the order, so the answer is the same.
        if area_at_most_m2(volume.footprint) / 1e6 > agreement.max_area_km2 and (area_km2 := area_m2(volume.footprint) / 1e6) > agreement.max_area_km2:
            raise InvalidInput(
                f"area {area_km2:,.0f} km² exceeds the agreement's limit of {agreement.max_area_km2:,.0f} km²", field=f"volumes.{i}.footprint"
            )
        if volume.time.end <= now:
            raise InvalidInput("the volume ends in the past", field=f"volumes.{i}.time.end")
        ahead = (volume.time.end - now).total_seconds()
        if horizon and ahead > agreement.planning_horizon_s:
            raise BeyondHorizon(
                f"ends {ahead / 86400:.1f} days ahead, past the agreement's planning horizon of {agreement.planning_horizon_s / 86400:.1f} days",
                field=f"volumes.{i}.time.end",
            )


def _lead_time(agreement: Agreement, start: datetime, now: datetime) -> tuple[float, bool]:
    """Lead time given, and whether it is late; raises when the agreement refuses late notices."""
    lead = (start - now).total_seconds()
    if lead >= agreement.min_lead_time_s:
        return lead, False
    if agreement.late_notices == "reject":
        raise TooLate(
            f"starts in {lead / 60:.1f} min; the agreement requires {agreement.min_lead_time_s / 60:.0f} min of notice",
            field="volumes",
            details={"lead_time_s": lead, "min_lead_time_s": agreement.min_lead_time_s},
        )
    return lead, True


def _require_awareness(findings: list[Finding], key: Iterable[str]) -> None:
    """Invariant 1: every conflicting notice's current version must be in the caller's key."""
    known = set(key)
    missing = [f.notice for f in findings if f.notice.version not in known]
    if missing:
        raise MissingKey(
            f"{len(missing)} conflicting notice(s) are not in your key at their current version; "
            "review them and present their versions",
            field="key",
            details={"missing": [n.minimised().model_dump(mode="json") for n in missing]},
        )


def _apply_policy(agreement: Agreement, findings: list[Finding]) -> None:
    if findings and agreement.conflict_policy == "reject":
        raise ConflictRefused(
            f"conflicts with {len(findings)} earlier notice(s), and the agreement refuses conflicting notices",
            field="volumes",
            details={"conflicting": [f.notice.minimised().model_dump(mode="json") for f in findings]},
        )


def _told(notice: Notice) -> dict:
    """What members are told of a notice (its minimised form) as JSON, its volumes encoded once for the
    events and the audit entry (a 2,000-vertex ring is ~3 ms of Python's json each time)."""
    told = notice.minimised().model_dump(mode="json")
    told["volumes"] = Encoded.shapes(told["volumes"])
    return told


def _tell_members(
    tx: Transaction, agreement: Agreement, notice: Notice, kind: str, now: datetime, findings: list[Finding] = (), owe_ack: bool = False,
    told: dict | None = None,
) -> None:
    """Publish the notice to the parties that should hear of it; with `owe_ack`, each owes an
    acknowledgment. `told`: _told(notice), when the caller has it."""
    payload = Encoded({"notice": told or _told(notice)})  # one text for every party
    audience = notice_audience(tx, agreement.parties, notice, kind, always={f.notice.party_id for f in findings})
    endpoints: dict[str, list] | None = None
    if len(audience) > 1:  # one read for the whole audience
        endpoints = {party: [] for party in audience}
        for endpoint in tx.list_endpoints():
            endpoints.setdefault(endpoint.party_id, []).append(endpoint)
    publish_many(tx, [(party, kind, payload) for party in audience], now, endpoints=endpoints)
    if owe_ack:
        tx.put_deadlines([
            acknowledgments.owed(
                kind="notice", subject_id=notice.id, version=notice.version, agreement=agreement,
                party_id=party, owner_id=notice.party_id, within_s=agreement.notice_ack_deadline_s, now=now,
            )
            for party in audience if not observers.owes_nothing(tx, agreement, party)
        ])


def _record(tx: Transaction, actor: str, action: str, notice: Notice, now: datetime, told: dict | None = None) -> None:
    # The audit keeps what others were told (the minimised notice), not the party's private fields.
    audit.record(tx, actor, action, notice.id, Encoded({"agreement_id": notice.agreement_id, "late": notice.late, **(told or _told(notice))}), now)


def scoped_id(agreement_id: str, chosen: str) -> str:
    """A chosen notice id belongs to its agreement: `<agreement>:<chosen>` (given so or not). Ids are
    unique across the store, so an unscoped chosen id would tell a party, by a refusal, that another
    agreement uses it (invariant 3); scoped, the same chosen id is free in every agreement."""
    prefix = f"{agreement_id}:"
    return chosen if chosen.startswith(prefix) else prefix + chosen


def file_notice(
    tx: Transaction,
    *,
    agreement_id: str,
    party_id: str,
    volumes: list[Volume4D],
    now: datetime,
    key: Iterable[str] = (),
    private: NoticePrivate | None = None,
    notice_id: str | None = None,
    horizon: bool = True,
    next_version: str | None = None,
) -> Filing:
    """`next_version`: the version to give the notice instead of a random one (the F3548 interface's
    requested OVN; the caller makes it unique)."""
    agreement = agreement_for(tx, agreement_id, party_id)
    check_volumes(agreement, volumes, now, horizon)
    lead, late = _lead_time(agreement, min(v.time.start for v in volumes), now)
    chosen = notice_id is not None  # chosen ids come scoped (scoped_id); F3548's are its UUIDs
    notice_id = notice_id or str(uuid.uuid4())  # a fresh random UUID names no notice yet: no need to ask
    if chosen and tx.get_notice(notice_id) is not None:
        raise InvalidState(f"notice {notice_id} already exists", field="id")
    zones = check_zones(tx, agreement, volumes)
    findings = find_conflicts(tx, agreement, party_id, volumes)
    _require_awareness(findings, key)
    _apply_policy(agreement, findings)
    notice = Notice(
        id=notice_id,
        agreement_id=agreement.id,
        party_id=party_id,
        volumes=volumes,
        state="planned",
        version=next_version or new_version(),
        filed_at=now,
        updated_at=now,
        lead_time_s=lead,
        late=late,
        private=private or NoticePrivate(),
    )
    tx.put_notice(notice)
    told = _told(notice)
    _record(tx, party_id, "notice.filed", notice, now, told)
    _tell_members(tx, agreement, notice, "notice.filed", now, findings, owe_ack=True, told=told)
    return Filing(notice, reconcile(tx, agreement, notice, findings, now, new=True), late, zones)


def own_notice(tx: Transaction, notice_id: str, party_id: str, version: str | None) -> Notice:
    notice = tx.get_notice(notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}", field="notice_id")
    if notice.party_id != party_id:
        agreement = tx.get_agreement(notice.agreement_id)
        if agreement is None or party_id not in agreement.parties:
            raise NotFound(f"no notice {notice_id}", field="notice_id")
        raise Forbidden("only the party that filed a notice may change it", field="notice_id")
    if version is not None and version != notice.version:
        raise VersionMismatch(
            "the notice has changed since that version; read it again", field="version", details={"current_version": notice.version}
        )
    return notice


def _new_airspace(old: list[Volume4D], new: list[Volume4D]) -> list[Volume4D]:
    """Volumes of a change that claim airspace the previous version did not: only these need notice."""
    return [v for v in new if not any(volume_covers(o, v) for o in old)]


def change_notice(
    tx: Transaction,
    *,
    notice_id: str,
    party_id: str,
    now: datetime,
    version: str | None = None,
    volumes: list[Volume4D] | None = None,
    state: str | None = None,
    key: Iterable[str] = (),
    private: NoticePrivate | None = None,
    as_flown: bool = False,
    horizon: bool = True,
    next_version: str | None = None,
) -> Filing:
    """Change a notice's volumes and/or state. Shrinking needs no notice; claiming more airspace
    needs the agreement's lead time for what is new, and the awareness key for what it conflicts with.

    `as_flown`: the new volumes record where an aircraft that no longer conforms already is (F3548
    Nonconforming/Contingent, which the standard exempts from the key). Refusing would hide where it
    is, so neither the key, the lead time nor the conflict policy is enforced; conflicts are still
    found, recorded and told, and a short lead time is still flagged `late`."""
    notice = own_notice(tx, notice_id, party_id, version)
    agreement = tx.get_agreement(notice.agreement_id)
    assert agreement is not None
    if not notice.is_live:
        raise InvalidState(f"the notice is {notice.state}; it can no longer change", field="notice_id")
    if state is not None and state != notice.state and state not in TRANSITIONS[notice.state]:
        raise InvalidState(f"a {notice.state} notice cannot become {state}", field="state")
    updates: dict = {"version": next_version or new_version(), "updated_at": now}
    if state is not None:
        updates["state"] = state
    if private is not None:
        updates["private"] = private
    late = notice.late
    findings: list[Finding] | None = None
    zones: list = []
    if volumes is not None:
        check_volumes(agreement, volumes, now, horizon)
        # Where a nonconforming aircraft already is cannot be refused: its zones are only reported.
        zones = zone_hits(tx.zones_of(agreement.id), volumes) if as_flown else check_zones(tx, agreement, volumes)
        claimed = _new_airspace(notice.volumes, volumes)
        if claimed:
            start = min(v.time.start for v in claimed)
            if as_flown:
                lead = (start - now).total_seconds()
                late_now = lead < agreement.min_lead_time_s
            else:
                lead, late_now = _lead_time(agreement, start, now)
            late = late or late_now
            updates.update(lead_time_s=min(notice.lead_time_s, lead), late=late)
        findings = find_conflicts(tx, agreement, party_id, volumes, exclude=notice.id)
        if not as_flown:
            _require_awareness(findings, key)
            # Under `reject`, only conflicts this change creates are refused; ones already accepted stand.
            already = {c.other_notice(notice.id) for c in tx.conflicts_of_notice(notice.id)}
            _apply_policy(agreement, [f for f in findings if f.notice.id not in already])
        updates["volumes"] = volumes
    changed = notice.model_copy(update=updates)
    tx.put_notice(changed)
    kind = {"cancelled": "notice.cancelled", "ended": "notice.ended"}.get(changed.state, "notice.changed")
    told = _told(changed)
    _record(tx, party_id, kind, changed, now, told)
    _tell_members(tx, agreement, changed, kind, now, findings or [], owe_ack=volumes is not None, told=told)
    if not changed.is_live:
        acknowledgments.withdraw(tx, changed.id, now)
    if findings is not None or not changed.is_live:
        conflicts = reconcile(tx, agreement, changed, findings or [], now)
    else:
        conflicts = tx.conflicts_of_notice(changed.id)
    return Filing(changed, conflicts, late, zones)


def cancel_notice(tx: Transaction, *, notice_id: str, party_id: str, now: datetime, version: str | None = None) -> Filing:
    return change_notice(tx, notice_id=notice_id, party_id=party_id, now=now, version=version, state="cancelled")


def end_notice(tx: Transaction, *, notice_id: str, party_id: str, now: datetime, version: str | None = None) -> Filing:
    return change_notice(tx, notice_id=notice_id, party_id=party_id, now=now, version=version, state="ended")


def activate_notice(tx: Transaction, *, notice_id: str, party_id: str, now: datetime, version: str | None = None) -> Filing:
    return change_notice(tx, notice_id=notice_id, party_id=party_id, now=now, version=version, state="active")


def set_conformance(tx: Transaction, *, notice_id: str, conforming: bool, now: datetime) -> Notice | None:
    """The monitor's verdict: an active notice whose aircraft strays becomes `nonconforming`, and
    `active` again once it conforms. Returns the notice if its state changed."""
    notice = tx.get_notice(notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}", field="notice_id")
    target = "active" if conforming else "nonconforming"
    if notice.state == target or notice.state not in ("active", "nonconforming"):
        return None
    changed = notice.model_copy(update={"state": target, "version": new_version(), "updated_at": now})
    tx.put_notice(changed)
    agreement = tx.get_agreement(notice.agreement_id)
    assert agreement is not None
    _record(tx, "monitor", "notice.changed", changed, now)
    _tell_members(tx, agreement, changed, "notice.changed", now)
    publish(tx, changed.party_id, "notice.changed", {"notice": changed.model_dump(mode="json")}, now)
    return changed


def expire_notice(tx: Transaction, notice: Notice, now: datetime) -> Notice:
    """A live notice whose every volume has ended becomes `ended`, by the system; its conflicts clear."""
    agreement = tx.get_agreement(notice.agreement_id)
    assert agreement is not None
    ended = notice.model_copy(update={"state": "ended", "version": new_version(), "updated_at": now})
    tx.put_notice(ended)
    _record(tx, "system", "notice.ended", ended, now)
    _tell_members(tx, agreement, ended, "notice.ended", now)
    publish(tx, ended.party_id, "notice.ended", {"notice": ended.model_dump(mode="json")}, now)
    acknowledgments.withdraw(tx, ended.id, now)
    reconcile(tx, agreement, ended, [], now)
    return ended


def visible_notice(tx: Transaction, notice_id: str, viewer: str) -> Notice:
    """A notice the viewer may see (members of its agreement only); NotFound otherwise."""
    notice = tx.get_notice(notice_id)
    if notice is not None and notice.party_id != viewer:
        agreement = tx.get_agreement(notice.agreement_id)
        if agreement is None or viewer not in agreement.parties:
            notice = None
    if notice is None:
        raise NotFound(f"no notice {notice_id}", field="notice_id")
    return notice
