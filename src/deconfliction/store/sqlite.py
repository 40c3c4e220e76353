"""The embedded store: one SQLite file, WAL, synchronous FULL, a 4-D R*Tree over (lon, lat, altitude, time).

Writers take the database lock at BEGIN (BEGIN IMMEDIATE), so the awareness check and the write it
guards see the same state: two filings can never both pass on the same stale view. Every thread
gets its own connection. The queries are store/tables.py's; here are the R*Tree index, group
commit and the schema's migrations (migrations/NNN_*.sql).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from ..errors import PayloadTooLarge, Unavailable
from ..geometry import Minima, Volume4D, index_boxes, search_boxes
from ..models import Notice, SubscriptionRecord
from .group import Group, WriteQueue
from .sql import TRUSTED, migrations
from .notice_cache import NoticeCache
from .tables import SqlTransaction, notice_from
from .transparency import _build_transparency_log
from .zones import move_constraints_to_zones

T = TypeVar("T")
BOX_ID_STRIDE = 32768  # box ids of a notice: rowid * stride + k


def _migrations() -> list[tuple[int, str]]:
    return migrations("migrations")


SCHEMA_VERSION = max(number for number, _ in _migrations())


def _put_boxes(db: sqlite3.Connection, table: str, rowid: int, old_count: int, volumes: Iterable[Volume4D]) -> int:
    """Replace the index boxes of one row (ids rowid * BOX_ID_STRIDE + k) in an R*Tree; returns how many."""
    db.executemany(f"DELETE FROM {table} WHERE id = ?", [(rowid * BOX_ID_STRIDE + k,) for k in range(old_count)])
    boxes = [box for volume in volumes for box in index_boxes(volume)]
    if len(boxes) > BOX_ID_STRIDE:
        raise PayloadTooLarge("too many volumes", field="volumes")
    db.executemany(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(rowid * BOX_ID_STRIDE + k, *box.as_tuple()) for k, box in enumerate(boxes)],
    )
    return len(boxes)


def _index_existing_f3548_subscriptions(db: sqlite3.Connection) -> None:
    """Migration 004: index the subscriptions stored before it (written against schema 004's tables)."""
    rows = db.execute("SELECT rowid, body FROM f3548_subscriptions").fetchall()
    for rowid, body in rows:
        record = SubscriptionRecord.model_validate_json(body, context=TRUSTED)
        count = _put_boxes(db, "f3548_subscription_boxes", rowid, 0, record.volumes)
        db.execute("UPDATE f3548_subscriptions SET box_count = ? WHERE rowid = ?", (count, rowid))


# What a migration needs beyond its SQL, run right after it in the same transaction.
MIGRATION_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {
    4: _index_existing_f3548_subscriptions,
    6: lambda db: _build_transparency_log(SQLiteTransaction(db)),  # the tree over entries stored before 006
    9: lambda db: move_constraints_to_zones(SQLiteTransaction(db)),  # F3548 constraints become zones
}


class _WriteLock:
    """Writers of one store file queue here: threads on a lock, processes on flock() of a side file.
    Both hand over at once when released, where SQLite's own busy handler sleeps in steps of up to
    100 ms: with several server workers over one file, that sleeping cost more than the work."""

    def __init__(self, path: str):
        self._thread = threading.RLock()
        self._depth = 0
        self._file = None if path == ":memory:" else os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)

    def __enter__(self) -> None:
        self._thread.acquire()
        self._depth += 1
        if self._depth == 1 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._thread.release()

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None


