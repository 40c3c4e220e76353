"""Every documented error case with the standard's bodies (checked against the document by Uss.call):
401 for every kind of bad token, 403 by scope for every operation, 400 for bad input (an area too large included, as the reference DSS answers), 404, 409, 412.
A refused write leaves the store as it was."""

from __future__ import annotations

import pytest

from .conftest import AA, ALL_SCOPES, AUDIENCE, CM, CMSA, CP, SC, circle, new_id, square, token

ID = "2f8343be-6482-4d1b-a474-16847e01af1e"
OVN = "A" * 16

# Every operation with the scope sets the document allows for it.
OPERATIONS = [
    ("POST", "/operational_intent_references/query", [{SC}, {CMSA}]),
    ("GET", f"/operational_intent_references/{ID}", [{SC}, {CMSA}]),
    ("PUT", f"/operational_intent_references/{ID}", [{SC}, {SC, CP}, {CMSA}]),
    ("PUT", f"/operational_intent_references/{ID}/{OVN}", [{SC}, {SC, CP}, {CMSA}]),
    ("DELETE", f"/operational_intent_references/{ID}/{OVN}", [{SC}, {CMSA}]),
    ("POST", "/constraint_references/query", [{CM}, {CP}]),
    ("GET", f"/constraint_references/{ID}", [{CM}, {CP}]),
    ("PUT", f"/constraint_references/{ID}", [{CM}]),
    ("PUT", f"/constraint_references/{ID}/{OVN}", [{CM}]),
    ("DELETE", f"/constraint_references/{ID}/{OVN}", [{CM}]),
    ("POST", "/subscriptions/query", [{CP}, {SC}]),
    ("GET", f"/subscriptions/{ID}", [{CP}, {SC}]),
    ("PUT", f"/subscriptions/{ID}", [{CP}, {SC}]),
    ("PUT", f"/subscriptions/{ID}/v1", [{CP}, {SC}]),
    ("DELETE", f"/subscriptions/{ID}/v1", [{CP}, {SC}]),
    ("POST", "/reports", [{CM}, {CP}, {SC}, {CMSA}, {AA}]),
    ("PUT", "/uss_availability/uss1", [{AA}]),
    ("GET", "/uss_availability/uss1", [{AA}, {SC}, {CMSA}]),
]


@pytest.mark.parametrize("method,path,allowed", OPERATIONS, ids=[f"{m} {p.split('/')[1]}{'/…' * (p.count('/') - 1)}" for m, p, _ in OPERATIONS])
def test_scopes_outside_the_documented_sets_get_403_and_inside_get_past_authorization(uss_factory, method, path, allowed):
    for scope in ALL_SCOPES:
        uss = uss_factory("uss9", scope)
        response = uss.call(method, path, {} if method in ("PUT", "POST") else None)
        if any(alt == {scope} for alt in allowed):
            assert response.status_code != 403 or "notifications" in response.json()["message"] or "state" in response.json()["message"], (scope, response.json())
        else:
            assert response.status_code == 403, (scope, response.status_code, response.json())
            assert set(response.json()) == {"message"} and "scope" in response.json()["message"]


