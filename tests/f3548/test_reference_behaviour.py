"""Where the interface does what the reference DSS (interuss/dss) does, which the conformance suites
expect (issue 12; docs/f3548.md lists each with the standard's text where they differ). Each test
failed before the change it names."""

from __future__ import annotations

import uuid
from datetime import timedelta

from .conftest import SC, circle, new_id, rfc3339, token


def ovn_of(response) -> str:
    assert response.status_code in (200, 201), response.json()
    return response.json()["operational_intent_reference"]["ovn"]


def sub_of(uss, intent: str) -> str:
    return uss.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]["subscription_id"]


# The key ---------------------------------------------------------------------------------------------------
def test_the_key_must_hold_the_callers_own_intersecting_intents_but_not_the_one_being_changed(uss1, clock):
    first, second = new_id(), new_id()
    ovn1 = ovn_of(uss1.put_intent(first, [circle(clock.now)]))
    refused = uss1.put_intent(second, [circle(clock.now, lng=7.005)])  # overlaps uss1's own first intent
    assert refused.status_code == 409
    assert [m["id"] for m in refused.json()["missing_operational_intents"]] == [first]
    assert refused.json()["missing_operational_intents"][0]["ovn"] == ovn1  # its own: with the OVN
    ovn2 = ovn_of(uss1.put_intent(second, [circle(clock.now, lng=7.005)], key=[ovn1]))
    # Changing `first`, whose new extents meet `second`: `second` is needed, `first` itself is not.
    assert uss1.put_intent(first, [circle(clock.now, radius_m=600)], ovn=ovn1, subscription_id=sub_of(uss1, first)).status_code == 409
    assert uss1.put_intent(first, [circle(clock.now, radius_m=600)], ovn=ovn1, key=[ovn2], subscription_id=sub_of(uss1, first)).status_code == 200


def test_intents_meet_by_their_extents_union_as_the_reference_keeps_them(uss1, uss2, clock):
    """uss2's intent is low over one place and high over another; uss1's is high over the first place.
    No single volumes of theirs meet, but their unions (every footprint over the whole altitude range
    and time span) do: the key must hold it, and a query of the high band over the first place finds it."""
    low_here_high_there = [circle(clock.now, upper=50.0), circle(clock.now, lng=7.05, lower=100.0, upper=150.0)]
    ovn2 = ovn_of(uss2.put_intent(other := new_id(), low_here_high_there))
    high_here = [circle(clock.now, lower=100.0, upper=150.0)]
    refused = uss1.put_intent(new_id(), high_here)
    assert refused.status_code == 409 and [m["id"] for m in refused.json()["missing_operational_intents"]] == [other]
    assert uss1.put_intent(new_id(), high_here, key=[ovn2]).status_code == 201
    found = uss1.call("POST", "/operational_intent_references/query", {"area_of_interest": circle(clock.now, lower=120.0, upper=130.0)})
    assert other in [r["id"] for r in found.json()["operational_intent_references"]]


# Ids and OVNs --------------------------------------------------------------------------------------------------
def test_the_id_of_a_deleted_intent_names_a_new_one(uss1, uss2, clock):
    intent = new_id()
    ovn = ovn_of(uss1.put_intent(intent, [circle(clock.now)]))
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{ovn}").status_code == 200
    again = uss1.put_intent(intent, [circle(clock.now, lng=7.2)])
    assert again.status_code == 201 and again.json()["operational_intent_reference"]["id"] == intent
    seen = uss2.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]
    assert seen["id"] == intent and seen["version"] == 1
    found = uss2.call("POST", "/operational_intent_references/query", {"area_of_interest": circle(clock.now, lng=7.2)}).json()
    assert [r["id"] for r in found["operational_intent_references"]] == [intent]
    assert uss1.put_intent(intent, [circle(clock.now)]).status_code == 409  # while it lives, the id is taken
    new_ovn = ovn_of(again)
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{new_ovn}").status_code == 200
    assert uss1.call("GET", f"/operational_intent_references/{intent}").status_code == 404


def uuid7(moment) -> str:
    millis = int(moment.timestamp() * 1000)
    value = (millis << 80) | (0x7 << 76) | (0x123 << 64) | (0b10 << 62) | 0x3456789ABCDEF
    return str(uuid.UUID(int=value))


def test_a_requested_ovn_suffix_makes_the_ovn_and_a_bad_one_is_400(uss1, clock):
    intent, suffix = new_id(), uuid7(clock.now)
    created = uss1.put_intent(intent, [circle(clock.now)], requested_ovn_suffix=suffix)
    assert ovn_of(created) == f"{intent}_{suffix}"
    later = uuid7(clock.now + timedelta(seconds=1))
    updated = uss1.put_intent(intent, [circle(clock.now)], ovn=f"{intent}_{suffix}", requested_ovn_suffix=later, subscription_id=sub_of(uss1, intent))
    assert ovn_of(updated) == f"{intent}_{later}"
    for bad in (str(uuid.uuid4()), uuid7(clock.now - timedelta(minutes=6)), "not-a-uuid"):
        response = uss1.put_intent(new_id(), [circle(clock.now, lng=8.0)], requested_ovn_suffix=bad)
        assert response.status_code == 400 and "requested_ovn_suffix" in response.json()["message"]


