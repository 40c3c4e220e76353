"""The restore drill of docs/deployment.md, run for real: a base backup (pg_basebackup) and WAL
archiving; the database machine is lost (kill -9, data directory deleted); a new server restored from
the backup and the archive has every accepted filing, the one after the backup included, its audit
chain verifies, and it takes writes."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from deconfliction import connect
from deconfliction.models import Agreement, Separation

from store.backends import _postgres_bin, in_ci
from serverproc import free_port
from .workload import volume


class Machine:
    """One PostgreSQL server in a directory of its own, on a loopback port, as the `postgres` user when root."""

    def __init__(self, root: Path, name: str, port: int):
        self.bin = _postgres_bin()
        self.data = root / name
        self.port = port
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.run_as, *command], capture_output=True, text=True, timeout=180)
        if check and result.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {result.stderr or result.stdout}")
        return result

    def start(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data) + ".log", "-w", "-t", "120", "start")

    def kill(self) -> None:
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def url(self, database: str = "airspace") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def root():
    if _postgres_bin() is None:
        if in_ci():
            pytest.fail("no PostgreSQL binaries", pytrace=False)
        pytest.skip("no PostgreSQL binaries")
    directory = Path(tempfile.mkdtemp(prefix="dcf-drill-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    machines: list[Machine] = []
    yield directory, machines
    for machine in machines:
        machine.stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_a_server_restored_from_the_base_backup_and_the_wal_archive_has_every_accepted_filing(root):
    directory, machines = root
    archive = directory / "archive"
    primary = Machine(directory, "primary", free_port())
    machines.append(primary)
    primary.run("mkdir", "-p", str(archive))
    primary.run(str(primary.bin / "initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
    with open(primary.data / "postgresql.auto.conf", "a") as conf:  # as docs/deployment.md says
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {primary.port}\nunix_socket_directories = '{directory}'\n"
            "wal_level = replica\narchive_mode = on\n"
            f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
        )
    primary.start()
    primary.run(str(primary.bin / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-c", "CREATE DATABASE airspace")
    primary.run(str(primary.bin / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-d", "airspace", "-c", "CREATE EXTENSION postgis")

    system = connect(primary.url())
    system.add_agreement(Agreement(id="drill", name="Drill", parties=["blue", "red"], min_lead_time_s=60.0,
                                   separation=Separation(lateral_m=1852.0, vertical_m=150.0)))
    before = [system.file_notice("blue", "drill", [load(volume(0, n))]).notice.id for n in range(3)]
    primary.run(str(primary.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", str(directory / "base"), "--checkpoint=fast", "--wal-method=stream")
    after = [system.file_notice("red", "drill", [load(volume(1, n))]).notice.id for n in range(2)]  # only in the archive
    system.close()
    # In production archive_timeout closes a segment within a minute; here, close it now.
    primary.run(str(primary.bin / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-c", "SELECT pg_switch_wal()")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _archived_beyond(primary, archive):
        time.sleep(0.2)

    primary.kill()  # the machine is lost, its disk with it
    primary.run("rm", "-rf", str(primary.data))

    restored = Machine(directory, "restored", free_port())
    machines.append(restored)
    primary.run("cp", "-a", str(directory / "base"), str(restored.data))
    with open(restored.data / "postgresql.auto.conf", "a") as conf:
        conf.write(f"port = {restored.port}\narchive_mode = off\nrestore_command = 'cp {archive}/%f %p'\n")
    (restored.data / "recovery.signal").touch()
    restored.start()
    system = connect(restored.url())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # recovery replays the archive, then the server takes writes
            try:
                extra = system.file_notice("blue", "drill", [load(volume(0, 99))]).notice.id
                break
            except Exception:  # noqa: BLE001 - still in recovery (read-only)
                time.sleep(0.5)
        else:
            raise AssertionError("the restored server never took a write")
        stored = {n.id for party in ("blue", "red") for n in system.notices(party, party_id=party)}
        assert set(before) | set(after) | {extra} == stored
        verdict = system.verify_audit()
        assert verdict.ok, verdict.reason
    finally:
        system.close()


def load(raw: dict):
    from datetime import datetime, timezone

    from deconfliction import load_volumes

    return load_volumes(raw, now=datetime.now(timezone.utc))[0]


def _archived_beyond(machine: Machine, archive: Path) -> bool:
    status = machine.data / "pg_wal" / "archive_status"
    return status.exists() and not any(p.suffix == ".ready" for p in status.iterdir()) and any(archive.iterdir())
