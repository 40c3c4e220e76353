"""Stores to run tests against: the embedded SQLite store and PostgreSQL + PostGIS.

PostgreSQL comes from `DECONFLICTION_TEST_POSTGRES` (a URL of a role that may CREATE DATABASE, in a
cluster with PostGIS installed), or else from a throwaway cluster started here with the Debian
binaries (`/usr/lib/postgresql/<version>/bin`): initdb into a temp directory, a unix socket only,
fsync off (it is thrown away; the store itself still commits with synchronous_commit on), run as the
`postgres` user when the tests run as root. A template database holds PostGIS and the schema, so
each test gets a fresh database with one fast `CREATE DATABASE … TEMPLATE`.

Without the binaries the PostgreSQL tests skip with the reason, except under CI (`CI=true`), where
they fail: CI installs the packages (.ci/run).

    from backends import BACKENDS, backend_store
    with backend_store("postgres", tmp_path) as store: ...
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from deconfliction.store import SQLiteStore

BACKENDS = ("sqlite", "postgres")
ENV_URL = "DECONFLICTION_TEST_POSTGRES"
TEMPLATE_NAME = "deconfliction_template"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Fail under CI (the PostgreSQL tests must run there), skip elsewhere, saying why."""
    message = f"PostgreSQL tests cannot run: {reason}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _has_postgis(bin_dir: Path) -> bool:
    version = bin_dir.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database), parts.query, parts.fragment))