# Extents ----------------------------------------------------------------------------------------------------
def test_volumes_already_over_are_dropped_and_no_planning_horizon_binds_intents(uss1, clock):
    past, future = circle(clock.now, start_min=-120, minutes=30), circle(clock.now, start_min=40 * 24 * 60)
    created = uss1.put_intent(new_id(), [past, future]).json()["operational_intent_reference"]
    assert created["time_start"] == future["time_start"] and created["time_end"] == future["time_end"]
    over = uss1.put_intent(new_id(), [past])
    assert over.status_code == 400 and "past" in over.json()["message"]


def test_a_query_for_an_instant_is_valid_and_one_ending_before_it_starts_finds_nothing(uss1, clock):
    intent = new_id()
    uss1.put_intent(intent, [circle(clock.now)])  # 10 … 40 min from now
    instant = {**circle(clock.now), "time_start": rfc3339(clock.now + timedelta(minutes=20)), "time_end": rfc3339(clock.now + timedelta(minutes=20))}
    found = uss1.call("POST", "/operational_intent_references/query", {"area_of_interest": instant})
    assert found.status_code == 200 and [r["id"] for r in found.json()["operational_intent_references"]] == [intent]
    inverted = {**circle(clock.now), "time_end": rfc3339(clock.now + timedelta(minutes=5))}
    del inverted["time_start"]  # defaults to now, after which it would end... before: nothing
    inverted["time_start"] = rfc3339(clock.now + timedelta(minutes=20))
    for path, field in (("/operational_intent_references/query", "operational_intent_references"),
                        ("/constraint_references/query", "constraint_references"), ("/subscriptions/query", "subscriptions")):
        answer = uss1.call("POST", path, {"area_of_interest": inverted})
        assert answer.status_code == 200 and answer.json()[field] == []


# Subscriptions ------------------------------------------------------------------------------------------------
def test_an_implicit_subscription_is_made_anew_to_the_extents_given_with_new_subscription_shrinking_too(uss1, clock):
    intent = new_id()
    ovn = ovn_of(uss1.put_intent(intent, [circle(clock.now, radius_m=1500, minutes=90)]))
    old = sub_of(uss1, intent)
    smaller = circle(clock.now, radius_m=200, minutes=20)
    updated = uss1.put_intent(intent, [smaller], ovn=ovn).json()["operational_intent_reference"]  # with new_subscription
    new = updated["subscription_id"]
    assert new != old and uss1.call("GET", f"/subscriptions/{old}").status_code == 404
    sub = uss1.call("GET", f"/subscriptions/{new}").json()["subscription"]
    assert (sub["time_start"], sub["time_end"]) == (smaller["time_start"], smaller["time_end"])
    outside_the_old_small_one = circle(clock.now, lng=7.015, radius_m=50, start_min=10, minutes=5)  # ~1.1 km out
    assert uss1.call("POST", "/subscriptions/query", {"area_of_interest": outside_the_old_small_one}).json()["subscriptions"] == []
    # Neither subscription_id nor new_subscription: the intent has none, and its implicit one goes.
    body = {"extents": [smaller], "state": "Accepted", "uss_base_url": uss1.base_url, "key": []}
    detached = uss1.call("PUT", f"/operational_intent_references/{intent}/{updated['ovn']}", body).json()["operational_intent_reference"]
    assert detached["subscription_id"] == "00000000-0000-4000-8000-000000000000"
    assert uss1.call("GET", f"/subscriptions/{new}").status_code == 404


