"""Two schedulers over one store, as two server processes would run them, ticking at the same moments
on real threads: every overdue message escalates exactly once per interval, and no line test is sent
twice. Both backends."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from deconfliction import Deconfliction
from deconfliction.store import SQLiteStore

from factories import FixedClock, example_agreement

from .backends import BACKENDS, backend_store


def second_store(kind: str, first):
    if kind == "sqlite":
        return SQLiteStore(first.path)
    from deconfliction.store.postgres import PostgresStore

    return PostgresStore(first.url, max_size=4)


def tick_together(systems: list[Deconfliction], rounds: int = 5) -> None:
    start = threading.Barrier(len(systems))
    failures: list[BaseException] = []

    def run(system: Deconfliction) -> None:
        try:
            for _ in range(rounds):
                start.wait()
                system.tick(limit=7)  # small batches: the schedulers interleave
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(s,)) for s in systems]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures


@pytest.mark.parametrize("kind", BACKENDS)
def test_concurrent_schedulers_escalate_each_message_once_per_interval(kind, tmp_path):
    clock = FixedClock()
    with backend_store(kind, tmp_path) as store:
        one = Deconfliction(store, clock=clock)
        other_store = second_store(kind, store)
        two = Deconfliction(other_store, clock=clock)
        try:
            one.add_agreement(example_agreement(alert_ack_deadline_s=60.0, hotline_escalation_interval_s=120.0, line_test_interval_s=3600.0))
            sent = [one.send_message("blue", "pact", kind="alert", text=f"alert {i}", to=["red"]) for i in range(20)]
            tick_together([one, two])  # sends the first line test, escalates nothing yet
            clock.advance(seconds=61)
            tick_together([one, two])
            clock.advance(seconds=120)
            tick_together([one, two])

            for message in sent:
                (owed,) = one.deadlines("red", subject_id=message.id)
                assert owed.state == "overdue" and owed.escalations == 2
            deliveries = Counter(
                e.payload["message"]["id"] for e in one.events("red", limit=1000) if e.kind == "hotline.message"
            )
            assert all(deliveries[m.id] == 3 for m in sent)  # sent, and delivered again at each escalation
            tests = [m for m in one.inbox("red", limit=1000) if m.message.kind == "test"]
            assert len(tests) == 1  # one line test per interval, however many schedulers
        finally:
            other_store.close()
