"""Invariant 3 over HTTP (another party sees only id, owner, volumes, state, version, filing time and
lead time; a non-member sees nothing of the agreement), pagination, and the problem document shape."""

from __future__ import annotations

import json

import pytest

from .conftest import SECRET_REFERENCE, SECRET_REMARKS, bearer, volume_json

MINIMISED = {"id", "party_id", "volumes", "state", "version", "filed_at", "lead_time_s"}


def every_read(http, token, world) -> list[str]:
    """The text of every read and check the token's party can make."""
    h = bearer(token)
    texts = [
        http.get("/v1/notices", headers=h).text,
        http.get(f"/v1/notices/{world.notice}", headers=h).text,
        http.post("/v1/notices/search", json={"area": volume_json_at(world)}, headers=h).text,
        http.get("/v1/conflicts?include_cleared=true", headers=h).text,
        http.get(f"/v1/conflicts/{world.conflict}", headers=h).text,
        http.get("/v1/events?limit=1000", headers=h).text,
        http.get("/v1/deadlines", headers=h).text,
        http.get("/v1/agreements", headers=h).text,
        http.get("/v1/parties", headers=h).text,
        http.post("/v1/check", json={"agreement_id": "pact", "volumes": [volume_json_at(world)]}, headers=h).text,
    ]
    return texts


def volume_json_at(world):
    return world.extra["volume"]


@pytest.fixture
def seen(world, clock):
    world.extra["volume"] = volume_json(clock.now, radius_m=3000)
    return world


@pytest.mark.parametrize("role", ["member", "observer", "reader", "nonmember"])
def test_no_other_party_ever_reads_the_private_fields(http, tokens, seen, role):
    for text in every_read(http, tokens[role], seen):
        assert SECRET_REFERENCE not in text and SECRET_REMARKS not in text


def test_the_owner_does_read_its_private_fields(http, tokens, seen):
    assert SECRET_REFERENCE in http.get(f"/v1/notices/{seen.notice}", headers=bearer(tokens["owner"])).text


@pytest.mark.parametrize("role", ["member", "observer", "reader"])
def test_another_member_sees_exactly_the_minimised_fields(http, tokens, seen, role):
    one = http.get(f"/v1/notices/{seen.notice}", headers=bearer(tokens[role])).json()
    assert set(one) == MINIMISED
    listed = [n for n in http.get("/v1/notices", headers=bearer(tokens[role])).json()["items"] if n["party_id"] == "blue"]
    assert listed and all(set(n) == MINIMISED for n in listed)


def test_a_non_member_sees_nothing_of_the_agreement(http, tokens, seen):
    h = bearer(tokens["nonmember"])
    for path in (f"/v1/notices/{seen.notice}", f"/v1/conflicts/{seen.conflict}", f"/v1/notices/{seen.red_notice}"):
        assert http.get(path, headers=h).status_code == 404  # (the problem repeats the id asked for, nothing more)
    lists = ["/v1/notices", "/v1/conflicts?include_cleared=true", "/v1/events?limit=1000", "/v1/deadlines", "/v1/agreements", "/v1/subscriptions"]
    for path in lists:
        text = http.get(path, headers=h).text
        assert seen.notice not in text and seen.red_notice not in text and seen.conflict not in text and '"pact"' not in text
    searched = http.post("/v1/notices/search", json={"area": volume_json_at(seen)}, headers=h).json()
    assert searched["items"] == []
    assert http.get("/v1/agreements/pact", headers=h).status_code == 404
    assert "pact" not in [a["id"] for a in http.get("/v1/agreements", headers=h).json()["items"]]
    assert {p["id"] for p in http.get("/v1/parties", headers=h).json()["items"]} == {"blue", "yellow"}
    # Same answer whether or not the agreement exists: nothing to learn from the refusal.
    missing = http.get("/v1/notices?agreement_id=no-such-agreement", headers=h).json()
    hidden = http.get("/v1/notices?agreement_id=pact", headers=h).json()
    assert missing["status"] == hidden["status"] == 404 and missing["code"] == hidden["code"]


