"""Publishing events into parties' durable feeds (the transactional outbox).

An event is written in the same transaction as the change that causes it, and with it one pending
delivery per webhook of the party that wants it. Subscriptions narrow which notice events a party
hears; a party with no subscription in an agreement hears every notice of it, and a party whose
notice is in conflict always hears.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..geometry import Minima, volume_conflict
from ..models import Delivery, Endpoint, Notice

if TYPE_CHECKING:
    from ..store import Transaction

TOUCHING = Minima(lateral_m=1e-3, vertical_m=0.0, time_buffer_s=0.0)


def wants(kinds: Iterable[str], kind: str) -> bool:
    """Empty means everything; otherwise prefixes ('notice.' hears notice.filed, notice.changed…)."""
    kinds = list(kinds)
    return not kinds or any(kind.startswith(prefix) for prefix in kinds)


def publish(
    tx: Transaction, party_id: str, kind: str, payload: dict[str, Any], now: datetime, endpoints: Sequence[Endpoint] | None = None
) -> int:
    """Append the event to the party's feed, with a delivery per webhook that wants it. `endpoints`:
    the party's endpoints when the caller already read them (publishing many events in one transaction)."""
    seq = tx.append_event(party_id, kind, payload, now)
    for endpoint in tx.list_endpoints(party_id) if endpoints is None else endpoints:
        if endpoint.active and wants(endpoint.kinds, kind):
            tx.put_delivery(
                Delivery(id=f"{seq:012d}-{endpoint.id}", event_seq=seq, endpoint_id=endpoint.id, party_id=party_id, next_attempt_at=now)
            )
    return seq


def publish_many(
    tx: Transaction, events: Sequence[tuple[str, str, dict[str, Any]]], now: datetime, endpoints: dict[str, Sequence[Endpoint]] | None = None
) -> list[int]:
    """`publish` for (party, kind, payload) events in order, in one statement; a payload told to
    several parties is encoded once. `endpoints`: parties' endpoints already read (filled as read)."""
    numbers = tx.append_events(events, now)
    endpoints = {} if endpoints is None else endpoints
    for seq, (party_id, kind, _) in zip(numbers, events):
        if party_id not in endpoints:
            endpoints[party_id] = tx.list_endpoints(party_id)
        for endpoint in endpoints[party_id]:
            if endpoint.active and wants(endpoint.kinds, kind):
                tx.put_delivery(
                    Delivery(id=f"{seq:012d}-{endpoint.id}", event_seq=seq, endpoint_id=endpoint.id, party_id=party_id, next_attempt_at=now)
                )
    return numbers


def notice_audience(tx: Transaction, parties: Iterable[str], notice: Notice, kind: str, always: Iterable[str] = ()) -> list[str]:
    """Which parties hear about this notice: by their subscriptions, and always those in conflict with it."""
    always = set(always)
    audience = []
    by_party: dict[str, list] = {}
    for subscription in tx.list_subscriptions(agreement_id=notice.agreement_id):  # one read for every party
        by_party.setdefault(subscription.party_id, []).append(subscription)
    for party in parties:
        if party == notice.party_id:
            continue
        if party in always:
            audience.append(party)
            continue
        subscriptions = by_party.get(party, [])
        if not subscriptions:
            audience.append(party)
            continue
        for subscription in subscriptions:
            if wants(subscription.kinds, kind) and any(
                volume_conflict(mine, theirs, TOUCHING) for mine in subscription.volumes for theirs in notice.volumes
            ):
                audience.append(party)
                break
    return audience


def new_id() -> str:
    return str(uuid.uuid4())
