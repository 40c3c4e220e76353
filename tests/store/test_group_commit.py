"""Group commit (store/group.py), on both stores: concurrent writers share one COMMIT, and each stands
alone: a refusal, raised by the rules or by the database (on PostgreSQL in pipeline mode, where a
statement's error arrives later than the statement), undoes that writer's writes only."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from deconfliction.models.agreements import Party
from deconfliction.store import SQLiteStore, run_in_transaction


def reopened(store):
    """The same database through a new store object: what was committed, read afresh."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path)
    from deconfliction.store.postgres import PostgresStore

    return PostgresStore(store.url)

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


class Refused(Exception):
    pass


def test_concurrent_writers_each_get_their_own_result_and_a_refusal_rolls_back_alone(any_store):
    store = any_store
    barrier = threading.Barrier(24)
    results: dict[int, object] = {}

    def write(tx, i):
        tx.put_party(Party(id=f"p{i}", name=f"party {i}"))
        tx.append_event(f"p{i}", "notice.filed", {"i": i}, NOW)
        if i % 3 == 0:
            raise Refused(i)  # after writing: the savepoint must undo both writes
        if i % 6 == 1:  # a statement the database refuses, whose result nobody reads
            tx._run("INSERT INTO memberships (agreement_id, party_id) VALUES ('no-such-agreement', ?)", (f"p{i}",))
        return i * 10

    def worker(i):
        barrier.wait()
        try:
            results[i] = run_in_transaction(store, write, i)
        except Exception as refusal:  # noqa: BLE001 - each writer's own refusal, checked below
            results[i] = refusal

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    refused = {i for i in range(24) if i % 3 == 0 or i % 6 == 1}
    for i in range(24):
        if i % 3 == 0:
            assert isinstance(results[i], Refused) and results[i].args == (i,)
        elif i in refused:
            assert "foreign key" in str(results[i]).lower(), results[i]
        else:
            assert results[i] == i * 10
    again = reopened(store)
    try:
        with again.transaction(write=False) as tx:
            stored = {p.id for p in tx.list_parties()}
            assert stored == {f"p{i}" for i in range(24) if i not in refused}
            for i in range(24):
                assert len(tx.events_after(f"p{i}")) == (0 if i in refused else 1)
    finally:
        again.close()


def test_a_write_the_database_refuses_reaches_its_caller_and_leaves_nothing(any_store):
    store = any_store

    def write(tx, i):
        tx.put_party(Party(id=f"p{i}", name="x"))
        if i == 1:
            tx.db.execute("INSERT INTO memberships (agreement_id, party_id) VALUES ('no-such-agreement', 'p1')")  # FK fails at once
        return i

    try:
        run_in_transaction(store, write, 1)
    except Exception as error:  # the foreign key refusal reaches its caller
        assert "foreign key" in str(error).lower()
    else:
        raise AssertionError("the refused write should have raised")
    assert run_in_transaction(store, write, 2) == 2
    with store.transaction(write=False) as tx:
        assert [p.id for p in tx.list_parties()] == ["p2"]


def test_writers_who_arrive_while_a_group_runs_share_its_commit():
    """A group takes the writers queued while it runs (store/group.py): on PostgreSQL, those who waited
    for another instance's lock share one COMMIT instead of each paying for its own."""
    from deconfliction.store.group import WriteQueue

    groups: list[list[str]] = []

    def run_group(group):
        ran = []
        for job in group:
            job.run(None)
            ran.append(job.result)
        groups.append(ran)

    queue = WriteQueue(run_group)
    running, release = threading.Event(), threading.Event()

    def slow(tx):
        running.set()
        assert release.wait(10)
        return "first"

    first = threading.Thread(target=queue.run, args=(slow,))
    first.start()
    assert running.wait(10)
    later = [threading.Thread(target=queue.run, args=(lambda tx, i=i: f"later {i}",)) for i in range(5)]
    for t in later:
        t.start()
    deadline = time.monotonic() + 10
    while len(queue._queue) < 5 and time.monotonic() < deadline:  # all five queued behind the running group
        time.sleep(0.001)
    release.set()
    for t in [first, *later]:
        t.join(10)
    assert len(groups) == 1, groups
    assert sorted(groups[0]) == ["first", *[f"later {i}" for i in range(5)]]


def test_a_group_that_fails_before_taking_its_leader_tells_the_leader():
    """A group that cannot start (its lock or connection failed) leaves nobody waiting for ever."""
    from deconfliction.store.group import WriteQueue

    def run_group(group):
        raise RuntimeError("no database")

    queue = WriteQueue(run_group)
    try:
        queue.run(lambda tx: 1)
    except RuntimeError as error:
        assert str(error) == "no database"
    else:
        raise AssertionError("the failure should reach the writer")
    assert queue._queue == []
