"""Operator (admin) management of API tokens: a token is shown once, when issued."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from ...models import Credential
from ..auth import Principal, admin, principal, system_of
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import Strict, reply

router = APIRouter(prefix="/v1", tags=["tokens"])


class TokenIn(Strict):
    party_id: str | None = Field(default=None, max_length=64, description="the party the token acts for; null: an operator (admin) token")
    scopes: list[str] | None = Field(default=None, max_length=10, description="default: notices:write notices:read hotline (party) or admin (operator)")
    label: str = Field(default="", max_length=200)


class CredentialOut(BaseModel):
    id: str
    party_id: str | None
    scopes: list[str]
    label: str
    created_at: datetime
    revoked_at: datetime | None = None


class IssuedOut(BaseModel):
    token: str = Field(description="the bearer token: shown this once, never stored")
    credential: CredentialOut


def credential_body(credential: Credential) -> dict:
    return credential.model_dump(mode="json", exclude={"token_hash"})


@router.post("/tokens", status_code=201, response_model=IssuedOut, responses=responses(404), summary="Issue a token (admin); the token is in this reply only")
def issue(request: Request, body: TokenIn, who: Principal = Depends(admin)):
    scopes = body.scopes if body.scopes is not None or body.party_id is not None else ["admin"]
    credential, token = system_of(request).issue_token(body.party_id, scopes, body.label, actor=who.actor)
    return reply({"token": token, "credential": credential_body(credential)}, 201, {"Location": f"/v1/tokens/{credential.id}"})


@router.get("/tokens", response_model=Page[CredentialOut], responses=responses(), summary="Tokens (admin): ids, parties, scopes; never the tokens")
def list_tokens(request: Request, party_id: str | None = Query(None, max_length=64), after: str | None = After(), limit: int = Limit(), who: Principal = Depends(admin)):
    found = system_of(request).tokens(party_id)
    return reply(page(window(found, after, limit), limit, lambda c: c.id, credential_body))


@router.delete("/tokens/{credential_id}", response_model=CredentialOut, responses=responses(404), summary="Revoke a token (admin); effective at once")
def revoke(request: Request, credential_id: str = Path(max_length=64), who: Principal = Depends(admin)):
    credential = system_of(request).revoke_token(credential_id, actor=who.actor)
    return reply(credential_body(credential))


class MeOut(BaseModel):
    party_id: str | None
    scopes: list[str]
    credential_id: str
    via: str


@router.get("/me", response_model=MeOut, responses=responses(), summary="Who this token is: its party (null: operator) and scopes")
def me(who: Principal = Depends(principal)):
    return reply({"party_id": who.party_id, "scopes": sorted(who.scopes), "credential_id": who.credential_id, "via": who.via})
