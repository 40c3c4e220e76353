"""What one more conflict costs a filing: the same large filing over a busy area and over an empty one.

    .venv/bin/python bench/conflict_cost.py                    # 400 stored notices, 12 filings of each
    .venv/bin/python bench/conflict_cost.py --stored 1000 --filings 20

A SQLite store (WAL, synchronous FULL) holds `--stored` notices of bench/strategic.py's detailed mix
(drone circles, 200–2,000-vertex city polygons, corridors, large areas), all around Paris and in the
same two hours. Then, alternately, a 2,000-vertex polygon 240 km across is filed over Paris (it
conflicts with most of them) and the same polygon is filed over the empty Pacific, each time at a place
of its own (it conflicts with nothing, not even the earlier ones of other parties): the baseline, in the same run, is the filing's own cost (its validation-free write, index
boxes, events, audit entry, commit). Per conflict = (CPU over Paris − CPU over the Pacific) / conflicts,
per pair of filings; time.process_time, so other jobs on the machine inflate it less than wall time.

The first filing over Paris meets every stored notice for the first time (its JSON parsed, its shape
prepared: the first sight); the later ones find them in the notice cache (store/notice_cache.py) with
their shapes prepared. Both are reported: the strategic benchmark's slope mixes the two.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import strategic as S  # noqa: E402

from deconfliction import AltitudeBand, TimeWindow, Volume4D  # noqa: E402
from deconfliction.workers.memory import settle  # noqa: E402

WINDOW = TimeWindow(start=S.NOW + timedelta(hours=10), end=S.NOW + timedelta(hours=12))
PACIFIC_PLACES = 200


def pacific_place(i: int) -> tuple[float, float]:
    """The i-th of 200 places over the empty Pacific, 4° apart: the large filings there never meet."""
    if not 0 <= i < PACIFIC_PLACES:
        raise ValueError(f"only {PACIFIC_PLACES} places over the Pacific")
    return -170.0 + 4.0 * (i % 20), -30.0 + 4.0 * (i // 20)


def store_busy_area(store, count: int) -> None:
    """`count` notices of the detailed mix in the Paris hotspot, all in WINDOW."""
    mix = S.Mix(seed=3, detailed=True)
    with store.transaction() as tx:
        stored = 0
        while stored < count:
            notice = mix.notice()
            if mix.last[1] != "hotspot":
                continue
            volumes = [v.model_copy(update={"time": WINDOW}) for v in notice.volumes]
            tx.put_notice(notice.model_copy(update={"volumes": volumes}))
            stored += 1


def large_filing(mix: S.Mix, where: tuple[float, float]) -> Volume4D:
    footprint = mix._star(where[0], where[1], 120_000.0, 2_000, True)
    window = TimeWindow(start=WINDOW.start - timedelta(hours=1), end=WINDOW.end + timedelta(hours=1))
    return Volume4D(footprint=footprint, altitude=AltitudeBand(lower_m=0.0, upper_m=15_000.0, datum="W84"), time=window)


def timed_filing(system, party: str, volume: Volume4D) -> tuple[float, float, int]:
    """(CPU ms, wall ms, conflicts opened), the key from a check just before (untimed)."""
    key = [f.notice.version for f in system.check(party, S.AGREEMENT, [volume])]
    c0, t0 = time.process_time(), time.perf_counter()
    filing = system.file_notice(party, S.AGREEMENT, [volume], key=key)
    return (time.process_time() - c0) * 1000, (time.perf_counter() - t0) * 1000, len(filing.conflicts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=400, help="notices stored around Paris")
    parser.add_argument("--filings", type=int, default=12, help="pairs of filings (over Paris, over the Pacific)")
    args = parser.parse_args()
    console = Console(width=160)
    load_at_start = S.load_average()
    with tempfile.TemporaryDirectory(prefix="conflict-cost-") as folder:
        store = S.SQLiteStore(Path(folder) / "bench.db")
        system = S.Deconfliction(store, clock=lambda: S.NOW)
        system.add_agreement(S.agreement())
        store_busy_area(store, args.stored)
        settle()
        mix = S.Mix(seed=77, detailed=True)
        pairs = []
        for i in range(args.filings):
            party = S.PARTIES[i % len(S.PARTIES)]
            busy = timed_filing(system, party, large_filing(mix, S.PARIS))
            empty = timed_filing(system, party, large_filing(mix, pacific_place(i)))
            pairs.append((busy, empty))
        store.close()
    assert all(empty[2] == 0 for _, empty in pairs), "a filing over the Pacific opened a conflict: the baseline would include it"

    table = Table(title=f"A 2,000-vertex filing over {args.stored} stored notices and over none (CPU ms; per conflict = difference / conflicts)")
    for column in ("filings", "conflicts opened", "CPU over Paris", "CPU over the Pacific (baseline)", "CPU per conflict", "wall per conflict"):
        table.add_column(column, justify="right")

    def row(label: str, chosen) -> None:
        conflicts = statistics.median(b[2] for b, _ in chosen)
        per_cpu = statistics.median((b[0] - e[0]) / b[2] for b, e in chosen if b[2])
        per_wall = statistics.median((b[1] - e[1]) / b[2] for b, e in chosen if b[2])
        table.add_row(label, f"{conflicts:,.0f}", f"{statistics.median(b[0] for b, _ in chosen):.1f}",
                      f"{statistics.median(e[0] for _, e in chosen):.1f}", f"{per_cpu * 1000:,.0f} µs", f"{per_wall * 1000:,.0f} µs")

    row("first (first sight of every notice)", pairs[:1])
    row(f"the other {len(pairs) - 1} (median)", pairs[1:])
    console.print(table)
    console.print(f"Load average (1 / 5 / 15 min) at start: {load_at_start}; at the end: {S.load_average()}; {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
