"""Who is calling, and what they may do.

`Authorization: Bearer <token>` carries either
  (a) a party's API token (`dcf_…`), looked up by its hash in the store (`system.authenticate`), or
  (b) an RS256 JWT from an external issuer, when the server has its public key: `sub` names the
      party, `scope` holds space-separated scopes, `aud` must match, `iss` too when configured,
      `exp` is required. Operator (`admin`) rights come only from local tokens, never from a JWT.

Roles, by scope (see docs/api.md for the matrix):
  notices:read   read what the token's party may see (its agreements; others' notices minimised)
  notices:write  file/change its own notices, acknowledge on its own behalf, manage its
                 subscriptions and webhooks (the services enforce ownership)
  observer       read like notices:read, and never write, whatever else the token holds
  admin          operator token (no party): agreements, parties, tokens, audit, all conflicts and
                 webhook deliveries; it cannot act as a party
  hotline        send, read and acknowledge hotline messages (notices:write may too; notices:read
                 and observer may read them)
Missing or bad credentials: 401. Authenticated but not allowed: 403.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..rules import idempotency
from ..rules.credentials import SCOPES, TOKEN_PREFIX
from ..errors import Forbidden, NotFound, Unauthenticated
from ..service import Deconfliction

bearer = HTTPBearer(auto_error=False, description="A party API token (dcf_…) or an RS256 JWT from the configured issuer.")

READ = "notices:read"
WRITE = "notices:write"
OBSERVER = "observer"
ADMIN = "admin"
HOTLINE = "hotline"


@dataclass(frozen=True)
class Principal:
    party_id: str | None
    scopes: frozenset[str]
    credential_id: str  # the token id, or "jwt:<jti or sub>"
    via: str = "token"  # "token" | "jwt"

    @property
    def is_admin(self) -> bool:
        return self.party_id is None and ADMIN in self.scopes

    @property
    def is_observer(self) -> bool:
        return OBSERVER in self.scopes

    @property
    def can_read(self) -> bool:
        return self.party_id is not None and bool({READ, OBSERVER} & self.scopes)

    @property
    def can_write(self) -> bool:
        return self.party_id is not None and WRITE in self.scopes and not self.is_observer

    @property
    def actor(self) -> str:
        """Who the audit chain names for this caller's changes."""
        return self.party_id if self.party_id is not None else f"admin:{self.credential_id}"


def system_of(request: Request) -> Deconfliction:
    return request.app.state.system


class JwtVerifier:
    """Accepts RS256 tokens signed by any of the configured issuers' keys, for any accepted audience."""

    def __init__(self, public_keys: str | list[str], audiences: str | list[str] | None, issuer: str | None):
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        keys = [public_keys] if isinstance(public_keys, str) else list(public_keys)
        self.public_keys = [load_pem_public_key(k.encode()) for k in keys]  # parsed once, not per request
        self.audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        self.issuer = issuer

    def verify(self, token: str, system: Deconfliction) -> Principal:
        claims, error = None, None
        for key in self.public_keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=self.audiences or None,
                    issuer=self.issuer,
                    options={"require": ["exp", "sub"], "verify_aud": bool(self.audiences)},
                    leeway=30,
                )
                break
            except jwt.InvalidSignatureError as exc:
                error = exc  # perhaps another issuer's key signed it
            except jwt.PyJWTError as exc:
                raise Unauthenticated(f"invalid token: {exc}", field="authorization") from None
        if claims is None:
            raise Unauthenticated(f"invalid token: {error}", field="authorization")
        party_id = claims.get("sub")
        if not isinstance(party_id, str):
            raise Unauthenticated("invalid token: 'sub' must name a party", field="authorization")
        try:
            system.party(party_id)
        except NotFound:
            raise Unauthenticated(f"invalid token: no party {party_id!r}", field="authorization") from None
        raw = claims.get("scope", "")
        scopes = raw.split() if isinstance(raw, str) else [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []
        granted = frozenset(s for s in scopes if s in SCOPES and s != ADMIN)
        return Principal(party_id=party_id, scopes=granted, credential_id=f"jwt:{claims.get('jti') or party_id}", via="jwt")


async def principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The authenticated caller; 401 when there is no usable bearer token.

    Async, and so are the role checks below, so that a request does not hop to the thread pool for
    each of them (FastAPI runs plain `def` dependencies there): a token this process checked within the
    last second is answered from memory; anything else reads the store (or checks a JWT) in the pool."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send 'Authorization: Bearer <token>'", field="authorization")
    token = credentials.credentials
    system = system_of(request)
    if token.startswith(TOKEN_PREFIX):
        credential = system.authenticate_cached(token) or await run_in_threadpool(system.authenticate, token)
        who = Principal(party_id=credential.party_id, scopes=frozenset(credential.scopes), credential_id=credential.id)
    else:
        verifier: JwtVerifier | None = request.app.state.jwt
        if verifier is None or token.count(".") != 2:
            raise Unauthenticated("unknown or revoked token", field="authorization")
        who = await run_in_threadpool(verifier.verify, token, system)
    idempotency.note_caller(who.actor)  # an Idempotency-Key is the caller's own (api/idempotency.py)
    return who


