"""Awareness under concurrency, with real threads and real processes on one SQLite file: no two
conflicting notices are ever both accepted on the same stale view."""

from __future__ import annotations

import multiprocessing
import random
import threading

from deconfliction import Agreement, Deconfliction, Separation
from deconfliction.errors import MissingKey
from deconfliction.geometry import volume_conflict
from deconfliction.store import SQLiteStore

from awareness_workers import file_once
from factories import T0, FixedClock, circle_volume, count


def run_threads(n: int, target) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_two_parties_filing_at_once_on_the_same_empty_view_at_most_one_is_accepted(system, vol, db_path):
    for round_ in range(5):
        barrier = threading.Barrier(2)
        outcome: dict[str, object] = {}
        volume = vol(lon=2.35 + round_, lat=48.85)  # each round in its own place

        def worker(i):
            party = ("blue", "red")[i]
            barrier.wait(10)
            try:
                outcome[party] = system.file_notice(party, "pact", [volume], key=[])
            except MissingKey as exc:
                outcome[party] = exc

        assert run_threads(2, worker) == []
        accepted = [p for p, o in outcome.items() if not isinstance(o, Exception)]
        assert len(accepted) == 1, outcome
    assert count(db_path, "notices") == 5
    assert count(db_path, "conflicts") == 0


def test_processes_filing_at_once_on_one_file_with_empty_keys_at_most_one_is_accepted(tmp_path):
    path = tmp_path / "shared.db"
    system = Deconfliction(SQLiteStore(path), clock=FixedClock())
    system.add_agreement(
        Agreement(id="pact", name="p", parties=["p0", "p1", "p2"], separation=Separation(lateral_m=1852, vertical_m=150), min_lead_time_s=0)
    )
    system.close()
    context = multiprocessing.get_context("spawn")
    ready, go, queue = context.Semaphore(0), context.Event(), context.Queue()
    processes = [context.Process(target=file_once, args=(str(path), f"p{i}", T0.isoformat(), ready, go, queue)) for i in range(3)]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            assert ready.acquire(timeout=60), "a process did not start"
        go.set()
        results = sorted(queue.get(timeout=60)[1] for _ in processes)
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    assert all(p.exitcode == 0 for p in processes)
    assert results == ["accepted", "missing_key", "missing_key"]
    assert count(path, "notices") == 1 and count(path, "conflicts") == 0


def test_many_threads_filing_with_whatever_keys_they_read_never_accept_an_unseen_conflict(tmp_path):
    parties = [f"p{i}" for i in range(6)]
    clock = FixedClock()
    system = Deconfliction(SQLiteStore(tmp_path / "many.db"), clock=clock)
    system.add_agreement(
        Agreement(id="pact", name="p", parties=parties, separation=Separation(lateral_m=1852, vertical_m=150, time_buffer_s=300), min_lead_time_s=0)
    )
    keys: dict[str, list[str]] = {}  # notice id -> the key it was accepted with
    refusals = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(parties))

    def worker(i):
        rng = random.Random(i)
        for round_ in range(4):
            # Read the view first, then all file together: keys are as stale as the race makes them.
            with system.store.transaction(write=False) as tx:
                key = [n.version for n in tx.find_notices(agreement_id="pact", states=["planned"], limit=1000)]
            volume = circle_volume(T0, lon=2.35 + rng.uniform(-0.02, 0.02), lat=48.85 + rng.uniform(-0.02, 0.02), radius_m=800)
            barrier.wait(30)
            try:
                filing = system.file_notice(parties[i], "pact", [volume], key=key)
            except MissingKey:
                with lock:
                    refusals.append((i, round_))
                continue
            with lock:
                keys[filing.notice.id] = key

    assert run_threads(len(parties), worker) == []
    with system.store.transaction(write=False) as tx:
        order = [e.subject for e in tx.audit_entries(limit=10_000) if e.action == "notice.filed"]
        notices = {n.id: n for n in tx.find_notices(agreement_id="pact", limit=1000)}
    system.close()
    assert set(order) == set(keys) == set(notices)
    minima = Separation(lateral_m=1852, vertical_m=150, time_buffer_s=300).minima()
    conflicting_pairs = 0
    for i, earlier in enumerate(order):
        for later in order[i + 1 :]:
            a, b = notices[earlier], notices[later]
            if a.party_id != b.party_id and volume_conflict(a.volumes[0], b.volumes[0], minima):
                conflicting_pairs += 1
                assert a.version in keys[later], f"{later} was accepted without having seen {earlier}"
    # The race was real: some filings were refused, and some accepted knowingly into conflicts.
    assert refusals and conflicting_pairs
