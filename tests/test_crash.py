"""Invariant 2 (nothing lost) under kill -9: a real `deconfliction serve` on a file, clients filing,
acknowledging and talking over the hotline from threads, the server killed at random moments and restarted on the same file.

At the end: every write that got a 2xx is there (notices at the version returned, acknowledgments),
every party's pull feed — resumed from the last seq seen across every crash — saw exactly the events
the store holds for it (none lost, none twice after de-duplication by seq), webhooks drained by the
server's scheduler reached a loopback receiver for every event of the party that has one, and the
audit chain verifies.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import city  # noqa: E402
from deconfliction import connect  # noqa: E402
from serverproc import Server, serve_available  # noqa: E402
from hookserver import HookServer  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not serve_available(), reason="the HTTP API (deconfliction serve) is not there yet")]

PARTIES = ["alpha", "bravo", "charlie"]
KILLS = 4
RUN_S = (1.5, 3.5)  # between restarts
MAX_WRITES = 4000


class Ledger:
    """What the clients were told: only 2xx replies count as accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.notices: dict[str, tuple[str, str]] = {}  # id -> (owner, version)
        self.acks: set[tuple[str, str]] = set()  # (party, notice id)
        self.messages: dict[str, str] = {}  # hotline message id -> sender
        self.message_acks: set[tuple[str, str]] = set()  # (party, message id)
        self.unknown = 0  # requests cut off by a crash: may or may not have happened
        self.refusals = 0
        self.writes = 0

    def others(self, party: str) -> list[str]:
        with self.lock:
            return [n for n, (owner, _) in self.notices.items() if owner != party]


def notice_of(body):
    return body.get("notice", body) if isinstance(body, dict) else body


def events_of(body):
    return body.get("events", body.get("items", [])) if isinstance(body, dict) else body


def missing_of(body):
    missing = body.get("missing") or body.get("details", {}).get("missing") or []
    return [m["version"] for m in missing]


def client(server: Server, token: str, party: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    start = city.day_start()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=5.0) as http:
        while not stop.is_set() and ledger.writes < MAX_WRITES:
            try:
                roll = rng.random()
                if roll < 0.1:
                    reply = http.post(f"{server.url}/v1/hotline/messages", json={
                        "agreement_id": "city", "kind": rng.choice(["alert", "info", "query"]), "text": f"from {party}",
                        "to": [rng.choice([p for p in PARTIES if p != party])],
                    })
                    if reply.status_code < 300:
                        with ledger.lock:
                            ledger.messages[reply.json()["id"]] = party
                            ledger.writes += 1
                    continue
                if roll < 0.2:
                    pending = http.get(f"{server.url}/v1/hotline/inbox", params={"state": "pending", "limit": 5})
                    for item in pending.json()["items"][:1] if pending.status_code == 200 else []:
                        reply = http.post(f"{server.url}/v1/hotline/messages/{item['message']['id']}/ack")
                        if reply.status_code < 300:
                            with ledger.lock:
                                ledger.message_acks.add((party, item["message"]["id"]))
                                ledger.writes += 1
                    continue
                others = ledger.others(party)
                if others and rng.random() < 0.3:
                    notice_id = rng.choice(others)
                    reply = http.post(f"{server.url}/v1/notices/{notice_id}/ack")
                    if reply.status_code < 300:
                        with ledger.lock:
                            ledger.acks.add((party, notice_id))
                            ledger.writes += 1
                    continue
                payload = {"agreement_id": "city", "volumes": [city.volume(rng, start)], "key": []}
                for _ in range(10):
                    reply = http.post(f"{server.url}/v1/notices", json=payload)
                    if reply.status_code == 409:
                        ledger.refusals += 1
                        payload["key"] = payload["key"] + missing_of(reply.json())
                        continue
                    break
                if reply.status_code < 300:
                    notice = notice_of(reply.json())
                    with ledger.lock:
                        ledger.notices[notice["id"]] = (party, notice["version"])
                        ledger.writes += 1
                else:
                    assert reply.status_code in (409, 503), reply.text
            except (httpx.TransportError, httpx.HTTPStatusError):
                with ledger.lock:
                    ledger.unknown += 1
                time.sleep(0.05)


