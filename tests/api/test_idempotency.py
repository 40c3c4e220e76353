"""Idempotency-Key on writes: a retried request is applied once and answered with the first reply."""

from __future__ import annotations

import httpx
import pytest

from deconfliction.errors import DatabaseLost
from deconfliction.rules import idempotency
from deconfliction.store import SQLiteStore

from .conftest import bearer, volume_json


def _file(http, token, clock, key=None, **volume):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return http.post("/v1/notices", json={"agreement_id": "pact", "volumes": [volume_json(clock.now, **volume)]}, headers=headers)


def _notices_of(system, party):
    return [n for n in system.notices(party, party_id=party)]


def test_a_retried_filing_with_the_same_key_is_applied_once_and_answered_with_the_first_reply(http, tokens, clock, system):
    first = _file(http, tokens["owner"], clock, key="filing-1")
    again = _file(http, tokens["owner"], clock, key="filing-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == first.headers["ETag"]
    assert [n.id for n in _notices_of(system, "blue")] == [first.json()["notice"]["id"]]
    told = [e for e in system.events("red") if e.kind == "notice.filed"]  # the other members hear of it once
    assert len(told) == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(http, tokens, clock, system):
    assert _file(http, tokens["owner"], clock, key="k").status_code == 201
    other = _file(http, tokens["owner"], clock, key="k", lon=3.0)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused" and other.json()["field"] == "Idempotency-Key"
    assert len(_notices_of(system, "blue")) == 1


def test_keys_belong_to_their_party(http, tokens, clock, system):
    blue = _file(http, tokens["owner"], clock, key="same", lon=10.0)
    red = _file(http, tokens["member"], clock, key="same", lon=20.0)
    assert blue.status_code == red.status_code == 201
    assert blue.json()["notice"]["id"] != red.json()["notice"]["id"]
    assert len(_notices_of(system, "blue")) == len(_notices_of(system, "red")) == 1


def test_a_refused_write_leaves_no_key_behind(http, tokens, clock, system):
    blue = _file(http, tokens["owner"], clock).json()["notice"]
    refused = _file(http, tokens["member"], clock, key="try", lon=2.351)  # conflicts, no awareness key
    assert refused.status_code == 409 and refused.json()["code"] == "missing_key"
    body = {"agreement_id": "pact", "volumes": [volume_json(clock.now, lon=2.351)], "key": [blue["version"]]}
    accepted = http.post("/v1/notices", json=body, headers=bearer(tokens["member"]) | {"Idempotency-Key": "try"})
    assert accepted.status_code == 201, accepted.text  # another body under the same key: nothing held it


def test_a_bad_key_is_a_clear_400_naming_the_header_and_changes_nothing(http, tokens, clock, system):
    for bad in ("has space", "x" * 256, "é"):
        response = http.post(
            "/v1/notices", json={"agreement_id": "pact", "volumes": [volume_json(clock.now)]},
            headers=bearer(tokens["owner"]) | {"Idempotency-Key": bad.encode()},
        )
        assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key", bad
    assert _notices_of(system, "blue") == []


def test_a_retry_after_a_crash_between_the_commit_and_the_recorded_reply_gets_the_original_reply(http, tokens, clock, system, monkeypatch):
    """The server dies after the write committed and before it recorded the reply (here: recording
    does nothing, and the reply never reaches the client). The key and the write's result were
    committed together, so the retry is answered as the first request was, and nothing is written twice."""
    recorded = idempotency.record_reply
    monkeypatch.setattr(idempotency, "record_reply", lambda *args: None)
    first = _file(http, tokens["owner"], clock, key="crash-1")
    assert first.status_code == 201
    monkeypatch.setattr(idempotency, "record_reply", recorded)  # the restarted server records replies again

    again = _file(http, tokens["owner"], clock, key="crash-1")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == first.headers["ETag"]
    assert [n.id for n in _notices_of(system, "blue")] == [first.json()["notice"]["id"]]
    assert len([e for e in system.events("red") if e.kind == "notice.filed"]) == 1
    with system.store.transaction(write=False) as tx:  # the retry recorded the reply: later ones take the short way
        assert tx.get_idempotency("blue", "crash-1").status == 201
    third = _file(http, tokens["owner"], clock, key="crash-1")
    assert third.json() == first.json() and third.headers["Idempotent-Replayed"] == "true"


def test_a_key_whose_write_committed_without_a_recorded_reply_answers_409_in_progress(http, tokens, clock, system):
    """A row without a kept result (written before migration 11): nothing to answer from, so 409 as before."""
    import hashlib

    body = b'{"agreement_id":"pact","volumes":[]}'
    digest = hashlib.sha256(b"POST\0/v1/notices\0\0" + body).hexdigest()
    with system.store.transaction() as tx:
        tx.reserve_idempotency("blue", "lost", digest, "someone-else", clock.now)
    response = http.post("/v1/notices", content=body, headers=bearer(tokens["owner"]) | {"Idempotency-Key": "lost", "Content-Type": "application/json"})
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"


class _CommitThenLose:
    """A store whose first write transaction commits and then reports the connection lost, as a
    PostgreSQL client sees a primary killed between its COMMIT and the reply."""

    def __init__(self, store):
        self.inner = store
        self.lost = 0

    def transaction(self, write=True):
        from contextlib import contextmanager

        @contextmanager
        def tx():
            with self.inner.transaction(write=write) as t:
                yield t
            if write and self.lost == 0:
                self.lost += 1
                error = OSError("server closed the connection unexpectedly")
                error.connection_lost = True
                error.commit_outcome_unknown = True
                raise error

        return tx()

    def close(self):
        self.inner.close()


def test_a_write_lost_at_commit_is_retried_without_being_applied_twice(tmp_path, clock, agreement, vol):
    from deconfliction import Deconfliction

    store = _CommitThenLose(SQLiteStore(tmp_path / "lost.db"))
    system = Deconfliction(store, clock=clock)
    with pytest.raises(DatabaseLost) as lost:  # without a key, a loss at COMMIT is raised: nobody knows if it was applied
        system.add_agreement(agreement)
    assert lost.value.status == 503 and lost.value.retry_after_s
    assert system.agreement(agreement.id)  # (it was)
    # A keyed write whose commit is lost the same way is retried, finds its own reservation, and stops:
    store.lost = 0
    pending, token = idempotency.begin("k1", "h1")
    try:
        idempotency.note_caller("blue")
        filing = system.file_notice("blue", agreement.id, [vol()])
    finally:
        idempotency.end(token)
    assert store.lost == 1 and pending.committed
    assert [n.id for n in system.notices("blue", party_id="blue")] == [filing.notice.id]
    store.close()


class _LoseFirstReply(httpx.BaseTransport):
    """Passes requests to the app; the first write's reply is lost on the way back (connection reset)."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.write_keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET":
            self.write_keys.append(request.headers.get("Idempotency-Key"))
            if len(self.write_keys) == 1:
                response.read()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_the_client_sends_a_key_and_retries_a_lost_reply_with_it(http, tokens, clock, system):
    from deconfliction.client import Client

    transport = _LoseFirstReply(http._transport)
    with Client("http://testserver", tokens["owner"], transport=transport, retry_s=5.0) as api:
        filing = api.file_notice("pact", [volume_json(clock.now)])
        second = api.file_notice("pact", [volume_json(clock.now, lon=5.0)])
    first_key, retried_key, second_key = transport.write_keys
    assert first_key and first_key == retried_key and second_key != first_key
    assert sorted(n.id for n in _notices_of(system, "blue")) == sorted([filing.notice.id, second.notice.id])
