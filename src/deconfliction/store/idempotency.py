"""The idempotency keys' table, written once for both stores (a part of store/tables.py's queries).

A key belongs to a caller (the party, or the operator's credential): the same key from two parties is
two keys. A row is written in the transaction of the write it guards, with the request's hash, the
nonce of the request that wrote it and the write's result; the reply (status, headers, body) is filled
in once it is known. Schema: migrations/005_idempotency.sql and 011_idempotency_result.sql (SQLite),
the same numbers in migrations/postgres/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from .sql import Sql, moment

_COLUMNS = "caller, key, request_hash, nonce, created_at, status, reply, result"


@dataclass(frozen=True)
class IdempotencyRecord:
    caller: str
    key: str
    request_hash: str
    nonce: str
    created_at: datetime
    status: int | None = None
    reply: dict | None = None  # {"headers": [[name, value], …], "body": text}
    result: bytes | None = None  # the guarded write's result, as rules/idempotency.py keeps it


class IdempotencyTables(Sql):
    def get_idempotency(self, caller: str, key: str) -> IdempotencyRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM idempotency_keys WHERE caller = ? AND key = ?", (caller, key))
        if row is None:
            return None
        return IdempotencyRecord(
            row[0], row[1], row[2], row[3], moment(row[4]), row[5], json.loads(row[6]) if row[6] else None,
            bytes(row[7]) if row[7] is not None else None,
        )

    def reserve_idempotency(
        self, caller: str, key: str, request_hash: str, nonce: str, now: datetime, result: bytes | None = None
    ) -> None:
        # A plain INSERT: two requests racing on one key cannot both commit (primary key; SERIALIZABLE).
        self._run(
            "INSERT INTO idempotency_keys (caller, key, request_hash, nonce, created_at, result) VALUES (?, ?, ?, ?, ?, ?)",
            (caller, key, request_hash, nonce, self.at(now), result),
        )

    def record_idempotent_reply(self, caller: str, key: str, nonce: str, status: int, reply: dict) -> bool:
        """Fill in the reply of the request that reserved the key; False if that row is not there."""
        updated = self._one(
            "UPDATE idempotency_keys SET status = ?, reply = ? WHERE caller = ? AND key = ? AND nonce = ? RETURNING 1",
            (status, json.dumps(reply), caller, key, nonce),
        )
        return updated is not None

    def forget_idempotency(self, before: datetime, limit: int = 1000) -> int:
        """Drop keys reserved before `before` (a retry after that is a new request)."""
        return len(self._all(
            "DELETE FROM idempotency_keys WHERE (caller, key) IN "
            "(SELECT caller, key FROM idempotency_keys WHERE created_at < ? LIMIT ?) RETURNING 1",
            (self.at(before), limit),
        ))
