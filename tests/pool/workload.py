"""Parties filing notices through several instances while something bad happens, and what to check
afterwards: shared by the failover test and bench/failover.py."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from deconfliction import connect
from deconfliction.models import Agreement, Separation
from deconfliction.client import Client

PARTIES = ("blue", "red", "green")


def set_up(url: str) -> dict[str, str]:
    """An agreement of three parties over the pool's database; a token per party."""
    system = connect(url)
    try:
        system.add_agreement(
            Agreement(id="pool", name="Pool", parties=list(PARTIES), separation=Separation(lateral_m=1852.0, vertical_m=150.0, time_buffer_s=60.0),
                      min_lead_time_s=60.0, planning_horizon_s=7 * 86400.0)
        )
        return {party: system.issue_token(party)[1] for party in PARTIES}
    finally:
        system.close()


def volume(party_index: int, n: int) -> dict:
    """Far from every other filing (no conflicts, so no awareness keys to present): a grid 0.1° apart."""
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    return {
        "footprint": {"kind": "circle", "lon": -120.0 + party_index * 20.0 + (n % 100) * 0.1, "lat": 30.0 + (n // 100) * 0.1, "radius_m": 200.0},
        "altitude": {"lower_m": 0, "upper_m": 120, "datum": "W84"},
        "time": {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()},
    }


@dataclass
class Writer:
    """One party filing notices in turn through each instance; every reply it got is recorded."""

    party: str
    index: int
    token: str
    instances: list[str]
    accepted: list[tuple[float, str]] = field(default_factory=list)  # (when the reply came, notice id)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        clients = [Client(url, self.token, timeout=10.0, retry_s=60.0) for url in self.instances]
        n = 0
        try:
            while not self.stop.is_set():
                client = clients[n % len(clients)]
                try:
                    filing = client.file_notice("pool", [volume(self.index, n)])
                    self.accepted.append((time.monotonic(), filing.notice.id))
                except Exception as exc:  # noqa: BLE001 - recorded: the test says which
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                n += 1
        finally:
            for client in clients:
                client.close()


@dataclass
class Listener:
    """One party's event stream (SSE) through one instance, resumed with Last-Event-ID after drops."""

    party: str
    token: str
    instance: str
    seqs: list[int] = field(default_factory=list)

    def run(self) -> None:
        with Client(self.instance, self.token, timeout=10.0, retry_s=60.0) as client:
            for event in client.stream_events(after=0, read_timeout_s=5.0, max_wait_s=0.5):
                self.seqs.append(event.seq)


def start(target) -> threading.Thread:
    thread = threading.Thread(target=target.run, daemon=True)
    thread.start()
    return thread


def feed(system, party: str) -> list[int]:
    seqs, after = [], 0
    while True:
        page = system.events(party, after_seq=after, limit=1000)
        if not page:
            return seqs
        seqs += [e.seq for e in page]
        after = page[-1].seq


def gap_after(kill_at: float, writers: list[Writer]) -> float:
    """Seconds from the kill to the first reply of any writer to a write begun after it... measured as
    the time from the kill to the first accepted write that completed after it."""
    after = [when for w in writers for when, _ in w.accepted if when > kill_at]
    return (min(after) - kill_at) if after else float("inf")
