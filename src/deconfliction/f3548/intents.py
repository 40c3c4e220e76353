"""Operational intent references, as notices of the interface's agreement.

An intent *is* a notice: its id (ids.py: an id used again names a later notice), its manager (the
party), its volumes (the extents), and its OVN (the notice's version). The F3548 key is checked as the
reference DSS checks it, on the intents' union extents (extent.py), and then by notices.py as every
awareness key is. What F3548 adds (numeric version, Contingent, base URL, subscription) is an
IntentRecord beside it. Notices filed through the native API appear here too (version 1, their state
mapped, an empty base URL)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from ..rules import notices
from ..errors import ConflictRefused, Forbidden, InvalidInput, InvalidState, MissingKey, NotFound, VersionMismatch
from ..rules.events import TOUCHING
from ..geometry import Volume4D
from ..models import LIVE_STATES, Notice
from . import constraints as constraint_rules
from . import extent
from . import prechecked
from . import ids as intent_ids
from . import subscriptions as subscription_rules
from .config import F3548Config
from ..models.f3548 import IntentRecord, SubscriptionRecord
from .uss import availability, require_not_down
from .wire import NULL_SUBSCRIPTION, text, time

if TYPE_CHECKING:
    from ..store import Transaction

SC = "utm.strategic_coordination"
CMSA = "utm.conformance_monitoring_sa"

KEYED = {"Accepted", "Activated"}  # writes into these states must prove awareness (the key)
TO_NOTICE = {"Accepted": "planned", "Activated": "active", "Nonconforming": "nonconforming", "Contingent": "nonconforming"}
FROM_NOTICE = {"planned": "Accepted", "active": "Activated", "nonconforming": "Nonconforming"}
# What a USS may move an intent to, from what (the standard's state diagram); the rest is a 400.
ALLOWED: dict[str | None, set[str]] = {
    None: {"Accepted", "Activated"},
    "Accepted": {"Accepted", "Activated"},
    "Activated": {"Activated", "Nonconforming", "Contingent"},
    "Nonconforming": {"Nonconforming", "Activated", "Contingent"},
    "Contingent": {"Contingent"},
}


class AirspaceConflict(MissingKey):
    """409 with the standard's AirspaceConflictResponse: what the key lacked (intents, constraints)."""


def state_of(notice: Notice, record: IntentRecord | None) -> str:
    if record is not None and record.state == "Contingent" and notice.state == "nonconforming":
        return "Contingent"  # our notice states have no Contingent; the record remembers it
    return FROM_NOTICE[notice.state]


def reference(tx: Transaction, notice: Notice, viewer: str, record: IntentRecord | None = None) -> dict[str, Any]:
    """The wire reference of a live notice; the OVN only for its manager."""
    record = record or tx.get_f3548_intent(notice.id)
    out: dict[str, Any] = {
        "id": record.id if record else notice.id,
        "manager": notice.party_id,
        "uss_availability": availability(tx, notice.party_id).availability,
        # a change through the native API since the last /dss/v1 write counts once more
        "version": (record.version + (notice.version != record.ovn)) if record else 1,
        "state": state_of(notice, record),
        "time_start": time(notice.start),
        "time_end": time(notice.end),
        "uss_base_url": record.uss_base_url if record else "",
        "subscription_id": (record.subscription_id if record else None) or NULL_SUBSCRIPTION,
    }
    if viewer == notice.party_id:
        out["ovn"] = notice.version
    return out


def _visible(tx: Transaction, cfg: F3548Config, entity_id: str) -> Notice:
    notice, _ = intent_ids.resolve(tx, cfg.agreement_id, entity_id)
    if notice is None:
        raise NotFound(f"no operational intent {entity_id}", field="entityid")
    return notice


def get(tx: Transaction, cfg: F3548Config, viewer: str, entity_id: str) -> dict[str, Any]:
    return reference(tx, _visible(tx, cfg, entity_id), viewer)


