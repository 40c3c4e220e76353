"""The embedded store: one SQLite file, WAL, synchronous FULL, a 4-D R*Tree over (lon, lat, altitude, time).

Writers take the database lock at BEGIN (BEGIN IMMEDIATE), so the awareness check and the write it
guards see the same state: two filings can never both pass on the same stale view. Every thread
gets its own connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import fcntl
import os
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from ..models.agreements import Agreement, Party
from ..errors import DeconflictionError
from ..geometry import Minima, Volume4D, index_boxes, search_boxes
from .f3548 import F3548Tables
from ..models.f3548 import SubscriptionRecord
from ..models import AuditEntry, Conflict, Credential, Deadline, Delivery, Endpoint, Event, HotlineMessage, Notice, Subscription

T = TypeVar("T")
BOX_ID_STRIDE = 32768  # box ids of a notice: rowid * stride + k
TRUSTED = {"trusted": True}  # stored geometry was validated when it was written


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("deconfliction.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(found)


SCHEMA_VERSION = max(number for number, _ in _migrations())


def _put_boxes(db: sqlite3.Connection, table: str, rowid: int, old_count: int, volumes: Iterable[Volume4D]) -> int:
    """Replace the index boxes of one row (ids rowid * BOX_ID_STRIDE + k) in an R*Tree; returns how many."""
    db.executemany(f"DELETE FROM {table} WHERE id = ?", [(rowid * BOX_ID_STRIDE + k,) for k in range(old_count)])
    boxes = [box for volume in volumes for box in index_boxes(volume)]
    if len(boxes) > BOX_ID_STRIDE:
        raise DeconflictionError("too many volumes", field="volumes", code="payload_too_large")
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
MIGRATION_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {4: _index_existing_f3548_subscriptions}


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


class _Job:
    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class SQLiteStore:
    # Group commit: concurrent write transactions run one after another on the leader's connection
    # and are made durable by one COMMIT (one fsync), each under a SAVEPOINT so that a refused one
    # rolls back alone. Nobody gets an answer before the commit that holds their write.
    MAX_GROUP = 64

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0):
        self.path = str(path)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._write_lock = _WriteLock(self.path)
        self._group = threading.Condition()
        self._queue: list[_Job] = []
        self._leading = False
        self._migrate()

    def run_serialised(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(tx, *args, **kwargs)` in a write transaction, committed together with the writes of
        other threads waiting at the same moment (see MAX_GROUP)."""
        job = _Job(fn, args, kwargs)
        with self._group:
            self._queue.append(job)
            while not job.finished and self._leading:
                self._group.wait()
            if job.finished:
                return job.outcome()
            self._leading = True
            batch, self._queue = self._queue[: self.MAX_GROUP], self._queue[self.MAX_GROUP :]
        try:
            self._run_group(batch)
        finally:
            with self._group:
                self._leading = False
                self._group.notify_all()
        return job.outcome()

    def _run_group(self, batch: list[_Job]) -> None:
        connection = self._connection()
        try:
            with self._write_lock:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    tx = SQLiteTransaction(connection)
                    for job in batch:
                        connection.execute("SAVEPOINT job")
                        try:
                            job.result = job.fn(tx, *job.args, **job.kwargs)
                        except BaseException as error:  # noqa: BLE001 - handed to its own caller
                            connection.execute("ROLLBACK TO job")
                            job.error = error
                        connection.execute("RELEASE job")
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
        except BaseException as error:  # nothing of the group was committed
            for job in batch:
                job.result, job.error = None, job.error or error
        finally:
            for job in batch:
                job.finished = True

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
                raise DeconflictionError(
                    f"the store {self.path} has schema version {current}, newer than this program's {SCHEMA_VERSION}",
                    code="unavailable",
                )
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
                yield SQLiteTransaction(connection)
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


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


