"""Idempotency-Key on the DSS interface's writes (/dss/v1), with the semantics of /v1's: a retried
request is applied once and answered with the first reply; the same key with another request is
refused; keys are each USS's own; a USS's first request (which enrols it) is guarded all the same."""

from __future__ import annotations

from .conftest import circle, new_id


def _put(uss, intent_id, extents, key_header, **extra):
    body = {"extents": extents, "state": "Accepted", "uss_base_url": uss.base_url, "key": [],
            "new_subscription": {"uss_base_url": uss.base_url}, **extra}
    return uss.call("PUT", f"/operational_intent_references/{intent_id}", body, headers={"Idempotency-Key": key_header})


def _intents(system):
    return system.read(lambda tx: tx.find_notices(limit=1000))


def test_a_retried_intent_with_the_same_key_is_created_once_and_answered_with_the_first_reply(uss1, clock, system):
    intent = new_id()
    first = _put(uss1, intent, [circle(clock.now)], "put-1")  # uss1's first request: it is enrolled, then the intent written
    again = _put(uss1, intent, [circle(clock.now)], "put-1")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(_intents(system)) == 1
    plain = _put(uss1, intent, [circle(clock.now)], "put-2")  # without the key's protection, the same PUT is a new request
    assert plain.status_code == 409  # the intent exists: the standard's answer to a second create


def test_the_same_key_with_another_intent_is_refused_and_changes_nothing(uss1, clock, system):
    assert _put(uss1, new_id(), [circle(clock.now)], "k").status_code == 201
    other = _put(uss1, new_id(), [circle(clock.now, lng=7.5)], "k")
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["message"]  # the standard has no 422
    assert len(_intents(system)) == 1


def test_keys_belong_to_their_uss(uss1, uss2, clock, system):
    assert _put(uss1, new_id(), [circle(clock.now)], "same").status_code == 201
    assert _put(uss2, new_id(), [circle(clock.now, lng=8.0)], "same").status_code == 201
    assert len(_intents(system)) == 2


def test_subscriptions_and_constraints_take_a_key_too(uss1, clock, system):
    sub = new_id()
    body = {"extents": circle(clock.now), "uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
    made = uss1.call("PUT", f"/subscriptions/{sub}", body, headers={"Idempotency-Key": "sub-1"})
    again = uss1.call("PUT", f"/subscriptions/{sub}", body, headers={"Idempotency-Key": "sub-1"})
    assert made.status_code == again.status_code == 200, made.text
    assert again.json() == made.json() and again.headers["Idempotent-Replayed"] == "true"
    constraint = new_id()
    cbody = {"extents": [circle(clock.now)], "uss_base_url": uss1.base_url}
    placed = uss1.call("PUT", f"/constraint_references/{constraint}", cbody, headers={"Idempotency-Key": "c-1"})
    replayed = uss1.call("PUT", f"/constraint_references/{constraint}", cbody, headers={"Idempotency-Key": "c-1"})
    assert placed.status_code == replayed.status_code == 201, placed.text
    assert replayed.json() == placed.json() and replayed.headers["Idempotent-Replayed"] == "true"
