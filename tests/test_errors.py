"""Errors: each class carries its code, HTTP status and title; every other table derives from them;
a refusal crosses HTTP and comes back as the same class; a busy store is a 503 to try again."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from fastapi.testclient import TestClient

from deconfliction import Deconfliction
from deconfliction.api import create_app
from deconfliction.api.problems import from_error
from deconfliction.client import error_from_response
from deconfliction.errors import ERRORS, STATUS_BY_CODE, TITLES, DeconflictionError, InvalidState, StoreBusy
from deconfliction.store import SQLiteStore

from factories import FixedClock, example_agreement

# The codes and statuses the API documents (docs/api.md), written out here as the contract.
DOCUMENTED = {
    "invalid_input": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404, "missing_key": 409,
    "version_mismatch": 409, "conflict_refused": 409, "invalid_state": 409, "too_late": 422, "beyond_horizon": 422,
    "uss_down": 412, "payload_too_large": 413, "method_not_allowed": 405, "unsupported_media_type": 415, "internal": 500,
    "unavailable": 503, "idempotency_in_progress": 409, "idempotency_key_reused": 422,
}


def test_every_documented_code_has_one_class_that_carries_its_status_and_title():
    assert STATUS_BY_CODE == DOCUMENTED
    for code, cls in ERRORS.items():
        assert cls.code == code and cls.status == DOCUMENTED[code]
        assert TITLES[code] == cls.title and cls.title and cls.title != code


@pytest.mark.parametrize("code", sorted(DOCUMENTED))
def test_a_refusal_comes_back_over_http_as_the_same_class(code):
    sent = ERRORS[code]("what went wrong", field="volumes.0", details={"missing": [{"id": "n1"}]})
    response = from_error(sent)
    received = error_from_response(httpx.Response(response.status_code, content=response.body, headers=dict(response.headers)))
    assert type(received) is ERRORS[code]
    assert (received.code, received.status, received.field, received.message) == (code, DOCUMENTED[code], "volumes.0", "what went wrong")
    assert received.details["missing"] == [{"id": "n1"}]


def test_acknowledging_a_cleared_conflict_is_an_invalid_state_not_a_forbidden(system, vol):
    red = system.file_notice("red", "pact", [vol(lon=2.35)]).notice
    blue = system.file_notice("blue", "pact", [vol(lon=2.351)], key=[red.version])
    system.cancel_notice("red", red.id)
    with pytest.raises(InvalidState):
        system.acknowledge_conflict("blue", blue.conflicts[0].id)


@pytest.fixture
def locked(tmp_path):
    """A system whose store file another process holds the write lock of (waits 0.2 s at most)."""
    path = tmp_path / "busy.db"
    system = Deconfliction(SQLiteStore(path, timeout_s=0.2), clock=FixedClock())
    system.add_agreement(example_agreement())
    token = system.issue_token(None, ["admin"], label="t", actor="test")[1]
    system.authenticate(token)  # remembered, so the request below needs no store to authenticate
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield system, token
    holder.execute("ROLLBACK")
    holder.close()
    system.close()


def test_a_write_to_a_locked_store_is_refused_as_busy_and_changes_nothing(locked):
    system, _ = locked
    with pytest.raises(StoreBusy) as refused:
        system.add_agreement(example_agreement(id="second"))
    assert refused.value.code == "unavailable" and refused.value.retry_after_s == 1
    assert isinstance(refused.value, DeconflictionError)


def test_over_http_a_locked_store_answers_503_with_retry_after(locked):
    system, token = locked
    with TestClient(create_app(system)) as http:
        reply = http.post("/v1/parties", json={"id": "purple", "name": "Purple"}, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 503, reply.text
    assert reply.headers["Retry-After"] == "1" and reply.json()["code"] == "unavailable"
