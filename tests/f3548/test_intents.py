"""Operational intent references driven as two USSs would: overlapping intents, the key conflict
(409 with missing_operational_intents, OVNs withheld) and its resolution, state transitions, deletion."""

from __future__ import annotations

from .conftest import CMSA, SC, circle, new_id


def test_the_second_overlapping_intent_is_refused_until_its_key_holds_the_first_ones_ovn(uss1, uss2, clock):
    first = new_id()
    created = uss1.put_intent(first, [circle(clock.now)])
    assert created.status_code == 201
    ovn1 = created.json()["operational_intent_reference"]["ovn"]

    second = new_id()
    refused = uss2.put_intent(second, [circle(clock.now, lng=7.003)])  # 230 m away: the circles overlap
    assert refused.status_code == 409
    missing = refused.json()["missing_operational_intents"]
    assert [m["id"] for m in missing] == [first]
    assert missing[0]["manager"] == "uss1"
    assert "ovn" not in missing[0]  # the standard: OVNs only to the managing USS
    assert uss2.call("GET", f"/operational_intent_references/{second}").status_code == 404  # nothing written

    accepted = uss2.put_intent(second, [circle(clock.now, lng=7.003)], key=[ovn1])
    assert accepted.status_code == 201
    assert accepted.json()["operational_intent_reference"]["ovn"]


def test_intents_that_do_not_intersect_need_no_key(uss1, uss2, clock):
    assert uss1.put_intent(new_id(), [circle(clock.now)]).status_code == 201
    elsewhere = uss2.put_intent(new_id(), [circle(clock.now, lng=7.02)])  # 1.5 km away
    later = uss2.put_intent(new_id(), [circle(clock.now, start_min=60)])  # same place, after it ends
    above = uss2.put_intent(new_id(), [circle(clock.now, lower=200, upper=300)])
    assert (elsewhere.status_code, later.status_code, above.status_code) == (201, 201, 201)


def test_a_stale_ovn_in_the_key_is_refused_after_the_other_intent_changes(uss1, uss2, clock):
    first = new_id()
    ovn1 = uss1.put_intent(first, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    changed = uss1.put_intent(first, [circle(clock.now, radius_m=600)], ovn=ovn1)
    assert changed.status_code == 200
    ovn1b = changed.json()["operational_intent_reference"]["ovn"]
    assert ovn1b != ovn1
    assert changed.json()["operational_intent_reference"]["version"] == 2

    stale = uss2.put_intent(new_id(), [circle(clock.now)], key=[ovn1])
    assert stale.status_code == 409
    assert [m["id"] for m in stale.json()["missing_operational_intents"]] == [first]
    assert uss2.put_intent(new_id(), [circle(clock.now)], key=[ovn1b]).status_code == 201


def test_get_and_query_show_the_ovn_to_its_manager_only(uss1, uss2, clock):
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    mine = uss1.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]
    theirs = uss2.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]
    assert mine["ovn"] == ovn and "ovn" not in theirs
    assert theirs["manager"] == "uss1" and theirs["state"] == "Accepted" and theirs["uss_base_url"] == uss1.base_url

    area = {"area_of_interest": circle(clock.now, radius_m=2000, start_min=0, minutes=120)}
    found = uss2.call("POST", "/operational_intent_references/query", area).json()["operational_intent_references"]
    assert [(r["id"], "ovn" in r) for r in found] == [(intent, False)]
    away = {"area_of_interest": circle(clock.now, lng=8.0, radius_m=2000)}
    assert uss2.call("POST", "/operational_intent_references/query", away).json()["operational_intent_references"] == []


def test_query_is_exact_not_cell_based(uss1, uss2, clock):
    """Two circles 10 m apart at their edges: the reference DSS's ~1 km² cells would call them
    intersecting; we do not, and a query area 10 m away finds nothing."""
    uss1.put_intent(new_id(), [circle(clock.now, radius_m=100)])
    # centre 210 m east: its 100 m circle ends 10 m from the first one's edge (at 46° N, 1° lng ≈ 77.4 km)
    near = circle(clock.now, lng=7.0 + 210 / 77_370, radius_m=100)
    assert uss2.put_intent(new_id(), [near]).status_code == 201
    assert uss2.call("POST", "/operational_intent_references/query", {"area_of_interest": near}).json()["operational_intent_references"][0]["manager"] == "uss2"
    assert len(uss2.call("POST", "/operational_intent_references/query", {"area_of_interest": near}).json()["operational_intent_references"]) == 1


