"""Subscriptions: explicit ones with notification indices, the `subscribers` of each change, and
implicit ones that are made with an intent, grow with it and go with it."""

from __future__ import annotations

from .conftest import CP, SC, circle, new_id


def subscribe(uss, clock, sid=None, **volume):
    sid = sid or new_id()
    body = {"extents": circle(clock.now, **{"radius_m": 3000, "start_min": 0, "minutes": 120, **volume}),
            "uss_base_url": uss.base_url, "notify_for_operational_intents": True}
    response = uss.call("PUT", f"/subscriptions/{sid}", body)
    assert response.status_code == 200, response.json()
    return response.json()["subscription"]


def test_writers_are_told_whom_to_notify_and_notification_indices_count_up(uss1, uss2, clock):
    watcher = subscribe(uss2, clock)
    assert watcher["notification_index"] == 0 and watcher["implicit_subscription"] is False

    created = uss1.put_intent(new_id(), [circle(clock.now)]).json()
    by_url = {s["uss_base_url"]: s["subscriptions"] for s in created["subscribers"]}
    assert {"subscription_id": watcher["id"], "notification_index": 1} in by_url[uss2.base_url]
    # uss1's own implicit subscription is listed too (the standard: the client's own are included)
    implicit = created["operational_intent_reference"]["subscription_id"]
    assert by_url[uss1.base_url] == [{"subscription_id": implicit, "notification_index": 1}]

    # The second intersects the first: its key holds uss1's own OVN (the reference DSS asks for it).
    first = created["operational_intent_reference"]["ovn"]
    assert uss1.put_intent(new_id(), [circle(clock.now, lng=7.01)], key=[first]).status_code == 201
    assert uss2.call("GET", f"/subscriptions/{watcher['id']}").json()["subscription"]["notification_index"] == 2
    far = uss1.put_intent(new_id(), [circle(clock.now, lng=8.0)]).json()
    assert uss2.base_url not in {s["uss_base_url"] for s in far["subscribers"]}
    assert uss2.call("GET", f"/subscriptions/{watcher['id']}").json()["subscription"]["notification_index"] == 2


def test_a_new_subscription_lists_the_intents_already_there_without_their_ovns(uss1, uss2, clock):
    intent = new_id()
    uss1.put_intent(intent, [circle(clock.now)])
    sid = new_id()
    body = {"extents": circle(clock.now, radius_m=3000, start_min=0, minutes=120), "uss_base_url": uss2.base_url,
            "notify_for_operational_intents": True}
    answer = uss2.call("PUT", f"/subscriptions/{sid}", body).json()
    assert [(r["id"], "ovn" in r) for r in answer["operational_intent_references"]] == [(intent, False)]


def test_implicit_subscription_grows_with_its_intent_and_is_removed_with_it(uss1, clock):
    intent = new_id()
    created = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]
    sid = created["subscription_id"]
    sub = uss1.call("GET", f"/subscriptions/{sid}").json()["subscription"]
    assert sub["implicit_subscription"] is True and sub["dependent_operational_intents"] == [intent]
    assert sub["time_end"] == created["time_end"]

    # Longer and wider, naming its implicit subscription: the same subscription now covers the new extents too.
    bigger = circle(clock.now, radius_m=1500, minutes=90)
    updated = uss1.put_intent(intent, [bigger], ovn=created["ovn"], subscription_id=sid).json()["operational_intent_reference"]
    assert updated["subscription_id"] == sid
    grown = uss1.call("GET", f"/subscriptions/{sid}").json()["subscription"]
    assert grown["time_end"] == bigger["time_end"] and grown["version"] != sub["version"]
    found = uss1.call("POST", "/subscriptions/query", {"area_of_interest": circle(clock.now, lng=7.015, radius_m=100, start_min=80, minutes=5)}).json()
    assert [s["id"] for s in found["subscriptions"]] == [sid]  # 1.15 km out, 80 min on: only the grown part covers it

    # A USS cannot delete the subscription its intent depends on ...
    assert uss1.call("DELETE", f"/subscriptions/{sid}/{grown['version']}").status_code == 400
    # ... and deleting the intent removes it.
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{updated['ovn']}").status_code == 200
    assert uss1.call("GET", f"/subscriptions/{sid}").status_code == 404


def test_an_intent_can_use_an_explicit_subscription_that_covers_it(uss1, clock):
    sub = subscribe(uss1, clock)
    intent = new_id()
    created = uss1.put_intent(intent, [circle(clock.now)], subscription_id=sub["id"])
    assert created.status_code == 201
    assert created.json()["operational_intent_reference"]["subscription_id"] == sub["id"]
    assert uss1.call("GET", f"/subscriptions/{sub['id']}").json()["subscription"]["dependent_operational_intents"] == [intent]
    # Shrinking it below the intent is refused; deleting the intent leaves the explicit subscription.
    shrink = {"extents": circle(clock.now, radius_m=100, start_min=0, minutes=120), "uss_base_url": uss1.base_url,
              "notify_for_operational_intents": True}
    assert uss1.call("PUT", f"/subscriptions/{sub['id']}/{sub['version']}", shrink).status_code == 400
    ovn = created.json()["operational_intent_reference"]["ovn"]
    uss1.call("DELETE", f"/operational_intent_references/{intent}/{ovn}")
    assert uss1.call("GET", f"/subscriptions/{sub['id']}").status_code == 200

    too_small = subscribe(uss1, clock, radius_m=100)
    refused = uss1.put_intent(new_id(), [circle(clock.now)], subscription_id=too_small["id"])
    assert refused.status_code == 400 and "cover" in refused.json()["message"]


