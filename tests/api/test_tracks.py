"""Tracks over HTTP and WebSocket, alerts in the parties' feeds and in GET /v1/alerts.

Agreements (tests/conftest.py): pact = blue, red, green; other = blue, yellow. Tokens: owner (blue),
member (red), observer (green, observer scope), reader (red, notices:read only), nonmember (yellow),
admin, and RS256 JWTs for blue. The app carries a TacticalService whose cycles the tests run by hand
(`tactical.step`), except the last test, which runs the real `deconfliction serve`. Self-contained:
only the core fixtures of tests/conftest.py are used."""

from __future__ import annotations

import json
import threading
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from deconfliction.api import ApiSettings, create_app
from deconfliction.workers.tactical import TacticalService

AUDIENCE = "deconfliction-tracks-test"


@pytest.fixture(scope="module")
def issuer_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def settings(tmp_path, issuer_key) -> ApiSettings:
    path = tmp_path / "issuer.pem"
    path.write_bytes(issuer_key[1])
    return ApiSettings(jwt_public_key_file=path, jwt_audience=AUDIENCE)


@pytest.fixture
def tactical(system) -> TacticalService:
    return TacticalService(system)


@pytest.fixture
def app(system, settings, tactical):
    app = create_app(system, settings)
    app.state.tactical = tactical
    return app


