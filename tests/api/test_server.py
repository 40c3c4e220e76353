"""Against a real server on a loopback port: Server-Sent Events (ids are seqs, Last-Event-ID resumes,
heartbeats), the Python client end to end, and the acceptance story through `deconfliction serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import uvicorn

from deconfliction.api import ApiSettings, create_app
from deconfliction.client import Client, RemoteDeconfliction
from deconfliction.errors import Forbidden, MissingKey, NotFound

from .conftest import SECRET_REFERENCE, volume_json

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadServer:
    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for open event streams to end
        self.thread.join(10)
        assert not self.thread.is_alive(), "server did not stop"


@pytest.fixture
def served(system, tokens):
    app = create_app(system, ApiSettings(sse_ping_s=0.3, sse_poll_s=0.05))
    with ThreadServer(app) as server:
        yield server


def read_sse(url: str, token: str, headers: dict, until, timeout_s: float = 10.0) -> list[dict]:
    """Raw SSE frames ({'id', 'event', 'data', 'comment'}) until `until(frames)` is true."""
    frames, frame = [], {}
    deadline = time.monotonic() + timeout_s
    with httpx.stream("GET", f"{url}/v1/events/stream", headers={"Authorization": f"Bearer {token}", **headers},
                      timeout=httpx.Timeout(5.0, read=2.0)) as reply:
        assert reply.status_code == 200, reply.read()
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if line == "":
                if frame:
                    frames.append(frame)
                    frame = {}
                    if until(frames):
                        return frames
            elif line.startswith(":"):
                frame["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(":")
                frame[name] = value.strip()
            assert time.monotonic() < deadline, f"timed out; got {frames}"
    return frames


def events(frames):
    return [f for f in frames if "data" in f]


def test_sse_ids_are_seqs_and_last_event_id_resumes_exactly(served, system, tokens, vol):
    for i in range(3):
        system.file_notice("blue", "pact", [vol(lon=-40 + i, lat=-20)])
    mine = system.events("red", 0, 1000)
    assert len(mine) >= 3
    frames = read_sse(served.url, tokens["member"], {"Last-Event-ID": "0"}, lambda f: len(events(f)) >= len(mine))
    got = events(frames)
    assert [int(f["id"]) for f in got] == [e.seq for e in mine]
    assert [json.loads(f["data"])["seq"] for f in got] == [e.seq for e in mine]
    assert [f["event"] for f in got] == [e.kind for e in mine]
    # Reconnect after the second: exactly the rest, then new ones as they come.
    resumed_from = got[1]["id"]
    threading.Timer(0.3, lambda: system.file_notice("blue", "pact", [vol(lon=-30, lat=-20)])).start()
    again = events(read_sse(served.url, tokens["member"], {"Last-Event-ID": resumed_from}, lambda f: len(events(f)) >= len(mine) - 2 + 1))
    assert [int(f["id"]) for f in again] == [e.seq for e in system.events("red", int(resumed_from), 1000)]


def test_sse_without_a_cursor_starts_from_now_and_wakes_on_a_write(served, system, tokens, vol, clock):
    system.file_notice("blue", "pact", [vol(lon=-40, lat=-20)])  # before: not replayed
    before = system.last_event_seq()

    def file_over_http():
        time.sleep(0.3)
        httpx.post(f"{served.url}/v1/notices", json={"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=-35, lat=-20)]},
                   headers={"Authorization": f"Bearer {tokens['owner']}"})

    threading.Thread(target=file_over_http).start()
    got = events(read_sse(served.url, tokens["member"], {}, lambda f: len(events(f)) >= 1))
    assert all(int(f["id"]) > before for f in got) and got[0]["event"] == "notice.filed"


def test_idle_streams_get_heartbeats(served, tokens):
    frames = read_sse(served.url, tokens["member"], {}, lambda f: sum(1 for x in f if x.get("comment", "").startswith("ping")) >= 2)
    assert not events(frames)


def test_sse_refuses_a_bad_last_event_id(served, tokens):
    reply = httpx.get(f"{served.url}/v1/events/stream", headers={"Authorization": f"Bearer {tokens['member']}", "Last-Event-ID": "abc"})
    assert reply.status_code == 400 and reply.json()["field"] == "Last-Event-ID"


def test_the_client_stream_resumes_after_the_server_drops_it(system, tokens, vol):
    app = create_app(system, ApiSettings(sse_ping_s=0.3, sse_poll_s=0.05))
    first = system.file_notice("blue", "pact", [vol(lon=-40, lat=-20)])
    received = []
    with ThreadServer(app) as server:
        server_port = server.port
        client = Client(server.url, tokens["member"])
        stream = client.stream_events(after=0, read_timeout_s=1.0)
        received.append(next(stream))
    # The server is gone; a new one on the same port over the same store; the iterator reconnects.
    system.file_notice("blue", "pact", [vol(lon=-30, lat=-20)])
    with ThreadServer(app, port=server_port):
        while len(received) < len(system.events("red", 0, 1000)):
            received.append(next(stream))
    assert [e.seq for e in received] == [e.seq for e in system.events("red", 0, 1000)]
    assert received[0].payload["notice"]["id"] == first.notice.id
    client.close()


def test_remote_facade_mirrors_the_library(served, system, tokens, vol):
    remote = RemoteDeconfliction(served.url, tokens["member"])
    local_blue = system.file_notice("blue", "pact", [vol(lon=-40, lat=-20)])
    with pytest.raises(MissingKey) as refused:
        remote.file_notice("red", "pact", [vol(lon=-40, lat=-20)])
    assert refused.value.field == "key" and refused.value.details["missing"][0]["id"] == local_blue.notice.id
    filing = remote.file_notice("red", "pact", [vol(lon=-40, lat=-20)], key=[local_blue.notice.version])
    assert filing.conflicts and filing.notice.party_id == "red"
    assert [f.notice.id for f in remote.check("red", "pact", [vol(lon=-40, lat=-20)])] == [local_blue.notice.id]
    seen = remote.notice("red", local_blue.notice.id)
    assert seen.private.reference is None and seen.seen_by("red") == local_blue.notice.minimised().model_dump(mode="json")
    conflict = remote.acknowledge_conflict("red", filing.conflicts[0].id)
    assert conflict.acknowledged_by("red") is not None
    assert remote.acknowledge_notice("red", local_blue.notice.id).state == "acknowledged"
    assert remote.events("red", 0, 1000)[-1].seq == system.events("red", 0, 1000)[-1].seq
    changed = remote.change_notice("red", filing.notice.id, state="active")
    assert changed.notice.state == "active"
    with pytest.raises(Forbidden):
        remote.file_notice("blue", "pact", [vol()])  # not the token's party: refused before any request
    with pytest.raises(NotFound):
        remote.notice("red", "no-such-notice")
    remote.close()


def _cli(database: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deconfliction.cli", "--db", str(database), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def test_acceptance_story_through_deconfliction_serve(tmp_path):
    database = tmp_path / "story.db"
    port = free_port()
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "deconfliction.cli", "serve", "--database", str(database), "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.1)
        assert "token issue --admin" in (tmp_path / "serve.log").read_text()  # first start says how to get in

        issued = _cli(database, "token", "issue", "--admin", "--json")
        assert issued.returncode == 0, issued.stderr
        admin = Client(url, json.loads(issued.stdout)["token"])
        admin.add_party({"id": "alpha", "name": "Alpha Air"})
        admin.add_party({"id": "bravo", "name": "Bravo Heli"})
        admin.add_agreement({"id": "valley", "name": "Valley", "parties": ["alpha", "bravo"], "min_lead_time": "10 min",
                             "separation": {"lateral": "1 NM", "vertical": "500 ft", "time_buffer": "5 min"}})
        a = Client(url, admin.issue_token("alpha")[1])
        b = Client(url, admin.issue_token("bravo")[1])

        now = datetime.now(timezone.utc)
        volume = volume_json(now, lon=7.0, lat=46.0, radius_m=1000, start_h=2)
        filed_a = a.file_notice("valley", [volume], private={"reference": SECRET_REFERENCE})

        stream = a.stream_events()  # from now on
        opened: list = []

        def listen():
            for event in stream:
                if event.kind == "conflict.opened":
                    opened.append(event)
                    return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)

        with pytest.raises(MissingKey) as refused:
            b.file_notice("valley", [volume])
        assert [n["id"] for n in refused.value.details["missing"]] == [filed_a.notice.id]
        assert SECRET_REFERENCE not in json.dumps(refused.value.details)
        filed_b = b.file_notice("valley", [volume], key=[n["version"] for n in refused.value.details["missing"]])
        assert len(filed_b.conflicts) == 1

        listener.join(10)
        assert opened, "A did not hear conflict.opened on its stream"
        conflict_id = opened[0].payload.get("conflict", {}).get("id") or filed_b.conflicts[0].id
        acknowledged = a.acknowledge_conflict(conflict_id)
        assert acknowledged.acknowledged_by("alpha") is not None
        verdict = admin.verify_audit()
        assert verdict.ok and verdict.entries > 5
        for c in (admin, a, b):
            c.close()
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
