"""Reads a PostgreSQL write answers from memory, at the same change counters (store/postgres.py).

A filing asks for rows that seldom change — its agreement, the agreement's zones and subscriptions,
the parties' credentials and webhook endpoints — and each question is a statement for the server and
for psycopg, taken while the pool's write lock is held. Every table whose reads are remembered has a
change counter (migration 014: a trigger counts every row written to it, in the writing transaction).
A group of writes reads the counters with its first answer, in its own snapshot. A question asked
before is answered with the rows it had then, and not sent at all, when the counters of the tables it
reads are the ones it was answered at: in this snapshot the tables are as they were, so the rows are
too. Otherwise it is asked, and remembered at this snapshot's counters. Reading the counters also
makes SERIALIZABLE see a concurrent writer of those tables. A write is never decided on rows its own
transaction would not have read.

Only reads of the tables in REMEMBERED, and only while the transaction has not written to that
table: what a transaction wrote is not committed, so it is neither remembered nor answered.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Hashable, Sequence

# Each has a row in table_changes (migration 014); a table without one is asked every time.
REMEMBERED = frozenset({"agreements", "memberships", "parties", "zones", "subscriptions", "credentials", "endpoints"})

_READS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)", re.IGNORECASE)
_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)


# Every statement of a write in a group is parsed by both, and the statements are a small fixed set:
# each text is parsed once per process.
@lru_cache(maxsize=1024)
def tables_written(sql: str) -> frozenset[str]:
    """The tables a statement may write to (INSERT, UPDATE or DELETE anywhere in it, a WITH's
    included; an upsert's `DO UPDATE SET` adds a harmless "set")."""
    return frozenset(name.lower() for name in _WRITES.findall(sql))


@lru_cache(maxsize=1024)
def tables_read(sql: str) -> frozenset[str] | None:
    """The tables a SELECT reads, or None for a statement that is not a plain SELECT."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    return frozenset(name.lower() for name in _READS.findall(sql))


def question(sql: str, params: Sequence[Any]) -> Hashable | None:
    """The key of a read that may be remembered, or None."""
    tables = tables_read(sql)
    if not tables or not tables <= REMEMBERED:
        return None
    try:
        key = (sql, tuple(tuple(p) if isinstance(p, list) else p for p in params))
        hash(key)
    except TypeError:
        return None
    return key


class RememberedReads:
    """Rows by question, per store (process), least recently used out first."""

    def __init__(self, max_entries: int = 2000):
        self.max_entries = max_entries
        self._rows: OrderedDict[Hashable, list] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> list | None:
        with self._lock:
            rows = self._rows.get(key)
            if rows is not None:
                self._rows.move_to_end(key)
            return rows

    def put(self, key: Hashable, rows: list) -> None:
        with self._lock:
            self._rows[key] = rows
            self._rows.move_to_end(key)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)


class Rows:
    """A remembered answer, with the cursor methods the queries use."""

    def __init__(self, rows: list):
        self._rows = rows

    def fetchall(self) -> list:
        return list(self._rows)

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None
