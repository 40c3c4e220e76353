"""Hostile input (issue 15, items 4 and 5): one rule for every body, HTTP or WebSocket — not UTF-8,
nested past any real document, duplicate keys, booleans or strings where numbers go — a 400 (a close
with a reason on the WebSocket) naming the field, no traceback, nothing stored; cursors that are not
sequence numbers are refused, not read as 0.
"""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from deconfliction.api import create_app
from deconfliction.workers.tactical import TacticalService

from factories import snapshot

from .conftest import bearer, volume_json

DEEP = b"[" * 5000 + b"]" * 5000


def problem(reply, status=400):
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    return reply.json()


@pytest.fixture
def before(db_path, world, tokens):
    return snapshot(db_path)


def test_deeply_nested_json_is_a_400_naming_the_body_and_logs_no_traceback(http, tokens, world, db_path, before, caplog):
    with caplog.at_level(logging.ERROR):
        reply = http.post("/v1/notices", content=DEEP, headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert problem(reply)["field"] == "body"
    assert "nested" in reply.json()["detail"]
    assert not [r for r in caplog.records if r.exc_info]
    assert snapshot(db_path) == before


def test_nesting_just_past_the_limit_is_refused_and_a_real_document_is_not(http, tokens, world, clock):
    body = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=10, lat=10)], "private": {"remarks": "x"}}
    nested: object = "x"
    for _ in range(70):
        nested = [nested]
    reply = http.post("/v1/notices", json={**body, "key": nested}, headers=bearer(tokens["owner"]))
    assert problem(reply)["field"] == "body"
    assert http.post("/v1/notices", json=body, headers=bearer(tokens["owner"])).status_code == 201


