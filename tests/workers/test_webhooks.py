"""Webhooks: signatures, retries with back-off, dead letters and requeue, per-endpoint order, a real HTTP receiver."""

from __future__ import annotations

import json
import random
import threading
from datetime import timedelta

import pytest

from deconfliction.workers.webhooks import (
    EVENT_ID_HEADER,
    SEQ_HEADER,
    SIGNATURE_HEADER,
    Backoff,
    Dispatcher,
    dead_letters,
    retry_dead,
    sign,
    verify_signature,
)
from deconfliction.errors import DeconflictionError

from builders import circle, make_system
from hookserver import HookServer

NO_JITTER = Backoff(base_s=1, factor=2, cap_s=60, jitter=0)


class Receiver:
    """A fake transport: answers from a script (status codes or exceptions), then 200; records every call."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []
        self.lock = threading.Lock()

    def __call__(self, url, body, headers, timeout):
        with self.lock:
            self.calls.append((url, body, dict(headers)))
            answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def seqs(self, url=None):
        return [int(h[SEQ_HEADER]) for u, _, h in self.calls if url is None or u == url]


def file_far_apart(system, clock, count, party="blue", lon0=0.0):
    """`count` notices that conflict with nothing: each gives every other member one notice.filed event."""
    return [system.file_notice(party, "pact", [circle(clock, lon=lon0 + 0.5 * i, lat=10.0)]) for i in range(count)]


def audit_actions(system):
    return [e.action for e in system.audit_entries()]


# Signatures ---------------------------------------------------------------------------------------------
def test_a_signature_verifies_and_any_tampering_is_detected():
    body = b'{"seq": 7, "kind": "notice.filed"}'
    header = sign(body, "s3cret", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify_signature(body, header, "s3cret", now=1_700_000_010)
    assert not verify_signature(body + b" ", header, "s3cret", now=1_700_000_010)  # body changed
    assert not verify_signature(body.replace(b"7", b"8"), header, "s3cret", now=1_700_000_010)
    assert not verify_signature(body, header, "other", now=1_700_000_010)  # wrong secret
    moved = header.replace("t=1700000000", "t=1700000001")  # timestamp changed
    assert not verify_signature(body, moved, "s3cret", now=1_700_000_010)
    assert not verify_signature(body, header, "s3cret", now=1_700_000_000 + 301)  # too old: replay
    assert verify_signature(body, header, "s3cret", now=1_700_000_000 + 10_000, tolerance_s=None)
    for broken in (None, "", "v1=abc", "t=x,v1=abc", "t=1700000000"):
        assert not verify_signature(body, broken, "s3cret", now=1_700_000_000)


def test_during_secret_rotation_any_v1_may_match():
    body = b"{}"
    old, new = sign(body, "old", 100), sign(body, "new", 100)
    both = f"{old},v1={new.split('v1=')[1]}"
    assert verify_signature(body, both, "old", now=100) and verify_signature(body, both, "new", now=100)


def test_backoff_doubles_up_to_the_cap_with_bounded_jitter():
    assert [NO_JITTER.delay(k) for k in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    jittery = Backoff(base_s=1, cap_s=300, jitter=0.2)
    rng = random.Random(1)
    for k in range(1, 12):
        nominal = min(300, 2 ** (k - 1))
        assert 0.8 * nominal <= jittery.delay(k, rng) <= 1.2 * nominal


# Delivery and retries -----------------------------------------------------------------------------------
def test_each_event_is_posted_signed_with_dedup_headers_and_recorded(tmp_path):
    system, clock = make_system(tmp_path)
    endpoint = system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 2)
    receiver = Receiver()
    with Dispatcher(system, receiver, backoff=NO_JITTER, wall_clock=lambda: 1_000) as dispatcher:
        report = dispatcher.run_once()
    assert report.delivered == 2 and report.failed == 0
    events = system.events("red")
    assert receiver.seqs() == [e.seq for e in events]
    for (url, body, headers), event in zip(receiver.calls, events):
        assert url == endpoint.url
        assert verify_signature(body, headers[SIGNATURE_HEADER], endpoint.secret, now=1_000)
        assert {k: v for k, v in json.loads(body).items() if k != "tree_head"} == json.loads(event.model_dump_json())
        assert headers[EVENT_ID_HEADER] == f"{event.seq:012d}-{endpoint.id}"
    assert [d.state for d in system.deliveries("red")] == ["delivered", "delivered"]
    delivered = [e for e in system.audit_entries() if e.action == "events.delivered"]
    assert [(e.subject, e.payload["channel"], e.payload["first_seq"]) for e in delivered] == [("red", "webhook", e.seq) for e in events]
    assert system.verify_audit().ok
    assert Dispatcher(system, receiver).run_once().claimed == 0  # nothing twice


def test_every_delivery_carries_the_latest_signed_tree_head_which_covers_the_write_that_made_its_event(tmp_path):
    from deconfliction.transparency.heads import TreeHead, verify_head

    system, clock = make_system(tmp_path)
    endpoint = system.add_endpoint("red", "http://127.0.0.1:9/hook")
    first, second = file_far_apart(system, clock, 2)
    receiver = Receiver()
    with Dispatcher(system, receiver, backoff=NO_JITTER, wall_clock=lambda: 1_000) as dispatcher:
        dispatcher.run_once()
        filed_at = {e.subject: e.seq for e in system.audit_entries() if e.action == "notice.filed"}
        heads = [TreeHead.model_validate(json.loads(body)["tree_head"]) for _, body, _ in receiver.calls]
        for head, filing in zip(heads, (first, second)):
            verify_head(head, trusted_public_key=system.log_key.public_b64)
            assert head.size >= filed_at[filing.notice.id]  # the head covers the filing's leaf
            assert head == system.signed_tree_head(head.size)  # one the server signed and kept, not made up for the POST
        delivered = [e.seq for e in system.audit_entries() if e.action == "events.delivered"]
        assert heads[1].size >= delivered[0]  # the latest when sent: it covers the first delivery's own record
        third = system.file_notice("blue", "pact", [circle(clock, lon=20.0, lat=10.0)])
        dispatcher.run_once()
    later = TreeHead.model_validate(json.loads(receiver.calls[-1][1])["tree_head"])
    assert later.size > heads[-1].size and later.size >= [e.seq for e in system.audit_entries() if e.subject == third.notice.id][0]
    # the body is HMAC-signed whole: the head cannot be swapped on the way without breaking the signature
    url, body, headers = receiver.calls[-1]
    swapped = body.replace(later.root_hash.encode(), heads[0].root_hash.encode())
    assert verify_signature(body, headers[SIGNATURE_HEADER], endpoint.secret, now=1_000)
    assert swapped != body and not verify_signature(swapped, headers[SIGNATURE_HEADER], endpoint.secret, now=1_000)


def test_a_failing_receiver_is_retried_with_backoff_then_succeeds(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 1)
    receiver = Receiver(500, ConnectionRefusedError("refused"), 503)
    dispatcher = Dispatcher(system, receiver, backoff=NO_JITTER, max_attempts=5)
    start = clock.now
    gaps = []
    for expected_attempts in (1, 2, 3):
        report = dispatcher.run_once()
        assert report.outcomes[0].state == "pending" and report.outcomes[0].attempts == expected_attempts
        (delivery,) = system.deliveries("red")
        gaps.append((delivery.next_attempt_at - clock.now).total_seconds())
        clock.advance(seconds=gaps[-1] - 0.5)
        assert dispatcher.run_once().claimed == 0  # not before its time
        clock.advance(seconds=0.5)
    assert gaps == [1, 2, 4]
    assert "HTTP 503" == system.deliveries("red")[0].last_error
    assert dispatcher.run_once().delivered == 1
    (delivery,) = system.deliveries("red")
    assert delivery.state == "delivered" and delivery.attempts == 4 and delivery.last_error is None
    assert delivery.delivered_at == start + timedelta(seconds=7)
    assert len(receiver.calls) == 4 and {h[EVENT_ID_HEADER] for _, _, h in receiver.calls} == {delivery.id}
    assert [h["Deconfliction-Attempt"] for _, _, h in receiver.calls] == ["1", "2", "3", "4"]


def test_after_max_attempts_a_delivery_is_dead_and_in_the_dead_letter_view(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 1)
    receiver = Receiver(*[500] * 10)
    dispatcher = Dispatcher(system, receiver, backoff=NO_JITTER, max_attempts=3)
    states = []
    for _ in range(3):
        states.append(dispatcher.run_once().outcomes[0].state)
        clock.advance(minutes=5)
    assert states == ["pending", "pending", "dead"]
    assert dispatcher.run_once().claimed == 0
    (dead,) = system.deliveries(state="dead")
    assert dead.attempts == 3 and dead.last_error == "HTTP 500"
    assert dead_letters(system, "red") == [dead] and system.deliveries("red", state="pending") == []
    assert "webhook.dead" in audit_actions(system)


def test_a_dead_letter_can_be_requeued_and_is_then_delivered(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 1)
    receiver = Receiver(500)
    dispatcher = Dispatcher(system, receiver, backoff=NO_JITTER, max_attempts=1)
    assert dispatcher.run_once().dead == 1
    (dead,) = dead_letters(system)
    with pytest.raises(DeconflictionError) as wrong_party:
        retry_dead(system, dead.id, party_id="blue")
    assert wrong_party.value.code == "not_found"
    requeued = retry_dead(system, dead.id, actor="red", party_id="red")
    assert requeued.state == "pending" and requeued.attempts == 0 and requeued.next_attempt_at == clock.now
    with pytest.raises(DeconflictionError) as not_dead:
        retry_dead(system, dead.id)
    assert not_dead.value.code == "invalid_state"
    with pytest.raises(DeconflictionError) as unknown:
        retry_dead(system, "000000000999-nope")
    assert unknown.value.code == "not_found"
    assert dispatcher.run_once().delivered == 1
    assert dead_letters(system) == [] and system.deliveries("red")[0].state == "delivered"
    assert audit_actions(system).count("webhook.requeued") == 1
    assert system.verify_audit().ok


def test_a_removed_endpoint_dead_letters_its_pending_deliveries(tmp_path):
    system, clock = make_system(tmp_path)
    endpoint = system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 2)
    system.remove_endpoint("red", endpoint.id)
    receiver = Receiver()
    report = Dispatcher(system, receiver).run_once()
    assert report.dead == 2 and receiver.calls == []
    assert {d.last_error for d in dead_letters(system)} == {"endpoint removed or inactive"}


# Order --------------------------------------------------------------------------------------------------
def test_an_endpoint_never_gets_event_n_plus_1_before_n_is_delivered(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 3)
    receiver = Receiver(500, 500)  # the first event fails twice
    dispatcher = Dispatcher(system, receiver, backoff=NO_JITTER, max_attempts=5)
    first, second, third = [e.seq for e in system.events("red")]
    assert dispatcher.run_once().claimed == 3
    assert receiver.seqs() == [first]  # the others were held back
    file_far_apart(system, clock, 1, lon0=50)  # a new event while the endpoint waits
    fourth = system.events("red")[-1].seq
    report = dispatcher.run_once()
    assert report.claimed == 0 and report.deferred == 1  # deferred behind the failing one
    clock.advance(seconds=1)
    dispatcher.run_once()
    assert receiver.seqs() == [first, first]
    clock.advance(seconds=2)
    dispatcher.run_until_idle()
    assert receiver.seqs() == [first, first, first, second, third, fourth]
    assert {d.state for d in system.deliveries("red")} == {"delivered"}


def test_a_dead_event_no_longer_holds_back_the_rest(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 3)
    receiver = Receiver(500, 500)
    dispatcher = Dispatcher(system, receiver, backoff=NO_JITTER, max_attempts=2)
    first, second, third = [e.seq for e in system.events("red")]
    dispatcher.run_once()
    clock.advance(seconds=1)
    report = dispatcher.run_once()
    assert report.dead == 1
    dispatcher.run_until_idle()  # released at once, no wait for the back-off
    assert receiver.seqs() == [first, first, second, third]
    assert [d.state for d in system.deliveries("red")] == ["dead", "delivered", "delivered"]


def test_a_failing_endpoint_does_not_hold_back_other_endpoints(tmp_path):
    system, clock = make_system(tmp_path)
    bad = system.add_endpoint("red", "http://127.0.0.1:9/bad")
    good_same_party = system.add_endpoint("red", "http://127.0.0.1:9/good")
    good_other_party = system.add_endpoint("green", "http://127.0.0.1:9/green")

    def post(url, body, headers, timeout):
        return 500 if url == bad.url else 200

    receiver = Receiver()
    receiver.script = []
    file_far_apart(system, clock, 12)
    # A small batch: the failing endpoint's held-back events must not fill the due queue for ever.
    dispatcher = Dispatcher(system, lambda *a: (receiver(*a), post(*a))[1], backoff=NO_JITTER, max_attempts=50, batch=5)
    for _ in range(12):
        dispatcher.run_once()
    red_seqs = [e.seq for e in system.events("red")]
    assert receiver.seqs(good_same_party.url) == red_seqs
    assert receiver.seqs(good_other_party.url) == [e.seq for e in system.events("green")]
    assert receiver.seqs(bad.url)[0] == red_seqs[0] and set(receiver.seqs(bad.url)) == {red_seqs[0]}


def test_endpoints_only_get_the_kinds_they_asked_for(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook", kinds=["conflict."])
    mine = system.file_notice("red", "pact", [circle(clock)])
    system.file_notice("blue", "pact", [circle(clock, lon=2.36)], key=[mine.notice.version])
    receiver = Receiver()
    Dispatcher(system, receiver).run_once()
    assert [json.loads(body)["kind"] for _, body, _ in receiver.calls] == ["conflict.opened"]


# A real HTTP receiver on loopback -----------------------------------------------------------------------
def test_signed_webhooks_end_to_end_over_loopback_http(tmp_path):
    system, clock = make_system(tmp_path)
    with HookServer(script=[500]) as hook:
        endpoint = system.add_endpoint("red", hook.url)
        hook.secret = endpoint.secret
        mine = system.file_notice("red", "pact", [circle(clock)])
        system.file_notice("blue", "pact", [circle(clock, lon=2.36)], key=[mine.notice.version])  # filed + conflict
        system.acknowledge_notice("blue", mine.notice.id)
        with Dispatcher(system, backoff=NO_JITTER, timeout_s=5) as dispatcher:  # the real httpx transport
            first = dispatcher.run_once()
            assert first.outcomes[0].error == "HTTP 500" and first.delivered == 0
            clock.advance(seconds=1)
            dispatcher.run_until_idle()
    expected = system.events("red")
    assert [e["seq"] for e in hook.received] == [e.seq for e in expected]
    assert [e["kind"] for e in hook.received] == [e.kind for e in expected]
    assert {"notice.filed", "conflict.opened", "notice.acknowledged"} <= {e["kind"] for e in hook.received}
    assert hook.bad_signatures == 0
    assert {d.state for d in system.deliveries("red")} == {"delivered"}
    assert system.verify_audit().ok


def test_a_receiver_with_the_wrong_secret_refuses_and_the_delivery_retries(tmp_path):
    system, clock = make_system(tmp_path)
    with HookServer(secret="not-the-endpoint-secret") as hook:
        system.add_endpoint("red", hook.url)
        file_far_apart(system, clock, 1)
        with Dispatcher(system, backoff=NO_JITTER) as dispatcher:
            report = dispatcher.run_once()
    assert hook.bad_signatures == 1 and hook.received == []
    assert report.outcomes[0].state == "pending" and report.outcomes[0].error == "HTTP 401"


def test_an_unreachable_receiver_is_a_failed_attempt_not_a_crash(tmp_path):
    system, clock = make_system(tmp_path)
    with HookServer() as hook:
        url = hook.url
    system.add_endpoint("red", url)  # nothing listens there any more
    file_far_apart(system, clock, 1)
    with Dispatcher(system, backoff=NO_JITTER, timeout_s=2) as dispatcher:
        report = dispatcher.run_once()
    assert report.outcomes[0].state == "pending" and report.outcomes[0].error.startswith("no answer from the receiver")


# Claims and leases ---------------------------------------------------------------------------------------
def test_a_claim_lost_in_a_crash_is_due_again_after_its_lease(tmp_path):
    from deconfliction.workers.webhooks import DispatchReport

    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 2)
    crashed = Dispatcher(system, Receiver(), timeout_s=10)
    assert len(crashed._claim(clock.now, DispatchReport())) == 1  # claimed, then the process "dies"
    receiver = Receiver()
    survivor = Dispatcher(system, receiver, timeout_s=10)
    assert survivor.run_once().claimed == 0  # leased to the dead one
    clock.advance(seconds=15)  # the lease: timeout + 5 s
    assert survivor.run_once().delivered == 2
    assert receiver.seqs() == [e.seq for e in system.events("red")]


def test_the_lease_is_renewed_while_a_slow_receiver_works_through_a_claim(tmp_path):
    system, clock = make_system(tmp_path)
    system.add_endpoint("red", "http://127.0.0.1:9/hook")
    file_far_apart(system, clock, 5)
    rival_saw = []

    def slow(url, body, headers, timeout):
        clock.advance(seconds=9)  # each POST takes almost the whole timeout
        rival_saw.append(rival.run_once().claimed)  # another dispatcher tries meanwhile
        return 200

    rival = Dispatcher(system, Receiver(), timeout_s=10)
    report = Dispatcher(system, slow, timeout_s=10).run_once()
    assert report.delivered == 5 and rival_saw == [0] * 5
    assert [d.attempts for d in system.deliveries("red")] == [1] * 5
