"""What only the PostgreSQL store does: isolation, retries, event order under concurrency, NOTIFY wake-ups,
its margin against PostGIS's distances, the append-only audit table, the schema version."""

from __future__ import annotations

import random
import threading
import time

import pytest
from pyproj import Geod

psycopg = pytest.importorskip("psycopg")  # in the test extra

from deconfliction.errors import DeconflictionError
from deconfliction.geometry import Circle, Polygon, lateral_distance
from deconfliction.store import is_retryable, open_store, run_in_transaction
from deconfliction.store.base import RETRY_ATTEMPTS, with_retries
from deconfliction.models.agreements import Party
from deconfliction.store.postgres import PostgresStore, cover_wkt, search_distance_m

from .test_store_contract import T0, audit, circle_volume, make_notice, setup

GEOD = Geod(ellps="WGS84")


def test_open_store_gives_postgres(pg_store):
    store = open_store(pg_store.url)
    try:
        assert isinstance(store, PostgresStore)
        with store.transaction(write=False) as tx:
            assert tx.last_event_seq() == 0
    finally:
        store.close()


def test_isolation_and_durability_settings(pg_store):
    with pg_store.transaction() as tx:
        assert tx.db.execute("SHOW transaction_isolation").fetchone()[0] == "serializable"
        assert tx.db.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        assert tx.db.execute("SHOW TimeZone").fetchone()[0] == "UTC"
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # at the write, or at the latest when it ends (pipeline mode)
        with pg_store.transaction(write=False) as tx:
            assert tx.db.execute("SHOW transaction_isolation").fetchone()[0] == "repeatable read"
            tx.put_party(Party(id="x", name="x"))
    with pg_store.transaction(write=False) as tx:
        assert tx.get_party("x") is None


def test_write_skew_is_refused_and_retried(pg_store):
    """Two writers that each read what the other writes, on transactions of their own (not the write
    queue's): SERIALIZABLE aborts one (40001), and it runs again on the new state."""
    setup(pg_store)
    barrier = threading.Barrier(2)
    attempts = [0, 0]
    errors = []

    def claim(tx, i):
        attempts[i] += 1
        taken = tx.find_notices(states=["planned"])
        if attempts[i] == 1:
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError:
                pass
        if not taken:  # "file only if nobody has": a write skew without SERIALIZABLE
            tx.put_notice(make_notice([circle_volume()], notice_id=f"n{i}"))

    # Two store objects, as two server workers have: writers of one process queue on its own lock,
    # so it takes two processes' worth of stores to meet SERIALIZABLE.
    stores = [pg_store, PostgresStore(pg_store.url)]

    def once(i):
        with stores[i].transaction() as tx:
            claim(tx, i)

    def worker(i):
        try:
            with_retries(lambda: once(i))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stores[1].close()
    assert errors == []
    assert sum(attempts) == 3
    with pg_store.transaction(write=False) as tx:
        assert len(tx.find_notices()) == 1