def test_state_transitions_accepted_activated_nonconforming_contingent(uss1, uss2, clock):
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    activated = uss1.put_intent(intent, [circle(clock.now)], state="Activated", ovn=ovn)
    assert activated.status_code == 200 and activated.json()["operational_intent_reference"]["state"] == "Activated"
    ovn = activated.json()["operational_intent_reference"]["ovn"]

    # Another USS files where the aircraft will stray; then the aircraft strays there without a key.
    other = new_id()
    other_ovn = uss2.put_intent(other, [circle(clock.now, lng=7.02)]).json()["operational_intent_reference"]["ovn"]
    strayed = uss1.put_intent(intent, [circle(clock.now, radius_m=2000)], state="Nonconforming", ovn=ovn)
    assert strayed.status_code == 200, strayed.json()
    assert strayed.json()["operational_intent_reference"]["state"] == "Nonconforming"
    ovn = strayed.json()["operational_intent_reference"]["ovn"]

    back = uss1.put_intent(intent, [circle(clock.now)], state="Activated", ovn=ovn)  # shrinking back needs no key
    assert back.status_code == 200
    ovn = back.json()["operational_intent_reference"]["ovn"]
    contingent = uss1.put_intent(intent, [circle(clock.now, radius_m=2000)], state="Contingent", ovn=ovn)
    assert contingent.status_code == 200 and contingent.json()["operational_intent_reference"]["state"] == "Contingent"
    ovn = contingent.json()["operational_intent_reference"]["ovn"]
    seen = uss2.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]
    assert seen["state"] == "Contingent"

    # Contingent must end: it cannot go back to Activated (a disallowed mutation: 400) ...
    assert uss1.put_intent(intent, [circle(clock.now)], state="Activated", ovn=ovn, key=[other_ovn]).status_code == 400
    # ... and the conflict it caused with uss2's intent is on record in the native API as well.
    assert any(c.notice_b in (intent, other) or c.notice_a in (intent, other) for c in uss1_conflicts(uss1))
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{ovn}").status_code == 200
    assert uss1.call("GET", f"/operational_intent_references/{intent}").status_code == 404


def uss1_conflicts(uss):
    from deconfliction.models import Conflict

    system = uss.http.app.state.system
    return [c for c in system.conflicts("uss1") if isinstance(c, Conflict)]


def test_disallowed_transitions_are_bad_requests(uss1, clock):
    assert uss1.put_intent(new_id(), [circle(clock.now)], state="Nonconforming").status_code == 400
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)], state="Activated").json()["operational_intent_reference"]["ovn"]
    back_to_accepted = uss1.put_intent(intent, [circle(clock.now)], state="Accepted", ovn=ovn)
    assert back_to_accepted.status_code == 400
    assert "Activated to Accepted" in back_to_accepted.json()["message"]


def test_off_nominal_states_need_the_conformance_monitoring_scope(uss_factory, clock):
    planner = uss_factory("uss1", SC)
    intent = new_id()
    ovn = planner.put_intent(intent, [circle(clock.now)], state="Activated").json()["operational_intent_reference"]["ovn"]
    refused = planner.put_intent(intent, [circle(clock.now)], state="Nonconforming", ovn=ovn)
    assert refused.status_code == 403 and CMSA in refused.json()["message"]
    monitor = uss_factory("uss1", CMSA)
    assert monitor.put_intent(intent, [circle(clock.now)], state="Nonconforming", ovn=ovn).status_code == 200
    assert monitor.put_intent(new_id(), [circle(clock.now, lng=8)]).status_code == 403  # Accepted needs SC


def test_only_the_manager_changes_or_deletes_an_intent(uss1, uss2, clock):
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    assert uss2.put_intent(intent, [circle(clock.now)], ovn=ovn).status_code == 403
    assert uss2.call("DELETE", f"/operational_intent_references/{intent}/{ovn}").status_code == 403
    assert uss1.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]["ovn"] == ovn


def test_a_wrong_ovn_is_a_conflict_and_changes_nothing(uss1, clock):
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    wrong = "X" * 16
    assert uss1.put_intent(intent, [circle(clock.now, radius_m=900)], ovn=wrong).status_code == 409
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{wrong}").status_code == 409
    assert uss1.call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]["ovn"] == ovn


def test_an_intent_is_a_notice_so_native_parties_and_ussss_share_one_key(uss1, system, clock):
    """A native party in the agreement files through the library; the USS must hold its version as an OVN."""
    from deconfliction.geometry import AltitudeBand, Circle, TimeWindow, Volume4D
    from datetime import timedelta

    system.add_agreement(system.agreement("utm").model_copy(update={"parties": ["dss-operator", "uss1"]}))
    notice = system.file_notice("dss-operator", "utm", [Volume4D(
        footprint=Circle(lon=7.0, lat=46.0, radius_m=300),
        altitude=AltitudeBand(lower_m=0, upper_m=100, datum="W84"),
        time=TimeWindow(start=clock.now + timedelta(minutes=5), end=clock.now + timedelta(minutes=50)),
    )]).notice
    refused = uss1.put_intent(new_id(), [circle(clock.now)])
    assert refused.status_code == 409
    shown = refused.json()["missing_operational_intents"][0]
    assert shown["id"] == notice.id and shown["manager"] == "dss-operator" and shown["uss_base_url"] == ""
    assert uss1.put_intent(new_id(), [circle(clock.now)], key=[notice.version]).status_code == 201
