"""`deconfliction serve` stops within 5 s of SIGTERM while a long check is in flight (issue 10: it
ignored SIGTERM for two minutes). A real server process; its exact checks are slowed down on purpose
(200 ms each, by a sitecustomize on the server's PYTHONPATH only), so the check would run ~12 s."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx

from deconfliction import connect

from factories import circle_volume, example_agreement
from serverproc import Server

SLOW_GEOMETRY = """
import pathlib, time
from deconfliction.geometry import separation
_exact = separation.lateral_distance
def _slow(a, b, limit_m=None):
    pathlib.Path(__file__).with_name("started").touch()
    time.sleep(0.2)
    return _exact(a, b, limit_m=limit_m)
separation.lateral_distance = _slow
"""
NOTICES = 60


def test_serve_stops_within_5_s_of_sigterm_with_a_long_check_in_flight(tmp_path, monkeypatch):
    now = datetime.now(timezone.utc)
    system = connect(tmp_path / "store.db")
    system.add_agreement(example_agreement(min_lead_time_s=0.0))
    for k in range(NOTICES):
        system.file_notice("red", "pact", [circle_volume(now, lon=2.35 + k * 1e-4)])
    _, token = system.issue_token("blue")
    system.close()
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_GEOMETRY)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    server = Server(tmp_path / "store.db").start()
    try:
        body = {"agreement_id": "pact", "volumes": [circle_volume(now).model_dump(mode="json")]}
        replies = []
        client = threading.Thread(target=lambda: replies.append(_post(server.url, body, token)), daemon=True)
        client.start()
        deadline = time.monotonic() + 20
        while not (hooks / "started").exists():
            assert time.monotonic() < deadline, "the check never started"
            time.sleep(0.05)
        signalled = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)
        took = time.monotonic() - signalled
        assert took < 5.0, f"serve took {took:.1f} s to stop after SIGTERM"
        client.join(timeout=10)
        assert replies and replies[0] in (503, "disconnected"), replies
    finally:
        server.kill()


def _post(url: str, body: dict, token: str):
    try:
        return httpx.post(f"{url}/v1/check", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code
    except httpx.HTTPError:
        return "disconnected"
