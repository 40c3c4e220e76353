from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from .. import access
from ...models.agreements import Party
from ..auth import Principal, admin, reader_or_admin, system_of
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["parties"])


@router.get("/parties", response_model=Page[Party], responses=responses(), summary="Parties: yourself and your co-members (all: admin)")
def list_parties(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = access.parties(system_of(request), who.party_id)
    return reply(page(window(found, after, limit), limit, lambda p: p.id))


@router.post("/parties", status_code=201, response_model=Party, responses=responses(), summary="Create or update a party (admin)")
def save_party(request: Request, party: Party, who: Principal = Depends(admin)):
    saved = system_of(request).add_party(party, actor=who.actor)
    return reply(saved.model_dump(mode="json"), 201, {"Location": f"/v1/parties/{saved.id}"})


@router.get("/parties/{party_id}", response_model=Party, responses=responses(404), summary="One party (yourself, a co-member; any: admin)")
def get_party(request: Request, party_id: str = Path(max_length=64), who: Principal = Depends(reader_or_admin)):
    return reply(access.party(system_of(request), who.party_id, party_id).model_dump(mode="json"))
