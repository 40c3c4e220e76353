"""Compliance receipts benchmark: what citing its figures costs the report, and what the index it reads
by costs a filing.

    .venv/bin/python bench/compliance_receipts.py            # 300 filings; 2,000 late notices in a log of 10^5 entries
    .venv/bin/python bench/compliance_receipts.py --quick    # 100 filings; 300 late notices, 10^4 entries (smoke)

1. The write path. Two SQLite stores side by side (WAL, synchronous FULL, as shipped), the same
   agreement: A as shipped, B with migration 12's index (`audit_by_subject`) dropped. The same
   non-conflicting filings go to A and B alternately, each timed around `file_notice`; the difference
   of the medians is what the index adds to a filing (and the bytes each filing wrote, /proc/self/io).
2. The report. One store where every notice is late and the two other parties never acknowledge it
   (each notice: a late-notice citation and two overdue ones), and as many on-time notices acknowledged
   in time (entries the report must not cite), after --padding entries nobody cites (conflicts of the
   size a real one logs: the bulk of a long-lived log, which a report without the index reads through). Timed, median of --repeat: the report's figures alone
   (the citing switched off in this process), the report with its receipts (as shipped: cite, then an
   inclusion proof per citation under a head signed after), the same on a copy of the store without
   the index, and `report check` of the saved report (offline). Also the report's JSON size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
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
sys.path.insert(0, str(ROOT / "tests"))

from deconfliction import Deconfliction  # noqa: E402
from deconfliction.rules import audit  # noqa: E402
from deconfliction.rules import compliance_receipts  # noqa: E402
from deconfliction.rules.compliance import ComplianceReport  # noqa: E402
from deconfliction.rules.compliance_check import check_report  # noqa: E402
from deconfliction.store import SQLiteStore  # noqa: E402
from deconfliction.transparency.keys import SigningKey  # noqa: E402
from factories import FixedClock, circle_volume, example_agreement  # noqa: E402

console = Console()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def bytes_written() -> int:
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))
    except OSError:
        return 0


# A conflict as the log keeps one (rules/conflicts.py logs the whole conflict), about 700 bytes.
PADDING = {
    "id": "00000000-0000-0000-0000-000000000000", "agreement_id": "pact", "notice_a": "a" * 36, "notice_b": "b" * 36,
    "party_a": "blue", "party_b": "red", "version_a": "v" * 16, "version_b": "w" * 16, "state": "open",
    "lateral_m": 812.5, "vertical_m": 0.0, "time_start": "2026-06-01T09:00:00Z", "time_end": "2026-06-01T10:00:00Z",
    "where": {"type": "Point", "coordinates": [2.35, 48.85]}, "channel": {"name": "paris", "contact": "tel:+33-1-0000"},
    "opened_at": "2026-06-01T08:00:00Z", "updated_at": "2026-06-01T08:00:00Z", "acknowledged_a": None, "acknowledged_b": None,
    "cleared_at": None, "note": "x" * 200,
}


def grid(clock: FixedClock, start_h: float):
    """Circles > 1 NM apart on a 0.04° grid: no conflicts, so every filing writes the same entries."""
    k = 0
    while True:
        yield circle_volume(clock.now, lon=2.35 + 0.04 * (k % 40), lat=48.85 + 0.04 * (k // 40), radius_m=200, start_h=start_h, hours=0.25)
        k += 1


def drop_index(path: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX audit_by_subject")


def write_path(folder: str, filings: int) -> None:
    clock = FixedClock()
    systems = {}
    for name in ("with index", "without index"):
        path = os.path.join(folder, f"{name.replace(' ', '-')}.db")
        system = Deconfliction(SQLiteStore(path), clock=clock)
        system.add_agreement(example_agreement())
        system.close()
        if name == "without index":
            drop_index(path)
        systems[name] = Deconfliction(SQLiteStore(path), clock=clock)
    places = grid(clock, start_h=1)
    times: dict[str, list[float]] = {name: [] for name in systems}
    written: dict[str, list[int]] = {name: [] for name in systems}
    for i in range(filings):
        volume = next(places)
        for name in (("with index", "without index") if i % 2 else ("without index", "with index")):
            before = bytes_written()
            started = time.perf_counter()
            systems[name].file_notice("blue", "pact", [volume])
            times[name].append(time.perf_counter() - started)
            written[name].append(bytes_written() - before)
    table = Table(title=f"1. Filing latency with and without the audit's subject index, {filings} filings each (SQLite, synchronous FULL)")
    for column in ("store", "p50 ms", "mean ms", "KiB written per filing (mean)"):
        table.add_column(column, justify="right")
    for name, values in times.items():
        table.add_row(name, ms(statistics.median(values)), ms(statistics.mean(values)), f"{statistics.mean(written[name]) / 1024:.1f}")
    console.print(table)
    paired = sorted(a - b for a, b in zip(times["with index"], times["without index"]))
    console.print(f"The index adds {ms(statistics.median(times['with index']) - statistics.median(times['without index']))} ms per filing "
                  f"(difference of medians; paired differences p50 {ms(paired[len(paired) // 2])} ms), "
                  f"{(statistics.mean(written['with index']) - statistics.mean(written['without index'])) / 1024:.1f} KiB written.")
    for system in systems.values():
        system.close()


def lapses(path: str, late: int, padding: int) -> tuple[FixedClock, SigningKey]:
    clock = FixedClock()
    key = SigningKey.generate()
    system = Deconfliction(SQLiteStore(path), clock=clock, log_key=key)
    system.add_agreement(example_agreement(late_notices="flag", min_lead_time_s=3600, notice_ack_deadline_s=600))
    for first in range(0, padding, 10_000):
        with system.store.transaction() as tx:
            audit.record_many(tx, [("system", "conflict.opened", f"padding-{k}", PADDING) for k in range(first, min(padding, first + 10_000))], clock.now)
    parties = ["blue", "red", "green"]
    soon, later = grid(clock, start_h=0.5), grid(clock, start_h=2)
    for i in range(late):
        system.file_notice(parties[i % 3], "pact", [next(soon)])  # late; never acknowledged
        in_time = system.file_notice(parties[i % 3], "pact", [next(later)]).notice
        for other in parties:
            if other != parties[i % 3]:
                system.acknowledge_notice(other, in_time.id)
    clock.advance(seconds=601)
    while system.tick(limit=1000).overdue:
        pass
    system.close()
    return clock, key


def median_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


class CitingOff:
    """The baseline: the report's figures alone (no entries looked up, no proofs) in this process."""

    def __enter__(self):
        self.cite, self.prove = compliance_receipts.cite, compliance_receipts.prove
        compliance_receipts.cite = lambda tx, counted, upto: {party: [] for party in counted}
        compliance_receipts.prove = lambda tx, report, head: report.model_copy(update={"log_head": head})

    def __exit__(self, *exc):
        compliance_receipts.cite, compliance_receipts.prove = self.cite, self.prove


