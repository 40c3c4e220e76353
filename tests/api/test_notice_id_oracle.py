"""Notice ids reveal nothing across agreements (issue 15, item 3). A chosen id is scoped to its
agreement (stored as `<agreement>:<id>`), so the same chosen id is free in every agreement: a party
filing in its own agreement learns nothing of another agreement's notices, whatever ids it tries.
Within one agreement a chosen id is still used once (members may see each other's notices anyway)."""

from __future__ import annotations

from .conftest import bearer, volume_json


def file(http, token, agreement, now, notice_id, lon):
    return http.post("/v1/notices", json={"agreement_id": agreement, "id": notice_id, "volumes": [volume_json(now, lon=lon, lat=10)]},
                     headers=bearer(token))


def test_an_id_used_in_another_agreement_answers_like_an_unused_one(http, tokens, clock):
    # blue uses "op-7" in 'other' (blue, yellow); red, not a member there, files "op-7" and "op-8" in pact.
    blue_other = file(http, tokens["owner"], "other", clock.now, "op-7", 20)
    assert blue_other.status_code == 201, blue_other.text
    used, unused = file(http, tokens["member"], "pact", clock.now, "op-7", 30), file(http, tokens["member"], "pact", clock.now, "op-8", 31)
    assert (used.status_code, unused.status_code) == (201, 201)
    assert used.json()["notice"]["id"] == "pact:op-7" and unused.json()["notice"]["id"] == "pact:op-8"
    assert blue_other.json()["notice"]["id"] == "other:op-7"


def test_a_chosen_id_is_used_once_within_its_agreement(http, tokens, clock):
    assert file(http, tokens["owner"], "pact", clock.now, "op-1", 20).status_code == 201
    again = file(http, tokens["member"], "pact", clock.now, "op-1", 40)
    assert again.status_code == 409 and again.json()["field"] == "id"
    qualified = file(http, tokens["member"], "pact", clock.now, "pact:op-1", 41)
    assert qualified.status_code == 409  # the qualified form names the same notice


def test_a_notice_filed_under_a_chosen_id_is_read_back_by_it(http, tokens, clock):
    filed = file(http, tokens["owner"], "pact", clock.now, "op-2", 20).json()["notice"]
    reply = http.get(f"/v1/notices/{filed['id']}", headers=bearer(tokens["member"]))
    assert reply.status_code == 200 and reply.json()["id"] == "pact:op-2"
