"""Where a large filing's own time goes: CPU by phase, from cProfile with a CPU clock.

    .venv/bin/python bench/filing_phases.py                     # 2,000-vertex filings over the empty Pacific
    .venv/bin/python bench/filing_phases.py --stored 10000      # and the slowest ≤ 10-conflict filings of the detailed mix

Two kinds of filing, each preceded by a check (untimed, as bench/strategic.py and bench/conflict_cost.py do):

- `Pacific`: bench/conflict_cost.py's 2,000-vertex polygon, 240 km across, each at its own place over the
  empty Pacific (no candidate, no conflict): what a large filing costs itself.
- `detailed`: `--stored` volumes of bench/strategic.py's detailed mix, then `--filings` filings of the same
  mix; the slowest twentieth of those that open at most 10 conflicts (the budget's tail).

Every filing is profiled (cProfile, time.process_time as its clock, so other jobs on the machine do not
inflate it); a phase is the cumulative CPU of the functions named beside it, per filing, median over the
filings shown. cProfile's own overhead lands on Python-heavy phases; the total without the profiler is
shown too. Before the filing, and not part of it: the validation of the volumes at the edge (pydantic,
Polygon's simplicity check) and a first preparation of the shape (what a server does once per request
or first sight).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import conflict_cost as C  # noqa: E402
import strategic as S  # noqa: E402

from deconfliction import Polygon, Volume4D  # noqa: E402
from deconfliction.geometry.footprint import forget_prepared, prepare  # noqa: E402
from deconfliction.workers.memory import settle  # noqa: E402

# (label, file ending, function name, caller's file ending or None): cumulative CPU of that function
# (only as called from that caller, when one is given).
PHASES = [
    ("the whole filing (Deconfliction.file_notice)", "deconfliction/service.py", "file_notice", None),
    ("  exact check in a snapshot, outside the lock (prechecked.precompute)", "rules/prechecked.py", "precompute", None),
    ("  limits and geodesic area (check_volumes)", "rules/notices.py", "check_volumes", None),
    ("    of which the geodesic area (area_m2)", "geometry/footprint.py", "area_m2", None),
    ("  zones (check_zones)", "rules/zones.py", "check_zones", None),
    ("  candidates under the lock, answers reused (find_conflicts)", "rules/conflicts.py", "find_conflicts", None),
    ("  the notice's row and index boxes (put_notice)", "store/tables.py", "put_notice", None),
    ("    of which its body's JSON (model_dump_json)", "pydantic/main.py", "model_dump_json", "store/tables.py"),
    ("  what members are told, encoded once (_told)", "rules/notices.py", "_told", None),
    ("  the audit entry (_record)", "rules/notices.py", "_record", None),
    ("  events and acknowledgment deadlines (_tell_members)", "rules/notices.py", "_tell_members", None),
    ("  conflicts opened (reconcile)", "rules/conflicts.py", "reconcile", None),
    ("  tree head signed and stored (seal_write)", "transparency/log.py", "seal_write", None),
    ("  BEGIN, SAVEPOINT, COMMIT (the group's statements)", "", "<method 'execute' of 'sqlite3.Connection' objects>", "store/sqlite.py"),
]


def phase_ms(stats: pstats.Stats, filings: int) -> list[float]:
    """CPU ms per filing of each phase (cumulative, averaged over the filings in `stats`)."""
    out = []
    for _, file_end, name, caller_end in PHASES:
        total = 0.0
        for (file, _, function), (_, _, _, cumulative, callers) in stats.stats.items():  # type: ignore[attr-defined]
            if function != name or not file.endswith(file_end):
                continue
            if caller_end is None:
                total += cumulative
            else:
                total += sum(c[3] for (caller_file, _, caller_name), c in callers.items()
                             if caller_file.endswith(caller_end) and (name != PHASES[-1][2] or caller_name == "_run_group"))
        out.append(total * 1000 / filings)
    return out


def profiled_filing(system, party: str, volumes: list[Volume4D]) -> tuple[float, int, cProfile.Profile]:
    key = [f.notice.version for f in system.check(party, S.AGREEMENT, volumes)]
    profile = cProfile.Profile(time.process_time)
    c0 = time.process_time()
    profile.enable()
    filing = system.file_notice(party, S.AGREEMENT, volumes, key=key)
    profile.disable()
    return (time.process_time() - c0) * 1000, len(filing.conflicts), profile


def plain_filing(system, party: str, volumes: list[Volume4D]) -> float:
    key = [f.notice.version for f in system.check(party, S.AGREEMENT, volumes)]
    c0 = time.process_time()
    system.file_notice(party, S.AGREEMENT, volumes, key=key)
    return (time.process_time() - c0) * 1000


def pacific(filings: int) -> dict:
    """2,000-vertex filings, each at its own place over the empty Pacific."""
    mix = S.Mix(seed=77, detailed=True)
    places = [C.pacific_place(i) for i in range(2 * filings)]
    shapes = [C.large_filing(mix, place) for place in places]  # built without the validity check (trusted)
    raw = [[tuple(v) for v in s.footprint.vertices] for s in shapes]
    validation, preparation = [], []
    for vertices in raw:
        c0 = time.process_time()
        footprint = Polygon(vertices=vertices)
        validation.append((time.process_time() - c0) * 1000)
        forget_prepared()
        c0 = time.process_time()
        prepare(footprint)
        preparation.append((time.process_time() - c0) * 1000)
    with tempfile.TemporaryDirectory(prefix="filing-phases-") as folder:
        store = S.SQLiteStore(Path(folder) / "bench.db")
        system = S.Deconfliction(store, clock=lambda: S.NOW)
        system.add_agreement(S.agreement())
        settle()
        plain = [plain_filing(system, S.PARTIES[i % 10], [shapes[i]]) for i in range(filings)]
        profiled = [profiled_filing(system, S.PARTIES[i % 10], [shapes[filings + i]]) for i in range(filings)]
        store.close()
    assert all(conflicts == 0 for _, conflicts, _ in profiled)
    return dict(validation=statistics.median(validation), preparation=statistics.median(preparation), plain=statistics.median(plain),
                profiled=profiled, count=filings)


def detailed(stored: int, filings: int, console: Console) -> dict:
    with tempfile.TemporaryDirectory(prefix="filing-phases-") as folder:
        store = S.SQLiteStore(Path(folder) / "bench.db")
        system = S.Deconfliction(store, clock=lambda: S.NOW)
        system.add_agreement(S.agreement())
        mix, scan = S.Mix(seed=1, hotspot_budget=S.HOTSPOT_STORED, detailed=True), S.Scan()
        with Progress(console=console, transient=True) as progress:
            S.load(store, mix, scan, stored, 0, progress, progress.add_task("loading", total=stored))
        settle()
        mix = S.Mix(1000 + stored, detailed=True)
        runs = []
        for _ in range(filings):
            volumes = mix.volumes(validate=True)
            party = S.PARTIES[int(mix.rng.integers(len(S.PARTIES)))]
            runs.append(profiled_filing(system, party, volumes))
        store.close()
    few = sorted((r for r in runs if r[1] <= 10), key=lambda r: -r[0])
    return dict(profiled=few[: max(5, len(few) // 20)], count=len(few))


def merged(profiled) -> pstats.Stats:
    stats = pstats.Stats(profiled[0][2])
    for _, _, profile in profiled[1:]:
        stats.add(profile)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=20, help="Pacific filings profiled (and as many unprofiled)")
    parser.add_argument("--stored", type=int, default=0, help="volumes of the detailed mix stored (0: no detailed run)")
    parser.add_argument("--detailed-filings", type=int, default=300)
    args = parser.parse_args()
    console = Console(width=160)
    load_at_start = S.load_average()
    runs = [("Pacific, 2,000 vertices", pacific(args.filings))]
    if args.stored:
        runs.append((f"detailed mix at {args.stored:,}: slowest ≤ 10-conflict", detailed(args.stored, args.detailed_filings, console)))
    table = Table(title="CPU ms per filing, by phase (cProfile, process_time clock; median filing's total without the profiler below)")
    table.add_column("phase")
    for label, run in runs:
        table.add_column(f"{label} ({len(run['profiled'])} filings)", justify="right")
    columns = [phase_ms(merged(run["profiled"]), len(run["profiled"])) for _, run in runs]
    for i, (label, *_) in enumerate(PHASES):
        table.add_row(label, *(f"{column[i]:.2f}" for column in columns))
    table.add_row("the whole filing without the profiler (median)", f"{runs[0][1]['plain']:.2f}", *("" for _ in runs[1:]))
    table.add_row("before it, not timed by the benchmarks: validation at the edge (Polygon)", f"{runs[0][1]['validation']:.2f}", *("" for _ in runs[1:]))
    table.add_row("before it: a first preparation of the shape (prepare)", f"{runs[0][1]['preparation']:.2f}", *("" for _ in runs[1:]))
    console.print(table)
    console.print(f"Load average (1 / 5 / 15 min) at start: {load_at_start}; at the end: {S.load_average()}; {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
