"""The scheduler: overdue acknowledgments and expiry as the (injected) clock passes, webhooks drained,
errors survived, a prompt stop. No test sleeps through real minutes: the clock is moved by hand."""

from __future__ import annotations

import threading
import time

from deconfliction.workers.webhooks import Backoff, Dispatcher
from deconfliction.workers.scheduler import Scheduler

from builders import circle, make_system


def test_a_passed_acknowledgment_deadline_tells_the_sender_ack_overdue(tmp_path):
    system, clock = make_system(tmp_path, notice_ack_deadline_s=900)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    system.acknowledge_notice("green", filed.notice.id)
    scheduler = Scheduler(system)
    clock.advance(seconds=899)
    assert scheduler.step().overdue == []
    clock.advance(seconds=2)
    report = scheduler.step()
    assert [(d.party_id, d.subject_id, d.state) for d in report.overdue] == [("red", filed.notice.id, "overdue")]
    overdue = [e for e in system.events("blue") if e.kind == "ack.overdue"]
    assert len(overdue) == 1 and overdue[0].payload["deadline"]["party_id"] == "red"
    assert [e.kind for e in system.events("red")].count("ack.overdue") == 1
    assert scheduler.step().overdue == []  # once only
    assert "ack.overdue" in [e.action for e in system.audit_entries()]


def test_an_acknowledged_notice_is_never_overdue(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    for party in ("red", "green"):
        system.acknowledge_notice(party, filed.notice.id)
    clock.advance(hours=1)
    assert Scheduler(system).step().overdue == []
    assert "ack.overdue" not in [e.kind for e in system.events("blue")]


def test_notices_past_their_end_are_ended_and_their_conflicts_cleared(tmp_path):
    system, clock = make_system(tmp_path)
    mine = system.file_notice("red", "pact", [circle(clock, start_h=1, hours=1)])
    theirs = system.file_notice("blue", "pact", [circle(clock, lon=2.36, start_h=1, hours=2)], key=[mine.notice.version])
    later = system.file_notice("green", "pact", [circle(clock, lon=20, start_h=1, hours=5)])
    (conflict,) = system.conflicts()
    scheduler = Scheduler(system)
    clock.advance(hours=1, minutes=59)
    assert scheduler.step().ended == []
    clock.advance(minutes=1)  # red's notice ends now
    report = scheduler.step()
    assert [n.id for n in report.ended] == [mine.notice.id]
    assert system.notice("red", mine.notice.id).state == "ended"
    assert system.conflicts() == []
    assert system.conflicts(open_only=False)[0].state == "cleared"
    assert "conflict.cleared" in [e.kind for e in system.events("blue")]
    assert system.notice("blue", theirs.notice.id).state == "planned"
    clock.advance(hours=1)
    assert [n.id for n in scheduler.step().ended] == [theirs.notice.id]
    assert system.notice("green", later.notice.id).state == "planned"
    assert system.verify_audit().ok


def test_a_step_works_through_a_backlog_larger_than_one_tick(tmp_path):
    system, clock = make_system(tmp_path)
    for i in range(7):
        system.file_notice("blue", "pact", [circle(clock, lon=i, lat=20, hours=1)])
    clock.advance(hours=3)
    report = Scheduler(system, tick_limit=3).step()
    assert len(report.ended) == 7


def test_a_step_also_drains_webhooks(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("blue", "http://127.0.0.1:9/hook")
    filed = system.file_notice("blue", "pact", [circle(clock)])
    sent = []
    dispatcher = Dispatcher(system, lambda url, body, headers, timeout: sent.append(body) or 200, backoff=Backoff(jitter=0))
    clock.advance(minutes=16)
    report = Scheduler(system, dispatcher).step()
    assert len(report.overdue) == 2 and report.dispatch.delivered == 2  # one ack.overdue per silent member
    assert [d.state for d in system.deliveries("blue")] == ["delivered", "delivered"]
    assert filed.notice.id in sent[0].decode()


class Exploding:
    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def run_once(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("receiver store hiccup")


def test_an_exception_in_a_step_is_logged_not_fatal(tmp_path, caplog):
    system, clock = make_system(tmp_path)
    scheduler = Scheduler(system, Exploding(failures=2))
    first = scheduler.step()
    assert isinstance(first.error, RuntimeError) and scheduler.errors == 1
    assert "webhook dispatch failed" in caplog.text
    scheduler.step()
    assert scheduler.step().error is None and scheduler.errors == 2


def test_the_thread_keeps_running_through_errors_and_stops_promptly(tmp_path):
    system, clock = make_system(tmp_path)
    dispatcher = Exploding(failures=3)
    scheduler = Scheduler(system, dispatcher, interval_s=0.01).start()
    deadline = time.monotonic() + 10
    while dispatcher.calls < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dispatcher.calls >= 6 and scheduler.running and scheduler.errors == 3
    # A long interval must not delay stop(): the wait is woken.
    scheduler.interval_s = 3600
    time.sleep(0.05)
    started = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - started < 2 and not scheduler.running
    calls = dispatcher.calls
    time.sleep(0.05)
    assert dispatcher.calls == calls


def test_the_thread_ticks_with_the_injected_clock(tmp_path):
    system, clock = make_system(tmp_path)
    filed = system.file_notice("blue", "pact", [circle(clock)])
    overdue = threading.Event()

    class Watch:
        def run_once(self):
            if any(e.kind == "ack.overdue" for e in system.events("blue")):
                overdue.set()

    with Scheduler(system, Watch(), interval_s=0.01):
        assert not overdue.wait(0.2)
        clock.advance(minutes=16)  # fifteen minutes pass in no time
        assert overdue.wait(10)
    assert {d.party_id for d in system.deadlines("red", subject_id=filed.notice.id, state="overdue")} == {"red"}


def test_start_twice_and_stop_when_idle_are_harmless(tmp_path):
    system, _ = make_system(tmp_path)
    scheduler = Scheduler(system, interval_s=0.01)
    scheduler.stop()
    scheduler.start()
    scheduler.start()
    scheduler.stop()
    scheduler.stop()
    assert not scheduler.running
