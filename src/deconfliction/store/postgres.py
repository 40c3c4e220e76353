"""The server store: PostgreSQL + PostGIS, for many API workers over one database.

- Candidate search: one row per live volume in `notice_volumes`, with a `footprint geography`
  (polygons as their densified geodesic ring, circles as a circumscribing polygon), an `altitude
  numrange` (ellipsoidal band) and a `during tstzrange`, under one GiST index. The query widens
  altitude and time by the minima and asks `ST_DWithin(footprint, query, lateral * 1.02 + 100 m)`;
  the margin covers the difference between PostGIS's distance and ours (see `LATERAL_RELATIVE_MARGIN`).
  As with SQLite, the index only narrows; the exact check is in Python.
- Transactions: writers run SERIALIZABLE, readers REPEATABLE READ READ ONLY (one consistent snapshot,
  never aborted). A writer may be aborted with SQLSTATE 40001/40P01 when a concurrent one got there
  first; `base.run_in_transaction` runs the whole business function again. Commits are durable
  before they return (`synchronous_commit = on`).
- Group commit (store/group.py, as SQLite's): the writes of one process that wait at the same moment
  run in one transaction, a savepoint each, in psycopg's pipeline mode (a statement whose result
  nobody reads is sent without waiting for it), and share one COMMIT. Groups of all the instances of
  a pool queue on a session advisory lock taken before BEGIN (so before the snapshot): every write
  extends the one audit chain, and queueing costs a wait where colliding costs a whole group's retry.
- Events: sequence numbers are handed out under a transaction-scoped advisory lock held until
  commit, so events become visible in sequence order and a reader resuming after seq N never skips
  one that commits later with a smaller number. Each event also sends
  `NOTIFY deconfliction_events, '<party_id>:<seq>'`, delivered at commit; `listen` / `wait_for_events`
  let every worker wake its event streams (see docs/postgres.md).
- A standby, required (`require_standby`, or DECONFLICTION_REQUIRE_STANDBY=1; `serve --require-standby`):
  a write is answered only once a synchronous standby has its commit on disk, and a signed tree head
  or an event is shown only once a standby has everything the reader could see. pg_auto_failover with one standby
  turns synchronous replication off while the standby is unhealthy (`wait_primary`), and PostgreSQL
  shows a commit to other sessions before the standby confirms it; without this, a client could be
  given a 2xx or a signed head that a promoted standby lacks (docs/deployment.md).
- Audit: the chain head is `audit.seq` (primary key). Two writers that extend the chain from the same
  head cannot both commit: the loser gets a serialization failure and is retried.

The queries are store/tables.py's (written once for both stores); the schema is migrations/postgres/
NNN_*.sql, applied once per database under an advisory lock. What is here truly differs from SQLite.
"""

from __future__ import annotations

import math
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..errors import Unavailable
from ..geometry import Minima, Volume4D
from ..geometry.earth import GEOD
from ..geometry.footprint import densify
from ..geometry.separation import ellipsoidal_band
from ..models import AuditEntry, Notice, SubscriptionRecord
from .base import is_retryable, with_retries
from .group import Group, Job, WriteQueue
from .multirow import batches
from .sql import TRUSTED, migrations
from .notice_cache import NoticeCache
from .remembered import RememberedReads, Rows, question, tables_read, tables_written
from .tables import SqlTransaction, notice_from
from .transparency import _build_transparency_log
from .zones import move_constraints_to_zones

try:  # psycopg is an optional dependency: `pip install 'deconfliction[postgres]'`
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - reported when a postgresql:// store is opened
    psycopg = None  # type: ignore[assignment]

NOTIFY_CHANNEL = "deconfliction_events"

# Advisory lock keys (arbitrary, fixed): schema migration (session lock), event numbering (transaction lock),
# the write queue (session lock); workers/leadership.py has 03.
MIGRATION_LOCK = 0x6465636F6E66_01
EVENTS_LOCK = 0x6465636F6E66_02
WRITERS_LOCK = 0x6465636F6E66_04  # groups of writes, across the pool (session lock, taken before BEGIN; 03 is the leader's)

# How long a write or a head waits for a standby to confirm before it is answered as not durable yet.
STANDBY_WAIT_S = 5.0
REQUIRE_STANDBY_ENV = "DECONFLICTION_REQUIRE_STANDBY"

