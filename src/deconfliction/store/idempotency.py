"""The idempotency keys' table, for both stores (mixed into each store's transaction class).

A key belongs to a caller (the party, or the operator's credential): the same key from two parties is
two keys. A row is written in the transaction of the write it guards, with the request's hash and the
nonce of the request that wrote it; the reply (status, headers, body) is filled in once it is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class IdempotencyRecord:
    caller: str
    key: str
    request_hash: str
    nonce: str
    created_at: datetime
    status: int | None = None
    reply: dict | None = None  # {"headers": [[name, value], …], "body": text}


POSTGRES_MIGRATION = r"""
-- Idempotency keys of writes (SQLite: migrations/005_idempotency.sql)
CREATE TABLE idempotency_keys (
    caller text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    request_hash text NOT NULL,
    nonce text NOT NULL,
    created_at timestamptz NOT NULL,
    status integer,
    reply text,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
"""

_COLUMNS = "caller, key, request_hash, nonce, created_at, status, reply"


class IdempotencyTables:
    """`self.db` is the transaction's connection; `_param` its placeholder (`?` or `%s`)."""

    _param = "%s"

    def _sql(self, statement: str) -> str:
        return statement.replace("%s", self._param)

    def get_idempotency(self, caller: str, key: str) -> IdempotencyRecord | None:
        row = self.db.execute(
            self._sql(f"SELECT {_COLUMNS} FROM idempotency_keys WHERE caller = %s AND key = %s"), (caller, key)
        ).fetchone()
        if row is None:
            return None
        created = row[4] if isinstance(row[4], datetime) else datetime.fromisoformat(row[4])
        return IdempotencyRecord(
            row[0], row[1], row[2], row[3], created.astimezone(timezone.utc), row[5], json.loads(row[6]) if row[6] else None
        )

    def reserve_idempotency(self, caller: str, key: str, request_hash: str, nonce: str, now: datetime) -> None:
        # A plain INSERT: two requests racing on one key cannot both commit (primary key; SERIALIZABLE).
        created = now if self._param == "%s" else now.astimezone(timezone.utc).isoformat()
        self.db.execute(
            self._sql("INSERT INTO idempotency_keys (caller, key, request_hash, nonce, created_at) VALUES (%s, %s, %s, %s, %s)"),
            (caller, key, request_hash, nonce, created),
        )

    def record_idempotent_reply(self, caller: str, key: str, nonce: str, status: int, reply: dict) -> bool:
        """Fill in the reply of the request that reserved the key; False if that row is not there."""
        cursor = self.db.execute(
            self._sql("UPDATE idempotency_keys SET status = %s, reply = %s WHERE caller = %s AND key = %s AND nonce = %s"),
            (status, json.dumps(reply), caller, key, nonce),
        )
        return cursor.rowcount == 1

    def forget_idempotency(self, before: datetime, limit: int = 1000) -> int:
        """Drop keys reserved before `before` (a retry after that is a new request)."""
        moment = before if self._param == "%s" else before.astimezone(timezone.utc).isoformat()
        cursor = self.db.execute(
            self._sql(
                "DELETE FROM idempotency_keys WHERE (caller, key) IN "
                "(SELECT caller, key FROM idempotency_keys WHERE created_at < %s LIMIT %s)"
            ),
            (moment, limit),
        )
        return cursor.rowcount
