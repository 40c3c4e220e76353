"""Group commit in the SQLite store: concurrent writers share one COMMIT, and each stands alone."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from deconfliction.models.agreements import Party
from deconfliction.store import SQLiteStore, run_in_transaction

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


class Refused(Exception):
    pass


def test_concurrent_writers_each_get_their_own_result_and_a_refusal_rolls_back_alone(tmp_path):
    store = SQLiteStore(tmp_path / "g.db")
    barrier = threading.Barrier(24)
    results: dict[int, object] = {}

    def write(tx, i):
        tx.put_party(Party(id=f"p{i}", name=f"party {i}"))
        tx.append_event(f"p{i}", "notice.filed", {"i": i}, NOW)
        if i % 3 == 0:
            raise Refused(i)  # after writing: the savepoint must undo both writes
        return i * 10

    def worker(i):
        barrier.wait()
        try:
            results[i] = run_in_transaction(store, write, i)
        except Refused as refused:
            results[i] = refused

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    for i in range(24):
        if i % 3 == 0:
            assert isinstance(results[i], Refused) and results[i].args == (i,)
        else:
            assert results[i] == i * 10
    reopened = SQLiteStore(tmp_path / "g.db")  # what is durable on disk, read afresh
    with reopened.transaction(write=False) as tx:
        stored = {p.id for p in tx.list_parties()}
        assert stored == {f"p{i}" for i in range(24) if i % 3}
        for i in range(24):
            assert len(tx.events_after(f"p{i}")) == (0 if i % 3 == 0 else 1)


def test_a_write_the_database_refuses_reaches_its_caller_and_leaves_nothing(tmp_path):
    store = SQLiteStore(tmp_path / "g.db")

    def write(tx, i):
        tx.put_party(Party(id=f"p{i}", name="x"))
        if i == 1:
            tx.db.execute("INSERT INTO memberships (agreement_id, party_id) VALUES ('no-such-agreement', 'p1')")  # FK fails at once
        return i

    try:
        run_in_transaction(store, write, 1)
    except Exception as error:  # the foreign key refusal reaches its caller
        assert "FOREIGN KEY" in str(error)
    else:
        raise AssertionError("the refused write should have raised")
    assert run_in_transaction(store, write, 2) == 2
    with store.transaction(write=False) as tx:
        assert [p.id for p in tx.list_parties()] == ["p2"]
