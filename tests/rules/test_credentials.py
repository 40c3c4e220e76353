"""API tokens: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import sqlite3

import pytest

from deconfliction.errors import DeconflictionError

from builders import make_system


def test_a_token_authenticates_its_party_and_is_stored_only_as_a_hash(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token("blue", label="ops laptop")
    assert system.authenticate(token).party_id == "blue"
    raw = sqlite3.connect(tmp_path / "test.db").execute("SELECT token_hash, body FROM credentials").fetchall()
    assert all(token not in column for row in raw for column in row)


def test_a_revoked_token_no_longer_authenticates(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token("blue")
    system.revoke_token(credential.id)
    with pytest.raises(DeconflictionError) as refused:
        system.authenticate(token)
    assert refused.value.code == "unauthenticated" and refused.value.status == 401


def test_unknown_scopes_and_unknown_parties_are_refused(tmp_path):
    system, _ = make_system(tmp_path)
    with pytest.raises(DeconflictionError) as bad_scope:
        system.issue_token("blue", scopes=["root"])
    assert bad_scope.value.field == "scopes"
    with pytest.raises(DeconflictionError) as no_party:
        system.issue_token("nobody")
    assert no_party.value.code == "not_found"
    assert system.tokens() == []


def test_an_operator_token_has_only_the_admin_scope(tmp_path):
    system, _ = make_system(tmp_path)
    credential, token = system.issue_token(None, scopes=["admin"])
    assert system.authenticate(token).scopes == ["admin"] and credential.party_id is None
    with pytest.raises(DeconflictionError):
        system.issue_token(None, scopes=["notices:write"])