def test_a_missing_key_refusal_lists_the_conflicting_notices_minimised(http, tokens, seen, clock):
    reply = http.post("/v1/notices", json={"agreement_id": "pact", "volumes": [volume_json(clock.now)]}, headers=bearer(tokens["observer"]))
    assert reply.status_code == 403  # an observer never files
    reply = http.post("/v1/notices", json={"agreement_id": "pact", "volumes": [volume_json(clock.now)]}, headers=bearer(tokens["member"]))
    problem = reply.json()
    assert reply.status_code == 409 and problem["code"] == "missing_key" and problem["field"] == "key"
    assert {n["id"] for n in problem["missing"]} == {seen.notice}
    assert all(set(n) == MINIMISED for n in problem["missing"])
    assert SECRET_REFERENCE not in reply.text


def test_problem_documents_have_type_title_status_detail_code(http, tokens, world):
    reply = http.get("/v1/notices/nope", headers=bearer(tokens["owner"]))
    problem = reply.json()
    assert reply.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:deconfliction:problem:not_found"
    assert problem["status"] == 404 and problem["code"] == "not_found" and problem["field"] == "notice_id"
    assert problem["title"] and problem["detail"]


def test_unknown_paths_and_methods_are_problems_too(http, tokens):
    assert http.get("/v1/nothing-here", headers=bearer(tokens["owner"])).json()["code"] == "not_found"
    reply = http.patch("/v1/notices", json={}, headers=bearer(tokens["owner"]))
    assert reply.status_code == 405 and reply.json()["code"] == "method_not_allowed"


def file_many(system, vol, party: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        ids.append(system.file_notice(party, "pact", [vol(lon=-60 + i * 0.5, lat=-30)], notice_id=f"n{i:03d}").notice.id)
    return ids


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
def test_following_next_lists_every_notice_once_in_order(http, tokens, system, vol, limit):
    filed = file_many(system, vol, "blue", 12)
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": limit, **({"after": after} if after else {})}
        page = http.get("/v1/notices", params=params, headers=bearer(tokens["member"])).json()
        assert len(page["items"]) <= limit
        seen.extend(n["id"] for n in page["items"])
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(filed)
    assert pages <= 12 // limit + 1
    assert len(set(seen)) == len(seen) == 12


def test_the_last_page_says_there_is_no_next(http, tokens, system, vol):
    file_many(system, vol, "blue", 3)
    assert http.get("/v1/notices?limit=3", headers=bearer(tokens["member"])).json()["next"] is None
    assert http.get("/v1/notices?limit=2", headers=bearer(tokens["member"])).json()["next"] == "pact:n001"  # chosen ids are scoped to their agreement


def test_event_pages_resume_after_the_cursor(http, tokens, system, vol):
    file_many(system, vol, "blue", 5)
    h = bearer(tokens["member"])
    first = http.get("/v1/events?limit=2", headers=h).json()
    rest = http.get(f"/v1/events?after={first['next']}&limit=1000", headers=h).json()
    everything = http.get("/v1/events?limit=1000", headers=h).json()
    assert [e["seq"] for e in first["items"] + rest["items"]] == [e["seq"] for e in everything["items"]]
    assert rest["next"] is None and len(everything["items"]) >= 5


def test_reading_the_pull_feed_is_recorded_as_a_delivery(http, tokens, system, vol):
    file_many(system, vol, "blue", 2)
    page = http.get("/v1/events", headers=bearer(tokens["member"])).json()
    delivered = [e for e in system.audit_entries(limit=10_000) if e.action == "events.delivered" and e.subject == "red"]
    assert delivered and delivered[-1].payload == {"channel": "pull", "first_seq": page["items"][0]["seq"], "last_seq": page["items"][-1]["seq"]}


@pytest.mark.parametrize("path", ["/v1/agreements", "/v1/parties", "/v1/tokens", "/v1/audit", "/v1/conflicts", "/v1/webhooks/deliveries", "/v1/webhooks/endpoints"])
def test_admin_lists_are_paginated_the_same_way(http, tokens, world, path):
    h = bearer(tokens["admin"])
    whole = http.get(f"{path}?limit=1000", headers=h).json()["items"]
    walked, after = [], None
    while True:
        page = http.get(path, params={"limit": 1, **({"after": after} if after else {})}, headers=h).json()
        walked.extend(page["items"])
        after = page["next"]
        if after is None:
            break
    assert json.dumps(walked, sort_keys=True) == json.dumps(whole, sort_keys=True)
