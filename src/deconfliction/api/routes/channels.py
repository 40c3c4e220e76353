"""The channel plan of an agreement, and the channel for a place (the console asks it for a clicked point)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from ...rules.channels import PlanItem
from ...errors import InvalidInput
from ..auth import Principal, reader_or_admin, system_of
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["channels"])


class ChannelPlan(BaseModel):
    items: list[PlanItem]
    next: str | None = None


@router.get(
    "/agreements/{agreement_id}/channels",
    response_model=ChannelPlan,
    responses=responses(404),
    summary="The agreement's channel plan (members and admin); with lon and lat, the channels that apply there, the applying one first",
)
def channel_plan(
    request: Request,
    agreement_id: str = Path(max_length=64),
    lon: float | None = Query(None, ge=-180, le=180, description="with lat: only the channels that apply at this place, the applying one first"),
    lat: float | None = Query(None, ge=-90, le=90),
    at: datetime | None = Query(None, description="only channels in effect then (RFC 3339 with an offset); default: any time"),
    who: Principal = Depends(reader_or_admin),
):
    if (lon is None) != (lat is None):
        raise InvalidInput("give lon and lat together", field="lat" if lat is None else "lon")
    if at is not None and at.tzinfo is None:
        raise InvalidInput("give the time with an offset (e.g. 2026-06-01T09:00:00Z)", field="at")
    point = (lon, lat) if lon is not None and lat is not None else None
    items = system_of(request).channels(who.party_id, agreement_id, at=at, point=point)
    return reply({"items": [item.model_dump(mode="json") for item in items], "next": None})
