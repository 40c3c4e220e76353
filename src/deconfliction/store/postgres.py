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
- Events: sequence numbers are handed out under a transaction-scoped advisory lock held until
  commit, so events become visible in sequence order and a reader resuming after seq N never skips
  one that commits later with a smaller number. Each event also sends
  `NOTIFY deconfliction_events, '<party_id>:<seq>'`, delivered at commit; `listen` / `wait_for_events`
  let every worker wake its event streams (see docs/postgres.md).
- Audit: the chain head is `audit.seq` (primary key). Two writers that extend the chain from the same
  head cannot both commit: the loser gets a serialization failure and is retried.

The schema is in this module (SCHEMA), applied once per database under an advisory lock.
"""

from __future__ import annotations

import json
import math
import threading
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..models.agreements import Agreement, Party
from ..errors import DeconflictionError
from ..geometry import Minima, Volume4D
from ..geometry.earth import GEOD
from ..geometry.footprint import densify
from ..geometry.separation import ellipsoidal_band
from .f3548 import F3548_SCHEMA, F3548Tables
from ..models.f3548 import SubscriptionRecord
from ..models import LIVE_STATES, AuditEntry, Conflict, Credential, Deadline, Delivery, Endpoint, Event, HotlineMessage, Notice, Subscription

try:  # psycopg is an optional dependency: `pip install 'deconfliction[postgres]'`
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - reported when a postgresql:// store is opened
    psycopg = None  # type: ignore[assignment]

TRUSTED = {"trusted": True}  # stored geometry was validated when it was written
NOTIFY_CHANNEL = "deconfliction_events"

# Advisory lock keys (arbitrary, fixed): schema migration (session lock) and event numbering (transaction lock).
MIGRATION_LOCK = 0x6465636F6E66_01
EVENTS_LOCK = 0x6465636F6E66_02

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
CIRCLE_SIDES = 64  # sides of the polygon stored for a circle
CIRCLE_INFLATION = 1.001  # and its vertices lie this much further out than the circumscribing radius
# Rounding guards: float8 → numeric keeps 15 significant digits; pad bands by a millimetre.
ALTITUDE_PAD_M = 0.001

SCHEMA = r"""
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE deconfliction_schema (version integer NOT NULL);

