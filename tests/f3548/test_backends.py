"""The core flow on both stores: two USSs, the key conflict and its resolution, an implicit
subscription, deletion. (The rest of tests/f3548 runs on SQLite; the store contract of the F3548
tables runs on both in tests/store/test_store_f3548.py.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconfliction.api import create_app
from store.backends import BACKENDS, backend_store, stop_postgres_server

from .conftest import Uss, circle, make_system, new_id


@pytest.fixture(scope="module", autouse=True)
def _stop_postgres_at_end():
    yield
    stop_postgres_server()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_ussss_overlap_resolve_the_key_and_clean_up(backend, tmp_path, clock, settings, keys):
    with backend_store(backend, tmp_path) as store, TestClient(create_app(make_system(store, clock), settings)) as http:
        uss1, uss2 = Uss(http, keys[0], "uss1"), Uss(http, keys[0], "uss2")
        first = new_id()
        ref1 = uss1.put_intent(first, [circle(clock.now)]).json()["operational_intent_reference"]
        refused = uss2.put_intent(new_id(), [circle(clock.now, lng=7.003)])
        assert refused.status_code == 409
        assert [m["id"] for m in refused.json()["missing_operational_intents"]] == [first]
        second = new_id()
        created = uss2.put_intent(second, [circle(clock.now, lng=7.003)], key=[ref1["ovn"]]).json()
        assert {s["uss_base_url"] for s in created["subscribers"]} == {uss1.base_url, uss2.base_url}
        assert uss1.call("GET", f"/subscriptions/{ref1['subscription_id']}").json()["subscription"]["notification_index"] == 2

        assert uss1.call("DELETE", f"/operational_intent_references/{first}/{ref1['ovn']}").status_code == 200
        assert uss1.call("GET", f"/subscriptions/{ref1['subscription_id']}").status_code == 404
        found = uss1.call("POST", "/operational_intent_references/query", {"area_of_interest": circle(clock.now, radius_m=3000)})
        assert [r["id"] for r in found.json()["operational_intent_references"]] == [second]
