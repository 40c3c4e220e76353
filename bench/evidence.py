"""Evidence benchmark: what the transparency log costs a filing, and its proofs at 10^6 entries.

    .venv/bin/python bench/evidence.py                     # 400 filings, proofs at 10^6 entries
    .venv/bin/python bench/evidence.py --quick             # 100 filings, proofs at 10^5 (smoke)

1. Added latency per filing. Two SQLite stores side by side in one temp directory (WAL, synchronous
   FULL, as shipped), each with the same agreement and --prefill notices. Store A runs the service
   as shipped: every audit entry becomes a leaf (frontier read, completed subtrees inserted), and each
   write signs a tree head (Ed25519) and builds its receipt (inclusion proof read from the store).
   Store B is the baseline: the same code with the log switched off (the leaf append and the sealing
   replaced by no-ops in this process only). The same filings (non-conflicting circles over Paris) go
   to A and B alternately, each timed with perf_counter around `file_notice`; the difference of the
   medians is the added latency. The disk's fsync is in both; the table shows it beside them, and the
   bytes each filing wrote (WAL pages and checkpoints: /proc/self/io), which a busy disk does not blur.
2. Proofs at 10^6 entries. A store's log (`log_records`) is loaded with the complete subtrees of a
   10^6-leaf tree (as 10^6 appends would leave it), then: inclusion proofs of random leaves and
   consistency proofs between random sizes, each read from the store (one indexed query) and verified
   (RFC 9162 algorithms); sizes in hashes and bytes; appending one more leaf (what a write does) and
   signing a head; and, for comparison, the root recomputed from all 10^6 leaf hashes in memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
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
from deconfliction.store import SQLiteStore  # noqa: E402
from deconfliction.rules import evidence as evidence_module  # noqa: E402
from deconfliction.transparency import log as log_module  # noqa: E402
from deconfliction.transparency import merkle  # noqa: E402
from deconfliction.transparency.heads import sign_head, verify_head  # noqa: E402
from deconfliction.transparency.keys import SigningKey  # noqa: E402
from factories import FixedClock, circle_volume, example_agreement  # noqa: E402

console = Console()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f}"


class LogOff:
    """The baseline: the log's work replaced by no-ops while the block runs (this process only)."""

    def __enter__(self):
        self.append, self.sealed = log_module.append, evidence_module.sealed
        audit.transparency_log.append = lambda tx, entries, size_before, leaves=None: None
        evidence_module.sealed = lambda tx, work, key, clock, pending=None: (work(tx), None)

    def __exit__(self, *exc):
        audit.transparency_log.append, evidence_module.sealed = self.append, self.sealed