BAD_TOKENS = {
    "no header": None,
    "not bearer": "Basic dXNzOnB3",
    "garbage": "Bearer not.a.jwt",
    "untrusted key": "untrusted",
    "wrong audience": "wrong_audience",
    "expired": "expired",
    "no sub": "no_sub",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_get_401_with_a_message(http, keys, kind):
    trusted, _, untrusted = keys
    value = BAD_TOKENS[kind]
    if value == "untrusted":
        value = "Bearer " + token(untrusted, "uss1", SC)
    elif value == "wrong_audience":
        value = "Bearer " + token(trusted, "uss1", SC, aud="other.example.com")
    elif value == "expired":
        value = "Bearer " + token(trusted, "uss1", SC, ttl_s=-120)
    elif value == "no_sub":
        value = "Bearer " + token(trusted, None, SC)
    headers = {"Authorization": value} if value else {}
    response = http.post("/dss/v1/operational_intent_references/query", json={"area_of_interest": {}}, headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"message"} and response.headers["WWW-Authenticate"].startswith("Bearer")
    from . import spec

    spec.check("POST", "/dss/v1/operational_intent_references/query", 401, response.json())


def test_a_token_for_our_audience_is_accepted(uss1):
    assert AUDIENCE == "dss.test"
    assert uss1.call("GET", "/uss_availability/uss1").status_code == 200


def counts(system) -> tuple:
    with system.store.transaction(write=False) as tx:
        return (len(tx.find_notices(limit=10_000)), len(tx.audit_entries(limit=100_000)),
                len(tx.f3548_subscriptions("utm", *window())), len(tx.zones_of("utm")))


def window():
    from datetime import datetime, timezone

    return datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


BAD_EXTENTS = {
    "no extents": ({"state": "Accepted", "uss_base_url": "https://u"}, "extents"),
    "unknown state": ({"extents": "VOLUME", "state": "Flying", "uss_base_url": "https://u"}, "state"),
    "two outlines": ("BOTH", "exactly one"),
    "no altitudes": ("NO_ALT", "altitude_lower"),
    "no end": ("NO_END", "time_end"),
    "inverted band": ("INVERTED", "altitude"),
    "ends before it starts": ("BACKWARDS", "time"),
    "ends in the past": ("PAST", "past"),
    "latitude 91": ("LAT91", "latitude"),
    "self-intersecting polygon": ("BOWTIE", "outline_polygon"),
    "too many vertices": ("VERTICES", "at most 10000 vertices"),
    "feet, not metres": ("FEET", "units"),
    "not an object": ([1, 2], "body"),
}


def bad_body(kind, now, uss_base_url):
    body, _ = BAD_EXTENTS[kind]
    if isinstance(body, dict) and body.get("extents") == "VOLUME":
        return {**body, "extents": [circle(now)]}
    if not isinstance(body, str):
        return body
    volume = circle(now)
    if body == "BOTH":
        volume["volume"]["outline_polygon"] = square(now)["volume"]["outline_polygon"]
    elif body == "NO_ALT":
        del volume["volume"]["altitude_lower"]
    elif body == "NO_END":
        del volume["time_end"]
    elif body == "INVERTED":
        volume["volume"]["altitude_lower"]["value"] = 500
    elif body == "BACKWARDS":
        volume["time_end"] = circle(now, start_min=-5)["time_start"]
    elif body == "PAST":
        volume = circle(now, start_min=-60, minutes=30)
    elif body == "LAT91":
        volume["volume"]["outline_circle"]["center"]["lat"] = 91
    elif body == "BOWTIE":
        volume = square(now)
        v = volume["volume"]["outline_polygon"]["vertices"]
        v[1], v[2] = v[2], v[1]
    elif body == "VERTICES":
        import math

        volume = square(now)
        volume["volume"]["outline_polygon"]["vertices"] = [
            {"lat": 46 + 0.01 * math.sin(2 * math.pi * i / 10001), "lng": 7 + 0.01 * math.cos(2 * math.pi * i / 10001)} for i in range(10001)]
    elif body == "FEET":
        volume["volume"]["altitude_upper"]["units"] = "FT"
    return {"extents": [volume], "state": "Accepted", "uss_base_url": uss_base_url, "new_subscription": {"uss_base_url": uss_base_url}}


@pytest.mark.parametrize("kind", BAD_EXTENTS)
def test_bad_intents_are_400_naming_the_field_and_change_nothing(uss1, system, clock, kind):
    uss1.call("GET", "/uss_availability/uss1")  # the first request enrols the USS; that is not the refused write
    before = counts(system)
    response = uss1.call("PUT", f"/operational_intent_references/{new_id()}", bad_body(kind, clock.now, uss1.base_url))
    assert response.status_code == 400, response.json()
    assert BAD_EXTENTS[kind][1] in response.json()["message"]
    assert counts(system) == before


def test_an_entity_id_that_is_not_a_uuid_is_400(uss1, clock):
    response = uss1.call("GET", "/operational_intent_references/flight-1")
    assert response.status_code == 400 and "UUID" in response.json()["message"]


def test_malformed_json_is_400(uss1, keys):
    response = uss1.http.put(f"/dss/v1/operational_intent_references/{new_id()}", content=b"{not json",
                             headers={"Authorization": "Bearer " + token(keys[0], "uss1", SC), "Content-Type": "application/json"})
    assert response.status_code == 400 and "message" in response.json()


def test_deeply_nested_json_is_400_in_the_standards_error_shape(uss1, keys):
    response = uss1.http.put(f"/dss/v1/operational_intent_references/{new_id()}", content=b"[" * 5000 + b"]" * 5000,
                             headers={"Authorization": "Bearer " + token(keys[0], "uss1", SC), "Content-Type": "application/json"})
    assert response.status_code == 400 and "nested" in response.json()["message"]


def test_unknown_fields_are_ignored_as_the_standard_requires(uss1, clock):
    volume = circle(clock.now)
    volume["volume"]["colour"] = "red"
    body = {"extents": [volume], "state": "Accepted", "uss_base_url": uss1.base_url, "priority_hint": 3}
    assert uss1.call("PUT", f"/operational_intent_references/{new_id()}", body).status_code == 201


def test_an_intent_or_query_area_too_large_is_400_as_in_the_reference_dss(uss1, system, clock):
    uss1.call("GET", "/uss_availability/uss1")
    before = counts(system)
    big = uss1.put_intent(new_id(), [circle(clock.now, radius_m=30_000)])  # 2,827 km² > 2,500 km²
    assert big.status_code == 400 and "2,500 km²" in big.json()["message"]
    assert counts(system) == before
    assert uss1.call("POST", "/operational_intent_references/query", {"area_of_interest": circle(clock.now, radius_m=30_000)}).status_code == 400
    assert uss1.put_intent(new_id(), [circle(clock.now, radius_m=28_000)]).status_code == 201  # 2,463 km²
    assert uss1.call("POST", "/constraint_references/query", {"area_of_interest": circle(clock.now, radius_m=60_000)}).status_code == 400


def test_missing_things_are_404(uss1):
    assert uss1.call("GET", f"/operational_intent_references/{ID}").status_code == 404
    assert uss1.call("DELETE", f"/operational_intent_references/{ID}/{OVN}").status_code == 404
    assert uss1.call("GET", f"/constraint_references/{ID}").status_code == 404
    assert uss1.call("DELETE", f"/constraint_references/{ID}/{OVN}").status_code == 404
    assert uss1.call("GET", f"/subscriptions/{ID}").status_code == 404
    assert uss1.call("DELETE", f"/subscriptions/{ID}/v1").status_code == 404


def test_creating_an_intent_twice_is_a_conflict(uss1, clock):
    intent = new_id()
    assert uss1.put_intent(intent, [circle(clock.now)]).status_code == 201
    again = uss1.put_intent(intent, [circle(clock.now)])
    assert again.status_code == 409 and "already exists" in again.json()["message"]


def test_a_refused_key_writes_nothing(uss1, uss2, system, clock):
    uss1.put_intent(new_id(), [circle(clock.now)])
    uss2.call("GET", "/uss_availability/uss2")  # enrolled before the refused write
    before = counts(system)
    assert uss2.put_intent(new_id(), [circle(clock.now)]).status_code == 409
    assert counts(system) == before


def test_a_refused_constraint_key_writes_nothing_even_when_the_intent_key_was_complete(uss_factory, system, clock):
    uss_factory("authority", CM).call("PUT", f"/constraint_references/{new_id()}", {"extents": [circle(clock.now)], "uss_base_url": "https://a"})
    processor = uss_factory("uss1", f"{SC} {CP}")
    processor.call("GET", "/subscriptions/" + ID)
    before = counts(system)
    refused = processor.put_intent(new_id(), [circle(clock.now)], new_subscription={"uss_base_url": processor.base_url, "notify_for_constraints": True})
    assert refused.status_code == 409 and refused.json()["missing_constraints"]
    assert counts(system) == before
