from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from .. import access
from ...models import Conflict
from ..auth import Principal, reader_or_admin, system_of
from ..pagination import After, Limit, Page, page
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["conflicts"])


@router.get("/conflicts", response_model=Page[Conflict], responses=responses(404), summary="Your conflicts (all: admin), open only unless include_cleared")
def list_conflicts(
    request: Request,
    agreement_id: str | None = Query(None, max_length=64),
    notice_id: str | None = Query(None, max_length=200),
    include_cleared: bool = Query(False),
    after: str | None = After(),
    limit: int = Limit(),
    who: Principal = Depends(reader_or_admin),
):
    system = system_of(request)
    if agreement_id is not None and who.party_id is not None:
        access.agreement(system, who.party_id, agreement_id)
    found = system.conflicts(who.party_id, agreement_id=agreement_id, notice_id=notice_id, open_only=not include_cleared, limit=limit + 1, after_id=after)
    return reply(page(found, limit, lambda c: c.id))


@router.get("/conflicts/{conflict_id}", response_model=Conflict, responses=responses(404), summary="One conflict (a side of it, or admin)")
def get_conflict(request: Request, conflict_id: str = Path(max_length=200), who: Principal = Depends(reader_or_admin)):
    return reply(access.conflict(system_of(request), who.party_id, conflict_id).model_dump(mode="json"))