def test_writers_of_two_workers_queue_across_the_pool_instead_of_colliding(pg_store):
    """The same claim through the write queue of two store objects (two server workers): the second
    waits for the first to commit, then reads its notice: no abort, no second run, one notice."""
    setup(pg_store)
    inside = threading.Event()
    attempts = [0, 0]
    errors = []

    def claim(tx, i):
        attempts[i] += 1
        taken = tx.find_notices(states=["planned"])
        if i == 0:
            inside.set()
            time.sleep(0.5)  # the other worker's write arrives meanwhile
        if not taken:
            tx.put_notice(make_notice([circle_volume()], notice_id=f"n{i}"))

    stores = [pg_store, PostgresStore(pg_store.url)]

    def worker(i):
        try:
            run_in_transaction(stores[i], claim, i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    first = threading.Thread(target=worker, args=(0,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=worker, args=(1,))
    second.start()
    first.join(30)
    second.join(30)
    stores[1].close()
    assert errors == []
    assert attempts == [1, 1]
    with pg_store.transaction(write=False) as tx:
        assert [n.id for n in tx.find_notices()] == ["n0"]


def test_retry_gives_up_after_attempts(pg_store):
    calls = []

    def always_conflicts(tx):
        calls.append(1)
        raise psycopg.errors.SerializationFailure("simulated")

    with pytest.raises(psycopg.errors.SerializationFailure) as caught:
        run_in_transaction(pg_store, always_conflicts)
    assert len(calls) == RETRY_ATTEMPTS and is_retryable(caught.value)
    assert not is_retryable(ValueError())


def test_events_never_skipped_by_a_reader_under_concurrency(pg_store):
    """Writers commit events in an order that may differ from when they began; a reader that resumes
    from the last seq it saw must still see every event (no smaller seq commits after a larger one)."""
    stop = threading.Event()
    seen: list[int] = []

    def write(tx, i, k):
        tx.append_event("blue", "e", {"i": i, "k": k}, T0)
        time.sleep(random.uniform(0, 0.003))

    def writer(i):
        for k in range(25):
            run_in_transaction(pg_store, write, i, k)

    def reader():
        last = 0
        while not stop.is_set():
            with pg_store.transaction(write=False) as tx:
                for event in tx.events_after("blue", last):
                    seen.append(event.seq)
                    last = event.seq

    r = threading.Thread(target=reader)
    r.start()
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(60)
    time.sleep(0.1)
    stop.set()
    r.join(10)
    with pg_store.transaction(write=False) as tx:
        everything = [e.seq for e in tx.events_after("blue", 0, limit=1000)]
    assert len(everything) == 100
    assert seen == everything


def test_notify_wakes_waiters_and_listeners(pg_store):
    received: list[tuple[str, int]] = []
    stop_listening = pg_store.listen(lambda party, seq: received.append((party, seq)))
    assert pg_store.wait_for_events(0.05) == 0  # nothing yet: times out

    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(pg_store.wait_for_events(10, after_seq=0)))
    waiter.start()
    time.sleep(0.1)
    other = PostgresStore(pg_store.url, max_size=2)  # another worker, another pool
    try:
        with other.transaction() as tx:
            seq = tx.append_event("red", "notice.filed", {}, T0)
        waiter.join(10)
        assert woke == [seq]
        # Rolled back: no wake-up.
        with pytest.raises(RuntimeError):
            with other.transaction() as tx:
                tx.append_event("red", "never", {}, T0)
                raise RuntimeError
        assert pg_store.wait_for_events(0.3, after_seq=seq) == seq
        with other.transaction() as tx:
            second = tx.append_event("blue", "x", {}, T0)
        assert pg_store.wait_for_events(10, after_seq=seq) == second
    finally:
        other.close()
    deadline = time.time() + 5
    while ("blue", second) not in received and time.time() < deadline:
        time.sleep(0.01)
    assert ("red", seq) in received and ("blue", second) in received
    assert all(party != "red" or s != seq + 1 for party, s in received if party)  # the rolled-back one
    stop_listening()


def test_audit_table_is_append_only(pg_store):
    with pg_store.transaction() as tx:
        audit.record(tx, "admin", "x", "y", {}, T0)
    with pytest.raises(psycopg.errors.RaiseException):
        with pg_store.transaction() as tx:
            tx.db.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(psycopg.errors.RaiseException):
        with pg_store.transaction() as tx:
            tx.db.execute("DELETE FROM audit")


def test_newer_schema_is_refused(pg_store):
    with psycopg.connect(pg_store.url, autocommit=True) as connection:
        connection.execute("UPDATE deconfliction_schema SET version = 99")
    with pytest.raises(DeconflictionError, match="newer"):
        PostgresStore(pg_store.url)


def test_postgis_distance_stays_within_the_margin(pg_store):
    """The margin's premise, measured: PostGIS finds every pair within our exact distance plus the margin
    (points, long polygon edges, circles' covers), everywhere on Earth."""
    rng = random.Random(11)
    checked = 0
    with pg_store.transaction(write=False) as tx:
        for _ in range(150):
            lon, lat = rng.uniform(-180, 180), rng.uniform(-89.9, 89.9)
            distance = 10 ** rng.uniform(1, 6.2)
            lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360), distance)
            _, back, _ = GEOD.inv(lon2, lat2, lon, lat)
            edge = 10 ** rng.uniform(3, 6.2)
            ends = [GEOD.fwd(lon2, lat2, back + turn, length)[:2] for turn, length in ((90, edge / 2), (180, edge / 4), (-90, edge / 2))]
            try:
                polygon = Polygon(vertices=tuple(((x + 540) % 360 - 180, y) for x, y in ends))
            except ValueError:
                continue
            disc = Circle(lon=lon, lat=lat, radius_m=rng.choice([1.0, 500.0, 20_000.0]))
            exact = lateral_distance(polygon, disc).metres
            on_spheroid, on_sphere = tx.db.execute(  # the search asks on the sphere (store/postgres.py _NEAR)
                "SELECT ST_DWithin(a, b, %s), ST_DWithin(a, b, %s, false) FROM ST_GeogFromText(%s) AS a, ST_GeogFromText(%s) AS b",
                (search_distance_m(exact + 0.001), search_distance_m(exact + 0.001), cover_wkt(polygon), cover_wkt(disc)),
            ).fetchone()
            assert on_spheroid and on_sphere, (polygon, disc, exact)
            checked += 1
    assert checked > 100