def test_an_explicit_subscription_that_does_not_cover_the_intent_is_400_an_implicit_one_named_grows(uss1, clock):
    explicit = new_id()
    body = {"extents": circle(clock.now, radius_m=600, start_min=0, minutes=60), "uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
    assert uss1.call("PUT", f"/subscriptions/{explicit}", body).status_code == 200
    wider = [circle(clock.now, radius_m=1000)]
    refused = uss1.put_intent(new_id(), wider, subscription_id=explicit)
    assert refused.status_code == 400 and "cover" in refused.json()["message"]
    intent = new_id()
    ovn = ovn_of(uss1.put_intent(intent, [circle(clock.now)]))
    implicit = sub_of(uss1, intent)
    grown = uss1.put_intent(intent, wider, ovn=ovn, subscription_id=implicit)
    assert grown.status_code == 200 and grown.json()["operational_intent_reference"]["subscription_id"] == implicit


def test_a_subscription_with_a_start_and_no_end_lasts_the_default_24_hours(uss1, clock):
    """From its start, even one a minute ago (the reference DSS allows 5 minutes of clock skew)."""
    extents = circle(clock.now, start_min=-1)
    del extents["time_end"]
    created = uss1.call("PUT", f"/subscriptions/{new_id()}", {"extents": extents, "uss_base_url": uss1.base_url, "notify_for_operational_intents": True})
    assert created.status_code == 200, created.json()
    assert created.json()["subscription"]["time_end"] == rfc3339(clock.now + timedelta(minutes=-1, hours=24))


def test_a_subscription_update_without_times_keeps_them_and_makes_an_implicit_one_explicit(uss1, clock):
    intent = new_id()
    uss1.put_intent(intent, [circle(clock.now)])
    sid = sub_of(uss1, intent)
    sub = uss1.call("GET", f"/subscriptions/{sid}").json()["subscription"]
    extents = circle(clock.now, radius_m=800)
    del extents["time_start"], extents["time_end"]
    body = {"extents": extents, "uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
    updated = uss1.call("PUT", f"/subscriptions/{sid}/{sub['version']}", body).json()["subscription"]
    assert (updated["time_start"], updated["time_end"]) == (sub["time_start"], sub["time_end"])
    assert updated["implicit_subscription"] is False


def test_a_subscription_with_dependents_may_start_up_to_5_minutes_after_them(uss1, clock):
    intent = new_id()
    uss1.put_intent(intent, [circle(clock.now, start_min=10, minutes=30)])
    sid = sub_of(uss1, intent)

    def move(start_min):
        version = uss1.call("GET", f"/subscriptions/{sid}").json()["subscription"]["version"]
        body = {"extents": circle(clock.now, start_min=start_min, minutes=60), "uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
        return uss1.call("PUT", f"/subscriptions/{sid}/{version}", body).status_code

    assert move(14) == 200
    assert move(16) == 400


def test_expired_subscriptions_leave_searches(uss1, clock):
    sid = new_id()
    body = {"extents": circle(clock.now, start_min=0, minutes=10), "uss_base_url": uss1.base_url, "notify_for_operational_intents": True}
    assert uss1.call("PUT", f"/subscriptions/{sid}", body).status_code == 200
    aoi = {"area_of_interest": circle(clock.now, start_min=-60, minutes=120)}
    assert [s["id"] for s in uss1.call("POST", "/subscriptions/query", aoi).json()["subscriptions"]] == [sid]
    clock.advance(minutes=11)
    assert uss1.call("POST", "/subscriptions/query", aoi).json()["subscriptions"] == []


def test_constraint_notifications_need_no_constraint_processing_scope(uss_factory, clock):
    planner = uss_factory("uss3", SC)
    body = {"extents": [circle(clock.now)], "state": "Accepted", "uss_base_url": planner.base_url,
            "new_subscription": {"uss_base_url": planner.base_url, "notify_for_constraints": True}}
    assert planner.call("PUT", f"/operational_intent_references/{new_id()}", body).status_code == 201


def test_notification_indices_count_changes_that_meet_a_subscription_in_the_extents_union(uss1, uss2, clock):
    """uss1's intent is early over one place and late over another; a subscription late over the first
    place meets no single volume, but the extent (as the reference DSS keeps it) and hears of it."""
    sid = new_id()
    body = {"extents": circle(clock.now, start_min=60, minutes=30), "uss_base_url": uss2.base_url, "notify_for_operational_intents": True}
    assert uss2.call("PUT", f"/subscriptions/{sid}", body).status_code == 200
    early_here_late_there = [circle(clock.now, start_min=10, minutes=20), circle(clock.now, lng=7.05, start_min=60, minutes=30)]
    told = uss1.put_intent(new_id(), early_here_late_there).json()["subscribers"]
    assert {"uss_base_url": uss2.base_url, "subscriptions": [{"subscription_id": sid, "notification_index": 1}]} in told
    assert uss2.call("GET", f"/subscriptions/{sid}").json()["subscription"]["notification_index"] == 1


# Small differences ------------------------------------------------------------------------------------------
def test_an_empty_ovn_or_version_in_the_path_is_400(uss1, keys, clock):
    headers = {"Authorization": "Bearer " + token(keys[0], "uss1", " ".join(("utm.strategic_coordination", "utm.constraint_management")))}
    body = {"extents": [circle(clock.now)], "state": "Accepted", "uss_base_url": uss1.base_url}
    for path in (f"/operational_intent_references/{new_id()}/", f"/constraint_references/{new_id()}/", f"/subscriptions/{new_id()}/"):
        for method in ("DELETE", "PUT"):
            response = uss1.http.request(method, "/dss/v1" + path, json=body, headers=headers, follow_redirects=False)
            assert response.status_code == 400, (method, path, response.status_code)


def test_uss_availability_is_taken_in_any_letter_case(uss1):
    answer = uss1.call("PUT", "/uss_availability/uss2", {"old_version": "", "availability": "normal"})
    assert answer.status_code == 200 and answer.json()["status"]["availability"] == "Normal"
    assert uss1.call("PUT", "/uss_availability/uss3", {"old_version": "", "availability": "DOWN"}).json()["status"]["availability"] == "Down"
    assert uss1.call("PUT", "/uss_availability/uss4", {"old_version": "", "availability": "sideways"}).status_code == 400
