"""Invariant 5 over HTTP: malformed JSON, unknown fields, wrong types and bad geometry get a 400
problem naming the field, and nothing is stored (every table byte-for-byte as before)."""

from __future__ import annotations

import math

import pytest

from factories import snapshot

from .conftest import bearer, volume_json

# (name, method, path, token role, valid body)
WRITES = [
    ("file notice", "POST", "/v1/notices", "owner", lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now, lon=10, lat=10)]}),
    ("change notice", "PUT", "/v1/notices/{notice}", "owner", lambda w, now: {"version": w.version, "volumes": [volume_json(now, lon=10, lat=10)]}),
    ("check", "POST", "/v1/check", "owner", lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now)]}),
    ("search", "POST", "/v1/notices/search", "owner", lambda w, now: {"area": volume_json(now)}),
    ("subscribe", "POST", "/v1/subscriptions", "owner", lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now)]}),
    ("add endpoint", "POST", "/v1/webhooks/endpoints", "owner", lambda w, now: {"url": "https://hooks.example.org/x"}),
    ("issue token", "POST", "/v1/tokens", "admin", lambda w, now: {"party_id": "green"}),
    ("save party", "POST", "/v1/parties", "admin", lambda w, now: {"id": "purple", "name": "Purple"}),
    ("create agreement", "POST", "/v1/agreements", "admin",
     lambda w, now: {"id": "p2", "name": "P2", "parties": ["blue"], "separation": {"lateral": "1 NM", "vertical": "500 ft"}}),
    ("cancel notice", "POST", "/v1/notices/{notice}/cancel", "owner", lambda w, now: {"version": w.version}),
]
GEOMETRY = [w for w in WRITES if w[0] in ("file notice", "change notice", "check", "subscribe")]


def send(http, tokens, world, method, path, role, **kwargs):
    return http.request(method, path.format(notice=world.notice), headers=bearer(tokens[role]), **kwargs)


def assert_problem(reply, status: int, field: str | None = None, prefix: bool = False):
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    problem = reply.json()
    assert {"type", "title", "status", "detail", "code"} <= set(problem)
    assert problem["status"] == status
    if field is not None:
        assert problem.get("field", "").startswith(field) if prefix else problem.get("field") == field, problem
    return problem


@pytest.fixture
def before(db_path, world, tokens):
    return snapshot(db_path)


@pytest.mark.parametrize("name,method,path,role,body", WRITES, ids=[w[0] for w in WRITES])
def test_malformed_json_is_a_400_naming_the_body_and_stores_nothing(http, tokens, world, db_path, before, name, method, path, role, body):
    reply = http.request(method, path.format(notice=world.notice), content=b'{"agreement_id": "pact", ',
                         headers={**bearer(tokens[role]), "Content-Type": "application/json"})
    assert_problem(reply, 400, "body")
    assert snapshot(db_path) == before


@pytest.mark.parametrize("name,method,path,role,body", WRITES, ids=[w[0] for w in WRITES])
def test_an_unknown_field_is_a_400_naming_it_and_stores_nothing(http, tokens, world, clock, db_path, before, name, method, path, role, body):
    data = {**body(world, clock.now), "surprise": 1}
    problem = assert_problem(send(http, tokens, world, method, path, role, json=data), 400)
    assert problem["field"].endswith("surprise")
    assert snapshot(db_path) == before


@pytest.mark.parametrize("name,method,path,role,body", WRITES, ids=[w[0] for w in WRITES])
def test_a_body_that_is_not_an_object_is_a_400_and_stores_nothing(http, tokens, world, db_path, before, name, method, path, role, body):
    assert_problem(send(http, tokens, world, method, path, role, json=["not", "an", "object"]), 400)
    assert snapshot(db_path) == before


def bowtie(v):
    v["footprint"] = {"kind": "polygon", "vertices": [[2.30, 48.80], [2.40, 48.90], [2.40, 48.80], [2.30, 48.90]]}


def latitude_91(v):
    v["footprint"]["lat"] = 91.0


def inverted_altitude(v):
    v["altitude"] = {"lower_m": 500, "upper_m": 100, "datum": "W84"}


def inverted_time(v):
    v["time"] = {"start": v["time"]["end"], "end": v["time"]["start"]}


def naive_time(v):
    v["time"]["start"] = v["time"]["start"][:19]


def nan_radius(v):
    v["footprint"]["radius_m"] = math.nan


def unknown_volume_field(v):
    v["altitude"]["colour"] = "red"


def not_a_volume(v):
    v.clear()
    v["hello"] = "world"


BREAKERS = [bowtie, latitude_91, inverted_altitude, inverted_time, naive_time, nan_radius, unknown_volume_field, not_a_volume]


@pytest.mark.parametrize("breaker", BREAKERS, ids=[b.__name__ for b in BREAKERS])
@pytest.mark.parametrize("name,method,path,role,body", GEOMETRY, ids=[w[0] for w in GEOMETRY])
def test_bad_geometry_is_a_400_naming_the_volume_field_and_stores_nothing(http, tokens, world, clock, db_path, before, name, method, path, role, body, breaker):
    data = body(world, clock.now)
    breaker(data["volumes"][0])
    if breaker is nan_radius:
        import json

        reply = http.request(method, path.format(notice=world.notice), content=json.dumps(data).encode(),
                             headers={**bearer(tokens[role]), "Content-Type": "application/json"})
    else:
        reply = send(http, tokens, world, method, path, role, json=data)
    assert_problem(reply, 400, "volumes.0", prefix=True)
    assert snapshot(db_path) == before