def test_a_body_that_is_not_utf8_is_a_400_naming_the_body(http, tokens, world, db_path, before):
    reply = http.post("/v1/notices", content=b'{"agreement_id": "p\xffact"}', headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert problem(reply)["field"] == "body"
    assert snapshot(db_path) == before


def test_duplicate_keys_are_refused_naming_the_key(http, tokens, world, clock, db_path, before):
    volume = json.dumps(volume_json(clock.now, lon=10, lat=10))
    text = '{"agreement_id": "pact", "agreement_id": "other", "volumes": [%s]}' % volume
    reply = http.post("/v1/notices", content=text.encode(), headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    found = problem(reply)
    assert found["field"] == "agreement_id" and "duplicate" in found["detail"]
    inner = volume.replace('"radius_m": 500.0', '"radius_m": 500.0, "radius_m": 5')
    assert inner != volume
    reply = http.post("/v1/notices", content=('{"agreement_id": "pact", "volumes": [%s]}' % inner).encode(),
                      headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert problem(reply)["field"] == "radius_m"
    assert snapshot(db_path) == before


@pytest.mark.parametrize("radius", [True, "1000", None, [1000]])
def test_a_radius_that_is_not_a_number_is_refused_not_coerced(http, tokens, world, clock, db_path, before, radius):
    volume = volume_json(clock.now, lon=10, lat=10)
    volume["footprint"]["radius_m"] = radius
    reply = http.post("/v1/notices", json={"agreement_id": "pact", "volumes": [volume]}, headers=bearer(tokens["owner"]))
    assert problem(reply)["field"] == "volumes.0.footprint.radius_m"
    assert snapshot(db_path) == before


@pytest.mark.parametrize("field, value", [("lower_m", True), ("upper_m", "300"), ("lower_m", False)])
def test_altitudes_that_are_not_numbers_are_refused(http, tokens, world, clock, field, value):
    volume = volume_json(clock.now, lon=10, lat=10)
    volume["altitude"][field] = value
    reply = http.post("/v1/check", json={"agreement_id": "pact", "volumes": [volume]}, headers=bearer(tokens["owner"]))
    assert problem(reply)["field"] == f"volumes.0.altitude.{field}"


@pytest.mark.parametrize("body, field", [
    ({"agreement_id": "pact", "kind": "info", "text": "x", "to": "blue"}, "to"),  # a string is not a list
    ({"agreement_id": 7, "kind": "info", "text": "x"}, "agreement_id"),
])
def test_wire_models_are_strict(http, tokens, world, body, field):
    reply = http.post("/v1/hotline/messages", json=body, headers=bearer(tokens["member"]))
    assert problem(reply)["field"] == field


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "99999999999999999999999"])
@pytest.mark.parametrize("path", ["/v1/hotline/inbox", "/v1/hotline/sent"])
def test_a_hotline_cursor_that_is_not_a_position_is_a_400_naming_after(http, tokens, world, path, after):
    reply = http.get(path, params={"after": after}, headers=bearer(tokens["owner"]))
    assert problem(reply)["field"] == "after"


def test_a_hotline_cursor_from_a_previous_page_still_works(http, tokens, world):
    for i in range(3):
        http.post("/v1/hotline/messages", json={"agreement_id": "pact", "kind": "info", "text": f"m{i}", "to": ["blue"]},
                  headers=bearer(tokens["member"]))
    first = http.get("/v1/hotline/inbox", params={"limit": 2}, headers=bearer(tokens["owner"])).json()
    second = http.get("/v1/hotline/inbox", params={"limit": 2, "after": first["next"]}, headers=bearer(tokens["owner"])).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2  # 4 messages to blue: the world's and these 3


@pytest.mark.parametrize("value", ["-5", "abc", "1e3", "99999999999999999999999"])
def test_a_last_event_id_that_is_not_a_seq_is_a_400_like_after(http, tokens, world, value):
    reply = http.get("/v1/events/stream", headers={**bearer(tokens["owner"]), "Last-Event-ID": value})
    assert problem(reply)["field"] == "Last-Event-ID"
    assert problem(http.get("/v1/events/stream", params={"after": "-1"}, headers=bearer(tokens["owner"])))["field"] == "after"


# The tracks WebSocket --------------------------------------------------------------------------------
@pytest.fixture
def tracks_http(system, settings):
    app = create_app(system, settings)
    app.state.tactical = TacticalService(system)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("payload", [DEEP.decode(), '{"aircraft": "a", "aircraft": "b"}'])
def test_a_hostile_text_message_on_the_tracks_stream_is_answered_and_closed_with_a_reason(tracks_http, tokens, payload, caplog):
    with caplog.at_level(logging.ERROR):
        with tracks_http.websocket_connect("/v1/tracks/stream", headers=bearer(tokens["owner"])) as ws:
            ws.send_text(payload)
            answer = ws.receive_json()
            assert answer["message"] == 1 and answer["error"]["code"] == "invalid_input" and answer["error"]["field"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
    assert closed.value.code == 1007 and closed.value.reason
    assert not [r for r in caplog.records if r.exc_info]


def test_invalid_utf8_bytes_on_the_tracks_stream_are_refused_not_replaced(tracks_http, tokens):
    with tracks_http.websocket_connect("/v1/tracks/stream", headers=bearer(tokens["owner"])) as ws:
        ws.send_bytes(b'{"aircraft": "\xff"}')
        answer = ws.receive_json()
        assert answer["error"]["field"] == "message"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1007


@pytest.mark.parametrize("limit", [True, "5", 5.0])
def test_a_search_limit_that_is_not_an_integer_is_refused(http, tokens, world, clock, limit):
    reply = http.post("/v1/notices/search", json={"area": volume_json(clock.now), "limit": limit}, headers=bearer(tokens["owner"]))
    assert problem(reply)["field"] == "limit"



@pytest.mark.parametrize("field, value", [("lateral_m", True), ("vertical_m", "150"), ("time_buffer_s", False)])
def test_an_agreement_number_that_is_not_a_number_is_refused(http, tokens, field, value):
    separation = {"lateral_m": 1000, "vertical_m": 150, "time_buffer_s": 60, field: value}
    body = {"id": "p2", "name": "P2", "parties": ["blue"], "separation": separation}
    reply = http.post("/v1/agreements", json=body, headers=bearer(tokens["admin"]))
    assert problem(reply)["field"] == f"agreement.separation.{field}"
    assert http.get("/v1/agreements/p2", headers=bearer(tokens["admin"])).status_code == 404
