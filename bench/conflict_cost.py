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

    .venv/bin/python bench/conflict_cost.py --baseline main --rounds 4 --filings 5

With `--baseline REV`, the same measurement of another revision's code (its src/ taken from git, run by
this script in a child process) and of this tree's, alternately, `--rounds` times each: the two in
the same run, under the same load, as the machine's other jobs come and go.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
SOURCE = os.environ.get("CONFLICT_COST_SOURCE")  # a child measuring another revision: its src/ (see --baseline)
if SOURCE:
    sys.path.insert(0, SOURCE)
    import deconfliction  # noqa: E402,F401 - the package comes from SOURCE, whatever strategic.py puts on the path

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


def measure(stored: int, filings: int) -> list[tuple[tuple[float, float, int], tuple[float, float, int]]]:
    """(over Paris, over the Pacific) per pair of filings, each (CPU ms, wall ms, conflicts)."""
    with tempfile.TemporaryDirectory(prefix="conflict-cost-") as folder:
        store = S.SQLiteStore(Path(folder) / "bench.db")
        system = S.Deconfliction(store, clock=lambda: S.NOW)
        system.add_agreement(S.agreement())
        store_busy_area(store, stored)
        settle()
        mix = S.Mix(seed=77, detailed=True)
        pairs = []
        for i in range(filings):
            party = S.PARTIES[i % len(S.PARTIES)]
            busy = timed_filing(system, party, large_filing(mix, S.PARIS))
            empty = timed_filing(system, party, large_filing(mix, pacific_place(i)))
            pairs.append((busy, empty))
        store.close()
    assert all(empty[2] == 0 for _, empty in pairs), "a filing over the Pacific opened a conflict: the baseline would include it"
    return pairs


def measure_in_child(source: Path | None, stored: int, filings: int) -> list:
    """`measure` in a fresh process, over the code in `source` (None: this tree's)."""
    env = dict(os.environ, CONFLICT_COST_SOURCE=str(source)) if source else {k: v for k, v in os.environ.items() if k != "CONFLICT_COST_SOURCE"}
    out = subprocess.run([sys.executable, __file__, "--child", "--stored", str(stored), "--filings", str(filings)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def revision_source(revision: str, folder: str) -> tuple[Path, str]:
    """The revision's src/ extracted from git into `folder`, and its short commit."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", revision], check=True, capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return Path(folder) / "src", commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=400, help="notices stored around Paris")
    parser.add_argument("--filings", type=int, default=12, help="pairs of filings (over Paris, over the Pacific)")
    parser.add_argument("--baseline", help="a git revision (e.g. main) measured alternately with this tree, in child processes")
    parser.add_argument("--rounds", type=int, default=3, help="with --baseline: runs of each, alternately")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.stored, args.filings)))
        return
    console = Console(width=160)
    load_at_start = S.load_average()
    runs: dict[str, list] = {}
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="conflict-cost-baseline-") as folder:
            source, commit = revision_source(args.baseline, folder)
            base_label, this_label = f"baseline: {args.baseline} at {commit}", "this tree"
            runs = {base_label: [], this_label: []}
            for _ in range(args.rounds):
                runs[base_label].extend(measure_in_child(source, args.stored, args.filings))
                runs[this_label].extend(measure_in_child(None, args.stored, args.filings))
    else:
        runs = {"this tree": measure(args.stored, args.filings)}
    per_run = args.filings

    table = Table(title=f"A 2,000-vertex filing over {args.stored} stored notices and over none (CPU ms; per conflict = difference / conflicts)")
    for column in ("code", "filings", "conflicts opened", "CPU over Paris", "CPU over the Pacific (baseline)", "CPU per conflict", "wall per conflict"):
        table.add_column(column, justify="right")

    def row(code: str, label: str, chosen) -> None:
        conflicts = statistics.median(b[2] for b, _ in chosen)
        per_cpu = statistics.median((b[0] - e[0]) / b[2] for b, e in chosen if b[2])
        per_wall = statistics.median((b[1] - e[1]) / b[2] for b, e in chosen if b[2])
        table.add_row(code, label, f"{conflicts:,.0f}", f"{statistics.median(b[0] for b, _ in chosen):.1f}",
                      f"{statistics.median(e[0] for _, e in chosen):.1f}", f"{per_cpu * 1000:,.0f} µs", f"{per_wall * 1000:,.0f} µs")

    for code, pairs in runs.items():
        runs_of = [pairs[k:k + per_run] for k in range(0, len(pairs), per_run)]
        first = [run[0] for run in runs_of]
        rest = [pair for run in runs_of for pair in run[1:]]
        row(code, f"first of each run ({len(first)}: first sight of every notice)", first)
        if rest:
            row(code, f"the other {len(rest)} (median)", rest)
    console.print(table)
    console.print(f"Load average (1 / 5 / 15 min) at start: {load_at_start}; at the end: {S.load_average()}; {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
