"""The authorization matrix: every endpoint × every role, against what docs/api.md promises.

Roles: admin (operator token), owner (blue, who filed the notice), member (red: same agreement, the
other side of the conflict), nonmember (yellow: not in the agreement), observer (green, scope
observer), reader (red, notices:read only), and failing credentials (none, garbage, revoked, JWTs
untrusted / wrong audience / wrong issuer / expired / unknown party). A JWT with notices:read +
notices:write for blue must behave exactly as blue's own token; one without scopes gets 403 on
everything but /v1/me; an `admin` claim in a JWT grants nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from deconfliction.transparency.keys import SigningKey

from .conftest import World, bearer, volume_json

ROLES = ["admin", "owner", "member", "nonmember", "observer", "reader"]
UNAUTHENTICATED = ["none", "garbage", "revoked", "jwt_untrusted", "jwt_wrong_audience", "jwt_wrong_issuer", "jwt_expired", "jwt_unknown_party"]


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]  # by role in ROLES
    body: Callable[[World, object], dict | None] = lambda w, now: None
    public: bool = False  # no token needed (health)


def everyone(status: int) -> dict[str, int]:
    return {role: status for role in ROLES}


def only_admin(status: int) -> dict[str, int]:
    return {role: (status if role == "admin" else 403) for role in ROLES}


def party_read(status: int = 200, nonmember: int = 200) -> dict[str, int]:
    return {"admin": 403, "owner": status, "member": status, "nonmember": nonmember, "observer": status, "reader": status}


def owner_write(ok: int = 200, member: int = 403, nonmember: int = 404) -> dict[str, int]:
    return {"admin": 403, "owner": ok, "member": member, "nonmember": nonmember, "observer": 403, "reader": 403}


def message_of(w: World) -> str:
    return w.extra.get("message", "{message_id}")


AGREEMENT = {"id": "new-pact", "name": "New", "parties": ["blue", "red"], "separation": {"lateral": "1 NM", "vertical": "500 ft"}}

ED318_ZONE = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
    "identifier": "AUTH01", "type": "PROHIBITED", "zoneAuthority": []}, "geometry": {
    "type": "Polygon", "coordinates": [[[7.0, 46.0], [7.01, 46.0], [7.01, 46.01], [7.0, 46.0]]],
    "layer": {"upper": 120, "upperReference": "AGL", "lower": 0, "lowerReference": "AGL", "uom": "m"}}}]}

ZONE_RECORD = {"id": "0b7f4a8e-8d3c-4c55-9d0e-1f2a3b4c5d6e", "agreement_id": "pact", "name": "Test", "restriction": "information",
               "footprint": {"kind": "circle", "lon": 7.0, "lat": 46.0, "radius_m": 500.0},
               "lower": {"reference": "SFC"}, "upper": {"reference": "AMSL", "value_m": 100.0}}

CASES = [
    Case("health", "GET", lambda w: "/v1/health", everyone(200), public=True),
    Case("me", "GET", lambda w: "/v1/me", everyone(200)),
    Case("list agreements", "GET", lambda w: "/v1/agreements", everyone(200)),
    Case("get agreement", "GET", lambda w: "/v1/agreements/pact", {**everyone(200), "nonmember": 404}),
    Case("create agreement", "POST", lambda w: "/v1/agreements", only_admin(201), lambda w, now: AGREEMENT),
    Case("replace agreement", "PUT", lambda w: "/v1/agreements/new-pact", only_admin(200), lambda w, now: AGREEMENT),
    Case("compliance", "GET", lambda w: "/v1/agreements/pact/compliance?from=2026-01-01&to=2027-01-01",
         {"admin": 200, "owner": 403, "member": 403, "nonmember": 403, "observer": 200, "reader": 403}),
    Case("channel plan", "GET", lambda w: "/v1/agreements/pact/channels?lon=2.35&lat=48.85", {**everyone(200), "nonmember": 404}),
    Case("list parties", "GET", lambda w: "/v1/parties", everyone(200)),
    Case("save party", "POST", lambda w: "/v1/parties", only_admin(201), lambda w, now: {"id": "purple", "name": "Purple"}),
    Case("get co-member party", "GET", lambda w: "/v1/parties/red", {**everyone(200), "nonmember": 404}),
    # signing keys: public, seen as the party is; registered and revoked by the party itself (with write scope) or the operator
    Case("list party keys", "GET", lambda w: "/v1/parties/red/keys", {**everyone(200), "nonmember": 404}),
    Case("add party key", "POST", lambda w: "/v1/parties/red/keys",
         {**everyone(403), "admin": 201, "member": 201}, lambda w, now: {"public_key": SigningKey.generate().public_b64}),
    Case("revoke party key", "POST", lambda w: "/v1/parties/red/keys/" + ("{key_id}" if w.red_notice == "x" else "0" * 64) + "/revoke", {**everyone(403), "admin": 404, "member": 404}),
    Case("file notice", "POST", lambda w: "/v1/notices",
         {"admin": 403, "owner": 201, "member": 201, "nonmember": 404, "observer": 403, "reader": 403},
         lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now, lon=10.0, lat=10.0)]}),
    Case("list notices", "GET", lambda w: "/v1/notices", party_read()),
    Case("search notices", "POST", lambda w: "/v1/notices/search", party_read(),
         lambda w, now: {"area": volume_json(now, radius_m=5000)}),
    Case("get notice", "GET", lambda w: f"/v1/notices/{w.notice}", party_read(nonmember=404)),
    Case("change notice", "PUT", lambda w: f"/v1/notices/{w.notice}", owner_write(),
         lambda w, now: {"version": w.version, "private": {"reference": "changed"}}),
    Case("cancel notice", "POST", lambda w: f"/v1/notices/{w.notice}/cancel", owner_write()),
    Case("end notice", "POST", lambda w: f"/v1/notices/{w.notice}/end", owner_write()),
    Case("activate notice", "POST", lambda w: f"/v1/notices/{w.notice}/activate", owner_write()),
    Case("check", "POST", lambda w: "/v1/check", party_read(nonmember=404),
         lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now)]}),
    Case("list conflicts", "GET", lambda w: "/v1/conflicts", {**party_read(), "admin": 200}),
    Case("get conflict", "GET", lambda w: f"/v1/conflicts/{w.conflict}",
         {"admin": 200, "owner": 200, "member": 200, "nonmember": 404, "observer": 404, "reader": 200}),
    Case("acknowledge conflict", "POST", lambda w: f"/v1/conflicts/{w.conflict}/ack",
         {"admin": 403, "owner": 200, "member": 200, "nonmember": 404, "observer": 403, "reader": 403}),
    Case("acknowledge notice", "POST", lambda w: f"/v1/notices/{w.notice}/ack",
         {"admin": 403, "owner": 403, "member": 200, "nonmember": 404, "observer": 403, "reader": 403}),
    Case("deadlines", "GET", lambda w: "/v1/deadlines", party_read()),
    Case("send hotline message", "POST", lambda w: "/v1/hotline/messages",
         {"admin": 403, "owner": 201, "member": 201, "nonmember": 404, "observer": 403, "reader": 403},
         lambda w, now: {"agreement_id": "pact", "kind": "info", "text": "radio check"}),
    Case("hotline inbox", "GET", lambda w: "/v1/hotline/inbox", party_read()),
    Case("hotline sent", "GET", lambda w: "/v1/hotline/sent", party_read()),
    # red sent world's message to blue; green (observer) and yellow are not on it.
    Case("get hotline message", "GET", lambda w: f"/v1/hotline/messages/{message_of(w)}",
         {"admin": 403, "owner": 200, "member": 200, "nonmember": 404, "observer": 404, "reader": 200}),
    Case("hotline thread", "GET", lambda w: f"/v1/hotline/messages/{message_of(w)}/thread",
         {"admin": 403, "owner": 200, "member": 200, "nonmember": 404, "observer": 404, "reader": 200}),
    Case("acknowledge hotline message", "POST", lambda w: f"/v1/hotline/messages/{message_of(w)}/ack",
         {"admin": 403, "owner": 200, "member": 403, "nonmember": 404, "observer": 403, "reader": 403}),
    Case("hotline lines", "GET", lambda w: "/v1/hotline/lines?agreement_id=pact", party_read(nonmember=404)),
    Case("list subscriptions", "GET", lambda w: "/v1/subscriptions", party_read()),
    Case("subscribe", "POST", lambda w: "/v1/subscriptions",
         {"admin": 403, "owner": 201, "member": 201, "nonmember": 404, "observer": 403, "reader": 403},
         lambda w, now: {"agreement_id": "pact", "volumes": [volume_json(now)]}),
    Case("unsubscribe", "DELETE", lambda w: f"/v1/subscriptions/{w.subscription}", owner_write(204, member=404)),
    Case("pull events", "GET", lambda w: "/v1/events", party_read()),
    Case("stream events", "GET", lambda w: "/v1/events/stream", party_read()),
    Case("list endpoints", "GET", lambda w: "/v1/webhooks/endpoints", {**party_read(), "admin": 200}),
    Case("add endpoint", "POST", lambda w: "/v1/webhooks/endpoints",
         {"admin": 403, "owner": 201, "member": 201, "nonmember": 201, "observer": 403, "reader": 403},
         lambda w, now: {"url": "https://hooks.example.org/deconfliction"}),
    Case("remove endpoint", "DELETE", lambda w: f"/v1/webhooks/endpoints/{w.endpoint}", owner_write(204, member=404)),
    Case("deliveries", "GET", lambda w: "/v1/webhooks/deliveries", {**party_read(), "admin": 200}),
    Case("dead letters", "GET", lambda w: "/v1/webhooks/dead-letters", {**party_read(), "admin": 200}),
    Case("retry dead letter", "POST", lambda w: f"/v1/webhooks/deliveries/{w.dead_delivery}/retry",
         {"admin": 200, "owner": 200, "member": 404, "nonmember": 404, "observer": 403, "reader": 403}),
    Case("issue token", "POST", lambda w: "/v1/tokens", only_admin(201), lambda w, now: {"party_id": "green"}),
    Case("list tokens", "GET", lambda w: "/v1/tokens", only_admin(200)),
    Case("revoke token", "DELETE", lambda w: f"/v1/tokens/{w.token_id}", only_admin(200)),
    Case("audit entries", "GET", lambda w: "/v1/audit", only_admin(200)),
    # Without a running tactical monitor (it runs inside `serve`), granted calls answer 503;
    # tests/api/test_tracks.py covers them with one.
    Case("post tracks", "POST", lambda w: "/v1/tracks", {**owner_write(503, member=503, nonmember=503)}, lambda w, now: {"reports": []}),
    Case("list alerts", "GET", lambda w: "/v1/alerts", {**party_read(503, nonmember=503), "admin": 503}),
    Case("list aircraft", "GET", lambda w: "/v1/tracks", {**party_read(503, nonmember=503), "admin": 503}),  # tests/api/test_aircraft.py: 200s
    Case("audit verify", "GET", lambda w: "/v1/audit/verify", {**only_admin(200), "observer": 200}),
    # The transparency log: hashes and sizes only, for anyone who may read (docs/evidence.md)
    Case("log head", "GET", lambda w: "/v1/log/head", everyone(200)),
    # size 4: the head of the fixture's first write (three parties and the agreement)
    Case("log head at size", "GET", lambda w: "/v1/log/heads/{size}" if w.red_notice == "x" else "/v1/log/heads/4", everyone(200)),
    Case("log key", "GET", lambda w: "/v1/log/key", everyone(200)),
    Case("inclusion proof", "GET", lambda w: "/v1/log/proofs/inclusion?index=0&size=3", everyone(200)),
    Case("consistency proof", "GET", lambda w: "/v1/log/proofs/consistency?old=1&new=3", everyone(200)),
    # Issue 15: what an allowed caller may not do is refused naming the field; who may not call still gets 403 first.
    Case("add endpoint at a metadata address", "POST", lambda w: "/v1/webhooks/endpoints",
         {"admin": 403, "owner": 400, "member": 400, "nonmember": 400, "observer": 403, "reader": 403},
         lambda w, now: {"url": "https://169.254.169.254/latest/meta-data/"}),
    Case("issue a party token with the admin scope", "POST", lambda w: "/v1/tokens", only_admin(400),
         lambda w, now: {"party_id": "green", "scopes": ["notices:read", "admin"]}),
    Case("file under an id another agreement uses", "POST", lambda w: "/v1/notices",
         {"admin": 403, "owner": 201, "member": 201, "nonmember": 404, "observer": 403, "reader": 403},
         lambda w, now: {"agreement_id": "pact", "id": "used-in-other", "volumes": [volume_json(now, lon=60, lat=10)]}),
    Case("export", "GET", lambda w: "/v1/agreements/pact/export?format=csv", party_read(nonmember=404)),
    Case("list zones", "GET", lambda w: "/v1/agreements/pact/zones", {**everyone(200), "nonmember": 404}),
    Case("import zones", "POST", lambda w: "/v1/agreements/pact/zones/import", only_admin(200), lambda w, now: ED318_ZONE),
    Case("save zones", "PUT", lambda w: "/v1/agreements/pact/zones", only_admin(200), lambda w, now: {"zones": [ZONE_RECORD]}),
]

ALL_ROLES = ROLES + UNAUTHENTICATED + ["jwt_owner", "jwt_noscope", "jwt_admin_claim"]


def expected(case: Case, role: str) -> int:
    if case.public:
        return 200
    if role in UNAUTHENTICATED:
        return 401
    if role == "jwt_owner":
        return case.expect["owner"]
    if role in ("jwt_noscope", "jwt_admin_claim"):
        return 200 if case.name == "me" else 403
    return case.expect[role]


def test_every_route_of_the_app_is_in_the_matrix(app):
    routed = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    covered = set()
    world = World(notice="{notice_id}", red_notice="x", conflict="{conflict_id}", subscription="{subscription_id}",
                  endpoint="{endpoint_id}", dead_delivery="{delivery_id}", token_id="{credential_id}")
    for case in CASES:
        path = case.path(world).split("?")[0]
        path = path.replace("/pact", "/{agreement_id}").replace("/new-pact", "/{agreement_id}").replace("/red", "/{party_id}")
        covered.add((case.method, path))
    assert routed - covered == set(), "routes without authorization cases"


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_role_gets_the_documented_status(http, tokens, world, clock, case, role):
    want = expected(case, role)
    body = case.body(world, clock.now)
    reply = http.request(case.method, case.path(world), json=body, headers=bearer(tokens[role]))
    assert reply.status_code == want, f"{case.method} {case.path(world)} as {role}: {reply.status_code} {reply.text[:300]}"
    if case.name == "stream events" and want == 200:
        assert reply.headers["content-type"].startswith("text/event-stream")
    if want >= 400:
        assert reply.headers["content-type"].startswith("application/problem+json")
        problem = reply.json()
        assert problem["status"] == want and problem["code"]
        if want == 401:
            assert reply.headers["www-authenticate"].startswith("Bearer")


# What each role sees of a reply, beyond its status (issue 15) -------------------------------------------
@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_a_valid_token_sees_the_global_event_count_on_health(http, tokens, world, role):
    shown = http.get("/v1/health", headers=bearer(tokens[role])).json()
    assert ("last_event_seq" in shown) == (role not in UNAUTHENTICATED), shown


@pytest.mark.parametrize("role", ["admin", "observer"])
def test_only_the_operator_sees_the_audit_chains_size(http, tokens, world, role):
    verdict = http.get("/v1/audit/verify", headers=bearer(tokens[role])).json()
    assert verdict["ok"] is True
    assert (verdict["entries"] is not None) == (role == "admin")


@pytest.fixture
def world(world, system, vol):
    """The shared world, and a notice in 'other' (blue, yellow) under the chosen id the matrix files in pact."""
    system.file_notice("blue", "other", [vol(lon=50, lat=10)], notice_id="used-in-other")
    return world
