"""How many statements (and round trips) does one filing cost the PostgreSQL store over HTTP?

    .venv/bin/python bench/pg_round_trips.py [--filings 200] [--top 25]

A throwaway PostgreSQL cluster with pg_stat_statements (the server's own count of every statement it
ran, utility statements such as BEGIN and COMMIT included), one `serve` worker over it, and two parties
filing notices of the congested city (bench/city.py) one after the other: without a key, then with an
Idempotency-Key (what the Python client sends). The same wait, with nobody filing, is measured in the
same run and subtracted: what the leader's scheduler and the event listener run meanwhile is not the
filing's. Round trips are counted on the server's side too, where pipelining shows: each time one of
the instance's backends waits for its client (`epoll_wait`, counted by strace attached to them,
when strace is installed), with the same idle wait subtracted. No assertions: a measuring tool.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import city  # noqa: E402
from http_congested import missing_of, prepare  # noqa: E402
from serverproc import Server  # noqa: E402
from store.backends import PostgresServer  # noqa: E402

PARTIES = ["party0", "party1"]


def statements(url: str) -> dict[str, tuple[int, float]]:
    """(calls, milliseconds the server spent running it) by statement."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT query, sum(calls)::bigint, sum(total_exec_time) FROM pg_stat_statements JOIN pg_database d ON d.oid = dbid "
            "WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%' GROUP BY query"
        ).fetchall()
    return {query: (calls, ms) for query, calls, ms in rows}


def backends(url: str) -> list[int]:
    """The server processes of everyone else connected to this database (the instance's pool, its listener, its leader)."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [r[0] for r in rows]


def waits_during(pids: list[int], action) -> tuple[int | None, object]:
    """(how many times these backends waited for their clients while `action()` ran, its result)."""
    if not shutil.which("strace") or not pids:
        return None, action()
    out = tempfile.NamedTemporaryFile(suffix=".strace", delete=False).name
    command = ["strace", "-c", "-e", "trace=epoll_wait", "-o", out] + [a for pid in pids for a in ("-p", str(pid))]
    tracer = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached
    try:
        result = action()
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(30)
    found = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?epoll_wait", Path(out).read_text(), re.M)
    os.unlink(out)
    return (int(found.group(1)) if found else 0), result


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_statements_reset()")


def file_all(server_url: str, tokens: dict[str, str], data: dict[str, list[dict]], keyed: bool) -> tuple[int, float]:
    clients = {p: httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {tokens[p]}"}, timeout=30) for p in PARTIES}
    filed, began = 0, time.perf_counter()
    try:
        for k in range(len(data[PARTIES[0]])):
            for party in PARTIES:
                key: list[str] = []
                headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else None
                for _ in range(10):
                    reply = clients[party].post("/v1/notices", json={"agreement_id": "city", "volumes": [data[party][k]], "key": key}, headers=headers)
                    if reply.status_code != 409:
                        break
                    key += missing_of(reply.json())
                reply.raise_for_status()
                filed += 1
    finally:
        for client in clients.values():
            client.close()
    return filed, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=200, help="per phase, over both parties")
    parser.add_argument("--top", type=int, default=25, help="statements to list")
    args = parser.parse_args()
    console = Console(width=max(140, Console().width))

    cluster = PostgresServer(settings={"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track_utility": "on"})
    cluster._start_cluster()
    try:
        url = cluster.admin_url.replace("/postgres?", "/filings?", 1)
        with psycopg.connect(cluster.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE filings")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE EXTENSION pg_stat_statements")
        tokens = prepare(url, PARTIES)
        start = city.day_start()
        per_party = args.filings // len(PARTIES)
        with Server(url, workers=1) as server:
            warm = {p: city.volumes(10, 100 + i, start) for i, p in enumerate(PARTIES)}
            file_all(server.url, tokens, warm, keyed=True)  # pools open, caches fill, statements prepared
            results = []
            for phase, keyed in (("filing", False), ("filing with Idempotency-Key", True)):
                data = {p: city.volumes(per_party, (7 if keyed else 1) + i, start) for i, p in enumerate(PARTIES)}
                pids = backends(url)
                reset(url)
                waits, (filed, seconds) = waits_during(pids, lambda: file_all(server.url, tokens, data, keyed))
                during = statements(url)
                reset(url)
                idle_waits, _ = waits_during(pids, lambda: time.sleep(seconds))  # nobody filing: the background's share
                idle = statements(url)
                trips = None if waits is None else waits - idle_waits
                results.append((phase, filed, during, idle, trips))

    finally:
        cluster.stop()

    summary = Table(title="Statements per filing, PostgreSQL store over HTTP (pg_stat_statements, background subtracted)")
    for column in ("", "filings", "statements", "per filing", "of which BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE",
                   "server ms per filing", "round trips per filing", "background statements (same wait)"):
        summary.add_column(column, justify="right")
    control_words = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    for phase, filed, during, idle, trips in results:
        total = sum(n for n, _ in during.values()) - sum(n for n, _ in idle.values())
        ms = sum(t for _, t in during.values()) - sum(t for _, t in idle.values())
        control = sum(n for q, (n, _) in during.items() if q.split()[0].upper() in control_words)
        summary.add_row(phase, f"{filed}", f"{total:,}", f"{total / filed:.1f}", f"{control / filed:.1f}", f"{ms / filed:.2f}",
                        "—" if trips is None else f"{trips / filed:.1f}", f"{sum(n for n, _ in idle.values()):,}")
    console.print(summary)

    phase, filed, during, idle, _ = results[-1]
    detail = Table(title=f"The {args.top} most frequent statements, {phase}")
    detail.add_column("per filing", justify="right")
    detail.add_column("server ms per filing", justify="right")
    detail.add_column("statement")
    net = {q: (n - idle.get(q, (0, 0.0))[0], t - idle.get(q, (0, 0.0))[1]) for q, (n, t) in during.items()}
    for query, (calls, ms) in sorted(net.items(), key=lambda item: -item[1][0])[: args.top]:
        detail.add_row(f"{calls / filed:.2f}", f"{ms / filed:.3f}", " ".join(query.split())[:140])
    console.print(detail)


if __name__ == "__main__":
    main()
