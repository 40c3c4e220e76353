"""GET /v1/agreements/{id}/channels: the channel plan, and the channel for a place (the console's clicked point)."""

from __future__ import annotations

from .conftest import bearer


def test_the_plan_lists_the_agreements_channels_with_geojson_areas(http, tokens):
    response = http.get("/v1/agreements/pact/channels", headers=bearer(tokens["member"]))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [(i["name"], i["contact"], i["area"], i["start"], i["end"]) for i in body["items"]] == [
        ("guard", "121.500 MHz", None, None, None),
        ("paris", "tel:+33-1-0000", {"type": "Point", "coordinates": [2.35, 48.85], "radius_m": 50000.0}, None, None),
    ]


def test_for_a_point_the_applying_channel_comes_first_and_those_that_do_not_apply_are_left_out(http, tokens):
    inside = http.get("/v1/agreements/pact/channels", params={"lon": 2.4, "lat": 48.9, "at": "2026-06-01T09:00:00Z"}, headers=bearer(tokens["member"]))
    assert [i["name"] for i in inside.json()["items"]] == ["paris", "guard"]
    outside = http.get("/v1/agreements/pact/channels", params={"lon": 12.5, "lat": 41.9}, headers=bearer(tokens["member"]))
    assert [i["name"] for i in outside.json()["items"]] == ["guard"]


def test_an_operator_sees_the_plan_and_a_non_member_learns_nothing(http, tokens):
    assert http.get("/v1/agreements/pact/channels", headers=bearer(tokens["admin"])).status_code == 200
    refused = http.get("/v1/agreements/pact/channels", headers=bearer(tokens["nonmember"]))
    assert refused.status_code == 404 and refused.json()["field"] == "agreement_id"


def test_bad_places_and_times_are_refused_naming_the_field(http, tokens):
    member = bearer(tokens["member"])
    cases = [
        ({"lon": 2.35}, "lat"),
        ({"lat": 48.85}, "lon"),
        ({"lon": 200, "lat": 0}, "lon"),
        ({"lon": 0, "lat": 91}, "lat"),
        ({"lon": 0, "lat": 0, "at": "2026-06-01T09:00:00"}, "at"),
        ({"lon": 0, "lat": 0, "at": "yesterday"}, "at"),
    ]
    for params, field in cases:
        response = http.get("/v1/agreements/pact/channels", params=params, headers=member)
        assert response.status_code == 400 and response.json()["code"] == "invalid_input", params
        assert response.json()["field"].endswith(field), (params, response.json())


def test_the_python_client_reads_the_plan_for_a_point(app, tokens):
    from fastapi.testclient import TestClient

    from deconfliction.client import RemoteDeconfliction

    with TestClient(app) as client:
        remote = RemoteDeconfliction("http://testserver", tokens["member"], transport=client._transport)
        assert [i.name for i in remote.channels("red", "pact", point=(2.35, 48.85))] == ["paris", "guard"]
        assert [i.name for i in remote.channels("red", "pact")] == ["guard", "paris"]
