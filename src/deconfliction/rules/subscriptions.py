"""Subscriptions (areas of interest) and webhook endpoints: how a party chooses what it hears, and where."""

from __future__ import annotations

from typing import TYPE_CHECKING
import secrets
from datetime import datetime
from urllib.parse import urlparse

from . import audit
from ..errors import InvalidInput, NotFound
from .events import new_id
from ..geometry import Volume4D
from ..models import Endpoint, Subscription
from .notices import agreement_for

if TYPE_CHECKING:
    from ..store import Transaction

EVENT_KINDS = ("notice.", "conflict.", "ack.", "hotline.", "alert.", "conformance.")


def _check_kinds(kinds: list[str]) -> list[str]:
    for i, kind in enumerate(kinds):
        if not isinstance(kind, str) or not kind.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in kind):
            raise InvalidInput("an event kind is a non-empty prefix such as 'notice.' or 'hotline.message'", field=f"kinds.{i}")
        if not any(kind.startswith(prefix) or prefix.startswith(kind) for prefix in EVENT_KINDS):
            raise InvalidInput(f"unknown event kind {kind!r}; kinds start with {', '.join(EVENT_KINDS)}", field=f"kinds.{i}")
    return kinds


def subscribe(tx: Transaction, *, party_id: str, agreement_id: str, volumes: list[Volume4D], kinds: list[str], now: datetime) -> Subscription:
    agreement_for(tx, agreement_id, party_id)
    if not volumes:
        raise InvalidInput("a subscription needs at least one volume (its area of interest)", field="volumes")
    subscription = Subscription(
        id=new_id(), party_id=party_id, agreement_id=agreement_id, volumes=volumes, kinds=_check_kinds(kinds or ["notice."]), created_at=now
    )
    tx.put_subscription(subscription)
    audit.record(tx, party_id, "subscription.created", subscription.id, {"agreement_id": agreement_id, "kinds": subscription.kinds}, now)
    return subscription


def unsubscribe(tx: Transaction, *, party_id: str, subscription_id: str, now: datetime) -> None:
    subscription = tx.get_subscription(subscription_id)
    if subscription is None or subscription.party_id != party_id:
        raise NotFound(f"no subscription {subscription_id}", field="subscription_id")
    tx.delete_subscription(subscription_id)
    audit.record(tx, party_id, "subscription.deleted", subscription_id, {}, now)


def add_endpoint(
    tx: Transaction, *, party_id: str, url: str, secret: str | None, kinds: list[str], now: datetime, allow_http: bool = False
) -> Endpoint:
    parsed = urlparse(url)
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise InvalidInput("expected an absolute http(s) URL", field="url")
    if parsed.scheme == "http" and not (loopback or allow_http):
        raise InvalidInput("webhooks must use https (plain http only to loopback)", field="url")
    if tx.get_party(party_id) is None:
        raise NotFound(f"no party {party_id!r}", field="party_id")
    endpoint = Endpoint(
        id=new_id(), party_id=party_id, url=url, secret=secret or secrets.token_urlsafe(32), kinds=_check_kinds(kinds), created_at=now
    )
    tx.put_endpoint(endpoint)
    audit.record(tx, party_id, "endpoint.created", endpoint.id, {"url": url, "kinds": endpoint.kinds}, now)
    return endpoint


def remove_endpoint(tx: Transaction, *, party_id: str, endpoint_id: str, now: datetime) -> None:
    endpoint = tx.get_endpoint(endpoint_id)
    if endpoint is None or endpoint.party_id != party_id:
        raise NotFound(f"no endpoint {endpoint_id}", field="endpoint_id")
    tx.delete_endpoint(endpoint_id)
    audit.record(tx, party_id, "endpoint.deleted", endpoint_id, {}, now)
