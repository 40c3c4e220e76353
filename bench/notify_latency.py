"""Notification latency: accepted write → the other party's event, over SSE and over the pull feed.

    .venv/bin/python bench/notify_latency.py                       # 100 writes/s for 10 s
    .venv/bin/python bench/notify_latency.py --rate 100 --seconds 30 --poll-interval 0.1

One party (`watcher`) listens on `GET /v1/events/stream`; another (`filer`, its own process) files
notices over the city of bench/city.py at a steady --rate. For each notice, latency = the moment the
watcher has parsed the `notice.filed` event for it − the moment the filer had its 2xx reply (both on
the machine's monotonic clock, which processes share). It can be slightly negative: the event may
be pushed before the reply reaches the filer. Target (DESIGN.md): p99 ≤ 100 ms at 100 writes/s.

Baseline, same rate and filings: the watcher polls `GET /v1/events?after=<last seq>` every
--poll-interval seconds instead. Loopback only; bounded by --seconds. No assertions.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import city  # noqa: E402
from deconfliction import connect  # noqa: E402
from serverproc import Server, serve_available  # noqa: E402


def notice_id_of(event: dict) -> str | None:
    payload = event.get("payload", event)
    notice = payload.get("notice") if isinstance(payload, dict) else None
    return notice.get("id") if isinstance(notice, dict) else None


def filer(url: str, token: str, rate: float, seconds: float, seed: int, start_at: float, out) -> None:
    """Files at a steady rate (open loop: a slow reply does not delay the schedule of the next).
    `late` counts writes sent after their slot because the sender itself was behind."""
    data = city.volumes(int(rate * seconds) + 1, seed, city.day_start())
    replies: dict[str, float] = {}
    late, errors = 0, 0
    lock = threading.Lock()

    def send(volume: dict) -> None:
        nonlocal errors
        reply = http.post("/v1/notices", json={"agreement_id": "city", "volumes": [volume], "key": []})
        now = time.monotonic()
        with lock:
            if reply.status_code < 300:
                body = reply.json()
                replies[body.get("notice", body)["id"]] = now
            else:
                errors += 1

    # A few threads, so that a slow reply does not hold back the next write (open loop).
    pool = ThreadPoolExecutor(max_workers=8)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0) as http:
        http.get("/v1/health")  # connected, imported, data ready: start the schedule now
        start_at = max(start_at, time.monotonic() + 0.1)
        first = start_at
        for k, volume in enumerate(data[: int(rate * seconds)]):
            due = start_at + k / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                late += 1
            pool.submit(send, volume)
        pool.shutdown(wait=True)
    out.put({"replies": replies, "late": late, "errors": errors, "seconds": time.monotonic() - first})


class SSEWatcher:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.received: dict[str, float] = {}
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.connections = 0

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        # Resume from a known seq even before the first event: a stream opened without one starts "from now".
        last_id = str(httpx.get(f"{self.url}/v1/health", timeout=10).json()["last_event_seq"])
        while not self.stop.is_set():
            if last_id:
                headers["Last-Event-ID"] = last_id
            try:
                with httpx.stream("GET", f"{self.url}/v1/events/stream", headers=headers, timeout=httpx.Timeout(10.0, read=30.0)) as reply:
                    reply.raise_for_status()
                    self.connections += 1
                    self.connected.set()
                    data: list[str] = []
                    for line in reply.iter_lines():
                        if self.stop.is_set():
                            return
                        if line.startswith("data:"):
                            data.append(line[5:].lstrip())
                        elif line.startswith("id:"):
                            last_id = line[3:].strip()
                        elif line == "" and data:
                            now = time.monotonic()
                            event = json.loads("\n".join(data))
                            data = []
                            notice_id = notice_id_of(event)
                            if notice_id and notice_id not in self.received:
                                self.received[notice_id] = now
            except httpx.HTTPError:
                time.sleep(0.01)  # dropped: reconnect with Last-Event-ID


class PollWatcher:
    def __init__(self, url: str, token: str, interval_s: float):
        self.url, self.token, self.interval_s = url, token, interval_s
        self.received: dict[str, float] = {}
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        after = 0
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10.0) as http:
            while not self.stop.is_set():
                began = time.monotonic()
                reply = http.get("/v1/events", params={"after": after, "limit": 1000})
                now = time.monotonic()
                self.connected.set()
                body = reply.json()
                for event in body.get("events", body.get("items", [])) if isinstance(body, dict) else body:
                    after = max(after, event["seq"])
                    notice_id = notice_id_of(event)
                    if notice_id and notice_id not in self.received:
                        self.received[notice_id] = now
                self.stop.wait(max(0.0, self.interval_s - (time.monotonic() - began)))


def measure(server: Server, tokens: dict[str, str], watcher, args, seed: int) -> dict:
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    watcher.connected.wait(10)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.monotonic() + 2.0  # the filer process needs a moment to import
    process = ctx.Process(target=filer, args=(server.url, tokens["filer"], args.rate, args.seconds, seed, start_at, out))
    process.start()
    result = out.get(timeout=args.seconds + 60)
    process.join(10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not set(result["replies"]) <= set(watcher.received):
        time.sleep(0.05)
    watcher.stop.set()
    thread.join(5)
    latencies = [watcher.received[n] - t for n, t in result["replies"].items() if n in watcher.received]
    return {"writes": len(result["replies"]), "seen": len(latencies), "latencies": latencies,
            "late": result["late"], "errors": result["errors"], "rate": len(result["replies"]) / result["seconds"],
            "connections": getattr(watcher, "connections", 1), "missing": sorted(set(result["replies"]) - set(watcher.received))}


def prepare(database: str) -> dict[str, str]:
    system = connect(database)
    try:
        system.add_agreement(city.agreement(["filer", "watcher"]))
        return {p: system.issue_token(p)[1] for p in ("filer", "watcher")}
    finally:
        system.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--poll-interval", type=float, default=0.1, help="baseline: seconds between polls")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--log")
    args = parser.parse_args()
    console = Console(width=max(140, Console().width))
    if not serve_available():
        console.print("[red]the HTTP API (deconfliction.api) is not installed: nothing to measure[/red]")
        sys.exit(1)
    table = Table(title=f"Accepted write → other party's event, {args.rate:.0f} writes/s for {args.seconds:.0f} s ({os.cpu_count()} cores)")
    for column in ("channel", "connections", "writes", "achieved writes/s", "events seen", "p50 ms", "p90 ms", "p99 ms", "max ms", "filer behind schedule"):
        table.add_column(column, justify="right")
    runs = [("SSE /v1/events/stream", lambda url, token: SSEWatcher(url, token)),
            (f"pull feed, poll every {args.poll_interval * 1000:.0f} ms", lambda url, token: PollWatcher(url, token, args.poll_interval))]
    for seed, (label, make) in enumerate(runs, start=1):
        with tempfile.TemporaryDirectory() as folder:
            database = os.path.join(folder, "notify.db")
            tokens = prepare(database)
            with Server(database, workers=args.workers, log=Path(args.log) if args.log else None) as server:
                console.print(f"{label} …", style="dim")
                r = measure(server, tokens, make(server.url, tokens["watcher"]), args, seed)
        ms = lambda q: f"{city.percentile(r['latencies'], q) * 1000:,.1f}"  # noqa: E731
        if r["missing"]:
            console.print(f"[yellow]{label}: {len(r['missing'])} notices never seen, e.g. {r['missing'][:3]}[/yellow]")
        table.add_row(label, str(r["connections"]), f"{r['writes']:,}", f"{r['rate']:.0f}", f"{r['seen']:,}", ms(50), ms(90), ms(99),
                      f"{max(r['latencies']) * 1000:,.1f}" if r["latencies"] else "—", f"{r['late']:,}")
    console.print(table)


if __name__ == "__main__":
    main()