# Why a margin on the lateral search distance. Our distances are on the WGS84 ellipsoid along
# ellipsoidal geodesics (Karney); PostGIS geography draws edges as great-circle arcs through the
# geodetic coordinates, and parts of it (index box expansion, closest-pair search on the sphere before
# the spheroid measurement) reason on a sphere of radius 6371 km. A sphere's scale differs from the
# ellipsoid's by -0.56 % .. +0.45 % (radii of curvature 6335-6400 km), so a purely spherical step could
# overstate a distance by up to ~1 %; 2 % covers that with room. Measured with PostGIS 3.3
# (tests/store/test_postgres.py), ST_DWithin agrees with our exact distance to 1e-6: the margin is
# insurance, not a correction. Edges: rings are stored densified every 10 km along the true geodesic,
# so an arc between two stored points strays from it by millimetres; circles are stored as polygons
# that circumscribe the geodesic disc. The 100 m absolute margin covers those and the exact check's
# 1 m tolerance. A wider search costs a few more exact checks; a narrower one could miss a conflict.
LATERAL_RELATIVE_MARGIN = 0.02
LATERAL_ABSOLUTE_MARGIN_M = 100.0
# Sides of the polygon stored (and searched with) for a circle. PostGIS's distance between two shapes
# costs about the product of their edges: 32 sides, not 64, made the congested city's search (small
# circles and squares) ~2.5 times cheaper for the server; the cover grows by 1/cos(pi/32) = 0.5 %
# of the radius instead of 0.1 %, a few more candidates for the exact check at most.
CIRCLE_SIDES = 32
CIRCLE_INFLATION = 1.001  # and its vertices lie this much further out than the circumscribing radius
# Rounding guards: float8 → numeric keeps 15 significant digits; pad bands by a millimetre.
ALTITUDE_PAD_M = 0.001


# The schema by version (migrations/postgres/NNN_*.sql, numbered as SQLite's migrations/NNN_*.sql);
# each runs once, in its own transaction.
MIGRATIONS: dict[int, str] = dict(migrations("migrations/postgres"))


def _index_existing_f3548_subscriptions(connection) -> None:
    """Migration 4: index the subscriptions stored before it (written against schema 4's tables)."""
    for (body,) in connection.execute("SELECT body FROM f3548_subscriptions").fetchall():
        record = SubscriptionRecord.model_validate_json(body, context=TRUSTED)
        _insert_f3548_subscription_volumes(connection, record)


def _insert_f3548_subscription_volumes(connection, record: SubscriptionRecord) -> None:
    rows = [(record.id, k, record.agreement_id, *_volume_row(v)) for k, v in enumerate(record.volumes)]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO f3548_subscription_volumes (subscription_id, k, agreement_id, footprint, altitude, during) "
            "VALUES (%s, %s, %s, ST_GeogFromText(%s), numrange(%s::numeric, %s::numeric, '[]'), tstzrange(%s, %s, '[]'))",
            rows,
        )



# What a migration needs beyond its SQL, run right after it in the same transaction.
MIGRATION_STEPS: dict[int, Callable[[Any], None]] = {
    4: _index_existing_f3548_subscriptions,
    6: lambda connection: _build_transparency_log(PostgresTransaction(connection)),  # the tree over entries stored before 6
    9: lambda connection: move_constraints_to_zones(PostgresTransaction(connection)),  # F3548 constraints become zones
}



def _require_driver() -> None:
    if psycopg is None:
        raise Unavailable("the PostgreSQL store needs psycopg and psycopg-pool: pip install 'deconfliction[postgres]'", field="database")


def _configure(connection) -> None:
    connection.execute("SET TIME ZONE 'UTC'")
    connection.execute("SET synchronous_commit = on")  # durable before the reply (invariant 2)
    connection.commit()


def migrate(connection) -> None:
    """Create the schema in an empty database, or check the version of an existing one. `connection` in autocommit."""
    connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        exists = connection.execute("SELECT to_regclass('deconfliction_schema') IS NOT NULL").fetchone()[0]
        current, latest = 0, max(MIGRATIONS)
        if exists:
            current = connection.execute("SELECT max(version) FROM deconfliction_schema").fetchone()[0] or 0
            if current > latest:
                raise Unavailable(f"the database has schema version {current}, newer than this program's {latest}")
        try:
            for version, script in sorted(MIGRATIONS.items()):
                if version > current:
                    with connection.transaction():
                        connection.execute(script)
                        if version in MIGRATION_STEPS:
                            MIGRATION_STEPS[version](connection)
                        connection.execute("INSERT INTO deconfliction_schema (version) VALUES (%s)", (version,))
        except pg_errors.InsufficientPrivilege as exc:
            raise Unavailable(
                f"cannot create the schema ({exc.diag.message_primary}); a superuser must run "
                "'CREATE EXTENSION postgis' in this database first, and the store's role must own its schema"
            ) from exc
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


