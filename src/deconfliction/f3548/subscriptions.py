"""F3548 subscriptions: explicit (a USS's own) and implicit (made for one operational intent), with
notification indices, and the `subscribers` a writer must notify. Intersection is our exact 4-D
geometry (overlap in time, altitude and area), not the reference DSS's ~1 km² cells."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Literal

from ..rules import audit
from ..errors import Forbidden, InvalidInput, InvalidState, NotFound, VersionMismatch
from ..rules.events import TOUCHING
from ..geometry import Volume4D, volume_conflict, volume_covers
from ..rules.notices import new_version
from . import extent
from . import prechecked
from .config import F3548Config
from ..models import Notice
from ..models.f3548 import SubscriptionRecord
from .wire import new_id, time

if TYPE_CHECKING:
    from ..store import Transaction

SC = "utm.strategic_coordination"


def intersects(a: Iterable[Volume4D], b: Iterable[Volume4D]) -> bool:
    b = list(b)
    return any(volume_conflict(x, y, TOUCHING) for x in a for y in b)


def covers(outer: list[Volume4D], inner: list[Volume4D]) -> bool:
    """Every inner volume inside one outer volume (conservative: a volume split across two is 'not covered')."""
    return all(any(volume_covers(o, v) for o in outer) for v in inner)


def candidates(tx: Transaction, cfg: F3548Config, volumes: list[Volume4D], manager: str | None = None) -> list[SubscriptionRecord]:
    """Subscriptions that may intersect the volumes, from the store's 4-D index (it only narrows;
    `intersects` decides). bench/f3548_intents.py swaps in the time-window scan to compare."""
    return tx.f3548_subscriptions_near(cfg.agreement_id, volumes, TOUCHING, manager=manager)


def notify(
    tx: Transaction, cfg: F3548Config, volumes: list[Volume4D], about: Literal["intents", "constraints"], previous: Notice | None = None,
) -> list[dict[str, Any]]:
    """Subscriptions that must hear of a change in `volumes` (and in `previous`'s volumes, the intent as
    it was before): their notification index goes up by one, and they are returned grouped by USS base
    URL, as `subscribers` (the writer's own included)."""
    touched = [*previous.volumes, *volumes] if previous is not None else volumes
    asked = prechecked.request(volumes, previous)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for sub in candidates(tx, cfg, extent.search_volumes(touched)):
        wanted = sub.notify_for_operational_intents if about == "intents" else sub.notify_for_constraints
        if not wanted or not prechecked.relevant(("subscription", sub.id, sub.version), sub.volumes, touched, TOUCHING, asked):
            continue
        bumped = sub.model_copy(update={"notification_index": sub.notification_index + 1})
        tx.put_f3548_subscription(bumped)
        by_url.setdefault(bumped.uss_base_url, []).append({"subscription_id": bumped.id, "notification_index": bumped.notification_index})
    return [{"uss_base_url": url, "subscriptions": subs} for url, subs in sorted(by_url.items())]


def to_wire(tx: Transaction, sub: SubscriptionRecord) -> dict[str, Any]:
    dependents = [r.id for r in tx.f3548_intents_using(sub.id)]
    return {
        "id": sub.id,
        "version": sub.version,
        "notification_index": sub.notification_index,
        "time_start": time(sub.time_start),
        "time_end": time(sub.time_end),
        "uss_base_url": sub.uss_base_url,
        "notify_for_operational_intents": sub.notify_for_operational_intents,
        "notify_for_constraints": sub.notify_for_constraints,
        "implicit_subscription": sub.implicit,
        "dependent_operational_intents": dependents,
    }


def own(tx: Transaction, cfg: F3548Config, uss: str, subscription_id: str) -> SubscriptionRecord:
    """One of the caller's subscriptions; another USS's is as good as absent (404)."""
    sub = tx.get_f3548_subscription(subscription_id)
    if sub is None or sub.agreement_id != cfg.agreement_id or sub.manager != uss:
        raise NotFound(f"no subscription {subscription_id}", field="subscriptionid")
    return sub


def query(tx: Transaction, cfg: F3548Config, uss: str, area: Volume4D, now: datetime) -> list[SubscriptionRecord]:
    """The caller's unexpired subscriptions that intersect the area (only one's own, as the standard
    says; an expired one is gone from searches, as in the reference DSS, though GET still finds it)."""
    return [s for s in candidates(tx, cfg, [area], manager=uss) if s.time_end > now and intersects(s.volumes, [area])]


def check_duration(cfg: F3548Config, volume: Volume4D, now: datetime) -> None:
    if volume.time.end <= now:
        raise InvalidInput("the end time is in the past", field="extents.time_end")
    if volume.time.end - volume.time.start > timedelta(hours=cfg.subscription_max_hours):
        raise InvalidInput(f"a subscription may last at most {cfg.subscription_max_hours:.0f} hours", field="extents.time_end")


def _check_flags(scopes: frozenset[str], intents: bool, constraints: bool) -> None:
    """At least one kind; constraint notifications need no scope of their own (as in the reference DSS)."""
    if not (intents or constraints):
        raise InvalidInput("ask for at least one kind of notification (notify_for_operational_intents or notify_for_constraints)", field="notify_for_operational_intents")
    if intents and SC not in scopes:
        raise Forbidden(f"notifications for operational intents need the {SC} scope", field="notify_for_operational_intents")


def times_from(extents: dict, existing: SubscriptionRecord | None) -> dict:
    """The reference DSS: an update that leaves out time_start or time_end keeps the subscription's."""
    if existing is None or not isinstance(extents, dict):
        return extents
    filled = dict(extents)
    if filled.get("time_start") is None:
        filled["time_start"] = time(existing.time_start)
    if filled.get("time_end") is None:
        filled["time_end"] = time(existing.time_end)
    return filled


def put(
    tx: Transaction, cfg: F3548Config, *, uss: str, scopes: frozenset[str], now: datetime, subscription_id: str,
    version: str | None, volume: Volume4D, uss_base_url: str, intents: bool, constraints: bool,
) -> SubscriptionRecord:
    """Create (version None) or update a subscription."""
    _check_flags(scopes, intents, constraints)
    check_duration(cfg, volume, now)
    existing = tx.get_f3548_subscription(subscription_id)
    if version is None:
        if existing is not None:
            raise InvalidState(f"subscription {subscription_id} already exists", field="subscriptionid")
        implicit = False
    else:
        if existing is None or existing.agreement_id != cfg.agreement_id:
            raise NotFound(f"no subscription {subscription_id}", field="subscriptionid")
        if version != existing.version:
            raise VersionMismatch(f"the subscription is at another version than {version!r}", field="version")
        if existing.manager != uss:
            raise Forbidden(f"subscription {subscription_id} is managed by another USS", field="subscriptionid")
        _keep_dependents_covered(tx, existing, [volume], intents)
        implicit = False  # as the reference DSS: a USS's own update makes it its own (explicit) subscription
    sub = SubscriptionRecord(
        id=subscription_id, agreement_id=cfg.agreement_id, manager=uss, version=new_version(),
        notification_index=existing.notification_index if existing else 0, uss_base_url=uss_base_url,
        notify_for_operational_intents=intents, notify_for_constraints=constraints, implicit=implicit, volumes=[volume],
    )
    tx.put_f3548_subscription(sub)
    audit.record(tx, uss, "f3548.subscription." + ("created" if version is None else "updated"), sub.id,
                 {"notify_for_operational_intents": intents, "notify_for_constraints": constraints}, now)
    return sub


# The reference DSS lets a subscription with dependent intents start up to 5 minutes after them.
DEPENDENT_START_SLACK = timedelta(minutes=5)


def _keep_dependents_covered(tx: Transaction, sub: SubscriptionRecord, volumes: list[Volume4D], intents: bool) -> None:
    """The standard: an update that would leave an operational intent without coverage is a bad request."""
    for record in tx.f3548_intents_using(sub.id):
        notice = tx.get_notice(record.notice_id)
        if notice is None or not notice.is_live:
            continue
        if not intents or not extent.covers(volumes, notice.volumes, DEPENDENT_START_SLACK):
            raise InvalidInput(
                f"operational intent {record.id} depends on this subscription, which would no longer cover it",
                field="extents",
            )


def delete(tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, subscription_id: str, version: str) -> SubscriptionRecord:
    sub = tx.get_f3548_subscription(subscription_id)
    if sub is None or sub.agreement_id != cfg.agreement_id:
        raise NotFound(f"no subscription {subscription_id}", field="subscriptionid")
    if sub.manager != uss:
        raise Forbidden(f"subscription {subscription_id} is managed by another USS", field="subscriptionid")
    if version != sub.version:
        raise VersionMismatch(f"the subscription is at another version than {version!r}", field="version")
    dependents = [r.id for r in tx.f3548_intents_using(sub.id)]
    if dependents:
        raise InvalidInput(f"operational intents depend on this subscription: {', '.join(dependents)}", field="subscriptionid")
    tx.delete_f3548_subscription(sub.id)
    audit.record(tx, uss, "f3548.subscription.deleted", sub.id, {}, now)
    return sub


def implicit_for(
    tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, volumes: list[Volume4D], uss_base_url: str, constraints: bool,
    existing: SubscriptionRecord | None = None,
) -> SubscriptionRecord:
    """The implicit subscription of an intent: made to its extent (the union: extent.py), and grown
    (never shrunk) when the intent names it and outgrows it, as the reference DSS does."""
    if existing is None:
        sub = SubscriptionRecord(
            id=new_id(), agreement_id=cfg.agreement_id, manager=uss, version=new_version(), uss_base_url=uss_base_url,
            notify_for_operational_intents=True, notify_for_constraints=constraints, implicit=True, volumes=extent.stretched(volumes),
        )
        action = "created"
    else:
        grown = [*existing.volumes, *[v for v in extent.stretched(volumes) if not extent.covers(existing.volumes, [v])]]
        sub = existing.model_copy(update={"volumes": grown, "version": new_version()})
        action = "updated"
    tx.put_f3548_subscription(sub)
    audit.record(tx, uss, f"f3548.subscription.{action}", sub.id, {"implicit": True}, now)
    return sub