class SQLiteTransaction(F3548Tables):  # F3548's tables: store/f3548.py
    def __init__(self, connection: sqlite3.Connection):
        self.db = connection

    # Agreements and parties ---------------------------------------------------------------
    def get_agreement(self, agreement_id: str) -> Agreement | None:
        row = self.db.execute("SELECT body FROM agreements WHERE id = ?", (agreement_id,)).fetchone()
        return Agreement.model_validate_json(row[0], context=TRUSTED) if row else None

    def put_agreement(self, agreement: Agreement, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO agreements (id, body, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            (agreement.id, agreement.model_dump_json(), _iso(now), _iso(now)),
        )
        self.db.execute("DELETE FROM memberships WHERE agreement_id = ?", (agreement.id,))
        self.db.executemany(
            "INSERT INTO memberships (agreement_id, party_id) VALUES (?, ?)", [(agreement.id, p) for p in agreement.parties]
        )

    def list_agreements(self, party_id: str | None = None) -> list[Agreement]:
        if party_id is None:
            rows = self.db.execute("SELECT body FROM agreements ORDER BY id").fetchall()
        else:
            rows = self.db.execute(
                "SELECT a.body FROM agreements a JOIN memberships m ON m.agreement_id = a.id WHERE m.party_id = ? ORDER BY a.id",
                (party_id,),
            ).fetchall()
        return [Agreement.model_validate_json(r[0], context=TRUSTED) for r in rows]

    def get_party(self, party_id: str) -> Party | None:
        row = self.db.execute("SELECT body FROM parties WHERE id = ?", (party_id,)).fetchone()
        return Party.model_validate_json(row[0]) if row else None

    def put_party(self, party: Party) -> None:
        self.db.execute(
            "INSERT INTO parties (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            (party.id, party.model_dump_json()),
        )

    def list_parties(self) -> list[Party]:
        return [Party.model_validate_json(r[0]) for r in self.db.execute("SELECT body FROM parties ORDER BY id")]

    # Notices -------------------------------------------------------------------------------
    def get_notice(self, notice_id: str) -> Notice | None:
        row = self.db.execute("SELECT body FROM notices WHERE id = ?", (notice_id,)).fetchone()
        return _notice(row[0]) if row else None

    def put_notice(self, notice: Notice) -> None:
        existing = self.db.execute("SELECT rowid, box_count FROM notices WHERE id = ?", (notice.id,)).fetchone()
        values = (
            notice.agreement_id,
            notice.party_id,
            notice.state,
            notice.version,
            notice.start.timestamp(),
            notice.end.timestamp(),
            _iso(notice.filed_at),
            notice.model_dump_json(),
        )
        if existing:
            rowid, box_count = existing
            self.db.executemany("DELETE FROM notice_boxes WHERE id = ?", [(rowid * BOX_ID_STRIDE + k,) for k in range(box_count)])
            self.db.execute(
                "UPDATE notices SET agreement_id=?, party_id=?, state=?, version=?, time_start=?, time_end=?, filed_at=?, body=? WHERE rowid=?",
                (*values, rowid),
            )
        else:
            rowid = self.db.execute(
                "INSERT INTO notices (agreement_id, party_id, state, version, time_start, time_end, filed_at, body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, notice.id),
            ).lastrowid
        # Only live notices are indexed: the index serves conflict checks, which ignore the rest.
        boxes = [box for volume in notice.volumes for box in index_boxes(volume)] if notice.is_live else []
        if len(boxes) > BOX_ID_STRIDE:
            raise DeconflictionError("too many volumes in one notice", field="volumes", code="payload_too_large")
        self.db.executemany(
            "INSERT INTO notice_boxes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowid * BOX_ID_STRIDE + k, *box.as_tuple()) for k, box in enumerate(boxes)],
        )
        self.db.execute("UPDATE notices SET box_count = ? WHERE rowid = ?", (len(boxes), rowid))

    def candidate_notices(
        self, agreement_id: str | None, volumes: Sequence[Volume4D], minima: Minima, states: Iterable[str]
    ) -> list[Notice]:
        wanted = set(states)
        seen: dict[int, Notice] = {}
        query = (
            "SELECT DISTINCT b.id / ? FROM notice_boxes b WHERE b.max_lon >= ? AND b.min_lon <= ? AND b.max_lat >= ? AND b.min_lat <= ? "
            "AND b.max_alt >= ? AND b.min_alt <= ? AND b.max_t >= ? AND b.min_t <= ?"
        )
        for volume in volumes:
            for box in search_boxes(volume, minima):
                rows = self.db.execute(
                    query,
                    (BOX_ID_STRIDE, box.min_lon, box.max_lon, box.min_lat, box.max_lat, box.min_alt, box.max_alt, box.min_t, box.max_t),
                ).fetchall()
                fresh = [r[0] for r in rows if r[0] not in seen]
                for start in range(0, len(fresh), 500):
                    chunk = fresh[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    sql = f"SELECT rowid, body, agreement_id, state FROM notices WHERE rowid IN ({marks})"
                    for rowid, body, agreement, state in self.db.execute(sql, chunk):
                        if (agreement_id is None or agreement == agreement_id) and state in wanted:
                            seen[rowid] = _notice(body)
                        else:
                            seen.setdefault(rowid, None)  # type: ignore[arg-type]
        return [n for n in seen.values() if n is not None]

    # F3548 subscriptions' 4-D index (migration 004; the rest of their table is in store/f3548.py) ----
    def _index_f3548_subscription(self, record: SubscriptionRecord) -> None:
        rowid, old_count = self.db.execute("SELECT rowid, box_count FROM f3548_subscriptions WHERE id = ?", (record.id,)).fetchone()
        count = _put_boxes(self.db, "f3548_subscription_boxes", rowid, old_count, record.volumes)
        if count != old_count:
            self.db.execute("UPDATE f3548_subscriptions SET box_count = ? WHERE rowid = ?", (count, rowid))

    def _unindex_f3548_subscription(self, subscription_id: str) -> None:
        row = self.db.execute("SELECT rowid, box_count FROM f3548_subscriptions WHERE id = ?", (subscription_id,)).fetchone()
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
                found.update(self.db.execute(sql, (BOX_ID_STRIDE, box.min_lon, box.max_lon, box.min_lat, box.max_lat, box.min_alt,
                                                   box.max_alt, box.min_t, box.max_t, agreement_id, start, end, *extra)))
        return [SubscriptionRecord.model_validate_json(found[i], context=TRUSTED) for i in sorted(found)]

    def find_notices(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        states: Iterable[str] | None = None,
        limit: int = 100,
        after_id: str | None = None,
        filed_from: datetime | None = None,
        filed_to: datetime | None = None,
    ) -> list[Notice]:
        clauses, params = _filters(agreement_id=agreement_id, party_id=party_id, after_id=after_id)
        # ISO strings in UTC compare in time order.
        if filed_from is not None:
            clauses.append("filed_at >= ?")
            params.append(_iso(filed_from))
        if filed_to is not None:
            clauses.append("filed_at < ?")
            params.append(_iso(filed_to))
        if states is not None:
            states = list(states)
            clauses.append(f"state IN ({','.join('?' * len(states))})")
            params.extend(states)
        where = _where(clauses)
        rows = self.db.execute(f"SELECT body FROM notices {where} ORDER BY id LIMIT ?", (*params, limit)).fetchall()
        return [_notice(r[0]) for r in rows]

    # Conflicts -------------------------------------------------------------------------------
    def get_conflict(self, conflict_id: str) -> Conflict | None:
        row = self.db.execute("SELECT body FROM conflicts WHERE id = ?", (conflict_id,)).fetchone()
        return Conflict.model_validate_json(row[0]) if row else None

    def put_conflict(self, conflict: Conflict) -> None:
        self.db.execute(
            "INSERT INTO conflicts (id, agreement_id, notice_a, notice_b, party_a, party_b, state, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body",
            (
                conflict.id,
                conflict.agreement_id,
                conflict.notice_a,
                conflict.notice_b,
                conflict.party_a,
                conflict.party_b,
                conflict.state,
                conflict.model_dump_json(),
            ),
        )

    def conflicts_of_notice(self, notice_id: str, open_only: bool = True) -> list[Conflict]:
        state = "AND state = 'open'" if open_only else ""
        rows = self.db.execute(
            f"SELECT body FROM conflicts WHERE notice_a = ? {state} UNION ALL SELECT body FROM conflicts WHERE notice_b = ? {state}",
            (notice_id, notice_id),
        ).fetchall()
        return sorted((Conflict.model_validate_json(r[0]) for r in rows), key=lambda c: c.id)

    def find_conflicts(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        open_only: bool = True,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Conflict]:
        clauses, params = _filters(agreement_id=agreement_id, after_id=after_id)
        if party_id is not None:
            clauses.append("(party_a = ? OR party_b = ?)")
            params.extend([party_id, party_id])
        if open_only:
            clauses.append("state = 'open'")
        where = _where(clauses)
        rows = self.db.execute(f"SELECT body FROM conflicts {where} ORDER BY id LIMIT ?", (*params, limit)).fetchall()
        return [Conflict.model_validate_json(r[0]) for r in rows]

    # Outbox ----------------------------------------------------------------------------------
    def append_event(self, party_id: str, kind: str, payload: dict[str, Any], now: datetime) -> int:
        cursor = self.db.execute(
            "INSERT INTO events (party_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
            (party_id, kind, json.dumps(payload, default=str, sort_keys=True), _iso(now)),
        )
        return int(cursor.lastrowid)

    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        rows = self.db.execute(
            "SELECT seq, party_id, kind, payload, created_at FROM events WHERE party_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (party_id, after_seq, limit),
        ).fetchall()
        return [_event(r) for r in rows]

    def get_event(self, seq: int) -> Event | None:
        row = self.db.execute("SELECT seq, party_id, kind, payload, created_at FROM events WHERE seq = ?", (seq,)).fetchone()
        return _event(row) if row else None

    def last_event_seq(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    def expired_notices(self, now: datetime, limit: int = 100) -> list[Notice]:
        rows = self.db.execute(
            "SELECT body FROM notices WHERE state IN ('planned', 'active', 'nonconforming') AND time_end <= ? ORDER BY time_end LIMIT ?",
            (now.timestamp(), limit),
        ).fetchall()
        return [_notice(r[0]) for r in rows]

    # Credentials -------------------------------------------------------------------------------
    def put_credential(self, credential: Credential) -> None:
        self.db.execute(
            "INSERT INTO credentials (id, party_id, token_hash, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            (credential.id, credential.party_id, credential.token_hash, credential.model_dump_json()),
        )

    def credential_by_hash(self, token_hash: str) -> Credential | None:
        row = self.db.execute("SELECT body FROM credentials WHERE token_hash = ?", (token_hash,)).fetchone()
        return Credential.model_validate_json(row[0]) if row else None

    def list_credentials(self, party_id: str | None = None) -> list[Credential]:
        if party_id is None:
            rows = self.db.execute("SELECT body FROM credentials ORDER BY id").fetchall()
        else:
            rows = self.db.execute("SELECT body FROM credentials WHERE party_id = ? ORDER BY id", (party_id,)).fetchall()
        return [Credential.model_validate_json(r[0]) for r in rows]

    # Subscriptions -----------------------------------------------------------------------------
    def put_subscription(self, subscription: Subscription) -> None:
        self.db.execute(
            "INSERT INTO subscriptions (id, party_id, agreement_id, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            (subscription.id, subscription.party_id, subscription.agreement_id, subscription.model_dump_json()),
        )

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        row = self.db.execute("SELECT body FROM subscriptions WHERE id = ?", (subscription_id,)).fetchone()
        return Subscription.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_subscription(self, subscription_id: str) -> None:
        self.db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def list_subscriptions(self, party_id: str | None = None, agreement_id: str | None = None) -> list[Subscription]:
        clauses, params = _filters(party_id=party_id, agreement_id=agreement_id)
        where = _where(clauses)
        rows = self.db.execute(f"SELECT body FROM subscriptions {where} ORDER BY id", params).fetchall()
        return [Subscription.model_validate_json(r[0], context=TRUSTED) for r in rows]

    # Webhooks ------------------------------------------------------------------------------------
    def put_endpoint(self, endpoint: Endpoint) -> None:
        self.db.execute(
            "INSERT INTO endpoints (id, party_id, body) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            (endpoint.id, endpoint.party_id, endpoint.model_dump_json()),
        )

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        row = self.db.execute("SELECT body FROM endpoints WHERE id = ?", (endpoint_id,)).fetchone()
        return Endpoint.model_validate_json(row[0]) if row else None

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.db.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))

    def list_endpoints(self, party_id: str | None = None) -> list[Endpoint]:
        clauses, params = _filters(party_id=party_id)
        where = _where(clauses)
        return [Endpoint.model_validate_json(r[0]) for r in self.db.execute(f"SELECT body FROM endpoints {where} ORDER BY id", params)]

    def put_delivery(self, delivery: Delivery) -> None:
        self.db.execute(
            "INSERT INTO deliveries (id, party_id, state, next_attempt_at, body) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at, body = excluded.body",
            (delivery.id, delivery.party_id, delivery.state, delivery.next_attempt_at.timestamp(), delivery.model_dump_json()),
        )

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        rows = self.db.execute(
            "SELECT body FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (now.timestamp(), limit),
        ).fetchall()
        return [Delivery.model_validate_json(r[0]) for r in rows]

    def list_deliveries(
        self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None
    ) -> list[Delivery]:
        clauses, params = _filters(party_id=party_id, state=state, after_id=after_id)
        where = _where(clauses)
        rows = self.db.execute(f"SELECT body FROM deliveries {where} ORDER BY id LIMIT ?", (*params, limit)).fetchall()
        return [Delivery.model_validate_json(r[0]) for r in rows]

    # Deadlines -----------------------------------------------------------------------------------
    def put_deadline(self, deadline: Deadline) -> None:
        self.db.execute(
            "INSERT INTO deadlines (id, kind, subject_id, agreement_id, party_id, state, due_at, escalate_at, created_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, "
            "escalate_at = excluded.escalate_at, body = excluded.body",
            (
                deadline.id, deadline.kind, deadline.subject_id, deadline.agreement_id, deadline.party_id, deadline.state,
                deadline.due_at.timestamp(),
                deadline.next_escalation_at.timestamp() if deadline.next_escalation_at else None,
                deadline.created_at.timestamp(), deadline.model_dump_json(),
            ),
        )

    def deadlines_of(self, subject_id: str, party_id: str | None = None, state: str | None = None) -> list[Deadline]:
        clauses, params = _filters(subject_id=subject_id, party_id=party_id, state=state)
        rows = self.db.execute(f"SELECT body FROM deadlines WHERE {' AND '.join(clauses)} ORDER BY created_at, id", params).fetchall()
        return [Deadline.model_validate_json(r[0]) for r in rows]

    def due_deadlines(self, now: datetime, limit: int = 100) -> list[Deadline]:
        # Pending ones past their deadline, and overdue ones whose next escalation has come.
        rows = self.db.execute(
            "SELECT body, due_at AS at, id FROM deadlines WHERE state = 'pending' AND due_at <= ?1 "
            "UNION ALL SELECT body, escalate_at AS at, id FROM deadlines WHERE state = 'overdue' AND escalate_at <= ?1 "
            "ORDER BY at, id LIMIT ?2",
            (now.timestamp(), limit),
        ).fetchall()
        return [Deadline.model_validate_json(r[0]) for r in rows]

    def find_deadlines(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Deadline]:
        clauses, params = _filters(agreement_id=agreement_id, party_id=party_id, kind=kind)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since.timestamp())
        if until is not None:
            clauses.append("created_at < ?")
            params.append(until.timestamp())
        where = _where(clauses)
        rows = self.db.execute(f"SELECT body FROM deadlines {where} ORDER BY created_at, id", params).fetchall()
        return [Deadline.model_validate_json(r[0]) for r in rows]

    # Hotline -------------------------------------------------------------------------------------
    def put_message(self, message: HotlineMessage) -> None:
        at = message.created_at.timestamp()
        self.db.execute(
            "INSERT INTO hotline_messages (id, agreement_id, sender, kind, thread_id, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.id, message.agreement_id, message.sender, message.kind, message.thread_id, at,
             message.model_dump_json(exclude={"acknowledgments"})),
        )
        self.db.executemany(
            "INSERT INTO hotline_recipients (party_id, message_id, created_at) VALUES (?, ?, ?)",
            [(party, message.id, at) for party in message.to],
        )

    def get_message(self, message_id: str) -> HotlineMessage | None:
        row = self.db.execute("SELECT body FROM hotline_messages WHERE id = ?", (message_id,)).fetchone()
        return HotlineMessage.model_validate_json(row[0]) if row else None

    def find_messages(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        thread_id: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        newest_first: bool = False,
        sender: str | None = None,
    ) -> list[HotlineMessage]:
        clauses, params = _filters(agreement_id=agreement_id, thread_id=thread_id, kind=kind, sender=sender)
        if party_id is not None:
            clauses.append("(sender = ? OR id IN (SELECT message_id FROM hotline_recipients WHERE party_id = ?))")
            params += [party_id, party_id]
        order = "DESC" if newest_first else "ASC"
        rows = self.db.execute(
            f"SELECT body FROM hotline_messages {_where(clauses)} ORDER BY created_at {order}, id {order} LIMIT ?", (*params, limit)
        ).fetchall()
        return [HotlineMessage.model_validate_json(r[0]) for r in rows]

    # Audit ---------------------------------------------------------------------------------------
    def last_audit(self) -> AuditEntry | None:
        row = self.db.execute("SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return _audit(row) if row else None

    def append_audit(self, entry: AuditEntry) -> None:
        self.db.execute(
            "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.seq, _iso(entry.at), entry.actor, entry.action, entry.subject, json.dumps(entry.payload, sort_keys=True), entry.prev_hash, entry.hash),
        )

    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        rows = self.db.execute(
            "SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
        ).fetchall()
        return [_audit(r) for r in rows]


def _event(row) -> Event:
    return Event(seq=row[0], party_id=row[1], kind=row[2], payload=json.loads(row[3]), created_at=datetime.fromisoformat(row[4]))


def _audit(row) -> AuditEntry:
    return AuditEntry(
        seq=row[0], at=datetime.fromisoformat(row[1]), actor=row[2], action=row[3], subject=row[4],
        payload=json.loads(row[5]), prev_hash=row[6], hash=row[7],
    )


def _notice(body: str) -> Notice:
    return Notice.model_validate_json(body, context=TRUSTED)


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _filters(**wanted: str | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in wanted.items():
        if value is None:
            continue
        if column == "after_id":
            clauses.append("id > ?")
        else:
            clauses.append(f"{column} = ?")
        params.append(value)
    return clauses, params
