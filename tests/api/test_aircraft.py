"""GET /v1/tracks: the last reported state of the caller's own aircraft (what the web console draws);
an observer sees its agreements' aircraft, the operator all; other parties' aircraft reach a party
only inside the alerts that involve it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconfliction.api import create_app

from .conftest import bearer
from .test_tracks import app, tactical  # noqa: F401 - the same app, with a tactical monitor


def report(t: float, aircraft: str, lon: float, **extra) -> dict:
    return {"aircraft": aircraft, "time": t, "lon": lon, "lat": 48.85, "altitude_m": 1000.0, "datum": "AMSL",
            "ground_speed_ms": 100.0, "track_deg": 90.0, "vertical_rate_ms": 0.0, **extra}


@pytest.fixture
def flying(tactical, clock):
    t = clock.now.timestamp()
    tactical.ingest("blue", [report(t, "b1", 2.30, callsign="BLUE1"), report(t, "b2", 2.31)])
    tactical.ingest("red", [report(t, "r1", 2.50, callsign="RED1")])
    tactical.ingest("yellow", [report(t, "y1", 2.60)])  # yellow is in 'other' (with blue), not in 'pact'


def seen(http, token) -> list[tuple[str, str]]:
    reply = http.get("/v1/tracks", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return [(a["party"], a["aircraft"]) for a in reply.json()["items"]]


def test_a_party_sees_its_own_aircraft_once_with_their_last_state(http, tokens, flying):
    reply = http.get("/v1/tracks", headers=bearer(tokens["owner"]))
    items = reply.json()["items"]
    # blue is in two agreements, so two monitors track b1 and b2: each appears once.
    assert [(a["party"], a["aircraft"], a["callsign"]) for a in items] == [("blue", "b1", "BLUE1"), ("blue", "b2", None)]
    assert items[0]["lon"] == pytest.approx(2.30) and items[0]["altitude_m"] == 1000.0 and items[0]["datum"] == "AMSL"
    assert seen(http, tokens["member"]) == [("red", "r1")]
    assert seen(http, tokens["reader"]) == [("red", "r1")]
    assert seen(http, tokens["nonmember"]) == [("yellow", "y1")]


def test_an_observer_sees_its_agreements_aircraft_and_the_operator_all(http, tokens, flying):
    assert seen(http, tokens["observer"]) == [("blue", "b1"), ("blue", "b2"), ("red", "r1")]  # green observes pact
    assert seen(http, tokens["admin"]) == [("blue", "b1"), ("blue", "b2"), ("red", "r1"), ("yellow", "y1")]


def test_pages_follow_the_cursor(http, tokens, flying):
    first = http.get("/v1/tracks", params={"limit": 1}, headers=bearer(tokens["owner"])).json()
    assert [a["aircraft"] for a in first["items"]] == ["b1"] and first["next"] == "blue/b1"
    second = http.get("/v1/tracks", params={"limit": 1, "after": first["next"]}, headers=bearer(tokens["owner"])).json()
    assert [a["aircraft"] for a in second["items"]] == ["b2"] and second["next"] is None


def test_aircraft_dropped_as_stale_are_no_longer_listed(http, tokens, tactical, flying, clock):
    tactical.step(clock.now.timestamp() + tactical.config.stale_after_s + 1)
    assert seen(http, tokens["owner"]) == []


def test_without_a_running_monitor_the_list_answers_503_and_without_a_token_401(system, settings, tokens, http):
    with TestClient(create_app(system, settings), raise_server_exceptions=False) as plain:
        reply = plain.get("/v1/tracks", headers=bearer(tokens["owner"]))
        assert reply.status_code == 503 and reply.json()["code"] == "unavailable"
    assert http.get("/v1/tracks").status_code == 401
