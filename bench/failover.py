"""Failover: how long the service stops when the PostgreSQL primary is killed, and what is lost.

    .venv/bin/python bench/failover.py [--kills 5] [--instances 2]

A local pg_auto_failover cluster (monitor, primary, synchronous standby; `deconfliction cluster up`),
two `serve` instances over it, and three parties filing notices through them without pause (the
Python client: an Idempotency-Key on every write, retried through the failover). Each round kills the
primary with kill -9, waits for the writes to flow again, then restarts the dead node, which rejoins
as the standby. The service gap of a round is the longest time between two consecutive accepted
filings (of any party) around the kill; the baseline, measured in the same run, is the longest such
time in the seconds before the kill. At the end every acknowledged filing is looked up on the
surviving primary: lost ones and ones stored twice are counted (both must be 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import psycopg  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from deconfliction.cluster import LocalCluster  # noqa: E402
from pool.workload import PARTIES, Writer, set_up, start  # noqa: E402
from serverproc import Server, free_port  # noqa: E402


def longest_pause(times: list[float], start: float, end: float) -> float:
    inside = sorted(t for t in times if start <= t <= end)
    points = [start, *inside]
    return max((b - a for a, b in zip(points, points[1:])), default=end - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--steady-s", type=float, default=4.0, help="writing before each kill")
    args = parser.parse_args()
    console = Console()

    directory = tempfile.mkdtemp(prefix="dcf-failover-")
    cluster = LocalCluster(directory)  # fsync on, as in production
    started = time.monotonic()
    url = cluster.up()
    console.print(f"cluster up in {time.monotonic() - started:.0f} s: {url}")
    tokens = set_up(url)
    servers = [Server(url, free_port(), log=Path(directory) / f"instance{i}.log").start(60) for i in range(args.instances)]
    urls = [s.url for s in servers]
    writers = [Writer(party, i, tokens[party], urls[i % len(urls):] + urls[: i % len(urls)]) for i, party in enumerate(PARTIES)]
    threads = [start(w) for w in writers]
    rows = []
    try:
        for round_ in range(1, args.kills + 1):
            cluster.wait_replicated(180)
            time.sleep(args.steady_s)
            victim = cluster.primary()
            kill_at = time.monotonic()
            cluster.kill(victim)
            # Wait until every party has been answered three times since the kill.
            while not all(sum(1 for t, _ in w.accepted if t > kill_at) >= 3 for w in writers):
                if time.monotonic() - kill_at > 120:
                    raise SystemExit("no writes accepted 120 s after the kill")
                time.sleep(0.1)
            settled = time.monotonic()
            times = [t for w in writers for t, _ in w.accepted]
            gap = longest_pause(times, kill_at, settled)
            baseline = longest_pause(times, kill_at - args.steady_s + 1.0, kill_at)
            rows.append((round_, victim, cluster.primary(), gap, baseline))
            console.print(f"kill {round_}: {victim} killed, {cluster.primary()} took over; service gap {gap:.2f} s (before: {baseline:.2f} s)")
            cluster.restart(victim)
    finally:
        for w in writers:
            w.stop.set()
        for thread in threads:
            thread.join(90)
        for server in servers:
            server.kill()

    with psycopg.connect(url) as db:
        stored = db.execute("SELECT id FROM notices").fetchall()
    stored_ids = [r[0] for r in stored]
    acknowledged = [n for w in writers for _, n in w.accepted]
    lost = len(set(acknowledged) - set(stored_ids))
    twice = len(set(stored_ids) - set(acknowledged)) + (len(stored_ids) - len(set(stored_ids)))  # applied but never acknowledged: a retry applied twice
    failures = [f for w in writers for f in w.failures]
    cluster.destroy(fast=True)

    table = Table(title=f"Failover: kill -9 of the primary, {len(PARTIES)} parties writing through {args.instances} instances")
    for column in ("kill", "killed", "promoted", "service gap (s)", "longest pause before (s)"):
        table.add_column(column, justify="right")
    for round_, victim, promoted, gap, baseline in rows:
        table.add_row(str(round_), victim, str(promoted), f"{gap:.2f}", f"{baseline:.2f}")
    console.print(table)
    gaps = [r[3] for r in rows]
    console.print(
        f"service gap p50 {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s (target ≤ 10 s); "
        f"filings acknowledged {len(acknowledged)}, lost {lost}, stored beyond those acknowledged {twice}, "
        f"client errors {len(failures)}"
    )
    for failure in failures[:5]:
        console.print(f"  {failure}")


if __name__ == "__main__":
    main()