def test_activated_intents_need_a_subscription(uss1, clock):
    body = {"extents": [circle(clock.now)], "state": "Activated", "uss_base_url": uss1.base_url}
    response = uss1.call("PUT", f"/operational_intent_references/{new_id()}", body)
    assert response.status_code == 400 and "subscription" in response.json()["message"]
    accepted = {"extents": [circle(clock.now)], "state": "Accepted", "uss_base_url": uss1.base_url}
    plain = uss1.call("PUT", f"/operational_intent_references/{new_id()}", accepted)
    assert plain.status_code == 201
    assert plain.json()["operational_intent_reference"]["subscription_id"] == "00000000-0000-4000-8000-000000000000"


def test_update_and_delete_of_a_subscription_need_its_current_version(uss1, uss2, clock):
    sub = subscribe(uss1, clock)
    body = {"extents": circle(clock.now, radius_m=2000, start_min=0, minutes=60), "uss_base_url": uss1.base_url,
            "notify_for_operational_intents": True}
    assert uss1.call("PUT", f"/subscriptions/{sub['id']}/wrong-version", body).status_code == 409
    updated = uss1.call("PUT", f"/subscriptions/{sub['id']}/{sub['version']}", body).json()["subscription"]
    assert updated["version"] != sub["version"]
    assert uss2.call("PUT", f"/subscriptions/{sub['id']}/{updated['version']}", body).status_code == 403  # another USS's
    assert uss2.call("GET", f"/subscriptions/{sub['id']}").status_code == 404
    assert uss2.call("DELETE", f"/subscriptions/{sub['id']}/{updated['version']}").status_code == 403
    assert uss1.call("DELETE", f"/subscriptions/{sub['id']}/{sub['version']}").status_code == 409
    deleted = uss1.call("DELETE", f"/subscriptions/{sub['id']}/{updated['version']}")
    assert deleted.status_code == 200 and deleted.json()["subscription"]["id"] == sub["id"]
    assert uss1.call("GET", f"/subscriptions/{sub['id']}").status_code == 404


def test_subscriptions_query_returns_only_ones_own(uss1, uss2, clock):
    mine = subscribe(uss1, clock)
    subscribe(uss2, clock)
    found = uss1.call("POST", "/subscriptions/query", {"area_of_interest": circle(clock.now)}).json()["subscriptions"]
    assert [s["id"] for s in found] == [mine["id"]]


def test_subscription_limits_and_flags(uss1, uss_factory, clock):
    base = {"uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
    day_and_a_bit = {**base, "extents": circle(clock.now, start_min=0, minutes=24 * 60 + 1)}
    refused = uss1.call("PUT", f"/subscriptions/{new_id()}", day_and_a_bit)
    assert refused.status_code == 400 and "24 hours" in refused.json()["message"]
    past = {**base, "extents": circle(clock.now, start_min=-60, minutes=30)}
    assert uss1.call("PUT", f"/subscriptions/{new_id()}", past).status_code == 400
    nothing = {"uss_base_url": uss1.base_url, "extents": circle(clock.now)}
    assert uss1.call("PUT", f"/subscriptions/{new_id()}", nothing).status_code == 400
    huge = {**base, "extents": circle(clock.now, radius_m=30_000)}  # 2,827 km² > 2,500 km²
    too_large = uss1.call("PUT", f"/subscriptions/{new_id()}", huge)
    assert too_large.status_code == 400 and "2,500 km²" in too_large.json()["message"]  # no 413 documented here

    # Constraint notifications need no constraint-processing scope (the reference DSS does not ask for it).
    planner = uss_factory("uss3", SC)
    constraints = {"uss_base_url": uss1.base_url, "extents": circle(clock.now), "notify_for_constraints": True}
    assert planner.call("PUT", f"/subscriptions/{new_id()}", constraints).status_code == 200
    processor = uss_factory("uss3", CP)
    assert processor.call("PUT", f"/subscriptions/{new_id()}", base | {"extents": circle(clock.now)}).status_code == 403
    assert processor.call("PUT", f"/subscriptions/{new_id()}", constraints).status_code == 200

    sid = new_id()
    subscribe(uss1, clock, sid)
    again = uss1.call("PUT", f"/subscriptions/{sid}", base | {"extents": circle(clock.now)})
    assert again.status_code == 409


def test_a_subscription_without_times_starts_now_and_lasts_a_day(uss1, clock):
    extents = circle(clock.now)
    del extents["time_start"], extents["time_end"]
    sub = uss1.call("PUT", f"/subscriptions/{new_id()}", {"extents": extents, "uss_base_url": uss1.base_url,
                                                        "notify_for_operational_intents": True}).json()["subscription"]
    assert sub["time_start"]["value"] == clock.now.isoformat().replace("+00:00", "Z")
    assert sub["time_end"]["value"].startswith("2026-06-02T08:00:00")