# Reads a write answers from memory at the same change counters (store/remembered.py) ----------


def test_a_remembered_row_that_another_instance_changed_is_read_afresh(pg_store):
    other = PostgresStore(pg_store.url)  # another instance of the pool
    try:
        run_in_transaction(other, lambda tx: tx.put_party(Party(id="p", name="before")))
        assert run_in_transaction(pg_store, lambda tx: tx.get_party("p").name) == "before"  # now remembered here
        run_in_transaction(other, lambda tx: tx.put_party(Party(id="p", name="after")))
        attempts = []

        def read(tx):
            attempts.append(1)
            return tx.get_party("p").name

        assert run_in_transaction(pg_store, read) == "after"
        assert len(attempts) == 1  # the table's counter moved: read afresh, at once, no rerun
        assert run_in_transaction(pg_store, read) == "after" and len(attempts) == 2  # and remembered anew
    finally:
        other.close()


def test_a_remembered_question_is_not_asked_while_its_tables_counters_stand_still(pg_store):
    # A change made behind the counting trigger's back (as no program of ours can) is not seen: proof
    # that the answer came from memory, with no statement sent, and that the counter alone guards it.
    run_in_transaction(pg_store, lambda tx: tx.put_party(Party(id="m", name="counted")))
    assert run_in_transaction(pg_store, lambda tx: tx.get_party("m").name) == "counted"  # remembered
    with psycopg.connect(pg_store.url, autocommit=True) as admin:
        admin.execute("ALTER TABLE parties DISABLE TRIGGER parties_changed")
        admin.execute("UPDATE parties SET body = replace(body, 'counted', 'uncounted') WHERE id = 'm'")
        admin.execute("ALTER TABLE parties ENABLE TRIGGER parties_changed")
        assert run_in_transaction(pg_store, lambda tx: tx.get_party("m").name) == "counted"
        admin.execute("UPDATE parties SET body = body WHERE id = 'm'")  # counted: the next write asks again
    assert run_in_transaction(pg_store, lambda tx: tx.get_party("m").name) == "uncounted"
    with pg_store.transaction(write=False) as tx:  # a reader never answers from memory
        assert tx.get_party("m").name == "uncounted"


def test_every_row_written_to_a_remembered_table_moves_its_counter(pg_store):
    def counters():
        with psycopg.connect(pg_store.url, autocommit=True) as connection:
            return dict(connection.execute("SELECT name, changes FROM table_changes").fetchall())

    before = counters()
    run_in_transaction(pg_store, lambda tx: tx.put_party(Party(id="c1", name="c1")))
    after = counters()
    assert after["parties"] > before["parties"]
    assert {name: n for name, n in after.items() if name != "parties"} == {name: n for name, n in before.items() if name != "parties"}
    with psycopg.connect(pg_store.url, autocommit=True) as connection:
        connection.execute("TRUNCATE endpoints CASCADE")
    assert counters()["endpoints"] > after["endpoints"]


def test_a_refusal_decided_on_a_remembered_absence_is_decided_again(pg_store):
    other = PostgresStore(pg_store.url)

    def needs_q(tx):
        party = tx.get_party("q")
        if party is None:
            raise LookupError("no party q")
        return party.name

    try:
        with pytest.raises(LookupError):
            run_in_transaction(pg_store, needs_q)  # remembered: no such party
        run_in_transaction(other, lambda tx: tx.put_party(Party(id="q", name="arrived")))
        assert run_in_transaction(pg_store, needs_q) == "arrived"
    finally:
        other.close()


def test_a_write_reads_its_own_writes_not_the_memory(pg_store):
    run_in_transaction(pg_store, lambda tx: tx.put_party(Party(id="r", name="one")))
    run_in_transaction(pg_store, lambda tx: tx.get_party("r"))  # remembered

    def change_then_read(tx):
        tx.put_party(Party(id="r", name="two"))
        return tx.get_party("r").name

    assert run_in_transaction(pg_store, change_then_read) == "two"
    with pg_store.transaction(write=False) as tx:
        assert tx.get_party("r").name == "two"