class Feed:
    """A pull-feed consumer that resumes from the last seq it saw, whatever happens to the server."""

    def __init__(self, server: Server, token: str):
        self.server, self.token = server, token
        self.seen: dict[int, dict] = {}
        self.duplicates = 0
        self.last = 0

    def poll(self, http: httpx.Client) -> int:
        reply = http.get(f"{self.server.url}/v1/events", params={"after": self.last, "limit": 500})
        reply.raise_for_status()
        events = events_of(reply.json())
        for event in events:
            if event["seq"] in self.seen:
                self.duplicates += 1
            self.seen[event["seq"]] = event
            assert event["seq"] > self.last, "the feed went backwards"
            self.last = event["seq"]
        return len(events)

    def run(self, stop: threading.Event) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"}, timeout=5.0) as http:
            while not stop.is_set():
                try:
                    if not self.poll(http):
                        time.sleep(0.05)
                except httpx.HTTPError:
                    time.sleep(0.05)

    def drain(self) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"}, timeout=10.0) as http:
            while self.poll(http):
                pass


def test_kill_9_at_random_moments_loses_nothing(tmp_path):
    database = tmp_path / "crash.db"
    system = connect(database)
    system.add_agreement(city.agreement(PARTIES))
    tokens = {p: system.issue_token(p)[1] for p in PARTIES}
    hook = HookServer()
    hook.__enter__()
    endpoint = system.add_endpoint("alpha", hook.url)
    hook.secret = endpoint.secret
    system.close()

    rng = random.Random(2015)
    ledger = Ledger()
    server = Server(database, log=tmp_path / "server.log").start()
    stop_clients, stop_feeds = threading.Event(), threading.Event()
    feeds = {p: Feed(server, tokens[p]) for p in PARTIES}
    threads = [threading.Thread(target=client, args=(server, tokens[p], p, ledger, stop_clients, i), daemon=True) for i, p in enumerate(PARTIES)]
    threads += [threading.Thread(target=feeds[p].run, args=(stop_feeds,), daemon=True) for p in PARTIES]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        kills = 0
        for _ in range(KILLS):
            time.sleep(rng.uniform(*RUN_S))
            server.kill()
            kills += 1
            time.sleep(rng.uniform(0, 0.3))
            server.start()
        time.sleep(rng.uniform(*RUN_S))
        stop_clients.set()
        for thread in threads[: len(PARTIES)]:
            thread.join(15)
        stop_feeds.set()
        for thread in threads[len(PARTIES) :]:
            thread.join(15)
        # Let the server's scheduler deliver the last webhooks, then read every feed to its end.
        load_ended = time.monotonic()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for feed in feeds.values():
                feed.drain()
            if len(hook.seen_ids) >= len(feeds["alpha"].seen):
                break
            time.sleep(0.2)
        drained_s = time.monotonic() - load_ended
    finally:
        stop_clients.set()
        stop_feeds.set()
        server.stop()
        hook.__exit__()
    elapsed = time.monotonic() - started

    system = connect(database)
    try:
        # Every accepted notice is there, at the version its 2xx reply gave.
        for notice_id, (owner, version) in ledger.notices.items():
            assert system.notice(owner, notice_id).version == version
        # Every accepted acknowledgment is there.
        for party, notice_id in ledger.acks:
            (owed,) = [d for d in system.deadlines(party, subject_id=notice_id) if d.kind == "notice"]
            assert owed.state == "acknowledged"
        # Every accepted hotline message is there, from its sender, and every accepted acknowledgment of one.
        for message_id, sender in ledger.messages.items():
            assert system.message(sender, message_id).sender == sender
        for party, message_id in ledger.message_acks:
            (owed,) = system.deadlines(party, subject_id=message_id)
            assert owed.state == "acknowledged"
        # Every event the store has for a party reached its feed, once (after de-duplication by seq).
        total_events = 0
        for party, feed in feeds.items():
            stored = {e.seq for e in system.events(party, 0, 1_000_000)}
            assert set(feed.seen) == stored, f"{party}: lost {sorted(stored - set(feed.seen))[:5]}, extra {sorted(set(feed.seen) - stored)[:5]}"
            assert feed.duplicates == 0
            total_events += len(stored)
        # Webhooks: every event of alpha reached the receiver (at least once; de-duplicated by event id).
        assert sorted(e["seq"] for e in hook.received) == sorted(feeds["alpha"].seen)
        assert hook.bad_signatures == 0
        verdict = system.verify_audit()
        assert verdict.ok, verdict.reason
    finally:
        system.close()

    print(
        f"\ncrash test: {kills} kills, {server.starts} starts, {len(ledger.notices)} notices + {len(ledger.acks)} acks + "
        f"{len(ledger.messages)} hotline messages + {len(ledger.message_acks)} of their acks accepted, "
        f"{ledger.refusals} refusals (409), {ledger.unknown} requests cut off, {total_events} events checked, "
        f"{len(hook.received)} webhooks, {verdict.entries} audit entries, {elapsed:.1f} s ({drained_s:.1f} s draining after the load)"
    )
    assert len(ledger.notices) > 50 and ledger.messages and ledger.message_acks and kills == KILLS