class PostgresStore:
    """A pool of connections to one PostgreSQL database; `transaction()` lends one for one transaction."""

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, timeout_s: float = 30.0, require_standby: bool | None = None
    ):
        _require_driver()
        self.url = url
        if require_standby is None:
            require_standby = os.environ.get(REQUIRE_STANDBY_ENV, "").lower() in ("1", "true", "yes")
        self.require_standby = require_standby
        with psycopg.connect(url, autocommit=True) as connection:
            migrate(connection)
        self._pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout_s, configure=_configure, open=True,
            name="deconfliction",
        )
        self._listener: _Listener | None = None
        self._listener_lock = threading.Lock()
        self._writers = threading.RLock()
        self.notices = NoticeCache()
        self.remembered = RememberedReads()  # rows a write may be answered from at the same change counters (store/remembered.py)
        self.log_keys_stored: set[str] = set()  # log keys a committed group of this store has put (see put_log_key)
        self._writes = WriteQueue(self._run_group)

    def run_serialised(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn(tx, *args, **kwargs)` in a write transaction shared with the writes of other threads
        waiting at the same moment (store/group.py); the whole group runs again after a serialization
        failure or a loss of the server before COMMIT, as `run_in_transaction` would run one write."""
        return self._writes.run(fn, *args, **kwargs)

    def _run_group(self, group: Group) -> None:
        with_retries(lambda: self._commit_group(group))

    def _commit_group(self, group: Group) -> None:
        committing = False
        try:
            with self._writers, self._pool.connection() as connection:
                connection.autocommit = True  # the queue's lock is taken outside the transaction
                connection.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                connection.read_only = False
                try:
                    with connection.pipeline() as pipeline:
                        connection.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
                        try:
                            with connection.transaction():
                                tx = PostgresTransaction(
                                    connection, self.notices, require_standby=self.require_standby, remembered=self.remembered,
                                    log_keys_stored=self.log_keys_stored,
                                )
                                # Every write extends the audit chain, and most tell someone: the chain's
                                # tail and the first event number are the group's first answer, which
                                # comes once the lock is ours. Only then are the writers taken from the
                                # queue, so those who arrived while another instance held the lock
                                # share this COMMIT (store/group.py).
                                tx.number_events()
                                frontier = tx.ask_frontier()
                                changes = tx.ask_changes()
                                tx.audit_head()  # (seq, hash): all a write needs of the chain (not its last entry's payload)
                                tx.take_frontier(frontier)
                                tx.take_changes(changes)
                                for job in group:
                                    self._run_job(connection, pipeline, tx, job)
                                committing = True
                            committed_keys = tx.log_keys_put
                        finally:
                            if not connection.closed:
                                connection.execute("SELECT pg_advisory_unlock(%s)", (WRITERS_LOCK,))
                    if self.require_standby:
                        await_standby(connection)
                    self.log_keys_stored |= committed_keys  # durable (on the standby too, when one is required)
                finally:
                    if not connection.closed and not connection.broken:
                        connection.autocommit = False
        except psycopg.Error as exc:
            if _connection_lost(exc):
                exc.connection_lost = True
                exc.commit_outcome_unknown = committing
            raise

    @staticmethod
    def _run_job(connection, pipeline, tx: "PostgresTransaction", job: Job) -> None:
        job.result, job.error = None, None
        try:
            with connection.transaction():  # a savepoint: a refused write rolls back alone
                job.run(tx)
                pipeline.sync()  # the errors of this job's statements are its own
        except Exception as error:  # noqa: BLE001 - handed to its own caller
            tx.forget()  # what it read may have been its own, now undone, writes
            if _head_moved(error):
                raise pg_errors.SerializationFailure("the audit chain's head moved") from error  # the group runs again
            if is_retryable(error) or (isinstance(error, psycopg.Error) and _connection_lost(error)):
                raise error  # the whole group runs again (or the store is gone)
            job.error = error

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator["PostgresTransaction"]:
        """One transaction: SERIALIZABLE for writers, REPEATABLE READ READ ONLY for readers.

        A writer may fail (at any statement or at commit) with a serialization failure (40001) or a
        deadlock (40P01); nothing it did is kept, and `run_in_transaction` runs it again."""
        # Writers of this process queue on a lock: every write touches the audit chain's head, so
        # concurrent SERIALIZABLE writers would mostly abort and retry each other (measured: 47
        # filings/s, p99 1 s). Writers in other worker processes still meet SERIALIZABLE + retry.
        committing = False
        try:
            with self._writers if write else nullcontext(), self._pool.connection() as connection:
                if write:
                    connection.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                    connection.read_only = False
                else:
                    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                    connection.read_only = True
                # A reader in pipeline mode: its BEGIN goes with its first question, not on its own.
                with connection.pipeline() if not write else nullcontext(), connection.transaction():
                    yield PostgresTransaction(connection, self.notices, require_standby=self.require_standby)
                    committing = True
                if write and self.require_standby:
                    with connection.transaction():
                        await_standby(connection)
        except psycopg.Error as exc:
            # The server went away (killed, failing over, or we reached a standby): say so, and whether
            # it happened at COMMIT, when nobody can know if the write was applied (base.run_in_transaction).
            if _connection_lost(exc):
                exc.connection_lost = True
                exc.commit_outcome_unknown = committing and write
            raise

    @contextmanager
    def glance(self) -> Iterator["PostgresTransaction"]:
        """Reads with no transaction around them: each statement sees the latest commits on its own,
        and nothing is sent but the reads (a snapshot costs a BEGIN and a COMMIT, two statements of the
        ~25 of a filing). For reads that the write they prepare checks again (Deconfliction.glance)."""
        try:
            with self._pool.connection() as connection:
                connection.autocommit = True
                try:
                    yield PostgresTransaction(connection, self.notices, require_standby=self.require_standby)
                finally:
                    if not connection.closed and not connection.broken:
                        connection.autocommit = False
        except psycopg.Error as exc:
            if _connection_lost(exc):
                exc.connection_lost = True
                exc.commit_outcome_unknown = False
            raise

    def close(self) -> None:
        with self._listener_lock:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None
        self._pool.close()

    # Waking event streams -----------------------------------------------------------------------
    def _ensure_listener(self) -> "_Listener":
        with self._listener_lock:
            if self._listener is None:
                self._listener = _Listener(self.url, self._last_seq)
            return self._listener

    def _last_seq(self) -> int:
        with self.transaction(write=False) as tx:
            return tx.last_event_seq()

    def listen(self, callback: Callable[[str, int], None]) -> Callable[[], None]:
        """Call `callback(party_id, seq)` (on the listener thread) for every event committed by any
        worker; returns a function that stops the calls. After the listener reconnects (notifications
        may have been lost meanwhile) it calls `callback("", last_seq)`: re-read every feed."""
        return self._ensure_listener().add(callback)

    def wait_for_events(self, timeout: float, after_seq: int | None = None) -> int:
        """Block until an event with seq > `after_seq` has been committed (by any worker) or `timeout`
        seconds pass; return the highest seq notified so far. Without `after_seq`, wait for the next
        one. A wake-up only says "look again": read the feed with `events_after`, which is the truth."""
        return self._ensure_listener().wait(timeout, after_seq)


# SQLSTATEs of a server that is gone or not (yet) the primary: admin/crash shutdown, cannot connect now,
# read-only transaction (a node that was demoted to a standby). Class 08 is connection exceptions.
_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})


class NotOnStandby(Exception):
    """Committed on the primary, not (yet) on a synchronous standby: answered like a loss at COMMIT
    (503; a write with an Idempotency-Key is retried, and answered once the standby has it)."""

    connection_lost = True
    commit_outcome_unknown = True


def await_standby(connection, wait_s: float = STANDBY_WAIT_S) -> None:
    """Return once a synchronous standby has flushed everything this primary has flushed so far (so,
    every commit this connection made or saw); raise NotOnStandby after `wait_s`. One query when the
    standby keeps up (a synchronous commit has already waited for it)."""
    deadline = time.monotonic() + wait_s
    query = (
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum') "
        "AND flush_lsn >= pg_current_wal_flush_lsn()"
    )
    while True:
        if connection.execute(query).fetchone()[0] > 0:
            return
        if time.monotonic() > deadline:
            raise NotOnStandby(f"no synchronous standby confirmed the write within {wait_s:.0f} s")
        time.sleep(0.05)


def _head_moved(error: BaseException) -> bool:
    """Another writer extended the audit chain from the same head first (seen at a pipeline's sync,
    not at the INSERT: see PostgresTransaction.append_audits). Retryable, like a 40001."""
    return isinstance(error, pg_errors.UniqueViolation) and error.diag.constraint_name == "audit_pkey"


def _connection_lost(error: BaseException) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, psycopg.OperationalError) and sqlstate is None:
        return True  # no reply at all: the connection broke (or the pool could not make one)
    return sqlstate is not None and (sqlstate.startswith("08") or sqlstate in _LOST_SQLSTATES)


class _Listener:
    """One dedicated connection per store that LISTENs, on a daemon thread; reconnects on failure."""

    def __init__(self, url: str, last_seq: Callable[[], int]):
        self.url = url
        self._last_seq = last_seq
        self._callbacks: list[Callable[[str, int], None]] = []
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self.latest = 0
        self._connection = None
        self._thread = threading.Thread(target=self._run, name="deconfliction-listen", daemon=True)
        self._thread.start()
        self._ready.wait(10.0)

    def add(self, callback: Callable[[str, int], None]) -> Callable[[], None]:
        with self._condition:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._condition:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove

    def wait(self, timeout: float, after_seq: int | None) -> int:
        with self._condition:
            threshold = self.latest if after_seq is None else after_seq
            self._condition.wait_for(lambda: self.latest > threshold or self._stopping.is_set(), timeout=timeout)
            return self.latest

    def _deliver(self, party_id: str, seq: int) -> None:
        with self._condition:
            self.latest = max(self.latest, seq)
            callbacks = list(self._callbacks)
            self._condition.notify_all()
        for callback in callbacks:
            try:
                callback(party_id, seq)
            except Exception:  # a subscriber's bug must not stop the wake-ups of the others
                pass

    def _run(self) -> None:
        backoff = 0.1
        first = True
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    self._connection = connection
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # Anything committed before LISTEN took effect was not notified: catch up once.
                    self._deliver("", self._last_seq())
                    if first:
                        first = False
                        self._ready.set()
                    backoff = 0.1
                    while not self._stopping.is_set():
                        for notification in connection.notifies(timeout=0.5):
                            party_id, _, seq = notification.payload.rpartition(":")
                            try:
                                self._deliver(party_id, int(seq))
                            except ValueError:
                                continue
            except Exception:
                if self._stopping.is_set():
                    break
                self._ready.set()
                self._stopping.wait(backoff)
                backoff = min(5.0, backoff * 2)
        self._connection = None

    def stop(self) -> None:
        self._stopping.set()
        with self._condition:
            self._condition.notify_all()
        self._thread.join(timeout=5.0)


# Geometry as PostGIS sees it ---------------------------------------------------------------------


def _ring_wkt(lons: Sequence[float], lats: Sequence[float]) -> str:
    points = [f"{float(lon)!r} {float(lat)!r}" for lon, lat in zip(lons, lats)]
    points.append(points[0])
    return "SRID=4326;POLYGON((" + ",".join(points) + "))"


@lru_cache(maxsize=100_000)
def cover_wkt(footprint) -> str:
    """A polygon (EWKT, for geography) that contains the footprint, with edges short enough that the
    great-circle arcs PostGIS draws between its points follow our ellipsoidal geodesics."""
    if footprint.kind == "circle":
        # Vertices on a geodesic circle far enough out that the polygon circumscribes the disc.
        radius = footprint.radius_m / math.cos(math.pi / CIRCLE_SIDES) * CIRCLE_INFLATION + 1.0
        azimuths = np.arange(CIRCLE_SIDES) * (360.0 / CIRCLE_SIDES)
        lons, lats, _ = GEOD.fwd(
            np.full(CIRCLE_SIDES, footprint.lon), np.full(CIRCLE_SIDES, footprint.lat), azimuths, np.full(CIRCLE_SIDES, radius)
        )
        lons, lats = np.asarray(lons)[::-1], np.asarray(lats)[::-1]  # counter-clockwise
    else:
        lons = np.array([v[0] for v in footprint.vertices])
        lats = np.array([v[1] for v in footprint.vertices])
    dense_lon, dense_lat = densify(lons, lats)
    dense_lon = (np.asarray(dense_lon) + 180.0) % 360.0 - 180.0
    return _ring_wkt(dense_lon, dense_lat)


def search_distance_m(lateral_m: float) -> float:
    return lateral_m * (1.0 + LATERAL_RELATIVE_MARGIN) + LATERAL_ABSOLUTE_MARGIN_M


def _volume_row(volume: Volume4D) -> tuple:
    """(footprint EWKT, altitude lower, upper, time start, end) of an index row, each erring outward."""
    lower, upper = ellipsoidal_band(volume.altitude)
    return cover_wkt(volume.footprint), lower - ALTITUDE_PAD_M, upper + ALTITUDE_PAD_M, volume.time.start, volume.time.end


def _search_params(volume: Volume4D, minima: Minima) -> dict[str, Any]:
    """The volume widened by the minima and the safety margins, for a search of an index table."""
    lower, upper = ellipsoidal_band(volume.altitude)
    buffer = timedelta(seconds=minima.time_buffer_s)
    return {
        "footprint": cover_wkt(volume.footprint),
        "distance": search_distance_m(minima.lateral_m),
        "t0": volume.time.start - buffer,
        "t1": volume.time.end + buffer,
        "a0": lower - minima.vertical_m - ALTITUDE_PAD_M,
        "a1": upper + minima.vertical_m + ALTITUDE_PAD_M,
    }


# ST_DWithin(…, false): on PostGIS's sphere, cheaper than on its spheroid; the search distance's 2 %
# margin covers the sphere's scale error (at most 0.56 %, see LATERAL_RELATIVE_MARGIN).
_NEAR = """(ST_DWithin(v.footprint, ST_GeogFromText(%(footprint{k})s), %(distance{k})s, false)
  AND v.during && tstzrange(%(t0{k})s, %(t1{k})s, '[]')
  AND v.altitude && numrange(%(a0{k})s::numeric, %(a1{k})s::numeric, '[]'))"""


def _candidates_query(volumes: Sequence[Volume4D], minima: Minima, agreement_id: str | None, states: list[str]) -> tuple[str, dict]:
    """One statement for the (id, version) of every notice in `states` with a live volume near any
    of `volumes`: the index search and the notices' versions in one round trip."""
    params: dict[str, Any] = {"states": states, "agreement": agreement_id}
    near = []
    for k, volume in enumerate(volumes):
        near.append(_NEAR.format(k=k))
        params.update({f"{name}{k}": value for name, value in _search_params(volume, minima).items()})
    agreement = " AND v.agreement_id = %(agreement)s" if agreement_id is not None else ""
    sql = (
        "SELECT n.id, n.version FROM notices n WHERE n.state = ANY(%(states)s) AND n.id IN ("
        f"SELECT v.notice_id FROM notice_volumes v WHERE ({' OR '.join(near)}){agreement}) ORDER BY n.id"
    )
    return sql, params


_SUBSCRIPTION_SEARCH = """
SELECT s.id, s.body FROM f3548_subscriptions s
WHERE s.id IN (
    SELECT v.subscription_id FROM f3548_subscription_volumes v
    WHERE ST_DWithin(v.footprint, ST_GeogFromText(%(footprint)s), %(distance)s, false)
      AND v.during && tstzrange(%(t0)s, %(t1)s, '[]')
      AND v.altitude && numrange(%(a0)s::numeric, %(a1)s::numeric, '[]')
      AND v.agreement_id = %(agreement)s)
  AND s.agreement_id = %(agreement)s AND s.time_end > %(start)s AND s.time_start < %(end)s
"""


class PostgresTransaction(SqlTransaction):
    MARK = "%s"

    def __init__(
        self, connection: Any, notices: NoticeCache | None = None, *, require_standby: bool = False,
        remembered: RememberedReads | None = None, log_keys_stored: set[str] | None = None,
    ):
        self._log_keys_stored = log_keys_stored if log_keys_stored is not None else set()
        super().__init__(connection, notices)
        self.require_standby = require_standby
        self._remembered = remembered  # given only in a group of writes, in pipeline mode
        self._written: set[str] = set()  # tables this transaction wrote to: never answered from memory
        self._current: dict[Any, list] = {}  # questions this transaction's snapshot has answered (no need to ask again)
        self._changes: dict[str, int] = {}  # the change counter of each remembered table, in this snapshot (take_changes)

    def forget(self) -> None:
        super().forget()
        self.log_keys_put: set[str] = set()  # by this transaction, since anything of it was last rolled back
        self._numbering = None  # the cursor of an event number asked for and not yet read (number_events)

    # Answered from memory at the same change counters (store/remembered.py) ------------------------
    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._remembered is None:
            return super()._run(sql, params)
        written = tables_written(sql)
        if written:
            self._written |= written
            return super()._run(sql, params)
        key = question(sql, params)
        tables = tables_read(sql) or frozenset()
        if key is None or self._written & tables:
            return super()._run(sql, params)
        if key in self._current:  # this snapshot answered it already
            return Rows(self._current[key])
        stamp = self._stamp(tables)
        remembered = self._remembered.get(key)
        if stamp is not None and remembered is not None and remembered[0] == stamp:
            rows = remembered[1]  # the same counters in this snapshot: the same rows, not asked
        else:
            rows = super()._run(sql, params).fetchall()
            if stamp is not None:
                self._remembered.put(key, (stamp, rows))
        self._current[key] = rows
        return Rows(rows)

    def _stamp(self, tables: frozenset[str]) -> tuple[int, ...] | None:
        """The change counters of `tables` in this snapshot, or None if one is not counted."""
        try:
            return tuple(self._changes[name] for name in sorted(tables))
        except KeyError:
            return None

    def ask_changes(self) -> Any:
        """Ask, without waiting, for the remembered tables' change counters (migration 014)."""
        return self.db.execute("SELECT name, changes FROM table_changes")

    def take_changes(self, cursor: Any) -> None:
        self._changes = {name: int(changes) for name, changes in cursor.fetchall()}

    def ask_frontier(self) -> Any:
        """Ask, without waiting, for the complete subtrees of the log's tree at the audit chain's
        current size (the frontier a first append reads: store/transparency.py node_key): subtree
        (level L, index i) is record ((i + 1) << L) * 64 + L, and the frontier of n leaves has one
        subtree per bit L set in n, whose (i + 1) << L is n with the bits below L cleared."""
        return self._run(
            "SELECT id, value FROM log_records WHERE id IN (SELECT ((n >> l) << l) * 64 + l "
            "FROM (SELECT COALESCE(max(seq), 0) AS n FROM audit) AS size, generate_series(0, 62) AS l WHERE ((n >> l) & 1) = 1)"
        )

    def take_frontier(self, cursor: Any) -> None:
        for key, value in cursor.fetchall():
            level = key & 63
            self._nodes_seen[(level, ((key >> 6) >> level) - 1)] = bytes(value)

    def zones_near(self, agreement_id: str, boxes: list):
        # Most agreements have no zones, and whether one has any seldom changes: in a group that is a
        # question answered from memory, where each filing's boxes would be a new one.
        if self._remembered is not None and not self._run("SELECT id FROM zones WHERE agreement_id = ? LIMIT 1", (agreement_id,)).fetchall():
            return []
        return super().zones_near(agreement_id, boxes)

    def put_log_key(self, key_id: str, public_key: str, now: datetime) -> None:
        # Every write signs a head and puts its key (a no-op after the first): once a group of this
        # store has committed it, the row is there for good (log keys are never deleted), and the
        # statement is not sent again. A rollback (forget) drops what the transaction put.
        if key_id in self._log_keys_stored:
            return
        super().put_log_key(key_id, public_key, now)
        self.log_keys_put.add(key_id)

    def number_events(self) -> None:
        """Take the events lock and the next event number now, without waiting for the answer (see
        _insert_events); the answer is read with the next one waited for."""
        if self._next_event_seq is None and self._numbering is None:
            # One statement: the number is taken once the lock is held (a subquery in FROM with a
            # volatile function is not flattened, so it runs first).
            self._numbering = self._run("SELECT nextval('events_seq') FROM (SELECT pg_advisory_xact_lock(?)) AS locked", (EVENTS_LOCK,))

    # A signed head read by anyone is evidence, and so is an event (a party that saw seq N must never
    # find N gone, or reused, after a failover): shown to a reader only once a standby has it (see the
    # module doc). A writer's own new head is covered by the write's own wait after its commit.
    def _once_on_standby(self, shown):
        if self.require_standby and shown and self.db.read_only:
            await_standby(self.db)
        return shown

    def latest_tree_head(self):
        return self._once_on_standby(super().latest_tree_head())

    def tree_head(self, size: int):
        return self._once_on_standby(super().tree_head(size))

    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100):
        return self._once_on_standby(super().events_after(party_id, after_seq, limit))

    @staticmethod
    def at(moment: datetime) -> datetime:
        return moment

    seconds = at  # timestamptz for every moment

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        # The rows of one call in one statement (store/multirow.py): each statement costs the server
        # and psycopg the same whatever its size.
        rows = list(rows)
        self._written |= tables_written(sql)
        statements = batches(sql, rows) if len(rows) > 1 else None
        if statements is None:
            with self.db.cursor() as cursor:
                cursor.executemany(sql.replace("?", self.MARK), rows)
            return
        for text, params in statements:
            self.db.execute(text.replace("?", self.MARK), params)

    def _search(self, sql: str, params: dict[str, Any]) -> list[Any]:
        return self.db.execute(sql, params).fetchall()

    def _index_notice(self, notice: Notice) -> None:
        if not notice.is_live:
            self._run("DELETE FROM notice_volumes WHERE notice_id = ?", (notice.id,))
            return
        # The old rows out and the new in, one statement: the INSERT's rows wait for the count of the
        # deleted ones (an InitPlan), so the DELETE has run first, and the keys it freed are free.
        rows = [(notice.id, k, notice.agreement_id, *_volume_row(v)) for k, v in enumerate(notice.volumes)]
        self._run(
            "WITH gone AS (DELETE FROM notice_volumes WHERE notice_id = ? RETURNING 1) "
            "INSERT INTO notice_volumes (notice_id, k, agreement_id, footprint, altitude, during) "
            "SELECT * FROM (VALUES "
            + ", ".join(["(?, ?::integer, ?, ST_GeogFromText(?), numrange(?::numeric, ?::numeric, '[]'), tstzrange(?, ?, '[]'))"] * len(rows))
            + ") AS v WHERE (SELECT count(*) FROM gone) >= 0",
            (notice.id, *[value for row in rows for value in row]),
        )

    def candidate_notices(
        self, agreement_id: str | None, volumes: Sequence[Volume4D], minima: Minima, states: Iterable[str]
    ) -> list[Notice]:
        wanted = list(states)
        if not wanted or not volumes:
            return []
        rows = self._search(*_candidates_query(volumes, minima, agreement_id, wanted))
        found = {notice_id: self.notices.get(notice_id, version) for notice_id, version in rows}
        unread = [notice_id for notice_id, notice in found.items() if notice is None]
        if unread:  # only the notices not parsed before are read whole
            for (body,) in self.db.execute("SELECT body FROM notices WHERE id = ANY(%s)", (unread,)).fetchall():
                notice = notice_from(body)
                self.notices.put(notice)
                found[notice.id] = notice
        return list(found.values())

    # F3548 subscriptions' 4-D index (migration 4; the rest of their table is in store/f3548.py) ----
    def _index_f3548_subscription(self, record: SubscriptionRecord) -> None:
        self._run("DELETE FROM f3548_subscription_volumes WHERE subscription_id = ?", (record.id,))
        _insert_f3548_subscription_volumes(self.db, record)

    def _unindex_f3548_subscription(self, subscription_id: str) -> None:
        pass  # ON DELETE CASCADE

    def f3548_subscriptions_near(
        self, agreement_id: str, volumes: Sequence[Volume4D], minima: Minima, manager: str | None = None
    ) -> list[SubscriptionRecord]:
        window = {
            "agreement": agreement_id,
            "start": min(v.time.start_s for v in volumes),
            "end": max(v.time.end_s for v in volumes),
            "manager": manager,
        }
        sql = _SUBSCRIPTION_SEARCH + (" AND s.manager = %(manager)s" if manager is not None else "")
        found: dict[str, str] = {}
        for volume in volumes:
            found.update(self._search(sql, {**_search_params(volume, minima), **window}))
        return [SubscriptionRecord.model_validate_json(found[i], context=TRUSTED) for i in sorted(found)]

    # Outbox: numbered in commit order, and told to every worker ----------------------------------
    def _insert_events(self, rows: Sequence[tuple[str, str, str]], now: datetime) -> list[int]:
        # Held to commit: events commit in the order of their numbers, so no reader skips one. So, once
        # this transaction has its first number, the next ones are its own to hand out: only the first
        # event waits for the server; the others are sent without waiting (pipeline mode).
        if not rows:
            return []
        if self._next_event_seq is None:
            self.number_events()
            self._next_event_seq = int(self._numbering.fetchone()[0])
            self._numbering = None
        numbers = list(range(self._next_event_seq, self._next_event_seq + len(rows)))
        self._next_event_seq += len(rows)
        self._many(  # all stored, each told, and the sequence moved past the last, in one statement
            "WITH e AS (INSERT INTO events (seq, party_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING seq, party_id) "
            f"SELECT count(pg_notify('{NOTIFY_CHANNEL}', e.party_id || ':' || e.seq::text)), setval('events_seq', max(e.seq)) FROM e",
            [(seq, party_id, kind, payload, now) for seq, (party_id, kind, payload) in zip(numbers, rows)],
        )
        return numbers

    def append_audits(self, entries: Sequence[AuditEntry], texts: Sequence[str]) -> None:
        try:
            super().append_audits(entries, texts)
        except pg_errors.UniqueViolation as exc:
            # Another transaction extended the chain from the same head and committed first: the
            # whole transaction must run again on the new head (retryable, like any 40001).
            raise pg_errors.SerializationFailure(f"audit chain head moved: entry {entries[0].seq} exists") from exc
