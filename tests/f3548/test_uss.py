"""USS availability (Down blocks intents with 412), reports, and the health endpoint."""

from __future__ import annotations

from .conftest import AA, SC, circle, new_id


def test_availability_starts_unknown_and_changes_with_its_version(uss_factory):
    arbiter = uss_factory("arbiter", AA)
    unknown = arbiter.call("GET", "/uss_availability/uss1").json()
    assert unknown == {"status": {"uss": "uss1", "availability": "Unknown"}, "version": ""}
    down = arbiter.call("PUT", "/uss_availability/uss1", {"old_version": "", "availability": "Down"}).json()
    assert down["status"]["availability"] == "Down" and down["version"]
    planner = uss_factory("uss2", SC)
    assert planner.call("GET", "/uss_availability/uss1").json() == down
    assert planner.call("PUT", "/uss_availability/uss1", {"old_version": down["version"], "availability": "Normal"}).status_code == 403


def test_a_stale_availability_version_changes_nothing(uss_factory, system):
    arbiter = uss_factory("arbiter", AA)
    first = arbiter.call("PUT", "/uss_availability/uss1", {"old_version": "", "availability": "Normal"}).json()
    response = arbiter.http.put("/dss/v1/uss_availability/uss1", json={"old_version": "", "availability": "Down"},
                                headers={"Authorization": arbiter.last.request.headers["Authorization"]})
    # The document lists no 409 for this operation; the reference DSS answers 409 all the same.
    assert response.status_code == 409 and set(response.json()) == {"message"}
    assert arbiter.call("GET", "/uss_availability/uss1").json() == first


def test_a_uss_marked_down_cannot_create_activate_or_delete_intents(uss_factory, clock):
    arbiter = uss_factory("arbiter", AA)
    uss1 = uss_factory("uss1")
    intent = new_id()
    ovn = uss1.put_intent(intent, [circle(clock.now)]).json()["operational_intent_reference"]["ovn"]
    arbiter.call("PUT", "/uss_availability/uss1", {"old_version": "", "availability": "Down"})

    assert uss1.put_intent(new_id(), [circle(clock.now, lng=8)]).status_code == 412
    assert uss1.put_intent(intent, [circle(clock.now)], state="Activated", ovn=ovn).status_code == 412
    assert uss1.call("DELETE", f"/operational_intent_references/{intent}/{ovn}").status_code == 412
    seen = uss_factory("uss2").call("GET", f"/operational_intent_references/{intent}").json()["operational_intent_reference"]
    assert seen["uss_availability"] == "Down" and seen["state"] == "Accepted"


def test_reports_are_archived_with_an_id(uss_factory, system, clock):
    reporter = uss_factory("uss1", SC)
    report = {"exchange": {"url": "https://uss2.example.com/utm/uss/v1/operational_intents/x", "method": "GET",
                           "recorder_role": "Client", "request_time": {"value": "2026-06-01T08:00:00Z", "format": "RFC3339"},
                           "request_source": "uss1", "response_code": 500, "problem": "uss2 answered 500"}}
    answer = reporter.call("POST", "/reports", report)
    assert answer.status_code == 201
    report_id = answer.json()["report_id"]
    with system.store.transaction(write=False) as tx:
        archived = tx.dss_reports()
    assert [(r.id, r.reporter, r.report["exchange"]["problem"]) for r in archived] == [(report_id, "uss1", "uss2 answered 500")]
    assert reporter.call("POST", "/reports", {"exchange": {"url": "x"}}).status_code == 400


def test_healthy_answers_ok_without_a_token(http):
    response = http.get("/dss/v1/healthy")
    assert response.status_code == 200 and response.text == "ok"


def test_healthy_is_503_when_the_store_does_not_answer(http, system, monkeypatch):
    def broken():
        raise OSError("disk gone")

    monkeypatch.setattr(system, "last_event_seq", broken)
    response = http.get("/dss/v1/healthy")
    assert response.status_code == 503 and "store" in response.json()["message"]
