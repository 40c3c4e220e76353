"""The audit chain over HTTP: entries for the operator; the verdict for the operator and observers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ...models import AuditEntry
from ..auth import Principal, admin, observer_or_admin, system_of
from ..pagination import Limit, Page, page
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class VerdictOut(BaseModel):
    ok: bool
    entries: int | None = Field(default=None, description="entries checked (operator only: the count moves with every agreement)")
    first_bad_seq: int | None = None
    reason: str | None = None


@router.get("", response_model=Page[AuditEntry], responses=responses(),
            summary="Audit entries in order (admin: the log spans every agreement, so observers get the verdict only)")
def entries(request: Request, after: int = Query(0, ge=0, le=2**62), limit: int = Limit(), who: Principal = Depends(admin)):
    found = system_of(request).audit_entries(after, limit + 1)
    return reply(page(found, limit, lambda e: e.seq))


@router.get("/verify", response_model=VerdictOut, responses=responses(),
            summary="Recompute the hash chain (admin: the whole verdict; observer: whether it holds, nothing that counts other agreements' activity)")
def verify(request: Request, who: Principal = Depends(observer_or_admin)):
    verdict = system_of(request).verify_audit()
    if not who.is_admin:
        # The chain spans every agreement: its length and positions would tell an observer how busy the others are.
        return reply({"ok": verdict.ok, "entries": None, "first_bad_seq": None, "reason": None if verdict.ok else "the chain does not verify"})
    return reply({"ok": verdict.ok, "entries": verdict.entries, "first_bad_seq": verdict.first_bad_seq, "reason": verdict.reason})
