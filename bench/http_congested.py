"""Congested area over HTTP: every notice over one city, several parties filing at once.

    .venv/bin/python bench/http_congested.py                                  # SQLite, 4 clients, 15 s
    .venv/bin/python bench/http_congested.py --seconds 30 --clients 6 --workers 2
    .venv/bin/python bench/http_congested.py --database postgresql://localhost/deconfliction
    .venv/bin/python bench/http_congested.py --postgres --pg-workers 1,2   # a throwaway cluster, fsync on

Each client is a process and a party with its own token. It files notices (bench/city.py: small
circles and squares in a 20 km box around Paris over one day, policy `notify`) as fast as replies
come. Key strategy `optimistic` files with an empty key and, on 409, retries with the versions in
`missing`; `check` asks `POST /v1/check` first and files with the versions it found (a 409 can still
come when another party filed in between). "extra requests" counts every request beyond one per
accepted filing (checks and retries after a 409). A filing's latency runs from its first request to its 2xx,
refusals and retries included. Target (DESIGN.md): ≥ 300 accepted filings/s, p99 ≤ 100 ms on 2 cores.

PostgreSQL runs once per entry of --pg-workers, each on a fresh database (--database: a database made on that
server for each run; --postgres: a throwaway local cluster with fsync on, as SQLite's FULL sync is).

Baseline: the same filings through the library facade in one process (no HTTP), which shows what HTTP
costs. Loopback only; bounded by --seconds and --max-filings. No assertions: a measuring tool.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
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
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import city  # noqa: E402
from process_cpu import tree_cpu_seconds  # noqa: E402
from deconfliction import connect  # noqa: E402
from serverproc import Server, serve_available  # noqa: E402


def versions_of(items) -> list[str]:
    out = []
    for item in items or []:
        notice = item.get("notice", item) if isinstance(item, dict) else item
        if isinstance(notice, dict) and "version" in notice:
            out.append(notice["version"])
    return out


def missing_of(body: dict) -> list[str]:
    return versions_of(body.get("missing") or body.get("details", {}).get("missing"))


def check_versions(body) -> list[str]:
    if isinstance(body, dict):
        body = body.get("conflicts", body.get("findings", body.get("items", [])))
    return versions_of(body)


def client_process(url: str, token: str, agreement_id: str, data: list[dict], seconds: float, strategy: str, out, keyed: bool = False, ready=None) -> None:
    """Files for `seconds` from the moment every client is ready (`ready`: a barrier shared with the
    parent, which reads the CPU clocks at that moment; without one, at once)."""
    latencies, refusals, requests, errors, conflicts = [], 0, 0, 0, 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0) as http:
        http.get("/v1/health")  # connect before the start
        if ready is not None:
            ready.wait()
        deadline = time.monotonic() + seconds
        for volume in data:
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            key: list[str] = []
            if strategy == "check":
                reply = http.post("/v1/check", json={"agreement_id": agreement_id, "volumes": [volume]})
                requests += 1
                if reply.status_code < 300:
                    key = check_versions(reply.json())
            headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else None  # one per filing, kept across its 409s
            for _ in range(20):
                reply = http.post("/v1/notices", json={"agreement_id": agreement_id, "volumes": [volume], "key": key}, headers=headers)
                requests += 1
                if reply.status_code == 409:
                    refusals += 1
                    key = key + missing_of(reply.json())
                    continue
                break
            if reply.status_code < 300:
                latencies.append(time.perf_counter() - started)
                body = reply.json()
                conflicts += len(body.get("conflicts", [])) if isinstance(body, dict) else 0
            else:
                errors += 1
    out.put({"ended": time.monotonic(), "latencies": latencies, "refusals": refusals, "requests": requests, "errors": errors, "conflicts": conflicts})


def prepare(database: str, parties: list[str]) -> dict[str, str]:
    system = connect(database)
    try:
        system.add_agreement(city.agreement(parties))
        return {p: system.issue_token(p)[1] for p in parties}
    finally:
        system.close()


def run_http(database: str, args, console: Console, keyed: bool = False, workers: int | None = None, database_pid: int | None = None) -> dict:
    """`database_pid`: the database server's main process, whose CPU time (and its backends') is
    measured over the clients' window beside the API server's."""
    parties = [f"party{i}" for i in range(args.clients)]
    tokens = prepare(database, parties)
    start = city.day_start()
    per_client = args.max_filings // args.clients
    data = {p: city.volumes(per_client, args.seed + i, start) for i, p in enumerate(parties)}
    ctx = mp.get_context("spawn")
    with Server(database, workers=workers or args.workers, log=Path(args.log) if args.log else None) as server:
        out = ctx.Queue()
        # Every client starts once all are spawned and connected (on a loaded machine spawning them can
        # take seconds): the window, and the CPU read over it, begins when they all do.
        ready = ctx.Barrier(len(parties) + 1)
        processes = [ctx.Process(target=client_process, args=(server.url, tokens[p], "city", data[p], args.seconds, args.strategy, out, keyed, ready))
                     for p in parties]
        for process in processes:
            process.start()
        ready.wait()
        start_at = time.monotonic()
        cpu_before = tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid)
        results = [out.get(timeout=args.seconds + 120) for _ in processes]
        cpu_after = tree_cpu_seconds(server.process.pid), tree_cpu_seconds(database_pid)
        elapsed = max(r["ended"] for r in results) - start_at
        for process in processes:
            process.join(10)
    latencies = [l for r in results for l in r["latencies"]]
    return {
        "accepted": len(latencies),
        "seconds": elapsed,
        "latencies": latencies,
        "refusals": sum(r["refusals"] for r in results),
        "requests": sum(r["requests"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "conflicts": sum(r["conflicts"] for r in results),
        "cpu": [None if a is None or b is None else a - b for a, b in zip(cpu_after, cpu_before)],  # server, database: seconds
    }


def run_baseline(count_per_party: int, args) -> dict:
    parties = [f"party{i}" for i in range(args.clients)]
    with tempfile.TemporaryDirectory() as folder:
        system = connect(os.path.join(folder, "baseline.db"))
        system.add_agreement(city.agreement(parties))
        start = city.day_start()
        data = {p: city.volumes(count_per_party, args.seed + i, start) for i, p in enumerate(parties)}
        latencies, refusals, conflicts = [], 0, 0
        began = time.perf_counter()
        for k in range(count_per_party):  # interleaved, as the clients would be
            for party in parties:
                result = city.file_in_process(system, party, "city", [data[party][k]])
                latencies += result.latencies
                refusals += result.refusals
                conflicts += result.conflicts
        elapsed = time.perf_counter() - began
        system.close()
    return {"accepted": len(latencies), "seconds": elapsed, "latencies": latencies, "refusals": refusals,
            "requests": len(latencies) + refusals, "errors": 0, "conflicts": conflicts}


def row(label: str, store: str, workers: str, clients: str, r: dict) -> tuple[str, ...]:
    ms = lambda q: f"{city.percentile(r['latencies'], q) * 1000:,.1f}"  # noqa: E731
    cpu = lambda s: "—" if s is None or not r["accepted"] else f"{s / r['accepted'] * 1000:.1f}"  # noqa: E731
    server_cpu, database_cpu = r.get("cpu", [None, None])
    return (
        label, store, workers, clients, f"{r['accepted']:,}", f"{r['seconds']:.1f} s", f"{r['accepted'] / r['seconds']:,.0f}",
        ms(50), ms(99), f"{max(r['latencies']) * 1000:,.1f}" if r["latencies"] else "—",
        f"{r['refusals']:,}", f"{r['requests'] - r['accepted']:,}", f"{r['conflicts']:,}", f"{r['errors']:,}",
        cpu(server_cpu), cpu(database_cpu),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="postgresql://… of a role that may CREATE DATABASE: adds PostgreSQL columns (SQLite always runs, in a temp file)")
    parser.add_argument("--postgres", action="store_true", help="add PostgreSQL columns on a throwaway local cluster (fsync on)")
    parser.add_argument("--pg-workers", default=None, help="server workers of the PostgreSQL runs, comma-separated (default: --workers)")
    parser.add_argument("--clients", type=int, default=4, help="client processes, one party each")
    parser.add_argument("--workers", type=int, default=None, help="server worker processes (default: the server's own)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--max-filings", type=int, default=20_000, help="upper bound over all clients")
    parser.add_argument("--strategy", choices=["optimistic", "check"], default="optimistic")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", help="append the server's output here")
    parser.add_argument("--keyed", action="store_true", help="add a row: SQLite with an Idempotency-Key on every filing (what the Python client sends)")
    args = parser.parse_args()
    console = Console(width=max(160, Console().width))
    if not serve_available():
        console.print("[red]the HTTP API (deconfliction.api) is not installed: nothing to measure[/red]")
        sys.exit(1)

    table = Table(title=f"Congested city over HTTP ({os.cpu_count()} cores, strategy {args.strategy})")
    for column in ("mode", "store", "server workers", "clients", "accepted", "time", "filings/s", "p50 ms", "p99 ms", "max ms",
                   "409s", "extra requests", "conflicts", "errors", "server CPU ms / filing", "database CPU ms / filing"):
        table.add_column(column, justify="right")

    workers = str(args.workers or "default")
    with tempfile.TemporaryDirectory() as folder:
        console.print(f"HTTP, SQLite: {args.clients} clients for {args.seconds:.0f} s …", style="dim")
        sqlite = run_http(os.path.join(folder, "http.db"), args, console)
        table.add_row(*row("HTTP", "SQLite", workers, str(args.clients), sqlite))
    if args.keyed:
        with tempfile.TemporaryDirectory() as folder:
            console.print("HTTP, SQLite, with Idempotency-Key …", style="dim")
            table.add_row(*row("HTTP + Idempotency-Key", "SQLite", workers, str(args.clients), run_http(os.path.join(folder, "keyed.db"), args, console, keyed=True)))
    for label, database, database_pid in postgres_databases(args, console):
        try:
            console.print(f"HTTP, PostgreSQL, {label} workers …", style="dim")
            pg_workers = int(label) if label.isdigit() else None
            result = run_http(database, args, console, workers=pg_workers, database_pid=database_pid)
            table.add_row(*row("HTTP", "PostgreSQL", label, str(args.clients), result))
        except Exception as error:  # the other store may not be there (yet)
            console.print(f"[yellow]PostgreSQL column skipped: {error}[/yellow]")
    per_party = max(1, sqlite["accepted"] // args.clients)
    console.print(f"baseline: {per_party * args.clients:,} filings in process …", style="dim")
    table.add_row(*row("library (no HTTP)", "SQLite", "—", "1 thread", run_baseline(per_party, args)))
    console.print(table)
    console.print("CPU ms / filing: user + system time of the server's processes (the API; SQLite is inside it) and of the "
                  "database server's (PostgreSQL: postmaster and backends; a --database elsewhere is not measured) over the "
                  "clients' window, per accepted filing.")
    console.print(f"load average (1, 5, 15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def postgres_databases(args, console: Console):
    """(workers label, URL of an empty database, the server's main pid if it runs here) for each PostgreSQL run."""
    runs = [w.strip() for w in (args.pg_workers or str(args.workers or "default")).split(",") if w.strip()]
    if args.postgres:
        from store.backends import PostgresServer

        cluster = PostgresServer(durable=True).start()
        try:
            postmaster = int(Path(cluster.directory, "data", "postmaster.pid").read_text().split()[0]) if cluster.directory else None
            for label in runs:
                yield label, cluster.create_database(), postmaster
        finally:
            cluster.stop()
    elif args.database and args.database.startswith(("postgresql://", "postgres://")):
        import psycopg
        from store.backends import _with_database

        for n, label in enumerate(runs):  # each run on a database of its own, made here (needs CREATEDB)
            name = f"deconfliction_bench_{os.getpid()}_{n}"
            with psycopg.connect(args.database, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            try:
                yield label, _with_database(args.database, name), None
            finally:
                with psycopg.connect(args.database, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
