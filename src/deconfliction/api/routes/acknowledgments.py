"""Acknowledging, always on the token's own party's behalf, and what a party owes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from ...models import Conflict, Deadline
from ..auth import Principal, reader, system_of, writer
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["acknowledgments"])


@router.post("/conflicts/{conflict_id}/ack", response_model=Conflict, responses=responses(404, 409), summary="Acknowledge a conflict on your side")
def acknowledge_conflict(request: Request, conflict_id: str = Path(max_length=200), who: Principal = Depends(writer)):
    conflict = system_of(request).acknowledge_conflict(who.party_id, conflict_id)
    return reply(conflict.model_dump(mode="json"))


@router.post("/notices/{notice_id}/ack", response_model=Deadline, responses=responses(404, 409),
             summary="Acknowledge another party's notice (its current version)")
def acknowledge_notice(request: Request, notice_id: str = Path(max_length=200), who: Principal = Depends(writer)):
    deadline = system_of(request).acknowledge_notice(who.party_id, notice_id)
    return reply(deadline.model_dump(mode="json"))


@router.get("/deadlines", response_model=Page[Deadline], responses=responses(), summary="Acknowledgments you owe or owed")
def list_deadlines(
    request: Request,
    subject_id: str | None = Query(None, max_length=200, description="a notice, conflict or message id"),
    state: Literal["pending", "acknowledged", "overdue", "withdrawn"] | None = Query(None),
    after: str | None = After(),
    limit: int = Limit(),
    who: Principal = Depends(reader),
):
    found = system_of(request).deadlines(who.party_id, subject_id=subject_id, state=state)
    return reply(page(window(found, after, limit), limit, lambda d: d.id))
