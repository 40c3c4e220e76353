"""The store protocol: what business logic may ask of a store, inside one transaction.

Services are plain functions that take a Transaction, so the same logic runs on every backend.
A store narrows candidates with its own index; the exact geometry is always decided in Python.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Iterable, Protocol, Sequence

from ..agreements import Agreement, Party
from ..geometry import Minima, Volume4D
from ..models import Conflict, Event, Notice


class Transaction(Protocol):
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
    ) -> list[Notice]: ...

    # Conflicts
    def get_conflict(self, conflict_id: str) -> Conflict | None: ...
    def put_conflict(self, conflict: Conflict) -> None: ...
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
    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]: ...


class Store(Protocol):
    def transaction(self, write: bool = True) -> AbstractContextManager[Transaction]: ...
    def close(self) -> None: ...
