"""Tactical monitor benchmark: one detection cycle over N aircraft, and replay throughput.

    .venv/bin/python bench/tactical.py                       # N = 1k, 10k, 100k; brute force up to 10k
    .venv/bin/python bench/tactical.py --sizes 1000,10000 --quick

Synthetic traffic: uniform over a Europe-sized box (lon −10..30°, lat 35..65°, ~9.5 million km²),
altitudes 3–12.5 km, ground speeds 120–260 m/s, random tracks, 30 % climbing or descending at
2.5–15 m/s. Minima 5 NM / 1000 ft, look-ahead 300 s. The brute-force column runs the same exact
test on every pair (vectorised in chunks) and the conflict sets must be identical.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deconfliction.monitor import Minima, Monitor, Traffic, all_pairs, candidate_pairs, detect, read_reports, replay  # noqa: E402
from deconfliction.monitor.engine import default_slices  # noqa: E402

QUICKSTART = ROOT / ".." / "shared" / "data" / "adsb" / "quickstart.json.gz"


def synthetic(n: int, seed: int = 1) -> Traffic:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-10.0, 30.0, n)
    # uniform in area: uniform in sin(latitude)
    lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(35.0)), np.sin(np.radians(65.0)), n)))
    climbing = rng.random(n) < 0.3
    vertical_rate = np.where(climbing, rng.choice([-1.0, 1.0], n) * rng.uniform(2.5, 15.0, n), 0.0)
    return Traffic.from_geodetic(lon, lat, rng.uniform(3_000, 12_500, n), rng.uniform(120, 260, n),
                                 rng.uniform(0, 360, n), vertical_rate, party=rng.integers(0, 200, n))


def timed(function, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_cycle(sizes, brute_max, repeats, console):
    minima = Minima(9_260.0, 304.8, 300.0)
    table = Table(title="Detection cycle (one core, median of repeats)")
    for column in ("N", "slices", "cycle", "peak memory", "candidate pairs", "conflicts", "all-pairs", "all-pairs time", "same set"):
        table.add_column(column, justify="right")
    rows = []
    for n in sizes:
        fleet = synthetic(n)
        reps = repeats if n <= 10_000 else max(1, repeats // 2)
        detect(fleet, minima)  # warm-up
        seconds, found = timed(lambda: detect(fleet, minima), reps)
        tracemalloc.start()
        detect(fleet, minima)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        candidates = len(candidate_pairs(fleet, minima)[0])
        brute_text, brute_time, same = "—", "—", "—"
        if n <= brute_max:
            brute_seconds, reference = timed(lambda: all_pairs(fleet, minima), 1)
            same = found.pairs() == reference.pairs()
            assert same, f"N={n}: pruned and all-pairs conflict sets differ"
            brute_text, brute_time, same = f"{n * (n - 1) // 2:,}", f"{brute_seconds * 1000:,.0f} ms", "yes"
        row = (f"{n:,}", str(default_slices(fleet, minima)), f"{seconds * 1000:,.1f} ms", f"{peak / 2**20:,.0f} MiB",
               f"{candidates:,}", f"{len(found):,}", brute_text, brute_time, same)
        rows.append(row)
        table.add_row(*row)
        console.print(f"N={n:,}: {seconds * 1000:.1f} ms", style="dim")
    console.print(table)
    return rows


def bench_replay(limit_rows, console):
    if not QUICKSTART.exists():
        console.print(f"replay: skipped, {QUICKSTART} not present")
        return None
    start = time.perf_counter()
    reports, _ = read_reports(QUICKSTART, limit_rows=limit_rows)
    read_seconds = time.perf_counter() - start
    monitor = Monitor()
    summary = replay(monitor, reports)
    table = Table(title="Replay of quickstart.json.gz, as fast as possible (1 s detection cycles)")
    for column in ("reports", "read + convert", "replay", "reports/s (replay)", "cycles", "max aircraft", "malformed"):
        table.add_column(column, justify="right")
    row = (f"{summary.reports:,}", f"{read_seconds:.1f} s", f"{summary.wall_s:.1f} s", f"{summary.reports / summary.wall_s:,.0f}",
           f"{summary.cycles:,}", str(summary.max_aircraft), str(monitor.totals.malformed))
    table.add_row(*row)
    console.print(table)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated fleet sizes")
    parser.add_argument("--brute-max", type=int, default=10_000, help="largest N for the all-pairs reference")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, brute force up to 1k, a replay slice")
    parser.add_argument("--no-replay", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.brute_max, args.repeats = [s for s in sizes if s <= 10_000], min(args.brute_max, 1_000), 3
    console = Console(width=150)
    bench_cycle(sizes, args.brute_max, args.repeats, console)
    if not args.no_replay:
        bench_replay(50_000 if args.quick else None, console)


if __name__ == "__main__":
    main()
