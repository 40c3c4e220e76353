from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from .. import access
from ...rules.compliance import ComplianceReport
from ...errors import InvalidInput
from ..auth import Principal, observer_or_admin, system_of
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["compliance"])


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@router.get(
    "/agreements/{agreement_id}/compliance",
    response_model=ComplianceReport,
    responses={**responses(404), 200: {"description": "The report", "content": {"application/json": {}, "text/csv": {}}}},
    summary="Per party: notices, lead times, late notices, acknowledgment delays, overdue (admin; observers of members)",
)
def compliance(
    request: Request,
    agreement_id: str = Path(max_length=64),
    start: datetime = Query(alias="from", description="start (UTC when no offset)"),
    end: datetime = Query(alias="to", description="end, exclusive"),
    format: Literal["json", "csv"] = Query("json"),
    who: Principal = Depends(observer_or_admin),
):
    system = system_of(request)
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise InvalidInput("must be after 'from'", field="to")
    access.agreement(system, who.party_id, agreement_id)
    report = system.compliance(agreement_id, start, end)
    if format == "csv":
        return Response(report.to_csv(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{agreement_id}-compliance.csv"'})
    return reply(report.model_dump(mode="json"))