def test_a_write_the_database_refuses_leaves_the_next_write_of_its_group_unharmed(pg_store):
    """A write answered from memory whose own statement then fails: the next writer of the same group
    is not failed by the answers that never came."""
    run_in_transaction(pg_store, lambda tx: tx.put_party(Party(id="s", name="s")))
    run_in_transaction(pg_store, lambda tx: tx.get_party("s"))  # remembered
    for _ in range(5):  # how the writers meet in a group varies with timing: several rounds see it
        running, release = threading.Event(), threading.Event()
        results = {}

        def blocker(tx):  # holds the group while the two others queue behind it, in order
            running.set()
            assert release.wait(10)
            return "blocker"

        def refused(tx):
            tx._run("INSERT INTO memberships (agreement_id, party_id) VALUES ('no-such-agreement', 's')")  # fails, unread
            tx.get_party("s")  # from memory; its statement, sent after the failure, is never answered
            return "written"

        fine_runs = []

        def fine(tx):
            fine_runs.append(1)
            return tx.get_party("s").name

        def worker(name, fn):
            try:
                results[name] = run_in_transaction(pg_store, fn)
            except Exception as error:  # noqa: BLE001 - each writer's own outcome, checked below
                results[name] = error

        threads = []
        for name, fn in (("blocker", blocker), ("refused", refused), ("fine", fine)):
            threads.append(threading.Thread(target=worker, args=(name, fn)))
            threads[-1].start()
            assert fn is not blocker or running.wait(10)
            deadline = time.monotonic() + 10
            while fn is not blocker and fn not in [job.fn for job in pg_store._writes._queue] and time.monotonic() < deadline:
                time.sleep(0.001)  # queued behind the blocker, in this order
        release.set()
        for t in threads:
            t.join(30)
        assert results["blocker"] == "blocker"
        assert "foreign key" in str(results["refused"]).lower()
        assert results["fine"] == "s"
        assert len(fine_runs) == 1  # not run again: the failed write's unanswered comparisons were not left to it


def test_a_zone_added_on_another_instance_is_found_by_the_next_write(pg_store):
    """'This agreement has no zones' is remembered (store/remembered.py): a zone another instance adds is
    still found by the next write here."""
    from datetime import timedelta

    from deconfliction.geometry import AltitudeBand, TimeWindow, Volume4D, search_boxes
    from deconfliction.models.zones import constraint_zone
    from deconfliction.rules.events import TOUCHING

    v = Volume4D(footprint=Circle(lon=7.0, lat=46.0, radius_m=500.0), altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"),
                 time=TimeWindow(start=T0, end=T0 + timedelta(hours=1)))
    zones_here = lambda tx: [z.id for z in tx.zones_near("utm", search_boxes(v, TOUCHING))]  # noqa: E731
    assert run_in_transaction(pg_store, zones_here) == []  # remembered: none
    other = PostgresStore(pg_store.url)
    try:
        zone = constraint_zone(zone_id="c1", agreement_id="utm", manager="authority", version=1, ovn="c" * 16,
                               uss_base_url="https://a", volumes=[v], created_at=T0)
        run_in_transaction(other, lambda tx: tx.put_zone(zone))
    finally:
        other.close()
    assert run_in_transaction(pg_store, zones_here) == ["c1"]


def test_a_changed_notice_is_indexed_by_its_new_volumes_only(pg_store):
    # The old index rows out and the new in, in one statement (PostgresTransaction._index_notice): the
    # rows of the same keys (notice, k) are replaced, fewer volumes leave none behind, an ended notice none.
    setup(pg_store)

    def indexed():
        with psycopg.connect(pg_store.url) as connection:
            return connection.execute("SELECT k, lower(during) FROM notice_volumes WHERE notice_id = 'moved' ORDER BY k").fetchall()

    first = make_notice([circle_volume(start_h=1.0), circle_volume(start_h=3.0)], notice_id="moved")
    for notice in (first, first.model_copy(update={"volumes": [circle_volume(start_h=5.0)], "version": "v2"})):
        with pg_store.transaction() as tx:
            tx.put_notice(notice)
        assert [(k, start) for k, start in indexed()] == [(k, v.time.start) for k, v in enumerate(notice.volumes)]
    with pg_store.transaction() as tx:
        tx.put_notice(first.model_copy(update={"state": "ended", "version": "v3"}))
    assert indexed() == []
