"""A `POST /v1/check` whose client has gone stops its work (issue 10: one kept a worker busy for 125 s
after the client had left). Driven at the ASGI level, so the disconnect is real to the app: the
client's `receive` answers http.disconnect once the check is under way."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from deconfliction.geometry import separation

from .conftest import volume_json

NOTICES = 40


def test_a_check_whose_client_has_gone_stops(app, system, clock, vol, tokens, monkeypatch):
    for k in range(NOTICES):  # red's notices, all conflicting with the checked volume
        system.file_notice("red", "pact", [vol(lon=2.35 + k * 1e-4)])
    calls, first = [], threading.Event()
    exact = separation.lateral_distance

    def slow(a, b, limit_m=None):  # each exact check takes 50 ms, counted
        calls.append(1)
        first.set()
        time.sleep(0.05)
        return exact(a, b, limit_m=limit_m)

    monkeypatch.setattr(separation, "lateral_distance", slow)
    body = json.dumps({"agreement_id": "pact", "volumes": [volume_json(clock.now)]}).encode()
    sent = []

    async def receive():
        if not sent:
            sent.append(True)
            return {"type": "http.request", "body": body, "more_body": False}
        while not first.is_set():  # the client stays until the check is under way, then leaves
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message):
        pass

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/check", "raw_path": b"/v1/check", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {tokens['owner']}".encode()), (b"host", b"test")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    stopped_at = len(calls)
    time.sleep(0.3)  # a search that had not stopped would go on counting meanwhile
    assert len(calls) == stopped_at
    assert stopped_at < NOTICES // 2, f"{stopped_at} of {NOTICES} exact checks ran for a client that had gone"
