"""Observers: members that read and owe nothing (DESIGN: "An observer is a member that reads and owes nothing").

A party is an observer of an agreement when the agreement names it in `observers`, or when every
token it holds carries the `observer` scope — such a party cannot acknowledge (its `POST …/ack` is
403), so a deadline on it could only ever go overdue. Observers are told what members are told, but
no deadline is created for them: no `ack.overdue` about them, nothing overdue in the compliance
report. A party that authenticates only with external JWTs holds no local token and is judged by the
agreement alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Transaction

OBSERVER_SCOPE = "observer"


def owes_nothing(tx: Transaction, agreement: Any, party_id: str) -> bool:
    if party_id in getattr(agreement, "observers", ()):
        return True
    tokens = [c for c in tx.list_credentials(party_id) if c.revoked_at is None]
    return bool(tokens) and all(OBSERVER_SCOPE in c.scopes for c in tokens)
