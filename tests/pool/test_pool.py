"""Three `serve` instances over one replicated PostgreSQL act as one system: a write through any is
visible at once through the others, each party's events reach it once and in order whichever
instance it listens on, and the leader-only work (here: webhook deliveries) runs on exactly one
instance, which another replaces when it is killed."""

from __future__ import annotations

import json

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psycopg
import pytest

from deconfliction import connect
from deconfliction.client import Client
from deconfliction.workers.webhooks import EVENT_ID_HEADER
from deconfliction.workers.leadership import LEADER_LOCK

from .conftest import start_instances
from .workload import Listener, feed, set_up, start, volume


def leaders(url: str) -> list[str]:
    """Who holds the leader's advisory lock, as PostgreSQL sees it (the holder's application_name)."""
    with psycopg.connect(url, autocommit=True) as db:
        rows = db.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            (LEADER_LOCK,),
        ).fetchall()
    return [r[0].removeprefix("deconfliction-leader ") for r in rows]


class CountingHooks:
    """A webhook receiver that counts every delivery of every event id (no de-duplication)."""

    def __init__(self):
        self.counts: Counter[int] = Counter()  # event seq → deliveries
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.counts[int(self.headers[EVENT_ID_HEADER].split("-")[0])] += 1  # "<seq>-<endpoint>"
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_for(condition, timeout_s: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout_s} s")


@pytest.mark.xdist_group("cluster")  # one replicated cluster per session, not one per xdist worker
def test_three_instances_act_as_one_system_with_one_leader_that_is_replaced_when_killed(cluster, pool_url, tmp_path):
    tokens = set_up(pool_url)
    instances = start_instances(pool_url, 3, tmp_path)
    urls = [s.url for s in instances]
    hooks = CountingHooks()
    try:
        first = wait_for(lambda: leaders(pool_url), what="a leader")
        assert len(first) == 1 and first[0] in urls
        listeners = [Listener("red", tokens["red"], url) for url in urls]
        for listener in listeners:
            start(listener)
        with Client(urls[2], tokens["red"]) as red:
            red.add_endpoint(hooks.url)
        blue = [Client(url, tokens["blue"]) for url in urls]
        reds = [httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['red']}"}) for url in urls]
        filed = []
        for n in range(6):
            through = n % 3
            notice = blue[through].file_notice("pool", [volume(0, n)]).notice
            filed.append(notice.id)
            for other in (through + 1) % 3, (through + 2) % 3:  # at once, through the other instances
                response = reds[other].get(f"/v1/notices/{notice.id}")
                assert response.status_code == 200, response.text
                assert response.json()["version"] == notice.version

        system = connect(pool_url)
        try:
            truth = feed(system, "red")
            assert len(truth) >= len(filed)
            for listener in listeners:  # the same feed, once, in order, on every instance
                wait_for(lambda: listener.seqs == truth, what=f"red's stream on {listener.instance}")
            wait_for(lambda: set(hooks.counts) >= set(truth), what="webhook deliveries")
            time.sleep(2.0)  # time for a second deliverer, if there were one, to deliver again
            assert [k for k, c in hooks.counts.items() if c != 1] == [], "an event was delivered more than once"

            # Tracks sent to the two other instances reach the one monitor (on the leader); its alert
            # reaches both parties, and the alerts are listed through any instance.
            others = [u for u in urls if u != first[0]]
            now = time.time()
            for party, url, lon, track in (("blue", others[0], -60.0, 90.0), ("red", others[1], -59.95, 270.0)):
                reply = httpx.post(f"{url}/v1/tracks", headers={"Authorization": f"Bearer {tokens[party]}"}, json={"reports": [
                    dict(aircraft=f"{party}1", time=now, lat=30.0, lon=lon, altitude_m=3000.0, datum="AMSL",
                         ground_speed_ms=100.0, track_deg=track, vertical_rate_ms=0.0)]})
                assert reply.status_code == 200 and reply.json()["accepted"] == 1, reply.text
            for party in ("blue", "red"):
                wait_for(lambda: [e for e in system.events(party, limit=1000) if e.kind.startswith("alert.")], what=f"{party}'s alert event")
            listed = httpx.get(f"{others[1]}/v1/alerts", headers={"Authorization": f"Bearer {tokens['blue']}"})
            assert listed.status_code == 200 and [i["alert"]["kind"] for i in listed.json()["items"]] == ["separation.predicted"]
            # The track stream (a WebSocket) works on any instance too: each message reaches the one monitor.
            from websockets.sync.client import connect as ws_connect

            ws_url = others[0].replace("http://", "ws://") + "/v1/tracks/stream"
            with ws_connect(ws_url, additional_headers={"Authorization": f"Bearer {tokens['blue']}"}) as stream:
                stream.send(json.dumps([dict(aircraft="blue-stream", time=time.time(), lat=35.0, lon=-50.0, altitude_m=900.0,
                                             datum="AMSL", ground_speed_ms=50.0, track_deg=0.0, vertical_rate_ms=0.0)]))
                answer = json.loads(stream.recv(timeout=10))
            assert answer["message"] == 1 and answer["accepted"] == 1, answer
            seen = httpx.get(f"{first[0]}/v1/tracks", headers={"Authorization": f"Bearer {tokens['blue']}"}).json()["items"]
            assert "blue-stream" in [a["aircraft"] for a in seen]  # on the leader's monitor, not the instance's idle one
            truth = feed(system, "red")

            # Kill the leader: another instance takes over, and delivers what is written next.
            leader = next(s for s in instances if s.url == first[0])
            leader.kill()
            survivors = [s.url for s in instances if s is not leader]
            second = wait_for(lambda: [u for u in leaders(pool_url) if u in survivors], timeout_s=15, what="a new leader")
            assert len(second) == 1
            with Client(survivors[0], tokens["blue"]) as client:
                late = client.file_notice("pool", [volume(0, 50)]).notice
            assert late.id
            after = [s for s in feed(system, "red") if s not in truth]
            assert after
            wait_for(lambda: set(hooks.counts) >= set(after), what="deliveries by the new leader")
        finally:
            system.close()
        for client in blue + reds:
            client.close()
    finally:
        hooks.server.shutdown()
        for server in instances:
            server.kill()
