"""Where a further conflict's cost goes: bench/conflict_cost.py's filings, timed by phase.

    .venv/bin/python bench/conflict_phases.py                  # 400 stored notices, 8 pairs of filings

The same store and the same pairs of filings as bench/conflict_cost.py (a 2,000-vertex polygon over
the Paris hotspot, then over the empty Pacific). The functions below are wrapped with a timer that
counts each call's CPU time (time.process_time) minus that of the wrapped calls inside it, so the
phases add up to the filing. Per conflict = (phase's CPU over Paris − over the Pacific) / conflicts,
over the warm pairs (the first, first-sight pair is left out). The timers cost ~1 µs a call, which
is why the total is above conflict_cost.py's figure: read the shares, not the absolute sum.

A phase whose function no longer exists in the code being measured is shown as "—".
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import conflict_cost as C  # noqa: E402
import strategic as S  # noqa: E402

from deconfliction.workers.memory import settle  # noqa: E402

# (phase, module, attribute path): the attribute is replaced by a timed wrapper wherever it is found.
PHASES = [
    ("geometry: exact check (snapshot and write)", "deconfliction.rules.conflicts", "closest_conflict"),
    ("geometry: exact check (snapshot and write)", "deconfliction.service", "closest_conflict"),
    ("index search + notices from the cache", "deconfliction.store.sqlite", "SQLiteTransaction.candidate_notices"),
    ("snapshot's answer reused", "deconfliction.rules.prechecked", "Precomputed.answer_for"),
    ("channel lookup", "deconfliction.models.agreements", "Agreement.channel_at"),
    ("conflict model built (pydantic)", "deconfliction.models", "Conflict.__init__"),
    ("conflict model built (pydantic)", "deconfliction.models", "Conflict.model_construct"),
    ("deadline models built (pydantic)", "deconfliction.models", "Deadline.__init__"),
    ("deadline models built (pydantic)", "deconfliction.models", "Deadline.model_construct"),
    ("conflict dumped (pydantic)", "deconfliction.models", "Conflict.model_dump"),
    ("conflict copied (pydantic)", "deconfliction.models", "Conflict.model_copy"),
    ("conflict ids", "deconfliction.rules.conflicts", "uuid.uuid4"),
    ("conflict's fields gathered", "deconfliction.rules.conflicts", "_shape"),
    ("JSON encoding", "deconfliction.transparency.canonical", "Encoded.whole"),
    ("deadline models built (pydantic)", "deconfliction.rules.acknowledgments", "owed"),
    ("conflict ids", "deconfliction.rules.conflicts", "new_conflict_id"),
    ("insert: conflicts", "deconfliction.store.tables", "SqlTransaction.put_conflicts"),
    ("insert: events", "deconfliction.store.tables", "SqlTransaction.append_events"),
    ("events: endpoints, deliveries", "deconfliction.rules.events", "publish_many"),
    ("insert: deadlines", "deconfliction.store.tables", "SqlTransaction.put_deadlines"),
    ("insert: audit entries", "deconfliction.store.tables", "SqlTransaction.append_audits"),
    ("audit: leaves, hashes, entries", "deconfliction.rules.audit", "record_many"),
    ("Merkle log: nodes", "deconfliction.transparency.log", "append"),
    ("conflict rules (the rest of _tell_both)", "deconfliction.rules.conflicts", "_tell_both"),
    ("conflict rules (the rest of reconcile)", "deconfliction.rules.conflicts", "reconcile"),
    ("filing rules (the rest)", "deconfliction.rules.notices", "file_notice"),
    ("snapshot read (the rest)", "deconfliction.rules.prechecked", "precompute"),
    ("tree head, receipt (the rest of sealed)", "deconfliction.rules.evidence", "sealed"),
    ("transaction: begin, savepoint, commit (fsync)", "deconfliction.store.sqlite", "SQLiteStore._run_group"),
    ("service and the rest", "deconfliction.service", "Deconfliction.file_notice"),
]


class Timers:
    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self.stack: list[list[float]] = []  # [start, CPU of timed calls inside]
        self.on = False

    def wrap(self, label: str, fn):
        timers = self

        def timed(*args, **kwargs):
            if not timers.on:
                return fn(*args, **kwargs)
            frame = [time.process_time(), 0.0]
            timers.stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.process_time() - frame[0]
                timers.stack.pop()
                timers.totals[label] += elapsed - frame[1]
                if timers.stack:
                    timers.stack[-1][1] += elapsed

        return timed

    def take(self) -> dict[str, float]:
        totals, self.totals = dict(self.totals), defaultdict(float)
        return totals


def install(timers: Timers) -> set[str]:
    """Wrap every phase's function that exists; the labels found."""
    found = set()
    for label, module_name, path in PHASES:
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is None or not hasattr(owner, name):
            continue
        original = inspect.getattr_static(owner, name)
        if isinstance(original, (classmethod, staticmethod)):
            wrapped = type(original)(timers.wrap(label, original.__func__))
        else:
            wrapped = timers.wrap(label, original)
        setattr(owner, name, wrapped)
        if not parents and inspect.isfunction(original):  # also where it was imported by name
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").startswith("deconfliction.") and module.__dict__.get(name) is original:
                    setattr(module, name, wrapped)
        found.add(label)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=400)
    parser.add_argument("--filings", type=int, default=8, help="pairs of filings; the first pair (first sight) is left out")
    args = parser.parse_args()
    load_at_start = S.load_average()
    timers = Timers()
    found = install(timers)
    busy, empty, conflicts = defaultdict(float), defaultdict(float), 0
    with tempfile.TemporaryDirectory(prefix="conflict-phases-") as folder:
        store = S.SQLiteStore(Path(folder) / "bench.db")
        system = S.Deconfliction(store, clock=lambda: S.NOW)
        system.add_agreement(S.agreement())
        C.store_busy_area(store, args.stored)
        settle()
        mix = S.Mix(seed=77, detailed=True)
        for i in range(args.filings):
            party = S.PARTIES[i % len(S.PARTIES)]
            for where, into in ((S.PARIS, busy), (C.PACIFIC, empty)):
                volume = C.large_filing(mix, where)
                key = [f.notice.version for f in system.check(party, S.AGREEMENT, [volume])]
                timers.on = True
                filing = system.file_notice(party, S.AGREEMENT, [volume], key=key)
                timers.on = False
                totals = timers.take()
                if i == 0:
                    continue
                if into is busy:
                    conflicts += len(filing.conflicts)
                for label, seconds in totals.items():
                    into[label] += seconds
        store.close()
    pairs = args.filings - 1
    table = Table(title=f"CPU of a further conflict by phase ({pairs} warm pairs, {conflicts / pairs:,.0f} conflicts a filing, {args.stored} stored)")
    for column in ("phase", "over Paris, ms a filing", "over the Pacific, ms", "per conflict, µs", "share"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    labels = list(dict.fromkeys(label for label, _, _ in PHASES))
    per = {label: (busy[label] - empty[label]) / conflicts * 1e6 for label in labels if label in found}
    whole = sum(per.values())
    for label in labels:
        if label not in found:
            table.add_row(label, "—", "—", "—", "—")
            continue
        table.add_row(label, f"{busy[label] / pairs * 1000:.2f}", f"{empty[label] / pairs * 1000:.2f}", f"{per[label]:.1f}", f"{per[label] / whole:.0%}")
    table.add_row("all", f"{sum(busy.values()) / pairs * 1000:.1f}", f"{sum(empty.values()) / pairs * 1000:.1f}", f"{whole:.1f}", "100%")
    console = Console(width=160)
    console.print(table)
    console.print(f"Load average (1 / 5 / 15 min) at start: {load_at_start}; at the end: {S.load_average()}; {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