@pytest.fixture
def http(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tokens(system, issuer_key) -> dict[str, str | None]:
    def signed(scope: str | None) -> str:
        claims = {"aud": AUDIENCE, "sub": "blue", "exp": int(time.time() + 600)}
        if scope is not None:
            claims["scope"] = scope
        return jwt.encode(claims, issuer_key[0], algorithm="RS256")

    credential, revoked = system.issue_token("blue")
    system.revoke_token(credential.id)
    return {
        "admin": system.issue_token(None, ["admin"])[1],
        "owner": system.issue_token("blue")[1],
        "member": system.issue_token("red")[1],
        "nonmember": system.issue_token("yellow")[1],
        "observer": system.issue_token("green", ["observer"])[1],
        "reader": system.issue_token("red", ["notices:read"])[1],
        "none": None,
        "garbage": "dcf_not-a-token",
        "revoked": revoked,
        "jwt_owner": signed("notices:read notices:write"),
        "jwt_noscope": signed(None),
    }


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def report(t: float, aircraft: str, lon: float, track_deg: float, lat: float = 48.85, **extra) -> dict:
    return dict(aircraft=aircraft, time=t, lat=lat, lon=lon, altitude_m=3000.0, datum="AMSL", ground_speed_ms=100.0,
                track_deg=track_deg, vertical_rate_ms=0.0, **extra)


def post(http, token, reports) -> httpx.Response:
    return http.post("/v1/tracks", json={"reports": reports}, headers=bearer(token))


def alert_events(http, token) -> list[dict]:
    reply = http.get("/v1/events", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["items"] if e["kind"].startswith("alert.")]


def test_two_parties_posting_converging_tracks_both_get_the_alert_event_naming_the_channel(http, tokens, tactical, clock):
    t = clock.now.timestamp()
    assert post(http, tokens["owner"], [report(t, "b1", 2.30, 90.0)]).json()["accepted"] == 1
    assert post(http, tokens["member"], [report(t, "r1", 2.40, 270.0)]).json()["accepted"] == 1
    assert alert_events(http, tokens["owner"]) == [], "nothing before a cycle"
    tactical.step(t)
    for role in ("owner", "member"):
        (event,) = alert_events(http, tokens[role])
        assert event["kind"] == "alert.separation.predicted"
        assert event["payload"]["alert"]["status"] == "opened"
        assert event["payload"]["channel"]["name"] == "paris"
        assert {a["party"] for a in event["payload"]["alert"]["aircraft"]} == {"blue", "red"}
    assert alert_events(http, tokens["observer"]) == [], "the observer is not told (it reads GET /v1/alerts)"


def test_open_alerts_are_listed_for_the_parties_involved_and_observers_of_the_agreement(http, tokens, tactical, clock):
    t = clock.now.timestamp()
    post(http, tokens["owner"], [report(t, "b1", 2.30, 90.0)])
    post(http, tokens["member"], [report(t, "r1", 2.40, 270.0)])
    tactical.step(t)

    def listed(role):
        reply = http.get("/v1/alerts", headers=bearer(tokens[role]))
        assert reply.status_code == 200, reply.text
        return [(i["agreement_id"], i["alert"]["kind"]) for i in reply.json()["items"]]

    assert listed("owner") == [("pact", "separation.predicted")]
    assert listed("reader") == [("pact", "separation.predicted")]
    assert listed("observer") == [("pact", "separation.predicted")]  # green observes pact
    assert listed("nonmember") == []  # yellow is not in pact
    assert listed("admin") == [("pact", "separation.predicted")]
    tactical.step(t + 61)  # tracks lost: the alert closes
    assert listed("owner") == []


def test_a_batch_with_bad_reports_is_answered_with_counts_and_reasons_not_refused(http, tokens, clock):
    t = clock.now.timestamp()
    good = report(t, "b1", 2.30, 90.0)
    reply = post(http, tokens["owner"], [good, good, dict(good, time=t - 1), dict(good, aircraft="b2", lat="north"),
                                         dict(good, aircraft="b3", party="red"), 42])
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {k: body[k] for k in ("accepted", "duplicates", "out_of_order", "malformed", "refused")} == {
        "accepted": 1, "duplicates": 1, "out_of_order": 1, "malformed": 2, "refused": 1}
    reasons = {p["index"]: p["reason"] for p in body["problems"]}
    assert sorted(reasons) == [3, 4, 5]
    assert "lat" in reasons[3] and "party" in reasons[4] and "expected an object" in reasons[5]


@pytest.mark.parametrize(
    "content, field",
    [
        (b"{not json", "body"),
        (b'{"reports": 5}', "reports"),
        (b'{"reports": [], "extra": 1}', "extra"),
        (b"[]", "body"),
        (b"", "body"),
    ],
    ids=["not-json", "reports-not-a-list", "unknown-field", "bare-list", "empty"],
)
def test_a_malformed_request_body_is_a_400_problem_naming_the_field(http, tokens, content, field):
    reply = http.post("/v1/tracks", content=content, headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["field"] == field


def test_more_than_ten_thousand_reports_in_one_batch_is_a_400_naming_reports(http, tokens):
    reply = post(http, tokens["owner"], [{}] * 10_001)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == "reports"
    assert post(http, tokens["owner"], [{}] * 10_000).json()["malformed"] == 10_000


def test_a_report_claiming_another_partys_notice_is_refused_with_a_reason(http, tokens, system, clock, vol):
    red = system.file_notice("red", "pact", [vol()]).notice
    t = clock.now.timestamp()
    reply = post(http, tokens["owner"], [report(t, "b1", 2.35, 90.0, notice_id=red.id)])
    body = reply.json()
    assert body["accepted"] == 0 and body["refused"] == 1
    assert body["problems"] == [{"index": 0, "reason": f"notice_id: no live notice {red.id!r} of yours"}]


def test_an_aircraft_straying_from_its_notice_makes_it_nonconforming_then_active_again(http, tokens, system, clock, vol, tactical):
    notice = system.file_notice("blue", "pact", [vol()]).notice
    clock.advance(hours=1, minutes=1)
    system.activate_notice("blue", notice.id)
    t = clock.now.timestamp()

    def fly(seconds, lon):
        sent = dict(aircraft="b1", time=t + seconds, lat=48.85, lon=lon, altitude_m=100.0, datum="W84", ground_speed_ms=0.0,
                    track_deg=0.0, notice_id=notice.id)
        assert post(http, tokens["owner"], [sent]).json()["accepted"] == 1
        tactical.step(t + seconds)
        return http.get(f"/v1/notices/{notice.id}", headers=bearer(tokens["member"])).json()["state"]

    assert fly(0, 2.45) == "active"
    assert fly(20, 2.45) == "active"
    assert fly(31, 2.45) == "nonconforming"
    assert [e["kind"] for e in alert_events(http, tokens["owner"])] == ["alert.conformance.lost"]
    assert fly(40, 2.35) == "active"
    assert [e["kind"] for e in alert_events(http, tokens["owner"])] == ["alert.conformance.lost", "alert.conformance.regained"]


# Authorization ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("none", 401), ("garbage", 401), ("revoked", 401), ("observer", 403), ("reader", 403),
                                          ("admin", 403), ("owner", 200), ("jwt_owner", 200), ("jwt_noscope", 403)])
def test_who_may_post_tracks(http, tokens, clock, role, status):
    reply = post(http, tokens[role], [report(clock.now.timestamp(), "x1", 2.3, 90.0)])
    assert reply.status_code == status, reply.text


@pytest.mark.parametrize("role, status", [("none", 401), ("garbage", 401), ("observer", 200), ("reader", 200), ("admin", 200),
                                          ("jwt_noscope", 403)])
def test_who_may_read_alerts(http, tokens, role, status):
    assert http.get("/v1/alerts", headers=bearer(tokens[role])).status_code == status


def test_without_a_running_monitor_tracks_and_alerts_answer_503(system, settings, tokens, clock):
    with TestClient(create_app(system, settings), raise_server_exceptions=False) as plain:
        reply = post(plain, tokens["owner"], [report(clock.now.timestamp(), "b1", 2.3, 90.0)])
        assert reply.status_code == 503 and reply.json()["code"] == "unavailable"
        assert plain.get("/v1/alerts", headers=bearer(tokens["owner"])).status_code == 503


# WebSocket --------------------------------------------------------------------------------------------

