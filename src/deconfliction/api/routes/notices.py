"""Notices: file, change, cancel/end/activate, read (own in full, others' minimised), and check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from ...models import Conflict, MinimisedNotice, Notice
from ..auth import Principal, reader, system_of, writer
from ..disconnect import while_connected
from ..pagination import After, Limit, page
from ..problems import responses
from ...errors import InvalidInput
from ..wire import Strict, CheckIn, NoticeChangeIn, NoticeIn, VersionIn, etag, filing_body, finding_body, reply, version_from, volumes_from
from pydantic import BaseModel, Field

from ...models.zones import ZoneHit

router = APIRouter(prefix="/v1", tags=["notices"])

NoticeId = Path(max_length=200, description="notice id")
IfMatch = Header(None, alias="If-Match", description="the version you are changing (the notice's ETag)")


class FilingOut(BaseModel):
    notice: Notice
    conflicts: list[Conflict]
    late: bool
    zones: list[ZoneHit] = Field(default_factory=list, description="zones the volumes reach into, with their contact and message")


class NoticeView(BaseModel):
    """Your own notice in full; another party's minimised (id, party_id, volumes, state, version, filed_at, lead_time_s)."""

    id: str
    party_id: str
    volumes: list[dict[str, Any]]
    state: str
    version: str
    filed_at: str
    lead_time_s: float
    agreement_id: str | None = None
    updated_at: str | None = None
    late: bool | None = None
    private: dict[str, Any] | None = None


class NoticePage(BaseModel):
    items: list[NoticeView]
    next: str | None = None


class FindingBody(BaseModel):
    notice: MinimisedNotice
    lateral_m: float
    vertical_m: float
    time_start: str
    time_end: str
    where: list[float]


class Refusal(BaseModel):
    code: str = Field(description="conflict_refused: what filing would answer (409)")
    message: str
    field: str | None = None


class CheckOut(BaseModel):
    conflicts: list[FindingBody]
    zones: list[ZoneHit] = Field(default_factory=list, description="zones the volumes reach into, as filing would report them")
    refused: Refusal | None = Field(default=None, description="set when filing would be refused by a prohibited zone")


@router.post("/notices", status_code=201, response_model=FilingOut, responses=responses(404, 409, 422),
             summary="File a notice (refused 409 missing_key unless `key` holds every conflicting notice's current version)")
def file_notice(request: Request, body: NoticeIn, who: Principal = Depends(writer)):
    system = system_of(request)
    volumes = volumes_from(body.volumes, system.clock())
    filing = system.file_notice(who.party_id, body.agreement_id, volumes, key=body.key, private=body.private, notice_id=body.id)
    headers = {"Location": f"/v1/notices/{filing.notice.id}", **etag(filing.notice.version)}
    return reply(filing_body(filing), 201, headers)


@router.get("/notices", response_model=NoticePage, responses=responses(404), summary="Notices you may see: yours in full, others' minimised")
def list_notices(
    request: Request,
    agreement_id: str | None = Query(None, max_length=64),
    party_id: str | None = Query(None, max_length=64, description="only this party's notices"),
    live: bool = Query(False, description="only planned, active and nonconforming notices"),
    after: str | None = After(),
    limit: int = Limit(),
    who: Principal = Depends(reader),
):
    found = system_of(request).notices(who.party_id, agreement_id=agreement_id, party_id=party_id, live_only=live, limit=limit + 1, after_id=after)
    return reply(page(found, limit, lambda n: n.id, lambda n: n.seen_by(who.party_id)))


class SearchIn(Strict):
    area: list[dict[str, Any]] | dict[str, Any] = Field(description="one volume (any accepted shape): only live notices reaching into it, exactly")
    agreement_id: str | None = Field(default=None, max_length=64)
    party_id: str | None = Field(default=None, max_length=64)
    after: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=1000)


@router.post("/notices/search", response_model=NoticePage, responses=responses(404),
             summary="Live notices you may see that reach into an area (one volume), exactly")
def search_notices(request: Request, body: SearchIn, who: Principal = Depends(reader)):
    system = system_of(request)
    area = volumes_from(body.area, system.clock(), field="area")
    if len(area) != 1:
        raise InvalidInput(f"give exactly one volume (got {len(area)}); search once per volume", field="area")
    found = system.notices(who.party_id, agreement_id=body.agreement_id, party_id=body.party_id, area=area[0], limit=body.limit + 1, after_id=body.after)
    return reply(page(found, body.limit, lambda n: n.id, lambda n: n.seen_by(who.party_id)))


@router.get("/notices/{notice_id}", response_model=NoticeView, responses=responses(404), summary="One notice (yours in full, others' minimised)")
def get_notice(request: Request, notice_id: str = NoticeId, who: Principal = Depends(reader)):
    notice = system_of(request).notice(who.party_id, notice_id)
    return reply(notice.seen_by(who.party_id), headers=etag(notice.version))


@router.put("/notices/{notice_id}", response_model=FilingOut, responses=responses(404, 409, 422),
            summary="Change your notice's volumes, state or private fields, from its current version (If-Match or body `version`)")
def change_notice(request: Request, body: NoticeChangeIn, notice_id: str = NoticeId, if_match: str | None = IfMatch, who: Principal = Depends(writer)):
    system = system_of(request)
    version = version_from(if_match, body.version)
    if version is None:
        raise InvalidInput("give the version you are changing (If-Match header or body 'version')", field="version")
    volumes = volumes_from(body.volumes, system.clock()) if body.volumes is not None else None
    filing = system.change_notice(who.party_id, notice_id, version=version, volumes=volumes, state=body.state, key=body.key, private=body.private)
    return reply(filing_body(filing), headers=etag(filing.notice.version))


def _state_route(action: str, method_name: str, summary: str) -> None:
    def change_state(
        request: Request,
        notice_id: str = NoticeId,
        body: VersionIn | None = Body(None),
        if_match: str | None = IfMatch,
        who: Principal = Depends(writer),
    ):
        system = system_of(request)
        version = version_from(if_match, body.version if body else None)
        filing = getattr(system, method_name)(who.party_id, notice_id, version)
        return reply(filing_body(filing), headers=etag(filing.notice.version))

    change_state.__name__ = f"{action}_notice"
    router.post(f"/notices/{{notice_id}}/{action}", response_model=FilingOut, responses=responses(404, 409), summary=summary)(change_state)


_state_route("cancel", "cancel_notice", "Cancel your notice (optionally only from a version)")
_state_route("end", "end_notice", "End your notice: its operation is over")
_state_route("activate", "activate_notice", "Mark your notice active: its operation has started")


@router.post("/check", response_model=CheckOut, responses=responses(404),
             summary="Which notices these volumes would conflict with (writes nothing; their versions form the key), "
                     "and the zones filing them would report or be refused by")
async def check(request: Request, body: CheckIn, who: Principal = Depends(reader)):
    system = system_of(request)

    def work():  # in the thread pool, stopped if the client goes away (api/disconnect.py)
        volumes = volumes_from(body.volumes, system.clock())
        return system.check(who.party_id, body.agreement_id, volumes, exclude=body.exclude)

    found = await while_connected(request, work)
    return reply({"conflicts": [finding_body(f) for f in found], "zones": [z.model_dump(mode="json") for z in found.zones],
                  "refused": found.refusal})