def test_an_unclosed_geojson_ring_names_its_coordinates(http, tokens, world, clock, db_path, before):
    start = clock.now.replace(hour=clock.now.hour + 2)
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.9]]]},
               "properties": {"altitude_lower": 0, "altitude_upper": "1000 ft", "altitude_datum": "W84",
                              "time_start": start.isoformat(), "time_end": start.replace(hour=start.hour + 1).isoformat()}}
    reply = send(http, tokens, world, "POST", "/v1/notices", "owner", json={"agreement_id": "pact", "volumes": [feature]})
    assert_problem(reply, 400, "volumes.0.geometry.coordinates", prefix=True)
    assert snapshot(db_path) == before


def test_a_geojson_feature_collection_as_volumes_names_the_field_inside_it(http, tokens, world, clock, db_path, before):
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.3, 48.8]}, "properties": {}}]}
    reply = send(http, tokens, world, "POST", "/v1/notices", "owner", json={"agreement_id": "pact", "volumes": collection})
    assert_problem(reply, 400, "volumes.features.0.properties.radius")
    assert snapshot(db_path) == before


def test_an_f3548_volume_with_feet_is_accepted(http, tokens, world, clock):
    start = clock.now.replace(hour=clock.now.hour + 2)
    f3548 = {"volume": {"outline_circle": {"center": {"lat": 10.0, "lng": 10.0}, "radius": {"value": 300, "units": "M"}},
                        "altitude_lower": {"value": 0, "reference": "W84", "units": "FT"},
                        "altitude_upper": {"value": 1000, "reference": "W84", "units": "FT"}},
             "time_start": {"value": start.isoformat(), "format": "RFC3339"},
             "time_end": {"value": start.replace(hour=start.hour + 1).isoformat(), "format": "RFC3339"}}
    reply = send(http, tokens, world, "POST", "/v1/notices", "owner", json={"agreement_id": "pact", "volumes": [f3548]})
    assert reply.status_code == 201, reply.text
    assert reply.json()["notice"]["volumes"][0]["altitude"]["upper_m"] == pytest.approx(304.8)


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"), ("live=maybe", "live")])
def test_bad_query_parameters_are_400_naming_the_parameter(http, tokens, world, query, field):
    assert_problem(http.get(f"/v1/notices?{query}", headers=bearer(tokens["owner"])), 400, field)


def test_a_change_without_a_version_is_refused_and_changes_nothing(http, tokens, world, db_path, before):
    reply = send(http, tokens, world, "PUT", "/v1/notices/{notice}", "owner", json={"state": "active"})
    assert_problem(reply, 400, "version")
    assert snapshot(db_path) == before


def test_if_match_and_a_different_body_version_are_refused(http, tokens, world, db_path, before):
    reply = http.put(f"/v1/notices/{world.notice}", json={"version": "other", "state": "active"}, headers={**bearer(tokens["owner"]), "If-Match": f'"{world.version}"'})
    assert_problem(reply, 400, "version")
    assert snapshot(db_path) == before


def test_a_stale_if_match_is_a_409_version_mismatch_with_the_current_version(http, tokens, world, db_path, before):
    reply = http.put(f"/v1/notices/{world.notice}", json={"state": "active"}, headers={**bearer(tokens["owner"]), "If-Match": '"stale"'})
    problem = assert_problem(reply, 409, "version")
    assert problem["code"] == "version_mismatch" and problem["current_version"] == world.version
    assert snapshot(db_path) == before


def test_a_body_over_the_limit_is_a_413_problem_and_stores_nothing(http, tokens, world, clock, db_path, before):
    big = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=10, lat=10)], "private": {"remarks": "x" * (1024 * 1024)}}
    problem = assert_problem(send(http, tokens, world, "POST", "/v1/notices", "owner", json=big), 413)
    assert problem["code"] == "payload_too_large"
    assert snapshot(db_path) == before


def test_a_chunked_body_over_the_limit_is_a_413_too(http, tokens, world, db_path, before):
    def chunks():
        for _ in range(40):
            yield b" " * 32768  # 1.25 MiB of whitespace, no Content-Length

    reply = http.post("/v1/notices", content=chunks(), headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert_problem(reply, 413)
    assert snapshot(db_path) == before


def test_a_body_just_under_the_limit_is_read(http, tokens, world, clock):
    body = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=10, lat=10)], "private": {"remarks": "ok"}}
    import json

    raw = json.dumps(body).encode()
    padded = raw[:-1] + b" " * (1024 * 1024 - len(raw)) + b"}"
    assert len(padded) == 1024 * 1024
    reply = http.post("/v1/notices", content=padded, headers={**bearer(tokens["owner"]), "Content-Type": "application/json"})
    assert reply.status_code == 201, reply.text


def test_a_body_that_is_not_json_is_a_415_problem_and_stores_nothing(http, tokens, world, db_path, before):
    reply = http.post("/v1/parties", content=b"id=purple&name=Purple", headers={**bearer(tokens["admin"]), "Content-Type": "application/x-www-form-urlencoded"})
    problem = assert_problem(reply, 415, "Content-Type")
    assert problem["code"] == "unsupported_media_type"
    assert snapshot(db_path) == before


def test_a_json_body_without_a_content_type_is_read_as_json(http, tokens, world):
    reply = http.post("/v1/parties", content=b'{"id": "purple", "name": "Purple"}', headers=bearer(tokens["admin"]))
    assert reply.status_code == 201, reply.text