def query(tx: Transaction, cfg: F3548Config, viewer: str, area: Volume4D) -> list[dict[str, Any]]:
    """Live intents (notices) of the agreement whose extent (extent.py) intersects the area."""
    found = tx.candidate_notices(cfg.agreement_id, extent.search_volumes([area]), TOUCHING, LIVE_STATES)
    hits = [n for n in found if extent.relevant([area], n.volumes, TOUCHING)]
    return [reference(tx, n, viewer) for n in sorted(hits, key=lambda n: n.id)]


# The InterUSS OVN-request extension: a requested suffix must be a UUIDv7 of about now.
OVN_SUFFIX_SKEW = timedelta(minutes=5)


def requested_ovn(params: dict, entity_id: str, now: datetime) -> str | None:
    """`{entity id}_{requested_ovn_suffix}` when the USS asks for it (the extension InterUSS's DSS
    implements), else None: the OVN is ours to choose."""
    suffix = params.get("requested_ovn_suffix")
    if suffix is None:
        return None
    try:
        value = uuid.UUID(str(suffix))
    except ValueError:
        raise InvalidInput(f"{suffix!r} is not a UUID", field="requested_ovn_suffix") from None
    if value.version != 7:
        raise InvalidInput(f"the suffix is a version-{value.version} UUID, not version 7", field="requested_ovn_suffix")
    stamped = datetime.fromtimestamp((value.int >> 80) / 1000, tz=timezone.utc)  # UUIDv7: 48-bit Unix milliseconds first
    if abs(stamped - now) > OVN_SUFFIX_SKEW:
        raise InvalidInput(f"the suffix's time {stamped.isoformat()} is more than 5 minutes from now", field="requested_ovn_suffix")
    return f"{entity_id}_{str(value)}"


def _require_scopes(scopes: frozenset[str], state: str) -> None:
    """The reference DSS: the off-nominal states need conformance monitoring; Accepted/Activated
    strategic coordination. Constraint notifications need no scope of their own (as there)."""
    needed = SC if state in KEYED else CMSA
    if needed not in scopes:
        raise Forbidden(f"putting an operational intent in state {state} needs the {needed} scope", field="state")


def _subscription(
    tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, state: str, volumes: list[Volume4D], params: dict,
) -> SubscriptionRecord | None:
    """The subscription the intent will use, as the reference DSS chooses it: the one named (an
    implicit one is grown to cover the extents, an explicit one must already cover them), a new
    implicit one made exactly to the extents, or none (only an Accepted intent may have none)."""
    named = params.get("subscription_id")
    new = params.get("new_subscription")
    if named and new:
        raise InvalidInput("give subscription_id or new_subscription, not both", field="new_subscription")
    if not named and not new:
        if state != "Accepted":
            raise InvalidInput(f"an intent in state {state} needs subscription_id or new_subscription", field="new_subscription")
        return None
    if new:
        return subscription_rules.implicit_for(
            tx, cfg, uss=uss, now=now, volumes=volumes, uss_base_url=str(new["uss_base_url"]),
            constraints=bool(new.get("notify_for_constraints")),
        )
    sub = tx.get_f3548_subscription(str(named).lower())
    if sub is None or sub.agreement_id != cfg.agreement_id:
        raise InvalidInput(f"no subscription {named}", field="subscription_id")
    if sub.manager != uss:
        raise Forbidden(f"subscription {named} is managed by another USS", field="subscription_id")
    if extent.covers(sub.volumes, volumes):
        return sub
    if sub.implicit:
        return subscription_rules.implicit_for(
            tx, cfg, uss=uss, now=now, volumes=volumes, uss_base_url=sub.uss_base_url, constraints=sub.notify_for_constraints, existing=sub,
        )
    raise InvalidInput("the subscription does not cover the operational intent's extents", field="subscription_id")


def _conflict(
    tx: Transaction, cfg: F3548Config, now: datetime, viewer: str, notice_ids: list[str], missing_constraints: list, message: str,
) -> AirspaceConflict:
    missing = [tx.get_notice(i) for i in notice_ids]
    return AirspaceConflict(
        message, field="key",
        details={
            "missing_operational_intents": [reference(tx, n, viewer) for n in missing if n is not None],
            "missing_constraints": [constraint_rules.reference(tx, c, viewer, cfg, now) for c in missing_constraints],
        },
    )


