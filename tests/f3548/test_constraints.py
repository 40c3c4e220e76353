"""Constraint references: managed by a USS with constraint management, read by processors, and their
OVNs required in the key of intents whose subscription asks for constraint notifications."""

from __future__ import annotations

from .conftest import CM, CP, SC, circle, new_id


def put_constraint(uss, cid, extents, ovn=None):
    path = f"/constraint_references/{cid}" + (f"/{ovn}" if ovn else "")
    return uss.call("PUT", path, {"extents": extents, "uss_base_url": uss.base_url})


def test_constraint_lifecycle_with_ovns_for_the_manager_only(uss_factory, clock):
    authority = uss_factory("authority", CM)
    reader = uss_factory("uss2", CP)
    cid = new_id()
    created = put_constraint(authority, cid, [circle(clock.now, radius_m=1000)])
    assert created.status_code == 201
    ref = created.json()["constraint_reference"]
    assert ref["version"] == 1 and ref["manager"] == "authority" and ref["ovn"]
    assert "ovn" not in reader.call("GET", f"/constraint_references/{cid}").json()["constraint_reference"]

    area = {"area_of_interest": circle(clock.now, radius_m=5000, start_min=0, minutes=120)}
    assert [c["id"] for c in reader.call("POST", "/constraint_references/query", area).json()["constraint_references"]] == [cid]

    updated = put_constraint(authority, cid, [circle(clock.now, radius_m=2000)], ovn=ref["ovn"])
    assert updated.status_code == 200 and updated.json()["constraint_reference"]["version"] == 2
    new_ovn = updated.json()["constraint_reference"]["ovn"]
    assert put_constraint(authority, cid, [circle(clock.now)], ovn=ref["ovn"]).status_code == 409  # stale OVN
    assert put_constraint(authority, cid, [circle(clock.now)]).status_code == 409  # exists already
    assert reader.call("DELETE", f"/constraint_references/{cid}/{new_ovn}").status_code == 403  # needs CM
    other_manager = uss_factory("authority2", CM)
    assert other_manager.call("DELETE", f"/constraint_references/{cid}/{new_ovn}").status_code == 403  # not the manager
    deleted = authority.call("DELETE", f"/constraint_references/{cid}/{new_ovn}")
    assert deleted.status_code == 200
    assert reader.call("GET", f"/constraint_references/{cid}").status_code == 404


def test_constraint_processors_need_constraint_ovns_in_their_key(uss_factory, clock):
    authority = uss_factory("authority", CM)
    cid = new_id()
    cstr_ovn = put_constraint(authority, cid, [circle(clock.now, radius_m=1000)]).json()["constraint_reference"]["ovn"]

    processor = uss_factory("uss1", f"{SC} {CP}")
    with_constraints = {"new_subscription": {"uss_base_url": processor.base_url, "notify_for_constraints": True}}
    refused = processor.put_intent(new_id(), [circle(clock.now)], **with_constraints)
    assert refused.status_code == 409
    assert [c["id"] for c in refused.json()["missing_constraints"]] == [cid]
    assert "ovn" not in refused.json()["missing_constraints"][0]
    assert refused.json()["missing_operational_intents"] == []
    assert processor.put_intent(new_id(), [circle(clock.now)], key=[cstr_ovn], **with_constraints).status_code == 201

    # A USS not in the constraint processing role does not need them (the standard: "if and only if").
    planner = uss_factory("uss2", SC)
    assert planner.put_intent(new_id(), [circle(clock.now, lng=7.0005)], key=[]).status_code == 409  # uss1's intent, not the constraint
    planner_missing = planner.last.json()
    assert planner_missing["missing_constraints"] == [] and len(planner_missing["missing_operational_intents"]) == 1


def test_constraint_changes_notify_constraint_subscribers_only(uss_factory, clock):
    authority = uss_factory("authority", CM)
    processor = uss_factory("uss1", CP)
    sid = new_id()
    processor.call("PUT", f"/subscriptions/{sid}", {"extents": circle(clock.now, radius_m=3000, start_min=0, minutes=120),
                                                   "uss_base_url": processor.base_url, "notify_for_constraints": True})
    planner = uss_factory("uss2", SC)
    planner.call("PUT", f"/subscriptions/{new_id()}", {"extents": circle(clock.now, radius_m=3000, start_min=0, minutes=120),
                                                      "uss_base_url": planner.base_url, "notify_for_operational_intents": True})
    created = put_constraint(authority, new_id(), [circle(clock.now)]).json()
    assert created["subscribers"] == [{"uss_base_url": processor.base_url, "subscriptions": [{"subscription_id": sid, "notification_index": 1}]}]


def test_constraint_limits(uss_factory, clock):
    authority = uss_factory("authority", CM)
    assert put_constraint(authority, new_id(), [circle(clock.now, radius_m=60_000)]).status_code == 400  # 11,310 km² > 10,000: 400, as the reference DSS
    assert put_constraint(authority, new_id(), [circle(clock.now, radius_m=50_000)]).status_code == 201
    far = circle(clock.now, start_min=57 * 24 * 60)  # beyond the 56-day planning horizon for constraints
    assert put_constraint(authority, new_id(), [far]).status_code == 400
    assert put_constraint(authority, new_id(), []).status_code == 400
