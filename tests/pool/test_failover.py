"""The primary is killed (kill -9) while parties write through two instances: nothing acknowledged
is lost, nothing is applied twice, every event reaches its party once, the audit chain verifies, and
event streams resume. Real processes throughout: pg_auto_failover's monitor and two PostgreSQL nodes,
two `deconfliction serve` instances, clients that retry with their idempotency keys."""

from __future__ import annotations

import time
from collections import Counter

import psycopg
import pytest

from deconfliction import connect

from .conftest import start_instances
from .workload import PARTIES, Listener, Writer, feed, gap_after, set_up, start


@pytest.mark.xdist_group("cluster")  # one replicated cluster per session, not one per xdist worker
def test_killing_the_primary_loses_no_acknowledged_write_and_applies_none_twice(cluster, pool_url, tmp_path):
    tokens = set_up(pool_url)
    instances = start_instances(pool_url, 2, tmp_path)
    urls = [s.url for s in instances]
    try:
        writers = [Writer(party, i, tokens[party], urls[i % 2:] + urls[: i % 2]) for i, party in enumerate(PARTIES)]
        listeners = [Listener(party, tokens[party], urls[i % 2]) for i, party in enumerate(PARTIES)]
        threads = [start(w) for w in writers] + [start(listener) for listener in listeners]
        time.sleep(2.0)
        before = sum(len(w.accepted) for w in writers)
        victim = cluster.primary()
        kill_at = time.monotonic()
        cluster.kill(victim)
        # Write on until every party has had three replies after the kill (the standby took over).
        deadline = kill_at + 45.0
        while time.monotonic() < deadline and not all(sum(1 for t, _ in w.accepted if t > kill_at) >= 3 for w in writers):
            time.sleep(0.2)
        for w in writers:
            w.stop.set()
        for thread in threads[: len(writers)]:
            thread.join(70)
        assert before > 0, "nothing was written before the kill"
        assert cluster.primary() not in (None, victim), "the standby was not promoted"
        gap = gap_after(kill_at, writers)
        assert gap < 30.0, f"no write was accepted for {gap:.1f} s after the kill"
        assert [f for w in writers for f in w.failures] == []

        # The truth is the new primary's tables, read directly.
        with psycopg.connect(pool_url) as db:
            stored = db.execute("SELECT id, party_id FROM notices").fetchall()
        ids = Counter(notice_id for notice_id, _ in stored)
        for w in writers:
            acknowledged = [notice_id for _, notice_id in w.accepted]
            assert len(set(acknowledged)) == len(acknowledged), f"{w.party} was told of one filing twice"
            assert not [n for n in acknowledged if n not in ids], f"{w.party}: acknowledged filings lost"
            theirs = sorted(n for n, party in stored if party == w.party)
            assert theirs == sorted(acknowledged), f"{w.party}: filings stored that nobody was told of (applied twice?)"
        assert max(ids.values()) == 1

        system = connect(pool_url)
        try:
            verdict = system.verify_audit()
            assert verdict.ok, verdict.reason
            # Each party's stream resumed across the failover and saw its whole feed, in order, once.
            for listener in listeners:
                truth = feed(system, listener.party)
                assert truth, f"{listener.party} has no events"
                wait_until = time.monotonic() + 20
                while time.monotonic() < wait_until and sorted(set(listener.seqs)) != truth:
                    time.sleep(0.2)
                assert listener.seqs == sorted(listener.seqs), f"{listener.party}: events out of order"
                assert sorted(set(listener.seqs)) == truth, f"{listener.party}: the stream missed or invented events"
        finally:
            system.close()
    finally:
        for server in instances:
            server.kill()
