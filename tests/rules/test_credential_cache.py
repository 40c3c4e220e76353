"""The per-process token memory (credential_cache.py): fewer store reads, revocation still binding."""

from __future__ import annotations

from datetime import datetime, timezone

from deconfliction.rules.credential_cache import CredentialCache
from deconfliction.errors import DeconflictionError
from deconfliction.models import Credential
from deconfliction.service import Deconfliction
from deconfliction.store import SQLiteStore

from builders import make_system


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused(system: Deconfliction, token: str) -> bool:
    try:
        system.authenticate(token)
    except DeconflictionError as error:
        assert error.code == "unauthenticated" and error.status == 401
        return True
    return False


class CountingStore:
    """The store, counting read transactions."""

    def __init__(self, store):
        self.store, self.reads = store, 0

    def transaction(self, write: bool = True):
        self.reads += not write
        return self.store.transaction(write)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_token_checked_moments_ago_is_answered_without_reading_the_store(tmp_path):
    system, _ = make_system(tmp_path)
    _, token = system.issue_token("blue")
    system.store = counting = CountingStore(system.store)
    for _ in range(5):
        assert system.authenticate(token).party_id == "blue"
    assert counting.reads == 1


def test_a_token_used_then_revoked_in_this_process_is_refused_at_once(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token("blue")
    assert system.authenticate(token).party_id == "blue"  # now remembered
    assert system.authenticate_cached(token) is not None
    system.revoke_token(credential.id)
    assert system.authenticate_cached(token) is None
    assert refused(system, token)


def test_a_revocation_by_another_process_is_seen_within_one_second(tmp_path):
    here, _ = make_system(tmp_path)
    elsewhere = Deconfliction(SQLiteStore(tmp_path / "test.db"))  # another worker, or the CLI
    here.credential_cache.monotonic = clock = Monotonic()
    credential, token = here.issue_token("blue")
    assert here.authenticate(token).party_id == "blue"
    elsewhere.revoke_token(credential.id)
    clock.now += 0.5
    assert not refused(here, token)  # the documented window: up to 1 s
    clock.now += 0.5
    assert refused(here, token)
    clock.now += 60
    assert refused(here, token)  # refusals are never remembered as anything else


def test_unknown_and_revoked_tokens_are_never_remembered(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token("blue")
    system.revoke_token(credential.id)
    assert refused(system, token) and refused(system, "dcf_unknown")
    assert system.credential_cache._entries == {}


def test_a_lookup_under_way_when_a_revocation_commits_does_not_remember_its_stale_answer(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token("blue")
    cache = system.credential_cache
    began = cache.begin()  # a request starts reading the store ...
    stale = system.authenticate(token)
    cache.clear()  # ... which is what revoke_token does once its write is done
    cache.put("hash-of-token", stale, began)
    assert cache.get("hash-of-token") is None


def test_the_memory_stays_bounded():
    cache = CredentialCache()

    def credential(i: int) -> Credential:
        return Credential(id=f"tok_{i}", party_id="blue", token_hash=f"h{i}", scopes=["notices:read"], label="", created_at=datetime.now(timezone.utc))

    for i in range(10_001):
        cache.put(f"h{i}", credential(i), cache.begin())
    assert len(cache._entries) <= 10_000
    assert cache.get("h10000") is not None