def test_the_stream_answers_each_message_with_its_ingest_counts(http, tokens, tactical, clock):
    t = clock.now.timestamp()
    with http.websocket_connect("/v1/tracks/stream", headers=bearer(tokens["owner"])) as ws:
        ws.send_text(json.dumps(report(t, "b1", 2.30, 90.0)))
        first = ws.receive_json()
        assert (first["message"], first["accepted"]) == (1, 1)
        ws.send_text(json.dumps([report(t + 1, "b1", 2.301, 90.0), report(t, "b1", 2.30, 90.0), {"aircraft": "b2"}]))
        second = ws.receive_json()
        assert (second["message"], second["accepted"], second["out_of_order"], second["malformed"]) == (2, 1, 1, 1)
        ws.send_text("{oops")
        third = ws.receive_json()
        assert third["message"] == 3 and third["error"]["field"] == "message"
        ws.send_text(json.dumps(42))
        assert ws.receive_json()["error"]["code"] == "invalid_input"
        ws.send_text(json.dumps(report(t + 2, "b1", 2.302, 90.0)))
        assert ws.receive_json()["accepted"] == 1, "a bad message does not end the stream"
    with http.websocket_connect(f"/v1/tracks/stream?token={tokens['member']}") as ws:  # browsers: the token in the query
        ws.send_text(json.dumps(report(t + 2, "r1", 2.40, 270.0)))
        assert ws.receive_json()["accepted"] == 1
    cycle = tactical.step(t + 2)
    assert cycle.aircraft == 2 and cycle.conflicts == 1


@pytest.mark.parametrize("role, status", [("none", 401), ("garbage", 401), ("observer", 403), ("reader", 403), ("admin", 403)])
def test_the_stream_refuses_who_may_not_post(http, tokens, role, status):
    with pytest.raises(WebSocketDenialResponse) as refused:
        with http.websocket_connect("/v1/tracks/stream", headers=bearer(tokens[role])):
            pass
    assert refused.value.status_code == status
    assert refused.value.json()["code"] in ("unauthenticated", "forbidden")


def test_the_stream_over_a_real_server_on_a_loopback_port(app, tokens, tactical, clock):
    import uvicorn
    from websockets.sync.client import connect

    from serverproc import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        t = clock.now.timestamp()
        with connect(f"ws://127.0.0.1:{port}/v1/tracks/stream", additional_headers=bearer(tokens["owner"])) as ws:
            ws.send(json.dumps([report(t, "b1", 2.30, 90.0), report(t, "b2", 2.20, 90.0)]))
            answer = json.loads(ws.recv(timeout=10))
            assert (answer["message"], answer["accepted"]) == (1, 2)
        with connect(f"ws://127.0.0.1:{port}/v1/tracks/stream?token={tokens['member']}") as ws:
            ws.send(json.dumps(report(t, "r1", 2.40, 270.0)))
            assert json.loads(ws.recv(timeout=10))["accepted"] == 1
        from websockets.exceptions import InvalidStatus

        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}/v1/tracks/stream", additional_headers=bearer(tokens["observer"]))
        assert refused.value.response.status_code == 403
        assert tactical.step(t).aircraft == 3
    finally:
        server.should_exit = True
        thread.join(10)


def test_serve_runs_the_monitor_every_second_and_delivers_alerts_to_both_parties(tmp_path):
    """The real `deconfliction serve`: tracks posted over HTTP, no hand-run cycle, alerts in both feeds."""
    from deconfliction import connect
    from factories import example_agreement
    from serverproc import Server

    database = tmp_path / "serve.db"
    system = connect(database)
    system.add_agreement(example_agreement())
    blue, red = system.issue_token("blue")[1], system.issue_token("red")[1]
    system.close()
    with Server(database, log=tmp_path / "serve.log") as server:
        t = time.time()
        for token, sent in ((blue, report(t, "b1", 2.30, 90.0)), (red, report(t, "r1", 2.40, 270.0))):
            assert httpx.post(f"{server.url}/v1/tracks", json={"reports": [sent]}, headers=bearer(token)).json()["accepted"] == 1
        deadline, seen = time.monotonic() + 15, {}
        while time.monotonic() < deadline and len(seen) < 2:
            for name, token in (("blue", blue), ("red", red)):
                items = httpx.get(f"{server.url}/v1/events", headers=bearer(token)).json()["items"]
                alerts = [e for e in items if e["kind"].startswith("alert.")]
                if alerts:
                    seen[name] = alerts[0]
            time.sleep(0.2)
        assert set(seen) == {"blue", "red"}, (tmp_path / "serve.log").read_text()[-2000:]
        assert seen["blue"]["payload"]["alert"]["id"] == seen["red"]["payload"]["alert"]["id"]
        assert seen["red"]["payload"]["channel"]["name"] == "paris"
        listed = httpx.get(f"{server.url}/v1/alerts", headers=bearer(blue)).json()["items"]
        assert [i["alert"]["kind"] for i in listed] == ["separation.predicted"]