class SQLiteStore:
    # Group commit (store/group.py): concurrent write transactions share one COMMIT (one fsync).
    MAX_GROUP = 64

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0):
        self.path = str(path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._write_lock = _WriteLock(self.path)
        self._writes = WriteQueue(self._run_group, self.MAX_GROUP)
        self.notices = NoticeCache()
        self._migrate()

    def run_serialised(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(tx, *args, **kwargs)` in a write transaction, committed together with the writes of
        other threads waiting at the same moment (see MAX_GROUP)."""
        return self._writes.run(fn, *args, **kwargs)

    def _run_group(self, group: Group) -> None:
        connection = self._connection()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                tx = SQLiteTransaction(connection, self.notices)
                for job in group:  # taken once the lock is held (store/group.py)
                    connection.execute("SAVEPOINT job")
                    try:
                        job.run(tx)
                    except BaseException as error:  # noqa: BLE001 - handed to its own caller
                        connection.execute("ROLLBACK TO job")
                        tx.forget()  # what it read may have been its own, now undone, writes
                        job.error = error
                    connection.execute("RELEASE job")
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA cache_size=-32768")  # 32 MiB: the R*Tree's upper levels stay in memory
            connection.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _migrate(self) -> None:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            current = connection.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise Unavailable(f"the store {self.path} has schema version {current}, newer than this program's {SCHEMA_VERSION}")
            for number, script in _migrations():
                if number > current:
                    for statement in script.split(";\n"):
                        if statement.strip():
                            connection.execute(statement)
                    if number in MIGRATION_STEPS:
                        MIGRATION_STEPS[number](connection)
                    connection.execute(f"PRAGMA user_version={number}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator["SQLiteTransaction"]:
        connection = self._connection()
        with self._write_lock if write else nullcontext():
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield SQLiteTransaction(connection, self.notices)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            else:
                connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
        self._write_lock.close()


class SQLiteTransaction(SqlTransaction):
    def _index_notice(self, notice: Notice) -> None:
        rowid, box_count = self._one("SELECT rowid, box_count FROM notices WHERE id = ?", (notice.id,))
        count = _put_boxes(self.db, "notice_boxes", rowid, box_count, notice.volumes if notice.is_live else [])
        if count != box_count:
            self._run("UPDATE notices SET box_count = ? WHERE rowid = ?", (count, rowid))

    def candidate_notices(
        self, agreement_id: str | None, volumes: Sequence[Volume4D], minima: Minima, states: Iterable[str]
    ) -> list[Notice]:
        wanted = set(states)
        seen: dict[int, Notice | None] = {}
        unread: list[int] = []
        query = (
            "SELECT DISTINCT b.id / ? FROM notice_boxes b WHERE b.max_lon >= ? AND b.min_lon <= ? AND b.max_lat >= ? AND b.min_lat <= ? "
            "AND b.max_alt >= ? AND b.min_alt <= ? AND b.max_t >= ? AND b.min_t <= ?"
        )
        for volume in volumes:
            for box in search_boxes(volume, minima):
                rows = self._all(
                    query,
                    (BOX_ID_STRIDE, box.min_lon, box.max_lon, box.min_lat, box.max_lat, box.min_alt, box.max_alt, box.min_t, box.max_t),
                )
                fresh = [r[0] for r in rows if r[0] not in seen]
                for start in range(0, len(fresh), 500):
                    chunk = fresh[start : start + 500]
                    sql = f"SELECT rowid, id, version, agreement_id, state FROM notices WHERE rowid IN ({','.join('?' * len(chunk))})"
                    for rowid, notice_id, version, agreement, state in self._all(sql, chunk):
                        if (agreement_id is None or agreement == agreement_id) and state in wanted:
                            seen[rowid] = self.notices.get(notice_id, version)
                            if seen[rowid] is None:
                                unread.append(rowid)
                        else:
                            seen.setdefault(rowid, None)
        # Only the notices not parsed before are read whole (their JSON is most of a filing's reading).
        for start in range(0, len(unread), 500):
            chunk = unread[start : start + 500]
            for rowid, body in self._all(f"SELECT rowid, body FROM notices WHERE rowid IN ({','.join('?' * len(chunk))})", chunk):
                seen[rowid] = notice_from(body)
                self.notices.put(seen[rowid])
        return [n for n in seen.values() if n is not None]

    # F3548 subscriptions' 4-D index (migration 004; the rest of their table is in store/f3548.py) ----
    def _index_f3548_subscription(self, record: SubscriptionRecord) -> None:
        rowid, old_count = self._one("SELECT rowid, box_count FROM f3548_subscriptions WHERE id = ?", (record.id,))
        count = _put_boxes(self.db, "f3548_subscription_boxes", rowid, old_count, record.volumes)
        if count != old_count:
            self._run("UPDATE f3548_subscriptions SET box_count = ? WHERE rowid = ?", (count, rowid))

    def _unindex_f3548_subscription(self, subscription_id: str) -> None:
        row = self._one("SELECT rowid, box_count FROM f3548_subscriptions WHERE id = ?", (subscription_id,))
        if row is not None:
            _put_boxes(self.db, "f3548_subscription_boxes", row[0], row[1], [])

    def f3548_subscriptions_near(
        self, agreement_id: str, volumes: Sequence[Volume4D], minima: Minima, manager: str | None = None
    ) -> list[SubscriptionRecord]:
        start, end = min(v.time.start_s for v in volumes), max(v.time.end_s for v in volumes)
        # CROSS JOIN keeps the R*Tree first: otherwise SQLite prefers the time index and scans those hours.
        sql = (
            "SELECT s.id, s.body FROM (SELECT DISTINCT b.id / ? AS r FROM f3548_subscription_boxes b "
            "WHERE b.max_lon >= ? AND b.min_lon <= ? AND b.max_lat >= ? AND b.min_lat <= ? AND b.max_alt >= ? AND b.min_alt <= ? "
            "AND b.max_t >= ? AND b.min_t <= ?) AS hit CROSS JOIN f3548_subscriptions s ON s.rowid = hit.r "
            "WHERE s.agreement_id = ? AND s.time_end > ? AND s.time_start < ?"
        )
        extra: tuple = ()
        if manager is not None:
            sql, extra = sql + " AND s.manager = ?", (manager,)
        found: dict[str, str] = {}
        for volume in volumes:
            for box in search_boxes(volume, minima):
                found.update(self._all(sql, (BOX_ID_STRIDE, box.min_lon, box.max_lon, box.min_lat, box.max_lat, box.min_alt,
                                             box.max_alt, box.min_t, box.max_t, agreement_id, start, end, *extra)))
        return [SubscriptionRecord.model_validate_json(found[i], context=TRUSTED) for i in sorted(found)]

    # Outbox: one writer at a time, so the rowid is the commit order --------------------------------
    def _insert_events(self, rows: Sequence[tuple[str, str, str]], now) -> list[int]:
        at = self.at(now)
        self._many("INSERT INTO events (party_id, kind, payload, created_at) VALUES (?, ?, ?, ?)", [(*row, at) for row in rows])
        # One writer at a time, AUTOINCREMENT: the rows just inserted hold the numbers up to the last one.
        last = int(self._one("SELECT last_insert_rowid()")[0])
        return list(range(last - len(rows) + 1, last + 1))
