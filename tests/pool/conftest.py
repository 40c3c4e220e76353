"""A real replicated PostgreSQL (pg_auto_failover: monitor, primary, synchronous standby) for the pool
and failover tests, started once per session, and `serve` instances over it as real processes.

Each test gets a database of its own on the cluster (a copy of the cluster's database, which holds
PostGIS), so the tests do not see each other's notices. Without pg_auto_failover the tests skip with
the reason, except under CI (`CI=true`), where they fail: .ci/run installs it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone

import pytest

from serverproc import Server, free_port
from store.backends import in_ci


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"the pool tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"the pool tests cannot run: {reason}")


@pytest.fixture(scope="session")
def cluster():
    try:
        import psycopg  # noqa: F401

        from deconfliction.cluster import ClusterError, LocalCluster
    except ImportError as exc:
        _unavailable(f"{exc.name} is not installed")
    directory = tempfile.mkdtemp(prefix="dcfha-")
    try:
        cluster = LocalCluster(directory, fsync=False)  # a kill -9 loses nothing the kernel holds; no power cuts here
        cluster.up()
    except ClusterError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        _unavailable(str(exc))
    yield cluster
    cluster.destroy(fast=True)


_databases = itertools.count(1)


@pytest.fixture
def pool_url(cluster):
    """A fresh database on the cluster (PostGIS, no schema yet: the first instance creates it); the
    multi-host URL to it. The cluster is made whole again first if an earlier test killed a node."""
    import psycopg

    for node in cluster.state.nodes:
        cluster.restart(node.name)
    cluster.wait_replicated(120)
    name = f"pool_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(cluster.state.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{cluster.database}"')
    return cluster.state.url.replace(f"/{cluster.database}?", f"/{name}?")


def start_instances(url: str, count: int, log_dir) -> list[Server]:
    servers = []
    for i in range(count):
        server = Server(url, free_port(), log=log_dir / f"instance{i}.log")
        servers.append(server.start(timeout_s=60))
    return servers


def soon(hours: float = 1.0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(hours=hours)
