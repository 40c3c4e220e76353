"""Small disclosures (issue 15, item 7): /docs from package files under the console's CSP; the public
health check without the global event count; an observer's audit verdict that does not move with
other agreements; an observer sees no aircraft flying another agreement's notice; no party token with
the admin scope; ?token= never in the server's logs."""

from __future__ import annotations

import json
import logging
import re
import threading
import time

import pytest

from deconfliction.errors import InvalidInput
from deconfliction.web import CSP

from .conftest import bearer, volume_json
from .test_tracks import app, tactical  # noqa: F401 - the same app, with a tactical monitor


def test_the_api_docs_load_only_from_this_origin_under_the_consoles_csp(http):
    page = http.get("/docs")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for source in sources:
        asset = http.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-security-policy"] == CSP
    assert "<script>" not in page.text  # the CSP forbids inline scripts: the start script is a file
    assert '"/openapi.json"' in http.get("/docs/start.js").text


def test_the_public_health_check_does_not_show_the_global_event_count(http, tokens, world):
    public = http.get("/v1/health").json()
    assert public["status"] == "ok" and "last_event_seq" not in public
    assert "last_event_seq" not in http.get("/v1/health", headers=bearer("dcf_not-a-token")).json()
    signed_in = http.get("/v1/health", headers=bearer(tokens["member"])).json()
    assert signed_in["last_event_seq"] >= 1  # where a party's live feed starts (the console follows from it)


def test_an_observers_audit_verdict_does_not_move_with_other_agreements(http, tokens, world, system, vol):
    before = http.get("/v1/audit/verify", headers=bearer(tokens["observer"])).json()
    system.file_notice("blue", "other", [vol(lon=40)])  # green is not in 'other'
    after = http.get("/v1/audit/verify", headers=bearer(tokens["observer"])).json()
    assert before == after and after["ok"] is True and after["entries"] is None
    operator = http.get("/v1/audit/verify", headers=bearer(tokens["admin"])).json()
    assert operator["entries"] >= 1


def test_a_party_token_with_the_admin_scope_is_refused_at_issue(http, tokens, system):
    reply = http.post("/v1/tokens", json={"party_id": "green", "scopes": ["notices:read", "admin"]}, headers=bearer(tokens["admin"]))
    assert reply.status_code == 400 and reply.json()["field"] == "scopes"
    with pytest.raises(InvalidInput):
        system.issue_token("green", ["admin"])


def report(t: float, aircraft: str, lon: float, **extra) -> dict:
    return {"aircraft": aircraft, "time": t, "lon": lon, "lat": 48.85, "altitude_m": 1000.0, "datum": "AMSL",
            "ground_speed_ms": 100.0, "track_deg": 90.0, "vertical_rate_ms": 0.0, **extra}


def test_an_observer_does_not_see_an_aircraft_flying_another_agreements_notice(http, tokens, tactical, system, clock, vol):
    elsewhere = system.file_notice("blue", "other", [vol(lon=2.30)])  # green observes pact, not 'other'
    t = clock.now.timestamp()
    result = tactical.ingest("blue", [report(t, "b1", 2.30, callsign="SECRET1", notice_id=elsewhere.notice.id), report(t, "b2", 2.31)])
    assert result.accepted == 2, result
    seen = http.get("/v1/tracks", headers=bearer(tokens["observer"])).json()["items"]
    assert [(a["party"], a["aircraft"]) for a in seen] == [("blue", "b2")]
    assert "SECRET1" not in json.dumps(seen)
    mine = http.get("/v1/tracks", headers=bearer(tokens["owner"])).json()["items"]
    assert [a["callsign"] for a in mine] == ["SECRET1", None]  # its own party still sees it


def test_a_websocket_token_in_the_query_never_reaches_the_logs(app, tokens):  # noqa: F811
    import httpx
    import uvicorn
    from websockets.sync.client import connect

    from serverproc import free_port

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record):
            self.lines.append(self.format(record))

    port = free_port()
    # uvicorn's own logging set-up, as `serve` runs it; then a handler of ours beside its own.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", lifespan="off"))
    collect = Collect()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(collect)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with connect(f"ws://127.0.0.1:{port}/v1/tracks/stream?token={tokens['member']}") as ws:
            ws.send(json.dumps([]))
            ws.recv(timeout=10)
        httpx.get(f"http://127.0.0.1:{port}/v1/health?token={tokens['member']}")
    finally:
        server.should_exit = True
        thread.join(10)
        for logger in loggers:
            logger.removeHandler(collect)
    logged = "\n".join(collect.lines)
    assert "/v1/tracks/stream" in logged and "/v1/health" in logged  # the lines are there…
    assert tokens["member"] not in logged  # …without the token
    assert "token=[redacted]" in logged
