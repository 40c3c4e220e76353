"""A revoked token is refused over HTTP although servers remember recently checked tokens: at once by
the server that revoked it, within 1 s by another server (worker) over the same store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deconfliction.api import ApiSettings, create_app
from deconfliction.service import Deconfliction
from deconfliction.store import SQLiteStore

from builders import make_system


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_revoked_over_http_is_refused_by_this_server_at_once_and_by_another_within_one_second(tmp_path):
    first, _ = make_system(tmp_path)
    second = Deconfliction(SQLiteStore(tmp_path / "test.db"))  # a second worker process over the same store
    second.credential_cache.monotonic = clock = Monotonic()
    _, admin = first.issue_token(None, ["admin"])
    credential, token = first.issue_token("blue")
    with TestClient(create_app(first, ApiSettings())) as a, TestClient(create_app(second, ApiSettings())) as b:
        for http in (a, b):  # both servers have now checked the token and remember it
            assert http.get("/v1/notices", headers=bearer(token)).status_code == 200
        assert a.delete(f"/v1/tokens/{credential.id}", headers=bearer(admin)).status_code == 200

        refused = a.get("/v1/notices", headers=bearer(token))
        assert refused.status_code == 401 and refused.json()["field"] == "authorization"
        assert a.post("/v1/notices", headers=bearer(token), json={}).status_code == 401

        clock.now += 0.99
        assert b.get("/v1/notices", headers=bearer(token)).status_code == 200  # the documented window
        clock.now += 0.01
        assert b.get("/v1/notices", headers=bearer(token)).status_code == 401
        assert b.post("/v1/notices", headers=bearer(token), json={}).status_code == 401


def test_a_token_issued_by_another_server_works_at_once(tmp_path):
    first, _ = make_system(tmp_path)
    second = Deconfliction(SQLiteStore(tmp_path / "test.db"))
    with TestClient(create_app(second, ApiSettings())) as b:
        assert b.get("/v1/notices", headers=bearer("dcf_not-yet-issued")).status_code == 401
        _, token = first.issue_token("blue")
        assert b.get("/v1/notices", headers=bearer(token)).status_code == 200
