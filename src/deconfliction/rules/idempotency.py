"""Idempotency keys: a write retried with the same key is applied once.

The front end (api/idempotency.py) opens a `Pending` for a request that carries a key; the facade's
writes run through `run_write`, which, in the write's own transaction, first looks the key up:

- not there: do the write and reserve the key with its result (caller, key, request hash, this
  request's nonce, the result): the key, the write and its result commit together or not at all;
- there with this request's nonce: this request's earlier attempt committed (the connection broke at
  COMMIT, so nobody knew): return that attempt's result, do not write again;
- there with the same request hash and a recorded reply: raise `Replay` (the front end answers with
  the stored reply); without a reply yet (the first request is still answering, or died between its
  commit and recording its reply): return the stored result, written nowhere again, and the front end
  answers from it as the first request did (`replayed`). A row without a result (written before
  migration 11, or a result that could not be kept) answers `in_progress` (409) as before;
- there with another request hash: `key_reused` (422): a key names one request.

The result is kept with pickle: it is the facade's own object (a Filing, a Notice, a receipt …), any
of its types, written and read by this module only, in the database that already holds every record.
One that cannot be read back (a newer version wrote it, during a rolling upgrade) counts as none.

A loss of the connection at COMMIT is retried here (for the store's failover budget), which is safe
only because of the key; without a key it is raised, and the API answers 503.
"""

from __future__ import annotations

import pickle
import random
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar

from ..errors import IdempotencyInProgress, IdempotencyKeyReused
from ..store import Store, Transaction, connection_lost, run_in_transaction
from ..store.base import FAILOVER_BUDGET_S
from ..store.idempotency import IdempotencyRecord

T = TypeVar("T")
MAX_KEY_LENGTH = 255
KEEP_S = 86_400.0  # a key is remembered this long; a retry after that is a new request


class Replay(Exception):
    """The key's request was applied before: answer with its recorded reply (not an error)."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__(f"replay of idempotency key {record.key!r}")
        self.record = record


@dataclass
class Pending:
    key: str
    request_hash: str
    caller: str | None = None  # set once the request is authenticated (api/auth.py)
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex)
    committed: bool = False  # the reservation (and its write) committed
    result: Any = None
    replayed: bool = False  # the result is an earlier request's, whose reply was never recorded


_pending: ContextVar[Pending | None] = ContextVar("deconfliction_idempotency", default=None)


def begin(key: str, request_hash: str) -> tuple[Pending, Any]:
    """Open a pending key for the current request; returns it and the token to `end` it with."""
    pending = Pending(key, request_hash)
    return pending, _pending.set(pending)


def end(token: Any) -> None:
    _pending.reset(token)


def note_caller(caller: str) -> None:
    """Whose key it is (the party, or the operator's credential); called when the request is authenticated."""
    pending = _pending.get()
    if pending is not None and pending.caller is None:
        pending.caller = caller


def validate_key(key: str) -> str | None:
    """Why the header's value is not a key, or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return f"must be 1 to {MAX_KEY_LENGTH} characters"
    if not all(33 <= ord(c) <= 126 for c in key):
        return "must be printable ASCII without spaces"
    return None


def run_write(store: Store, work: Callable[[Transaction], T], now: Callable[[], datetime]) -> T:
    """`work` in one write transaction, guarded by the current request's key if it has one."""
    pending = _pending.get()
    if pending is None or pending.caller is None or pending.committed:
        # No key, or a second write of one request: the key guards the request's first write only.
        return run_in_transaction(store, work)

    def guarded(tx: Transaction) -> T:
        record = tx.get_idempotency(pending.caller, pending.key)
        if record is not None:
            if record.nonce == pending.nonce:
                return pending.result  # our own earlier attempt committed; its reply was lost with the connection
            if record.request_hash != pending.request_hash:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for a different request (method, path or body)", field="Idempotency-Key"
                )
            if record.status is None:
                earlier = _loads(record.result)
                if earlier is not _NOTHING:
                    pending.nonce, pending.replayed, pending.result = record.nonce, True, earlier
                    return earlier  # the request it guarded wrote; answer as it did (its reply gets recorded now)
                raise IdempotencyInProgress(
                    "a request with this Idempotency-Key was applied and its reply is not recorded yet; retry shortly",
                    field="Idempotency-Key",
                )
            raise Replay(record)
        pending.result = work(tx)
        tx.reserve_idempotency(pending.caller, pending.key, pending.request_hash, pending.nonce, now(), _dumps(pending.result))
        return pending.result

    started = time.monotonic()
    while True:
        try:
            result = run_in_transaction(store, guarded)
            pending.committed = True
            return result
        except Exception as error:
            # Lost at COMMIT: applied or not, the next attempt finds out (by the nonce) and never writes twice.
            if not connection_lost(error) or time.monotonic() - started > FAILOVER_BUDGET_S:
                raise
            time.sleep(random.uniform(0.1, 0.3))


_NOTHING = object()


def _dumps(result: Any) -> bytes | None:
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a result that cannot be kept must not cost the write: a retry meets in_progress
        return None


def _loads(kept: bytes | None) -> Any:
    if kept is None:
        return _NOTHING
    try:
        return pickle.loads(kept)  # noqa: S301 - written by _dumps, in the store's own transaction
    except Exception:  # noqa: BLE001 - unreadable here: as if none was kept
        return _NOTHING


def record_reply(store: Store, pending: Pending, status: int, headers: list[tuple[str, str]], body: str) -> None:
    """Record the reply of a request whose write committed (retried through a failover)."""
    reply = {"headers": headers, "body": body}
    run_in_transaction(store, lambda tx: tx.record_idempotent_reply(pending.caller, pending.key, pending.nonce, status, reply))


def forget_old(store: Store, now: datetime, keep_s: float = KEEP_S) -> int:
    """Drop keys older than `keep_s` (the leader does, every few minutes); returns how many."""
    from datetime import timedelta

    cutoff = now - timedelta(seconds=keep_s)
    total = 0
    while True:
        dropped = run_in_transaction(store, lambda tx: tx.forget_idempotency(cutoff, 1000))
        total += dropped
        if dropped < 1000:
            return total