# The checks, as plain functions (for routes that authorise by hand), then as dependencies.
def ensure_reader(who: Principal) -> Principal:
    """A party's token with notices:read or observer."""
    if who.party_id is None:
        raise Forbidden("this operation is a party's; an operator (admin) token acts for no party", field="authorization")
    if not who.can_read:
        raise Forbidden("needs the 'notices:read' or 'observer' scope", field="authorization")
    return who


def ensure_writer(who: Principal) -> Principal:
    """A party's token with notices:write and without observer."""
    if who.party_id is None:
        raise Forbidden("this operation is a party's; an operator (admin) token acts for no party", field="authorization")
    if who.is_observer:
        raise Forbidden("an observer token never writes", field="authorization")
    if WRITE not in who.scopes:
        raise Forbidden("needs the 'notices:write' scope", field="authorization")
    return who


async def reader(who: Principal = Depends(principal)) -> Principal:
    """A party's token with notices:read or observer."""
    return ensure_reader(who)


async def writer(who: Principal = Depends(principal)) -> Principal:
    """A party's token with notices:write and without observer."""
    return ensure_writer(who)


async def hotline_reader(who: Principal = Depends(principal)) -> Principal:
    """A party's token that may read its hotline: hotline, notices:read or observer."""
    if who.party_id is None:
        raise Forbidden("this operation is a party's; an operator (admin) token acts for no party", field="authorization")
    if not {HOTLINE, READ, OBSERVER} & who.scopes:
        raise Forbidden("needs the 'hotline', 'notices:read' or 'observer' scope", field="authorization")
    return who


async def hotline_writer(who: Principal = Depends(principal)) -> Principal:
    """A party's token that may speak on the hotline: hotline or notices:write, and not observer."""
    if who.party_id is None:
        raise Forbidden("this operation is a party's; an operator (admin) token acts for no party", field="authorization")
    if who.is_observer:
        raise Forbidden("an observer token never writes", field="authorization")
    if not {HOTLINE, WRITE} & who.scopes:
        raise Forbidden("needs the 'hotline' or 'notices:write' scope", field="authorization")
    return who


async def admin(who: Principal = Depends(principal)) -> Principal:
    if not who.is_admin:
        raise Forbidden("needs an operator token (the 'admin' scope)", field="authorization")
    return who


async def reader_or_admin(who: Principal = Depends(principal)) -> Principal:
    """Admin (sees everything of this kind) or a party reader (sees its own)."""
    if who.is_admin:
        return who
    return ensure_reader(who)


async def observer_or_admin(who: Principal = Depends(principal)) -> Principal:
    if who.is_admin or (who.party_id is not None and who.is_observer):
        return who
    raise Forbidden("needs an operator token or the 'observer' scope", field="authorization")