class PostgresServer:
    """A cluster (ours or the one named by the environment) and a template database in it."""

    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None) -> None:
        self.durable = durable  # fsync on, as in production (benchmarks); tests throw the cluster away
        self.settings = dict(settings or {})  # more -c name=value server settings
        self.directory: str | None = None
        self.bin_dir: Path | None = None
        self.run_as: list[str] = []
        self.admin_url = ""
        self.prefix = f"deconfliction_test_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.started_here = False

    # Starting ------------------------------------------------------------------------------------
    def start(self) -> "PostgresServer":
        url = os.environ.get(ENV_URL)
        if url:
            self.admin_url = url
        else:
            self._start_cluster()
        self._make_template()
        return self

    def _start_cluster(self) -> None:
        self.bin_dir = _postgres_bin()
        if self.bin_dir is None:
            raise RuntimeError(
                f"no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) and {ENV_URL} is not set; "
                "apt-get install postgresql postgresql-15-postgis-3"
            )
        if not _has_postgis(self.bin_dir):
            raise RuntimeError(f"PostGIS is not installed for PostgreSQL {self.bin_dir.parent.name} (apt-get install postgresql-{self.bin_dir.parent.name}-postgis-3)")
        self.directory = tempfile.mkdtemp(prefix="dcpg-")  # short: unix socket paths are limited to 107 bytes
        user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            user = "postgres"
            try:
                entry = pwd.getpwnam(user)
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run the cluster as") from None
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
            self.run_as = ["runuser", "-u", user, "--"]
        data = os.path.join(self.directory, "data")
        self._run([str(self.bin_dir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.directory} "
            + ("" if self.durable else "-c fsync=off -c full_page_writes=off ")
            + "-c synchronous_commit=on -c max_connections=200 -c shared_buffers=64MB -c max_pred_locks_per_transaction=256"
            + "".join(f" -c {name}={value}" for name, value in self.settings.items())
        )
        self._run([str(self.bin_dir / "pg_ctl"), "-D", data, "-l", os.path.join(self.directory, "log"), "-o", options, "-w", "-t", "60", "start"])
        self.started_here = True
        self.admin_url = f"postgresql://postgres@/postgres?host={quote(self.directory, safe='')}"
        atexit.register(self.stop)

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(self.run_as + command, capture_output=True, text=True, cwd=self.directory)
        if result.returncode != 0:
            log = ""
            if self.directory and os.path.exists(os.path.join(self.directory, "log")):
                log = Path(self.directory, "log").read_text()[-2000:]
            raise RuntimeError(f"{' '.join(command[:2])} failed: {result.stderr.strip() or result.stdout.strip()}\n{log}")

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def _make_template(self) -> None:
        from deconfliction.store.postgres import migrate

        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            admin.execute(f'CREATE DATABASE "{self.template}"')
        import psycopg

        with psycopg.connect(_with_database(self.admin_url, self.template), autocommit=True) as connection:
            migrate(connection)

    # Databases -------------------------------------------------------------------------------------
    def create_database(self) -> str:
        """A fresh database with PostGIS and the schema; returns its URL."""
        with self._lock:
            name = f"{self.prefix}_{next(self._counter)}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return _with_database(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.started_here and self.directory and self.bin_dir:
            self.started_here = False
            data = os.path.join(self.directory, "data")
            subprocess.run(self.run_as + [str(self.bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True)
            shutil.rmtree(self.directory, ignore_errors=True)
        elif os.environ.get(ENV_URL) and self.admin_url:
            try:
                with self._admin() as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            except Exception:
                pass


_server: PostgresServer | None = None
_server_error: str | None = None
_server_lock = threading.Lock()


def postgres_server() -> PostgresServer:
    """The process's PostgreSQL server, started on first use (skips, or fails under CI, if impossible)."""
    global _server, _server_error
    with _server_lock:
        if _server is None and _server_error is None:
            try:
                import psycopg  # noqa: F401
                import psycopg_pool  # noqa: F401
            except ImportError as exc:
                _server_error = f"{exc.name} is not installed (pip install -e '.[test]')"
            else:
                try:
                    _server = PostgresServer().start()
                except Exception as exc:  # noqa: BLE001 - reported as the reason
                    _server_error = str(exc)
        if _server is None:
            unavailable(_server_error or "unknown")
        return _server


def stop_postgres_server() -> None:
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


@contextmanager
def backend_store(kind: str, tmp_path: Path) -> Iterator[object]:
    """A fresh, empty store of `kind` ("sqlite" or "postgres"), closed (and dropped) afterwards."""
    if kind == "sqlite":
        store = SQLiteStore(tmp_path / "test.db")
        try:
            yield store
        finally:
            store.close()
    elif kind == "postgres":
        from deconfliction.store.postgres import PostgresStore

        server = postgres_server()
        url = server.create_database()
        store = PostgresStore(url, max_size=8)
        try:
            yield store
        finally:
            store.close()
            server.drop_database(url)
    else:
        raise ValueError(f"unknown store kind {kind!r}; one of {BACKENDS}")


def make_store(kind: str, tmp_path: Path):
    """A fresh store without cleanup (for builders that own the store's lifetime); prefer backend_store."""
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "test.db")
    from deconfliction.store.postgres import PostgresStore

    return PostgresStore(postgres_server().create_database(), max_size=8)


def sqlite_file_at_schema(path: Path, version: int, fill=None) -> Path:
    """A SQLite file as release `version` of the schema left it (its migrations only), with `fill(connection)` run on it."""
    import sqlite3

    from deconfliction.store.sqlite import _migrations

    connection = sqlite3.connect(path)
    for number, script in _migrations():
        if number <= version:
            connection.executescript(script)
    if fill is not None:
        fill(connection)
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()
    return path


@contextmanager
def postgres_database_at_schema(version: int, fill=None) -> Iterator[str]:
    """A fresh PostgreSQL database (its URL) as release `version` of the schema left it, dropped afterwards."""
    import psycopg

    from deconfliction.store.postgres import MIGRATIONS

    server = postgres_server()
    url = server.create_database()
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")  # the template holds the current schema
            connection.execute("CREATE SCHEMA public")
            for number in sorted(MIGRATIONS):
                if number <= version:
                    connection.execute(MIGRATIONS[number])
                    connection.execute("INSERT INTO deconfliction_schema (version) VALUES (%s)", (number,))
            if fill is not None:
                fill(connection)
        yield url
    finally:
        server.drop_database(url)