CREATE TABLE agreements (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE parties (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);

CREATE TABLE memberships (
    agreement_id text COLLATE "C" NOT NULL REFERENCES agreements(id),
    party_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (agreement_id, party_id)
);
CREATE INDEX memberships_by_party ON memberships (party_id);

CREATE TABLE notices (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL REFERENCES agreements(id),
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    version text NOT NULL,
    time_start timestamptz NOT NULL,
    time_end timestamptz NOT NULL,
    filed_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX notices_by_party ON notices (party_id, id);
CREATE INDEX notices_by_agreement ON notices (agreement_id, id);
CREATE INDEX notices_by_end ON notices (state, time_end);
CREATE INDEX notices_by_filing ON notices (filed_at);

-- One row per volume of a live notice (only live notices take part in conflict checks).
-- footprint: a polygon that contains the volume's footprint (see postgres.py for how it is built);
-- altitude: the band above the WGS84 ellipsoid (widened by the geoid's range for AMSL bands);
-- during: the time window, closed at both ends (errs outward).
CREATE TABLE notice_volumes (
    notice_id text COLLATE "C" NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    k integer NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    footprint geography(Polygon, 4326) NOT NULL,
    altitude numrange NOT NULL,
    during tstzrange NOT NULL,
    PRIMARY KEY (notice_id, k)
);
CREATE INDEX notice_volumes_search ON notice_volumes USING gist (footprint, during, altitude);

CREATE TABLE conflicts (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    notice_a text COLLATE "C" NOT NULL,
    notice_b text COLLATE "C" NOT NULL,
    party_a text COLLATE "C" NOT NULL,
    party_b text COLLATE "C" NOT NULL,
    state text NOT NULL,
    body text NOT NULL
);
CREATE INDEX conflicts_by_notice_a ON conflicts (notice_a, state);
CREATE INDEX conflicts_by_notice_b ON conflicts (notice_b, state);
CREATE INDEX conflicts_by_party_a ON conflicts (party_a, state);
CREATE INDEX conflicts_by_party_b ON conflicts (party_b, state);
CREATE INDEX conflicts_by_agreement ON conflicts (agreement_id, state);

-- seq comes from events_seq, taken under an advisory lock held to commit: visible in seq order.
CREATE SEQUENCE events_seq;
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_by_party ON events (party_id, seq);

CREATE TABLE credentials (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C",
    token_hash text NOT NULL UNIQUE,
    body text NOT NULL
);
CREATE INDEX credentials_by_party ON credentials (party_id);

CREATE TABLE subscriptions (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX subscriptions_by_agreement ON subscriptions (agreement_id, party_id);

CREATE TABLE endpoints (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX endpoints_by_party ON endpoints (party_id);

CREATE TABLE deliveries (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_party ON deliveries (party_id, state, id);

CREATE TABLE deadlines (
    id text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL,
    subject_id text COLLATE "C" NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    due_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX deadlines_by_subject ON deadlines (subject_id, party_id);
CREATE INDEX deadlines_due ON deadlines (state, due_at);
CREATE INDEX deadlines_by_agreement ON deadlines (agreement_id, created_at);

-- Append-only: the program never updates or deletes these rows, and the trigger refuses it.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    payload text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""

# Schema changes after the first release, by version; each runs once, in its own transaction.
# (SQLite's are in migrations/NNN_*.sql; keep the two in step.)
MIGRATIONS: dict[int, str] = {1: SCHEMA}

MIGRATIONS[2] = r"""
-- Hotline messages (immutable once sent) and who they were sent to.
CREATE TABLE hotline_messages (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    sender text COLLATE "C",
    kind text NOT NULL,
    thread_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX hotline_by_thread ON hotline_messages (thread_id, created_at);
CREATE INDEX hotline_by_agreement ON hotline_messages (agreement_id, kind, created_at);
CREATE TABLE hotline_recipients (
    party_id text COLLATE "C" NOT NULL,
    message_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (party_id, message_id)
);
-- When an overdue deadline escalates next (hotline messages escalate until acknowledged).
ALTER TABLE deadlines ADD COLUMN escalate_at timestamptz;
CREATE INDEX deadlines_escalation ON deadlines (state, escalate_at);
"""

MIGRATIONS[3] = F3548_SCHEMA  # the F3548 interface's tables (SQLite: migrations/003_f3548.sql)

MIGRATIONS[4] = r"""
-- The F3548 subscriptions' 4-D index, built as notice_volumes is (one row per volume, same margins);
-- subscriptions stored before it are indexed right after, in the same transaction (MIGRATION_STEPS).
-- (SQLite: migrations/004_f3548_subscription_index.sql)
CREATE TABLE f3548_subscription_volumes (
    subscription_id text COLLATE "C" NOT NULL REFERENCES f3548_subscriptions(id) ON DELETE CASCADE,
    k integer NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    footprint geography(Polygon, 4326) NOT NULL,
    altitude numrange NOT NULL,
    during tstzrange NOT NULL,
    PRIMARY KEY (subscription_id, k)
);
CREATE INDEX f3548_subscription_volumes_search ON f3548_subscription_volumes USING gist (footprint, during, altitude);
"""


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
MIGRATION_STEPS: dict[int, Callable[[Any], None]] = {4: _index_existing_f3548_subscriptions}



def _require_driver() -> None:
    if psycopg is None:
        raise DeconflictionError(
            "the PostgreSQL store needs psycopg and psycopg-pool: pip install 'deconfliction[postgres]'",
            field="database",
            code="unavailable",
        )


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
                raise DeconflictionError(
                    f"the database has schema version {current}, newer than this program's {latest}", code="unavailable"
                )
        try:
            for version, script in sorted(MIGRATIONS.items()):
                if version > current:
                    with connection.transaction():
                        connection.execute(script)
                        if version in MIGRATION_STEPS:
                            MIGRATION_STEPS[version](connection)
                        connection.execute("INSERT INTO deconfliction_schema (version) VALUES (%s)", (version,))
        except pg_errors.InsufficientPrivilege as exc:
            raise DeconflictionError(
                f"cannot create the schema ({exc.diag.message_primary}); a superuser must run "
                "'CREATE EXTENSION postgis' in this database first, and the store's role must own its schema",
                code="unavailable",
            ) from exc
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


class PostgresStore:
    """A pool of connections to one PostgreSQL database; `transaction()` lends one for one transaction."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, timeout_s: float = 30.0):
        _require_driver()
        self.url = url
        with psycopg.connect(url, autocommit=True) as connection:
            migrate(connection)
        self._pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout_s, configure=_configure, open=True,
            name="deconfliction",
        )
        self._listener: _Listener | None = None
        self._listener_lock = threading.Lock()
        self._writers = threading.RLock()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator["PostgresTransaction"]:
        """One transaction: SERIALIZABLE for writers, REPEATABLE READ READ ONLY for readers.

        A writer may fail (at any statement or at commit) with a serialization failure (40001) or a
        deadlock (40P01); nothing it did is kept, and `run_in_transaction` runs it again."""
        # Writers of this process queue on a lock: every write touches the audit chain's head, so
        # concurrent SERIALIZABLE writers would mostly abort and retry each other (measured: 47
        # filings/s, p99 1 s). Writers in other worker processes still meet SERIALIZABLE + retry.
        with self._writers if write else nullcontext(), self._pool.connection() as connection:
            if write:
                connection.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                connection.read_only = False
            else:
                connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                connection.read_only = True
            with connection.transaction():
                yield PostgresTransaction(connection)

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


_SEARCH = """
SELECT DISTINCT v.notice_id FROM notice_volumes v
WHERE ST_DWithin(v.footprint, ST_GeogFromText(%(footprint)s), %(distance)s)
  AND v.during && tstzrange(%(t0)s, %(t1)s, '[]')
  AND v.altitude && numrange(%(a0)s::numeric, %(a1)s::numeric, '[]')
"""


_SUBSCRIPTION_SEARCH = """
SELECT s.id, s.body FROM f3548_subscriptions s
WHERE s.id IN (
    SELECT v.subscription_id FROM f3548_subscription_volumes v
    WHERE ST_DWithin(v.footprint, ST_GeogFromText(%(footprint)s), %(distance)s)
      AND v.during && tstzrange(%(t0)s, %(t1)s, '[]')
      AND v.altitude && numrange(%(a0)s::numeric, %(a1)s::numeric, '[]')
      AND v.agreement_id = %(agreement)s)
  AND s.agreement_id = %(agreement)s AND s.time_end > %(start)s AND s.time_start < %(end)s
"""


class PostgresTransaction(F3548Tables):  # F3548's tables: store/f3548.py
    MARK = "%s"

    def __init__(self, connection):
        self.db = connection

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()):
        return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()):
        return self.db.execute(sql, params).fetchall()

    # Agreements and parties ---------------------------------------------------------------
    def get_agreement(self, agreement_id: str) -> Agreement | None:
        row = self._one("SELECT body FROM agreements WHERE id = %s", (agreement_id,))
        return Agreement.model_validate_json(row[0], context=TRUSTED) if row else None

    def put_agreement(self, agreement: Agreement, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO agreements (id, body, created_at, updated_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            (agreement.id, agreement.model_dump_json(), now, now),
        )
        self.db.execute("DELETE FROM memberships WHERE agreement_id = %s", (agreement.id,))
        with self.db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO memberships (agreement_id, party_id) VALUES (%s, %s)", [(agreement.id, p) for p in agreement.parties]
            )

    def list_agreements(self, party_id: str | None = None) -> list[Agreement]:
        if party_id is None:
            rows = self._all("SELECT body FROM agreements ORDER BY id")
        else:
            rows = self._all(
                "SELECT a.body FROM agreements a JOIN memberships m ON m.agreement_id = a.id WHERE m.party_id = %s ORDER BY a.id",
                (party_id,),
            )
        return [Agreement.model_validate_json(r[0], context=TRUSTED) for r in rows]

    def get_party(self, party_id: str) -> Party | None:
        row = self._one("SELECT body FROM parties WHERE id = %s", (party_id,))
        return Party.model_validate_json(row[0]) if row else None

    def put_party(self, party: Party) -> None:
        self.db.execute(
            "INSERT INTO parties (id, body) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            (party.id, party.model_dump_json()),
        )

    def list_parties(self) -> list[Party]:
        return [Party.model_validate_json(r[0]) for r in self._all("SELECT body FROM parties ORDER BY id")]

    # Notices -------------------------------------------------------------------------------
    def get_notice(self, notice_id: str) -> Notice | None:
        row = self._one("SELECT body FROM notices WHERE id = %s", (notice_id,))
        return _notice(row[0]) if row else None

    def put_notice(self, notice: Notice) -> None:
        self.db.execute(
            "INSERT INTO notices (id, agreement_id, party_id, state, version, time_start, time_end, filed_at, body) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET agreement_id = excluded.agreement_id, party_id = excluded.party_id, "
            "state = excluded.state, version = excluded.version, time_start = excluded.time_start, "
            "time_end = excluded.time_end, filed_at = excluded.filed_at, body = excluded.body",
            (
                notice.id, notice.agreement_id, notice.party_id, notice.state, notice.version,
                notice.start, notice.end, notice.filed_at, notice.model_dump_json(),
            ),
        )
        self.db.execute("DELETE FROM notice_volumes WHERE notice_id = %s", (notice.id,))
        if not notice.is_live:  # only live notices take part in conflict checks
            return
        rows = []
        for k, volume in enumerate(notice.volumes):
            lower, upper = ellipsoidal_band(volume.altitude)
            rows.append(
                (notice.id, k, notice.agreement_id, cover_wkt(volume.footprint),
                 lower - ALTITUDE_PAD_M, upper + ALTITUDE_PAD_M, volume.time.start, volume.time.end)
            )
        with self.db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO notice_volumes (notice_id, k, agreement_id, footprint, altitude, during) "
                "VALUES (%s, %s, %s, ST_GeogFromText(%s), numrange(%s::numeric, %s::numeric, '[]'), tstzrange(%s, %s, '[]'))",
                rows,
            )

    def candidate_notices(
        self, agreement_id: str | None, volumes: Sequence[Volume4D], minima: Minima, states: Iterable[str]
    ) -> list[Notice]:
        wanted = [s for s in states]
        ids: set[str] = set()
        sql = _SEARCH + (" AND v.agreement_id = %(agreement)s" if agreement_id is not None else "")
        distance = search_distance_m(minima.lateral_m)
        buffer = timedelta(seconds=minima.time_buffer_s)
        for volume in volumes:
            lower, upper = ellipsoidal_band(volume.altitude)
            params = {
                "footprint": cover_wkt(volume.footprint),
                "distance": distance,
                "t0": volume.time.start - buffer,
                "t1": volume.time.end + buffer,
                "a0": lower - minima.vertical_m - ALTITUDE_PAD_M,
                "a1": upper + minima.vertical_m + ALTITUDE_PAD_M,
                "agreement": agreement_id,
            }
            ids.update(r[0] for r in self._all(sql, params))
        if not ids or not wanted:
            return []
        rows = self._all("SELECT body FROM notices WHERE id = ANY(%s) AND state = ANY(%s) ORDER BY id", (sorted(ids), wanted))
        return [_notice(r[0]) for r in rows]

    # F3548 subscriptions' 4-D index (MIGRATIONS[4]; the rest of their table is in store/f3548.py) ----
    def _index_f3548_subscription(self, record: SubscriptionRecord) -> None:
        self.db.execute("DELETE FROM f3548_subscription_volumes WHERE subscription_id = %s", (record.id,))
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
            found.update(self._all(sql, {**_search_params(volume, minima), **window}))
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
        if filed_from is not None:
            clauses.append("filed_at >= %s")
            params.append(filed_from)
        if filed_to is not None:
            clauses.append("filed_at < %s")
            params.append(filed_to)
        if states is not None:
            clauses.append("state = ANY(%s)")
            params.append(list(states))
        rows = self._all(f"SELECT body FROM notices {_where(clauses)} ORDER BY id LIMIT %s", (*params, limit))
        return [_notice(r[0]) for r in rows]

    # Conflicts -------------------------------------------------------------------------------
    def get_conflict(self, conflict_id: str) -> Conflict | None:
        row = self._one("SELECT body FROM conflicts WHERE id = %s", (conflict_id,))
        return Conflict.model_validate_json(row[0]) if row else None

    def put_conflict(self, conflict: Conflict) -> None:
        self.db.execute(
            "INSERT INTO conflicts (id, agreement_id, notice_a, notice_b, party_a, party_b, state, body) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            (
                conflict.id, conflict.agreement_id, conflict.notice_a, conflict.notice_b,
                conflict.party_a, conflict.party_b, conflict.state, conflict.model_dump_json(),
            ),
        )

    def conflicts_of_notice(self, notice_id: str, open_only: bool = True) -> list[Conflict]:
        state = "AND state = 'open'" if open_only else ""
        rows = self._all(
            f"SELECT id, body FROM conflicts WHERE notice_a = %s {state} "
            f"UNION ALL SELECT id, body FROM conflicts WHERE notice_b = %s {state} ORDER BY 1",
            (notice_id, notice_id),
        )
        return [Conflict.model_validate_json(r[1]) for r in rows]

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
            clauses.append("(party_a = %s OR party_b = %s)")
            params.extend([party_id, party_id])
        if open_only:
            clauses.append("state = 'open'")
        rows = self._all(f"SELECT body FROM conflicts {_where(clauses)} ORDER BY id LIMIT %s", (*params, limit))
        return [Conflict.model_validate_json(r[0]) for r in rows]

    # Outbox ----------------------------------------------------------------------------------
    def append_event(self, party_id: str, kind: str, payload: dict[str, Any], now: datetime) -> int:
        # Held to commit: events commit in the order of their numbers, so no reader skips one.
        self.db.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
        seq = self._one(
            "INSERT INTO events (seq, party_id, kind, payload, created_at) VALUES (nextval('events_seq'), %s, %s, %s, %s) RETURNING seq",
            (party_id, kind, json.dumps(payload, default=str, sort_keys=True), now),
        )[0]
        self.db.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, f"{party_id}:{seq}"))
        return int(seq)

    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        rows = self._all(
            "SELECT seq, party_id, kind, payload, created_at FROM events WHERE party_id = %s AND seq > %s ORDER BY seq LIMIT %s",
            (party_id, after_seq, limit),
        )
        return [_event(r) for r in rows]

    def get_event(self, seq: int) -> Event | None:
        row = self._one("SELECT seq, party_id, kind, payload, created_at FROM events WHERE seq = %s", (seq,))
        return _event(row) if row else None

    def last_event_seq(self) -> int:
        return int(self._one("SELECT COALESCE(max(seq), 0) FROM events")[0])

    def expired_notices(self, now: datetime, limit: int = 100) -> list[Notice]:
        rows = self._all(
            "SELECT body FROM notices WHERE state = ANY(%s) AND time_end <= %s ORDER BY time_end, id LIMIT %s",
            (list(LIVE_STATES), now, limit),
        )
        return [_notice(r[0]) for r in rows]

    # Credentials -------------------------------------------------------------------------------
    def put_credential(self, credential: Credential) -> None:
        self.db.execute(
            "INSERT INTO credentials (id, party_id, token_hash, body) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            (credential.id, credential.party_id, credential.token_hash, credential.model_dump_json()),
        )

    def credential_by_hash(self, token_hash: str) -> Credential | None:
        row = self._one("SELECT body FROM credentials WHERE token_hash = %s", (token_hash,))
        return Credential.model_validate_json(row[0]) if row else None

    def list_credentials(self, party_id: str | None = None) -> list[Credential]:
        clauses, params = _filters(party_id=party_id)
        rows = self._all(f"SELECT body FROM credentials {_where(clauses)} ORDER BY id", params)
        return [Credential.model_validate_json(r[0]) for r in rows]

    # Subscriptions -----------------------------------------------------------------------------
    def put_subscription(self, subscription: Subscription) -> None:
        self.db.execute(
            "INSERT INTO subscriptions (id, party_id, agreement_id, body) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            (subscription.id, subscription.party_id, subscription.agreement_id, subscription.model_dump_json()),
        )

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        row = self._one("SELECT body FROM subscriptions WHERE id = %s", (subscription_id,))
        return Subscription.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_subscription(self, subscription_id: str) -> None:
        self.db.execute("DELETE FROM subscriptions WHERE id = %s", (subscription_id,))

    def list_subscriptions(self, party_id: str | None = None, agreement_id: str | None = None) -> list[Subscription]:
        clauses, params = _filters(party_id=party_id, agreement_id=agreement_id)
        rows = self._all(f"SELECT body FROM subscriptions {_where(clauses)} ORDER BY id", params)
        return [Subscription.model_validate_json(r[0], context=TRUSTED) for r in rows]

    # Webhooks ------------------------------------------------------------------------------------
    def put_endpoint(self, endpoint: Endpoint) -> None:
        self.db.execute(
            "INSERT INTO endpoints (id, party_id, body) VALUES (%s, %s, %s) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            (endpoint.id, endpoint.party_id, endpoint.model_dump_json()),
        )

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        row = self._one("SELECT body FROM endpoints WHERE id = %s", (endpoint_id,))
        return Endpoint.model_validate_json(row[0]) if row else None

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.db.execute("DELETE FROM endpoints WHERE id = %s", (endpoint_id,))

    def list_endpoints(self, party_id: str | None = None) -> list[Endpoint]:
        clauses, params = _filters(party_id=party_id)
        return [Endpoint.model_validate_json(r[0]) for r in self._all(f"SELECT body FROM endpoints {_where(clauses)} ORDER BY id", params)]

    def put_delivery(self, delivery: Delivery) -> None:
        self.db.execute(
            "INSERT INTO deliveries (id, party_id, state, next_attempt_at, body) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at, body = excluded.body",
            (delivery.id, delivery.party_id, delivery.state, delivery.next_attempt_at, delivery.model_dump_json()),
        )

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        rows = self._all(
            "SELECT body FROM deliveries WHERE state = 'pending' AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s",
            (now, limit),
        )
        return [Delivery.model_validate_json(r[0]) for r in rows]

    def list_deliveries(
        self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None
    ) -> list[Delivery]:
        clauses, params = _filters(party_id=party_id, state=state, after_id=after_id)
        rows = self._all(f"SELECT body FROM deliveries {_where(clauses)} ORDER BY id LIMIT %s", (*params, limit))
        return [Delivery.model_validate_json(r[0]) for r in rows]

    # Deadlines -----------------------------------------------------------------------------------
    def put_deadline(self, deadline: Deadline) -> None:
        self.db.execute(
            "INSERT INTO deadlines (id, kind, subject_id, agreement_id, party_id, state, due_at, escalate_at, created_at, body) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, "
            "escalate_at = excluded.escalate_at, body = excluded.body",
            (
                deadline.id, deadline.kind, deadline.subject_id, deadline.agreement_id, deadline.party_id, deadline.state,
                deadline.due_at, deadline.next_escalation_at, deadline.created_at, deadline.model_dump_json(),
            ),
        )

    def deadlines_of(self, subject_id: str, party_id: str | None = None, state: str | None = None) -> list[Deadline]:
        clauses, params = _filters(subject_id=subject_id, party_id=party_id, state=state)
        rows = self._all(f"SELECT body FROM deadlines {_where(clauses)} ORDER BY created_at, id", params)
        return [Deadline.model_validate_json(r[0]) for r in rows]

    def due_deadlines(self, now: datetime, limit: int = 100) -> list[Deadline]:
        # Pending ones past their deadline, and overdue ones whose next escalation has come.
        rows = self._all(
            "SELECT body, due_at AS at, id FROM deadlines WHERE state = 'pending' AND due_at <= %(now)s "
            "UNION ALL SELECT body, escalate_at AS at, id FROM deadlines WHERE state = 'overdue' AND escalate_at <= %(now)s "
            "ORDER BY at, id LIMIT %(limit)s",
            {"now": now, "limit": limit},
        )
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
            clauses.append("created_at >= %s")
            params.append(since)
        if until is not None:
            clauses.append("created_at < %s")
            params.append(until)
        rows = self._all(f"SELECT body FROM deadlines {_where(clauses)} ORDER BY created_at, id", params)
        return [Deadline.model_validate_json(r[0]) for r in rows]

    # Hotline -------------------------------------------------------------------------------------
    def put_message(self, message: HotlineMessage) -> None:
        self.db.execute(
            "INSERT INTO hotline_messages (id, agreement_id, sender, kind, thread_id, created_at, body) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (message.id, message.agreement_id, message.sender, message.kind, message.thread_id, message.created_at,
             message.model_dump_json(exclude={"acknowledgments"})),
        )
        with self.db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO hotline_recipients (party_id, message_id, created_at) VALUES (%s, %s, %s)",
                [(party, message.id, message.created_at) for party in message.to],
            )

    def get_message(self, message_id: str) -> HotlineMessage | None:
        row = self._one("SELECT body FROM hotline_messages WHERE id = %s", (message_id,))
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
            clauses.append("(sender = %s OR id IN (SELECT message_id FROM hotline_recipients WHERE party_id = %s))")
            params += [party_id, party_id]
        order = "DESC" if newest_first else "ASC"
        rows = self._all(
            f"SELECT body FROM hotline_messages {_where(clauses)} ORDER BY created_at {order}, id {order} LIMIT %s", (*params, limit)
        )
        return [HotlineMessage.model_validate_json(r[0]) for r in rows]

    # Audit ---------------------------------------------------------------------------------------
    def last_audit(self) -> AuditEntry | None:
        row = self._one("SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return _audit(row) if row else None

    def append_audit(self, entry: AuditEntry) -> None:
        try:
            self.db.execute(
                "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (entry.seq, entry.at, entry.actor, entry.action, entry.subject, json.dumps(entry.payload, sort_keys=True), entry.prev_hash, entry.hash),
            )
        except pg_errors.UniqueViolation as exc:
            # Another transaction extended the chain from the same head and committed first: the
            # whole transaction must run again on the new head (retryable, like any 40001).
            raise pg_errors.SerializationFailure(f"audit chain head moved: entry {entry.seq} exists") from exc

    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        rows = self._all(
            "SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit WHERE seq > %s ORDER BY seq LIMIT %s",
            (after_seq, limit),
        )
        return [_audit(r) for r in rows]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _event(row) -> Event:
    return Event(seq=row[0], party_id=row[1], kind=row[2], payload=json.loads(row[3]), created_at=_utc(row[4]))


def _audit(row) -> AuditEntry:
    return AuditEntry(
        seq=row[0], at=_utc(row[1]), actor=row[2], action=row[3], subject=row[4],
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
        clauses.append("id > %s" if column == "after_id" else f"{column} = %s")
        params.append(value)
    return clauses, params
