"""A local PostgreSQL cluster with automatic failover, for trying a pool and for the failover tests.

`LocalCluster(directory).up()` starts, with pg_auto_failover (Debian `postgresql-15-auto-failover`):
a monitor and two PostgreSQL nodes (a primary and a synchronous standby) on loopback, on free ports,
with PostGIS in the database, and returns the multi-host libpq URL that instances connect with:

    postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2/airspace?target_session_attrs=read-write

libpq tries the hosts in turn and keeps the one that accepts writes, so after a failover a new
connection finds the promoted standby by itself. Why pg_auto_failover rather than Patroni + etcd:
docs/deployment.md.

The monitor's health checks are tightened from their defaults (a check every 5 s, 20 s before a node
is called unhealthy, 30 s for a lost primary to demote itself) to about a second each, so a dead
primary is replaced in a few seconds (measured by bench/failover.py). The demote timeout is the price:
a primary that is only cut off from the monitor (not dead) must notice within it and stop taking
writes; with synchronous replication it cannot acknowledge any write meanwhile anyway (its standby is
gone), so nothing acknowledged is lost either way.

Every process runs in its own session (process group), so `kill(node)` is a `kill -9` of a machine's
whole PostgreSQL: its keeper and every backend. `down()` stops everything it started.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

NODE_NAMES = ("node1", "node2")
DEFAULT_DATABASE = "airspace"
STATE_FILE = "cluster.json"

# Monitor settings (milliseconds): how fast a dead primary is noticed and replaced. See the module doc.
FAST_FAILOVER = {
    "health_check_period": 1000,
    "health_check_timeout": 1000,
    "health_check_max_retries": 1,
    "health_check_retry_delay": 500,
    "node_considered_unhealthy_timeout": 2000,
    "primary_demote_timeout": 2000,
}


class ClusterError(RuntimeError):
    """The cluster could not be started, reached or stopped; the message says what to do."""


@dataclass
class Member:
    name: str
    port: int
    pgid: int | None = None  # the process group of its `pg_autoctl run` (keeper + postgres)


@dataclass
class ClusterState:
    directory: str
    database: str
    monitor: Member
    nodes: list[Member] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)
        return f"postgresql://postgres@{hosts}/{quote(self.database)}?target_session_attrs=read-write&connect_timeout=3"

    def node_url(self, name: str, database: str | None = None) -> str:
        node = self.member(name)
        return f"postgresql://postgres@127.0.0.1:{node.port}/{quote(database or self.database)}?connect_timeout=3"

    @property
    def monitor_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.monitor.port}/pg_auto_failover?connect_timeout=3"

    def member(self, name: str) -> Member:
        for member in [self.monitor, *self.nodes]:
            if member.name == name:
                return member
        raise ClusterError(f"no member {name!r} in the cluster")


def pg_bin_dir() -> Path:
    """The newest PostgreSQL whose pg_auto_failover extension is installed."""
    found = sorted(glob.glob("/usr/share/postgresql/*/extension/pgautofailover.control"), key=lambda p: int(Path(p).parts[-3]))
    if not found or shutil.which("pg_autoctl") is None:
        raise ClusterError(
            "pg_auto_failover is not installed: apt-get install postgresql-15-auto-failover postgresql-15-postgis-3"
        )
    version = Path(found[-1]).parts[-3]
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        raise ClusterError(f"PostGIS is not installed for PostgreSQL {version}: apt-get install postgresql-{version}-postgis-3")
    return Path(f"/usr/lib/postgresql/{version}/bin")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class LocalCluster:
    """A monitor and two nodes under `directory` (see the module doc). `fsync=False` for throwaway
    test clusters: a `kill -9` of PostgreSQL loses nothing written (the kernel keeps the pages); only a
    power cut would."""

    def __init__(self, directory: str | os.PathLike, *, database: str = DEFAULT_DATABASE, fsync: bool = True):
        self.directory = Path(directory).resolve()
        self.database = database
        self.fsync = fsync
        self.bin_dir = pg_bin_dir()
        self.run_as: list[str] = []
        self._uid = self._gid = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError("running as root and there is no 'postgres' user to run PostgreSQL as") from None
            self._uid, self._gid = entry.pw_uid, entry.pw_gid
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.state: ClusterState | None = self._load()

    # Processes ---------------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        home = str(self.directory / "home")
        return {
            "PATH": f"{self.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": home, "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data", "XDG_RUNTIME_DIR": f"{home}/run",
            "PG_CONFIG": str(self.bin_dir / "pg_config"), "LANG": "C.UTF-8",
        }

    def _command(self, *args: str) -> list[str]:
        return [*self.run_as, "env", *(f"{k}={v}" for k, v in self._env().items()), "pg_autoctl", *args]

    def _autoctl(self, *args: str, timeout: float = 120.0) -> None:
        # Output to a file, not a pipe: postgres started by `create` could hold a pipe open after it returns.
        log_path = self.directory / "autoctl.log"
        with open(log_path, "ab") as log:
            start = log.tell()
            process = subprocess.Popen(self._command(*args), stdout=log, stderr=log, cwd=self.directory, start_new_session=True)
            try:
                returncode = process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # and whatever it started (pg_basebackup, postgres)
                process.wait()
                raise ClusterError(f"pg_autoctl {' '.join(args[:2])} took more than {timeout:.0f} s; see {log_path}") from None
        if returncode != 0:
            with open(log_path, "rb") as log:
                log.seek(start)
                raise ClusterError(f"pg_autoctl {' '.join(args[:2])} failed:\n{log.read().decode(errors='replace')[-3000:]}")

    def _start(self, member: Member) -> None:
        """`pg_autoctl run` for one member, in a session of its own (so a kill takes all of it)."""
        log = open(self.directory / f"{member.name}.log", "ab")
        process = subprocess.Popen(
            self._command("run", "--pgdata", str(self.directory / member.name)),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.directory,
        )
        log.close()
        member.pgid = process.pid
        self._save()

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self._uid is not None:
            os.chown(path, self._uid, self._gid)

    # The cluster -----------------------------------------------------------------------------------
    def up(self, timeout_s: float = 180.0) -> str:
        """Create (first time) or restart the cluster; return the instances' URL once a primary accepts writes."""
        self._own(self.directory)
        for sub in ("home", "home/config", "home/data", "home/run"):
            self._own(self.directory / sub)
        if self.state is None:
            self._create(timeout_s)
        else:
            for member in [self.state.monitor, *self.state.nodes]:
                if not self.running(member.name):
                    self._start(member)
        self.wait_writable(timeout_s)
        return self.state.url

    def _create(self, timeout_s: float) -> None:
        monitor_port, *node_ports = _free_ports(1 + len(NODE_NAMES))
        self.state = ClusterState(str(self.directory), self.database, Member("monitor", monitor_port))
        self._save()
        self._autoctl(
            "create", "monitor", "--pgdata", str(self.directory / "monitor"), "--pgport", str(monitor_port),
            "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl",
        )
        # Loopback only (the monitor has no --listen; pg_autoctl passes this to postgres as -h).
        self._autoctl("config", "set", "--pgdata", str(self.directory / "monitor"), "postgresql.listen_addresses", "127.0.0.1")
        self._tune(self.directory / "monitor")
        self._start(self.state.monitor)
        self._wait_sql(self.state.monitor_url, timeout_s)
        monitor = f"postgres://autoctl_node@127.0.0.1:{monitor_port}/pg_auto_failover?sslmode=disable"
        for name, port in zip(NODE_NAMES, node_ports):
            # One at a time: the first becomes the primary, the second is cloned from it as its standby.
            self._autoctl(
                "create", "postgres", "--pgdata", str(self.directory / name), "--pgport", str(port), "--name", name,
                "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl", "--dbname", self.database,
                "--monitor", monitor,
            )
            if name == NODE_NAMES[0]:
                self._tune(self.directory / name)
            member = Member(name, port)
            self.state.nodes.append(member)
            self._start(member)
            if name == NODE_NAMES[0]:
                self.wait_writable(timeout_s)
                self._sql(self.state.url, "CREATE EXTENSION IF NOT EXISTS postgis")
                # The standby's clone starts with a checkpoint; a spread one (the default) would take minutes.
                self._sql(self.state.url, "CHECKPOINT")
        self.wait_replicated(timeout_s)

    def _tune(self, pgdata: Path) -> None:
        lines = ["# deconfliction cluster (see deconfliction/cluster.py)"]
        if pgdata.name == "monitor":
            lines += [f"pgautofailover.{k} = {v}" for k, v in FAST_FAILOVER.items()]
        else:
            lines += ["max_connections = 300", "max_pred_locks_per_transaction = 256"]  # replicated to the standby by its clone
        if not self.fsync:
            lines += ["fsync = off", "full_page_writes = off"]
        conf = pgdata / "postgresql.auto.conf"
        with open(conf, "a") as f:
            f.write("\n".join(lines) + "\n")

    def down(self) -> None:
        """Stop every member (fast shutdown; kill what does not stop). The data stays for the next `up`."""
        if self.state is None:
            return
        for member in [*self.state.nodes, self.state.monitor]:
            self.stop(member.name)

    def destroy(self, *, fast: bool = False) -> None:
        """Stop everything and delete the data; `fast`: kill -9 instead of a clean stop (a throwaway cluster)."""
        if fast and self.state is not None:
            for member in [*self.state.nodes, self.state.monitor]:
                self.kill(member.name)
        self.down()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.state = None

    # Members ----------------------------------------------------------------------------------------
    def running(self, name: str) -> bool:
        member = self.state.member(name)
        if member.pgid is None:
            return False
        try:
            os.killpg(member.pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def kill(self, name: str) -> None:
        """kill -9 a member's whole process group: keeper, postmaster and every backend, with no warning."""
        member = self.state.member(name)
        if member.pgid is not None:
            try:
                os.killpg(member.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._kill_postmaster(name)
        member.pgid = None
        self._save()

    def _kill_postmaster(self, name: str) -> None:
        # The postmaster stays in its keeper's session, but be sure: a survivor would keep the port.
        pid_file = self.directory / name / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
            pass

    def stop(self, name: str) -> None:
        member = self.state.member(name)
        if member.pgid is None:
            return
        try:
            os.killpg(member.pgid, signal.SIGTERM)  # pg_autoctl stops its postgres (fast) and exits
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while self.running(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.running(name):
            self.kill(name)
        member.pgid = None
        self._save()

    def restart(self, name: str) -> None:
        """Start a stopped or killed member again; a former primary rejoins as a standby (pg_rewind)."""
        if not self.running(name):
            self._start(self.state.member(name))

    # What the monitor says ---------------------------------------------------------------------------
    def nodes_state(self) -> list[dict]:
        """Each node's name, port, reported and assigned state, from the monitor."""
        rows = self._sql(
            self.state.monitor_url,
            "SELECT nodename, nodeport, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodeid",
        )
        return [{"name": r[0], "port": r[1], "reported": r[2], "assigned": r[3]} for r in rows]

    def primary(self) -> str | None:
        """The name of the node that is the primary now (as the monitor assigned and the node reported)."""
        for node in self.nodes_state():
            if node["reported"] in ("primary", "wait_primary", "single") and node["assigned"] == node["reported"]:
                return node["name"]
        return None

    def wait_writable(self, timeout_s: float = 60.0) -> None:
        self._wait_sql(self.state.url, timeout_s, "SELECT 1 WHERE NOT pg_is_in_recovery()")

    def wait_replicated(self, timeout_s: float = 60.0) -> None:
        """Until both nodes are up and the primary replicates synchronously to the standby."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                states = {n["reported"] for n in self.nodes_state()}
                assigned = {n["assigned"] for n in self.nodes_state()}
                if states == assigned == {"primary", "secondary"}:
                    return
            except Exception:  # noqa: BLE001 - the monitor may be starting
                pass
            time.sleep(0.25)
        raise ClusterError(f"the standby did not catch up within {timeout_s:.0f} s; see {self.directory}/*.log")

    def _sql(self, url: str, statement: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def _wait_sql(self, url: str, timeout_s: float, statement: str = "SELECT 1") -> None:
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if self._sql(url, statement):
                    return
            except Exception as exc:  # noqa: BLE001 - not yet
                last = exc
            time.sleep(0.1)
        raise ClusterError(f"no answer from {url} within {timeout_s:.0f} s ({last}); see {self.directory}/*.log")

    # Persistence -------------------------------------------------------------------------------------
    def _save(self) -> None:
        if self.state is not None:
            (self.directory / STATE_FILE).write_text(json.dumps(asdict(self.state), indent=2))

    def _load(self) -> ClusterState | None:
        path = self.directory / STATE_FILE
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        return ClusterState(
            raw["directory"], raw["database"], Member(**raw["monitor"]), [Member(**n) for n in raw["nodes"]],
        )
