"""Zones of an agreement: read them (members), import a zone file (operator)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from ...units import parse_length
from ...errors import InvalidInput
from ...models.zones import Zone
from ...zones.importers import ImportOptions, import_text
from ..auth import Principal, admin, reader_or_admin, system_of
from ..problems import responses
from ..wire import reply
from pydantic import BaseModel, Field

router = APIRouter(prefix="/v1", tags=["zones"])


class ZoneList(BaseModel):
    items: list[Zone]


class ZonesIn(BaseModel):
    model_config = {"extra": "forbid"}

    zones: list[Zone] = Field(max_length=10_000)
    replace: bool = Field(default=False, description="remove the agreement's zones (of the operator) that are not among these")


class SaveSummary(BaseModel):
    saved: int
    removed: int


class ImportSummary(BaseModel):
    format: str
    imported: int
    removed: int
    skipped: list[dict[str, str]]


@router.get("/agreements/{agreement_id}/zones", response_model=ZoneList, responses=responses(404), summary="The agreement's zones")
def get_zones(request: Request, agreement_id: str = Path(max_length=64), who: Principal = Depends(reader_or_admin)):
    zones = system_of(request).zones(who.party_id, agreement_id)
    return reply({"items": [z.model_dump(mode="json") for z in zones]})


@router.post("/agreements/{agreement_id}/zones/import", response_model=ImportSummary, responses=responses(404),
             summary="Import a zone file (ED-318, ED-269, AIXM 5.1, OpenAir, traffic JSON) sent as the request body (admin)")
async def import_zones(
    request: Request,
    agreement_id: str = Path(max_length=64),
    file_format: Literal["auto", "ed318", "ed269", "aixm", "openair", "traffic"] = Query("auto", alias="format"),
    terrain_max: str | None = Query(None, max_length=40, description="highest ground in the area, for AGL limits ('1500 ft')"),
    replace: bool = Query(False, description="remove the agreement's zones the file does not have"),
    who: Principal = Depends(admin),
):
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    system = system_of(request)
    terrain = None
    if terrain_max is not None:
        try:
            terrain = (-430.0, parse_length(terrain_max, "terrain_max"))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="terrain_max") from None
    result = import_text(text, ImportOptions(agreement_id=agreement_id, now=system.clock(), terrain_m=terrain, source="upload"),
                         file_format)
    counts = system.save_zones(who.actor, agreement_id, result.zones, replace=replace)
    return reply({"format": result.format, "imported": counts["saved"], "removed": counts["removed"],
                  "skipped": [{"element": e, "reason": r} for e, r in result.skipped]})


@router.put("/agreements/{agreement_id}/zones", response_model=SaveSummary, responses=responses(404, 409),
            summary="Create or replace zones given as records (admin); each is checked as an imported one")
def put_zones(request: Request, body: ZonesIn, agreement_id: str = Path(max_length=64), who: Principal = Depends(admin)):
    for index, zone in enumerate(body.zones):
        if zone.agreement_id != agreement_id:
            raise InvalidInput(f"belongs to agreement {zone.agreement_id!r}, not {agreement_id!r}", field=f"zones[{index}].agreement_id")
    return reply(system_of(request).save_zones(who.actor, agreement_id, body.zones, replace=body.replace))
