"""One leader in a pool of instances: the work that must run exactly once (deadlines, escalations,
line tests, expiry, webhook deliveries, the tactical monitor) runs only on the instance that holds
the lease, and another takes over when it dies.

The lease is a PostgreSQL session-level advisory lock, held on a connection of its own. PostgreSQL
releases it the moment that session ends — the instance died, was killed, or lost the database (a
failover ends every session; the new primary holds no locks) — so there is no lease time to wait
out, and no clock to trust. Each instance tries to take it every `interval_s`; the leader checks its
connection as often, and when the check fails it stops its work at once (`on_deposed`) before
anyone else can have been elected on a new primary.

Two leaders can overlap only for less than one check interval after a partition (the old one has not
yet noticed); the work is safe under that: every step of it is a store transaction that decides and
moves on in one go (a deadline turns overdue once), and webhook deliveries are at-least-once anyway.

Stores other than PostgreSQL (SQLite: one machine, one server process) are always the leader.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)

LEADER_LOCK = 0x6465636F6E66_03  # advisory lock key (beside the store's 01 migration, 02 events)
APPLICATION_PREFIX = "deconfliction-leader "  # + the instance's base URL: how the others find the leader


class Leadership:
    def __init__(
        self,
        url: str | None,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        *,
        interval_s: float = 1.0,
        name: str = "",
    ):
        self.url = url
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.interval_s = interval_s
        self.name = name
        self.leading = False
        self.terms = 0  # how many times this instance was elected
        self._connection = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._leader: str | None = None
        self._asked_at = float("-inf")

    @property
    def uses_lock(self) -> bool:
        return bool(self.url) and self.url.startswith(("postgresql://", "postgres://"))

    def start(self) -> "Leadership":
        self._stop.clear()
        if not self.uses_lock:
            self._elected()
            return self
        self._thread = threading.Thread(target=self._run, name="deconfliction-leadership", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.leading:
            self._deposed()
        self._close()

    def leader_url(self) -> str | None:
        """The name (base URL) of the instance that leads now, as PostgreSQL sees the lock's holder;
        remembered for a second."""
        import time

        now = time.monotonic()
        if now - self._asked_at < 1.0:
            return self._leader
        self._asked_at = now
        if not self.uses_lock:
            self._leader = self.name
            return self._leader
        import psycopg

        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as connection:
                row = connection.execute(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
                    (LEADER_LOCK,),
                ).fetchone()
        except Exception:  # noqa: BLE001 - the database is failing over: nobody leads for now
            row = None
        self._leader = row[0].removeprefix(APPLICATION_PREFIX) if row else None
        return self._leader

    # The loop ------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.leading:
                    self._connection.execute("SELECT 1")  # still our session, so still our lock
                elif self._try_take():
                    self._elected()
            except Exception as exc:  # noqa: BLE001 - the database went away: whatever we held is gone
                if self.leading:
                    log.warning("leadership lost (%s): stopping the leader's work", exc)
                    self._deposed()
                self._close()
            self._stop.wait(self.interval_s)

    def _try_take(self) -> bool:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.url, autocommit=True, connect_timeout=3, application_name=f"{APPLICATION_PREFIX}{self.name}")
        return bool(self._connection.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()[0])

    def _elected(self) -> None:
        self.leading = True
        self.terms += 1
        if self.uses_lock:  # a single instance (SQLite) has no pool to tell about
            log.warning("this instance %s leads the pool: it runs deadlines, deliveries and the tactical monitor", self.name)
        try:
            self.on_elected()
        except Exception:  # noqa: BLE001
            log.exception("starting the leader's work failed")

    def _deposed(self) -> None:
        self.leading = False
        try:
            self.on_deposed()
        except Exception:  # noqa: BLE001
            log.exception("stopping the leader's work failed")

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
