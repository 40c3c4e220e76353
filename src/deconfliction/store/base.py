"""The store protocol: what business logic may ask of a store, inside one transaction.

Services are plain functions that take a Transaction, so the same logic runs on every backend.
A store narrows candidates with its own index; the exact geometry is always decided in Python.
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Callable, Iterable, Protocol, Sequence, TypeVar

from ..models.agreements import Agreement, Party
from ..geometry import Minima, Volume4D
from .f3548 import F3548Transaction
from .transparency import TransparencyTransaction
from ..models import AuditEntry, Conflict, Credential, Deadline, Delivery, Endpoint, Event, HotlineMessage, Notice, Subscription

T = TypeVar("T")


class Transaction(F3548Transaction, TransparencyTransaction, Protocol):  # F3548's tables: store/f3548.py; the log's: store/transparency.py
    # Agreements and parties
    def get_agreement(self, agreement_id: str) -> Agreement | None: ...
    def put_agreement(self, agreement: Agreement, now: datetime) -> None: ...
    def list_agreements(self, party_id: str | None = None) -> list[Agreement]: ...
    def get_party(self, party_id: str) -> Party | None: ...
    def put_party(self, party: Party) -> None: ...
    def list_parties(self) -> list[Party]: ...

    # Notices
    def get_notice(self, notice_id: str) -> Notice | None: ...
    def put_notice(self, notice: Notice) -> None: ...
    def candidate_notices(
        self, agreement_id: str | None, volumes: Sequence[Volume4D], minima: Minima, states: Iterable[str]
    ) -> list[Notice]: ...
    def find_notices(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        states: Iterable[str] | None = None,
        limit: int = 100,
        after_id: str | None = None,
        filed_from: datetime | None = None,
        filed_to: datetime | None = None,
    ) -> list[Notice]: ...

    # Conflicts
    def get_conflict(self, conflict_id: str) -> Conflict | None: ...
    def put_conflict(self, conflict: Conflict) -> None: ...
    def put_conflicts(self, conflicts: Sequence[Conflict], bodies: Sequence[str] | None = None) -> None: ...  # one statement for many
    def conflicts_of_notice(self, notice_id: str, open_only: bool = True) -> list[Conflict]: ...
    def find_conflicts(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        open_only: bool = True,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Conflict]: ...

    # Outbox: events are written in the same transaction as the change that causes them
    def append_event(self, party_id: str, kind: str, payload: dict[str, Any], now: datetime) -> int: ...
    def append_events(self, events: Sequence[tuple[str, str, dict[str, Any]]], now: datetime) -> list[int]: ...  # in order, each payload encoded once
    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]: ...
    def get_event(self, seq: int) -> Event | None: ...
    def last_event_seq(self) -> int: ...

    # Notices past their end that are still live (the scheduler ends them)
    def expired_notices(self, now: datetime, limit: int = 100) -> list[Notice]: ...

    # Credentials
    def put_credential(self, credential: Credential) -> None: ...
    def credential_by_hash(self, token_hash: str) -> Credential | None: ...
    def list_credentials(self, party_id: str | None = None) -> list[Credential]: ...

    # Subscriptions
    def put_subscription(self, subscription: Subscription) -> None: ...
    def get_subscription(self, subscription_id: str) -> Subscription | None: ...
    def delete_subscription(self, subscription_id: str) -> None: ...
    def list_subscriptions(self, party_id: str | None = None, agreement_id: str | None = None) -> list[Subscription]: ...

    # Webhook endpoints and deliveries (the webhook outbox)
    def put_endpoint(self, endpoint: Endpoint) -> None: ...
    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...
    def delete_endpoint(self, endpoint_id: str) -> None: ...
    def list_endpoints(self, party_id: str | None = None) -> list[Endpoint]: ...
    def put_delivery(self, delivery: Delivery) -> None: ...
    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]: ...
    def list_deliveries(
        self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None
    ) -> list[Delivery]: ...

    # Acknowledgment deadlines
    def put_deadline(self, deadline: Deadline) -> None: ...
    def put_deadlines(self, deadlines: Sequence[Deadline], new_subjects: bool = False) -> None: ...
    def deadlines_of(self, subject_id: str, party_id: str | None = None, state: str | None = None) -> list[Deadline]: ...
    def due_deadlines(self, now: datetime, limit: int = 100) -> list[Deadline]: ...  # pending past due_at, or overdue past next_escalation_at
    def find_deadlines(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Deadline]: ...

    # Hotline messages (immutable once sent; acknowledgments are the recipients' deadlines)
    def put_message(self, message: HotlineMessage) -> None: ...
    def get_message(self, message_id: str) -> HotlineMessage | None: ...
    def find_messages(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,  # sent by or to this party
        thread_id: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        newest_first: bool = False,
        sender: str | None = None,  # sent by this party
    ) -> list[HotlineMessage]: ...

    # Audit chain (append-only)
    def last_audit(self) -> AuditEntry | None: ...
    def audit_head(self) -> tuple[int, str] | None: ...  # (seq, hash) of the last entry, its payload unread
    def append_audits(self, entries: Sequence[AuditEntry], texts: Sequence[str]) -> None: ...  # texts: the payloads as encoded for the hash
    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]: ...
    def citable_audit(self, subjects: Iterable[str], upto_seq: int) -> list[AuditEntry]: ...


class Store(Protocol):
    def transaction(self, write: bool = True) -> AbstractContextManager[Transaction]: ...
    def close(self) -> None: ...


# SQLSTATEs after which a whole transaction may simply be run again: serialization failure, deadlock.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# How many times a transaction aborted for a concurrent one is run before giving up.
RETRY_ATTEMPTS = 10
# How long a write keeps trying while the database is unreachable (a failover takes a few seconds).
FAILOVER_BUDGET_S = 30.0


def connection_lost(error: BaseException) -> bool:
    """Did the store lose its server (killed, failing over)? Stores mark such errors `connection_lost`."""
    return bool(getattr(error, "connection_lost", False))


def outcome_unknown(error: BaseException) -> bool:
    """Was the connection lost at COMMIT, so that the write may or may not have been applied?"""
    return bool(getattr(error, "commit_outcome_unknown", False))


def is_retryable(error: BaseException) -> bool:
    """May the whole transaction simply be run again? After a concurrent one aborted it, or after the
    connection was lost before COMMIT (nothing of it was applied) — never after a loss at COMMIT."""
    if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return connection_lost(error) and not outcome_unknown(error)


def is_busy(error: BaseException) -> bool:
    """Could the store not take the transaction now (nothing was written; trying later is right)?
    SQLite: its lock was held past the busy timeout; PostgreSQL: aborted for concurrent ones. (A lost
    database is not busy: `connection_lost`.)"""
    if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


def run_in_transaction(store: Store, fn: Callable[..., T], *args: Any, write: bool = True, attempts: int = RETRY_ATTEMPTS, **kwargs: Any) -> T:
    """`fn(tx, *args, **kwargs)` in one transaction, run again from the start when the store aborts it
    for a concurrent transaction (PostgreSQL SERIALIZABLE: 40001, deadlock: 40P01), or loses its
    server before COMMIT (for up to FAILOVER_BUDGET_S: the new primary takes a few seconds). A loss at
    COMMIT is raised: only an idempotency key can tell whether it was applied (rules/idempotency.py). `fn`
    must do nothing outside the transaction that it would regret doing twice. SQLite never asks for a
    retry: its writers take the lock at BEGIN IMMEDIATE."""
    grouped = getattr(store, "run_serialised", None)
    if write and grouped is not None:
        return grouped(fn, *args, **kwargs)  # a store that orders writers itself retries on its own

    def once() -> T:
        with store.transaction(write=write) as tx:
            return fn(tx, *args, **kwargs)

    return with_retries(once, attempts)


def with_retries(once: Callable[[], T], attempts: int = RETRY_ATTEMPTS) -> T:
    """`once()` (one whole transaction), run again when the store aborted it for a concurrent one
    (up to `attempts` times, with a jittered back-off) or lost its server before COMMIT (for up to
    FAILOVER_BUDGET_S)."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            return once()
        except Exception as error:
            if not is_retryable(error):
                raise
            if connection_lost(error):
                if time.monotonic() - started > FAILOVER_BUDGET_S:
                    raise
                time.sleep(random.uniform(0.1, 0.3))
                continue
            if attempt >= attempts:
                raise
            time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))  # jittered back-off
