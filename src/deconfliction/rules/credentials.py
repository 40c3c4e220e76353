"""Party API tokens: shown once, stored as a SHA-256 hash, revocable, with scopes.

A token is 32 random bytes; hashing it without salt is enough because it is not a password
(nothing to guess from a dictionary), and it lets a request find its credential by hash in one lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
import hashlib
import secrets
from datetime import datetime

from ..errors import InvalidInput, NotFound, Unauthenticated
from ..models import Credential

if TYPE_CHECKING:
    from ..store import Transaction

SCOPES = ("notices:write", "notices:read", "hotline", "observer", "admin")
PARTY_SCOPES = ["notices:write", "notices:read", "hotline"]
TOKEN_PREFIX = "dcf_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    tx: Transaction, *, party_id: str | None, scopes: list[str] | None, now: datetime, label: str = ""
) -> tuple[Credential, str]:
    """A new token for a party (or, with party_id None and the admin scope, for an operator).
    Returns the credential and the token itself, which is never stored and cannot be shown again."""
    scopes = list(scopes) if scopes is not None else list(PARTY_SCOPES)
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}", field="scopes")
    if party_id is None and scopes != ["admin"]:
        raise InvalidInput("a token without a party is an operator token and has exactly the 'admin' scope", field="scopes")
    if party_id is not None and "admin" in scopes:
        # Operator rights never come from a party's token (api/auth.py ignores it): refuse it rather than issue a token that lies.
        raise InvalidInput("a party's token cannot carry the 'admin' scope; operator tokens have no party", field="scopes")
    if party_id is not None and tx.get_party(party_id) is None:
        raise NotFound(f"no party {party_id!r}", field="party_id")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    credential = Credential(
        id="tok_" + secrets.token_hex(6), party_id=party_id, token_hash=hash_token(token), scopes=scopes, label=label, created_at=now
    )
    tx.put_credential(credential)
    return credential, token


def authenticate(tx: Transaction, token: str) -> Credential:
    credential = tx.credential_by_hash(hash_token(token))
    if credential is None or credential.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token", field="authorization")
    return credential


def revoke_token(tx: Transaction, credential_id: str, now: datetime) -> Credential:
    for credential in tx.list_credentials():
        if credential.id == credential_id:
            if credential.revoked_at is None:
                credential = credential.model_copy(update={"revoked_at": now})
                tx.put_credential(credential)
            return credential
    raise NotFound(f"no token {credential_id}", field="credential_id")