def report_cost(folder: str, late: int, padding: int, repeat: int) -> None:
    path = os.path.join(folder, "lapses.db")
    clock, key = lapses(path, late, padding)
    bare = os.path.join(folder, "lapses-without-index.db")
    shutil.copy(path, bare)
    drop_index(bare)
    start, end = clock.now - timedelta(days=1), clock.now + timedelta(days=1)
    rows = []
    for label, where, off in (("figures alone (baseline)", path, True), ("with receipts", path, False), ("with receipts, no subject index (a scan per 500 subjects)", bare, False)):
        system = Deconfliction(SQLiteStore(where), clock=clock, log_key=key)
        if off:
            with CitingOff():
                took, report = median_time(lambda: system.compliance("pact", start, end), repeat)
        else:
            took, report = median_time(lambda: system.compliance("pact", start, end), repeat)
        size = system.tree_head().size
        system.close()
        text = json.dumps(report.model_dump(mode="json"))
        rows.append((label, took, sum(len(p.citations) for p in report.parties), len(text), report))
    table = Table(title=f"2. The compliance report over {late} late notices, none acknowledged ({size} log entries; median of {repeat})")
    for column in ("report", "ms", "citations", "JSON KiB"):
        table.add_column(column, justify="right")
    for label, took, citations, length, _ in rows:
        table.add_row(label, ms(took), str(citations), f"{length / 1024:.0f}")
    checked = ComplianceReport.model_validate_json(json.dumps(rows[1][4].model_dump(mode="json")))
    took, problems = median_time(lambda: check_report(checked, key.public_b64), repeat)
    assert problems == [], problems[:3]
    table.add_row("report check (offline, of the report with receipts)", ms(took), str(rows[1][2]), "")
    console.print(table)
    console.print(f"Citing adds {ms(rows[1][1] - rows[0][1])} ms to the report ({ms((rows[1][1] - rows[0][1]) / max(1, rows[1][2]))} ms per citation); "
                  f"without the index, {ms(rows[2][1] - rows[0][1])} ms.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--filings", type=int, default=None)
    parser.add_argument("--late", type=int, default=None)
    parser.add_argument("--padding", type=int, default=None, help="entries nobody cites, logged first")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    filings = args.filings or (100 if args.quick else 300)
    late = args.late or (300 if args.quick else 2000)
    padding = args.padding if args.padding is not None else (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as folder:
        write_path(folder, filings)
        report_cost(folder, late, padding, args.repeat)


if __name__ == "__main__":
    main()