def bytes_written() -> int:
    """Bytes this process has handed to write()/pwrite() so far (Linux /proc/self/io `wchar`): what a
    commit writes to the WAL (and checkpoints), the part of a filing's disk cost that does not depend on
    how busy the disk is. 0 where /proc is missing."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))
    except OSError:
        return 0


def fsync_time(folder: str, n: int = 50) -> float:
    path = os.path.join(folder, "fsync.probe")
    times = []
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(b"x" * 4096)
            started = time.perf_counter()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def filing_latency(folder: str, filings: int, prefill: int) -> None:
    clock = FixedClock()
    systems = {}
    for name in ("with log", "baseline"):
        system = Deconfliction(SQLiteStore(os.path.join(folder, f"{name.replace(' ', '-')}.db")), clock=clock)
        system.add_agreement(example_agreement())
        systems[name] = system
    rng = random.Random(7)
    places = iter(range(10**9))

    def volume():  # each on its own point of a 0.04° grid (> 1 NM apart): no conflicts, the log's cost alone
        k = next(places)
        return circle_volume(clock.now, lon=2.35 + 0.04 * (k % 40), lat=48.85 + 0.04 * (k // 40), radius_m=200, start_h=1, hours=0.25)

    for name, system in systems.items():
        with (LogOff() if name == "baseline" else _nothing()):
            for _ in range(prefill):
                system.file_notice(rng.choice(["blue", "red", "green"]), "pact", [volume()])
    times: dict[str, list[float]] = {name: [] for name in systems}
    written: dict[str, list[int]] = {name: [] for name in systems}
    for i in range(filings):
        v = volume()  # the same volume goes to both stores (each store has its own notices)
        for name in (("with log", "baseline") if i % 2 else ("baseline", "with log")):
            with (LogOff() if name == "baseline" else _nothing()):
                bytes_before = bytes_written()
                started = time.perf_counter()
                systems[name].file_notice("blue", "pact", [v])
                times[name].append(time.perf_counter() - started)
                written[name].append(bytes_written() - bytes_before)
    sizes = {name: s.tree_head().size if name == "with log" else None for name, s in systems.items()}
    table = Table(title=f"Filing latency, {filings} filings each, after {prefill} prefilled (SQLite, synchronous FULL)")
    for column in ("store", "p50 ms", "p90 ms", "p99 ms", "mean ms", "KiB written per filing (mean)"):
        table.add_column(column, justify="right")
    for name, values in times.items():
        table.add_row(name, ms(percentile(values, 0.5)), ms(percentile(values, 0.9)), ms(percentile(values, 0.99)), ms(statistics.mean(values)),
                      f"{statistics.mean(written[name]) / 1024:.1f}")
    added = statistics.median(times["with log"]) - statistics.median(times["baseline"])
    paired = sorted(a - b for a, b in zip(times["with log"], times["baseline"]))
    console.print(table)
    console.print(f"Added per filing: {ms(added)} ms (difference of medians); paired differences p50 {ms(paired[len(paired) // 2])} ms "
                  f"(target ≤ 0.5 ms). Log size at the end: {sizes['with log']} entries. fsync of this disk: {ms(fsync_time(folder))} ms.")
    # The parts of the added work, measured alone
    key = SigningKey.generate()
    head = sign_head(key, 10**6, hashlib.sha256(b"r").digest(), clock.now)
    sign_t = timeit(lambda: sign_head(key, 10**6, hashlib.sha256(b"r").digest(), clock.now), 2000)
    verify_t = timeit(lambda: verify_head(head), 2000)
    console.print(f"Ed25519 head signing {us(sign_t)} µs, head verification {us(verify_t)} µs (median of 2000).")
    for system in systems.values():
        system.close()


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def timeit(fn, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def proofs_at(folder: str, size: int, samples: int) -> None:
    store = SQLiteStore(os.path.join(folder, "tree.db"))
    started = time.perf_counter()
    tree = merkle.MemoryTree()
    leaves = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
    for leaf in leaves:
        tree.append(leaf)
    build_memory = time.perf_counter() - started
    with store.transaction() as tx:
        tx.put_merkle_nodes(tree.nodes.items())
    nodes = len(tree.nodes)
    rng = random.Random(3)
    root = tree.root()
    with store.transaction(write=False) as tx:
        inc_read, inc_verify, inc_len = [], [], []
        for _ in range(samples):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            proof = merkle.inclusion_proof(index, size, tx.merkle_nodes(merkle.inclusion_nodes(index, size)))
            t1 = time.perf_counter()
            merkle.verify_inclusion(index, size, leaves[index], proof, root)
            t2 = time.perf_counter()
            inc_read.append(t1 - t0), inc_verify.append(t2 - t1), inc_len.append(len(proof))
        con_read, con_verify, con_len = [], [], []
        for _ in range(samples):
            old = rng.randrange(1, size)
            old_root = tree.root(old)
            t0 = time.perf_counter()
            proof = merkle.consistency_proof(old, size, tx.merkle_nodes(merkle.consistency_nodes(old, size)))
            t1 = time.perf_counter()
            merkle.verify_consistency(old, size, old_root, root, proof)
            t2 = time.perf_counter()
            con_read.append(t1 - t0), con_verify.append(t2 - t1), con_len.append(len(proof))
        root_times = []
        for _ in range(samples):  # every write reads these: a median, as the proofs, not one cold read
            t0 = time.perf_counter()
            merkle.root_hash(size, tx.merkle_nodes(merkle.root_nodes(size)))
            root_times.append(time.perf_counter() - t0)
        root_from_store = statistics.median(root_times)
    # one more leaf, as a write does: read the frontier, insert the completed subtrees (rolled back)
    append_times = []
    for k in range(samples):
        with store.transaction() as tx:
            entry_leaf = merkle.leaf_hash(b"new")
            t0 = time.perf_counter()
            wanted = merkle.frontier_nodes(size)
            stored = tx.merkle_nodes(wanted)
            frontier = [(n, stored[n]) for n in wanted]
            done = []
            merkle.append(frontier, size, entry_leaf, lambda n, v: done.append((n, v)))
            tx.put_merkle_nodes(done)
            append_times.append(time.perf_counter() - t0)
            tx.db.execute("ROLLBACK")  # leave the tree as it was
            tx.db.execute("BEGIN")
    t0 = time.perf_counter()
    check = merkle.MemoryTree()
    for leaf in leaves:
        check.append(leaf)
    check.root()
    full = time.perf_counter() - t0
    store.close()
    table = Table(title=f"Proofs at {size:,} entries ({nodes:,} stored subtrees; {samples} random samples each; medians)")
    for column in ("operation", "hashes (max)", "bytes (max)", "read from store µs", "verify µs"):
        table.add_column(column, justify="right")
    table.add_row("inclusion proof", str(max(inc_len)), str(32 * max(inc_len)), us(statistics.median(inc_read)), us(statistics.median(inc_verify)))
    table.add_row("consistency proof", str(max(con_len)), str(32 * max(con_len)), us(statistics.median(con_read)), us(statistics.median(con_verify)))
    table.add_row("root from the store", "", "", us(root_from_store), "")
    table.add_row("append one leaf (a write)", "", "", us(statistics.median(append_times)), "")
    console.print(table)
    console.print(f"Baseline: the root recomputed from all {size:,} leaf hashes in memory (no store): {full:.2f} s "
                  f"(building the stored tree's nodes took {build_memory:.2f} s).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=400)
    parser.add_argument("--prefill", type=int, default=300)
    parser.add_argument("--size", type=int, default=10**6)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temp directory)")
    args = parser.parse_args()
    if args.quick:
        args.filings, args.prefill, args.size, args.samples = 100, 50, 10**5, 50
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        filing_latency(folder, args.filings, args.prefill)
        proofs_at(folder, args.size, args.samples)


if __name__ == "__main__":
    main()
