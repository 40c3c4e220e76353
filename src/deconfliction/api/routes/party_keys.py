"""Parties' signing keys over HTTP: list (anyone who may see the party), register and revoke (the party
itself, or the operator). Keys are public; the private halves never reach the server."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field, field_validator

from .. import access
from ...errors import Forbidden
from ...transparency.statements import PartyKey
from ..auth import Principal, ensure_writer, principal, reader_or_admin, system_of
from ..problems import responses
from ..wire import Strict, reply

router = APIRouter(prefix="/v1", tags=["parties"])


class KeyIn(Strict):
    public_key: str = Field(min_length=40, max_length=60, description="Ed25519 public key, raw 32 bytes, base64")
    # RFC 3339 text in JSON: parsed, not coerced from numbers (strict models take no strings for datetimes)
    valid_from: datetime | None = Field(default=None, strict=False, description="default: now")
    valid_until: datetime | None = Field(default=None, strict=False, description="default: until revoked")

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _text_only(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise ValueError("expected an RFC 3339 date-time string")
        return value


def _self_or_admin(who: Principal, party_id: str) -> None:
    if who.is_admin:
        return
    ensure_writer(who)
    if who.party_id != party_id:
        raise Forbidden("a party registers and revokes its own keys only", field="party_id")


@router.get("/parties/{party_id}/keys", response_model=dict[str, list[PartyKey]], responses=responses(404),
            summary="A party's signing keys, with their validity and revocation (yourself, a co-member; any: admin)")
def list_keys(request: Request, party_id: str = Path(max_length=64), who: Principal = Depends(reader_or_admin)):
    system = system_of(request)
    access.party(system, who.party_id, party_id)  # 404 for a party the caller may not see
    return reply({"items": [k.model_dump(mode="json") for k in system.party_keys(party_id)]})


@router.post("/parties/{party_id}/keys", status_code=201, response_model=PartyKey, responses=responses(404),
             summary="Register a signing key (the party itself, or admin); rotate by adding the next one with valid_from")
def add_key(request: Request, body: KeyIn, party_id: str = Path(max_length=64), who: Principal = Depends(principal)):
    _self_or_admin(who, party_id)
    key = system_of(request).add_party_key(party_id, body.public_key, valid_from=body.valid_from, valid_until=body.valid_until, actor=who.actor)
    return reply(key.model_dump(mode="json"), 201)


@router.post("/parties/{party_id}/keys/{key_id}/revoke", response_model=PartyKey, responses=responses(404),
             summary="Revoke a key from now on (the party itself, or admin): statements it signs are refused")
def revoke_key(request: Request, party_id: str = Path(max_length=64), key_id: str = Path(max_length=64), who: Principal = Depends(principal)):
    _self_or_admin(who, party_id)
    return reply(system_of(request).revoke_party_key(party_id, key_id, actor=who.actor).model_dump(mode="json"))