def _check_key(tx: Transaction, cfg: F3548Config, *, uss: str, notice_id: str, volumes: list[Volume4D], key: list[str], now: datetime) -> list[str]:
    """The standard's key, as the reference DSS checks it: the OVN of every live Accepted or Activated
    intent that the extents intersect (within the agreement's minima), whoever manages it, the
    caller's own included; only the intent being changed is exempt. Returns the key to give
    notices.py: with the OVNs of intersecting off-nominal intents too, which the standard exempts."""
    agreement = tx.get_agreement(cfg.agreement_id)
    minima = agreement.separation.minima()
    asked = prechecked.request(volumes)
    near = [
        n for n in tx.candidate_notices(cfg.agreement_id, extent.search_volumes(volumes), minima, LIVE_STATES)
        if n.id != notice_id and prechecked.relevant(("notice", n.id, n.version), n.volumes, volumes, minima, asked)
    ]
    missing = [n for n in sorted(near, key=lambda n: n.id) if n.state in ("planned", "active") and n.version not in key]
    if missing:
        raise _conflict(tx, cfg, now, uss, [n.id for n in missing], [], f"{len(missing)} intersecting operational intent(s) are not in your key at their current OVN")
    return [*key, *(n.version for n in near if n.state == "nonconforming")]


def put(
    tx: Transaction, cfg: F3548Config, *, uss: str, scopes: frozenset[str], now: datetime, entity_id: str, ovn: str | None,
    params: dict, volumes: list[Volume4D],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create (ovn None) or update an intent; returns its reference and the subscribers to notify.
    The id of a deleted intent may name a new one (ids.py)."""
    state = text(params["state"])
    requested = requested_ovn(params, entity_id, now)  # a bad suffix is a bad request before anything else
    _require_scopes(scopes, state)
    # As the reference DSS: the union must end in the future (volumes already over are not kept), and
    # there is no planning horizon (OiMaxPlanHorizonDays binds USSs, not the DSS).
    volumes = extent.live_part(volumes, now)
    if not volumes:
        raise InvalidInput("the operational intent ends in the past", field="extents")
    key = [str(k) for k in params.get("key") or []]
    existing, notice_id = intent_ids.resolve(tx, cfg.agreement_id, entity_id)
    record: IntentRecord | None = None
    if ovn is None:
        if existing is not None:
            raise InvalidState(f"operational intent {entity_id} already exists", field="entityid")
        previous_state = None
    else:
        existing = _visible(tx, cfg, entity_id)
        if existing.party_id != uss:
            raise Forbidden(f"operational intent {entity_id} is managed by {existing.party_id}", field="entityid")
        if ovn != existing.version:
            raise VersionMismatch("the operational intent has changed since that OVN", field="ovn")
        record = tx.get_f3548_intent(notice_id)
        previous_state = state_of(existing, record)
    if state not in ALLOWED[previous_state]:
        raise InvalidInput(f"an operational intent cannot go from {previous_state or 'nothing'} to {state}", field="state")
    if state in KEYED:
        require_not_down(tx, uss, f"put an operational intent in state {state}")
    sub = _subscription(tx, cfg, uss=uss, now=now, state=state, volumes=volumes, params=params)

    keyed = state in KEYED
    if keyed:
        key = _check_key(tx, cfg, uss=uss, notice_id=notice_id, volumes=volumes, key=key, now=now)
    missing_constraints = []
    if keyed and sub is not None and sub.notify_for_constraints:
        missing_constraints = [c for c in constraint_rules.intersecting(tx, cfg, volumes, now) if c.ovn not in key]
    try:
        if ovn is None:
            filing = notices.file_notice(
                tx, agreement_id=cfg.agreement_id, party_id=uss, volumes=volumes, now=now, key=key, notice_id=notice_id, horizon=False,
                next_version=requested if state == "Accepted" else None)
            if state == "Activated":
                filing = notices.change_notice(tx, notice_id=notice_id, party_id=uss, now=now, state="active", next_version=requested)
        else:
            target = TO_NOTICE[state]
            filing = notices.change_notice(
                tx, notice_id=notice_id, party_id=uss, now=now, version=ovn, volumes=volumes,
                state=target if target != existing.state else None, key=key, as_flown=not keyed, horizon=False, next_version=requested,
            )
    except MissingKey as refused:
        ids = [m["id"] for m in refused.details.get("missing", [])]
        raise _conflict(tx, cfg, now, uss, ids, missing_constraints, refused.message) from None
    except ConflictRefused as refused:
        if "zones" not in refused.details:
            raise
        # A prohibited zone of the agreement (zone_policy "refuse"): in the standard's shape, naming the
        # constraint; no key lets the intent in.
        prohibited = [z for z in (tx.get_zone(hit["zone"]["id"]) for hit in refused.details["zones"]) if z is not None]
        raise _conflict(tx, cfg, now, uss, [], prohibited, refused.message) from None
    if missing_constraints:  # raising rolls back the write above
        raise _conflict(tx, cfg, now, uss, [], missing_constraints, f"{len(missing_constraints)} constraint(s) are not in your key at their current OVN")

    record = IntentRecord(
        notice_id=notice_id, entity_id=entity_id if entity_id != notice_id else None, agreement_id=cfg.agreement_id, manager=uss, state=state,
        version=(record.version + 1) if record else 1, ovn=filing.notice.version,
        uss_base_url=str(params["uss_base_url"]), subscription_id=sub.id if sub else None,
    )
    before = tx.get_f3548_intent(notice_id)
    tx.put_f3548_intent(record)
    if before is not None and before.subscription_id not in (None, record.subscription_id):
        _drop_orphaned_implicit(tx, before.subscription_id)
    subscribers = subscription_rules.notify(tx, cfg, volumes, "intents", previous=existing if ovn is not None else None)
    return reference(tx, filing.notice, uss, record), subscribers


def put_from_snapshot(
    read: Callable[[Callable[[Transaction], Any]], Any], write: Callable[[Callable[[Transaction], Any]], Any], cfg: F3548Config, *,
    uss: str, scopes: frozenset[str], now: datetime, entity_id: str, ovn: str | None, params: dict, volumes: list[Volume4D],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`put` in one write transaction (`write`), its geometry first computed against a snapshot
    (`read`, prechecked.py) so that the write lock is held for milliseconds, not for the shapes."""
    known = prechecked.for_put(read, cfg, uss=uss, entity_id=entity_id, volumes=volumes, now=now)
    with prechecked.using(known):
        return write(lambda tx: put(tx, cfg, uss=uss, scopes=scopes, now=now, entity_id=entity_id, ovn=ovn, params=params, volumes=volumes))


def delete(tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, entity_id: str, ovn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    notice = _visible(tx, cfg, entity_id)
    notice_id = notice.id
    if notice.party_id != uss:
        raise Forbidden(f"operational intent {entity_id} is managed by {notice.party_id}", field="entityid")
    if ovn != notice.version:
        raise VersionMismatch("the operational intent has changed since that OVN", field="ovn")
    require_not_down(tx, uss, "delete an operational intent")
    record = tx.get_f3548_intent(notice_id)
    gone = reference(tx, notice, uss, record)
    notices.change_notice(tx, notice_id=notice_id, party_id=uss, now=now, version=ovn, state="cancelled" if notice.state == "planned" else "ended")
    tx.delete_f3548_intent(notice_id)
    if record is not None and record.subscription_id:
        _drop_orphaned_implicit(tx, record.subscription_id)
    return gone, subscription_rules.notify(tx, cfg, notice.volumes, "intents")


def _drop_orphaned_implicit(tx: Transaction, subscription_id: str) -> None:
    """An implicit subscription goes with the last intent that used it (the standard: the DSS manages it)."""
    sub = tx.get_f3548_subscription(subscription_id)
    if sub is not None and sub.implicit and not tx.f3548_intents_using(sub.id):
        tx.delete_f3548_subscription(sub.id)
