from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Request

from .. import access
from ...models.agreements import Agreement, agreement_from_dict
from ...errors import InvalidInput
from ..auth import Principal, admin, reader_or_admin, system_of
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["agreements"])

AGREEMENT_BODY = Body(
    description="The agreement; durations and lengths may carry units ('1 h', '5 NM', '1000 ft') as in TOML "
    "(min_lead_time, planning_horizon, notice_ack_deadline, alert_ack_deadline, separation.lateral/vertical/time_buffer) "
    "or be given in SI (…_s, …_m). Member parties not yet known are created with their id as name.",
    examples=[{"id": "wildfire", "name": "Wildfire TFR", "parties": ["sheriff", "skyview"], "min_lead_time": "30 min",
               "separation": {"lateral": "1 NM", "vertical": "500 ft", "time_buffer": "5 min"}}],
)


@router.get("/agreements", response_model=Page[Agreement], responses=responses(), summary="Agreements you are a member of (all: admin)")
def list_agreements(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = system_of(request).agreements(who.party_id)
    return reply(page(window(found, after, limit), limit, lambda a: a.id))


def _save(request: Request, data: dict[str, Any], who: Principal) -> Agreement:
    agreement = agreement_from_dict(data)
    return system_of(request).add_agreement(agreement, actor=who.actor)


@router.post("/agreements", status_code=201, response_model=Agreement, responses=responses(), summary="Create (or replace, by id) an agreement (admin)")
def create_agreement(request: Request, data: dict[str, Any] = AGREEMENT_BODY, who: Principal = Depends(admin)):
    agreement = _save(request, data, who)
    return reply(agreement.model_dump(mode="json"), 201, {"Location": f"/v1/agreements/{agreement.id}"})


@router.put("/agreements/{agreement_id}", response_model=Agreement, responses=responses(), summary="Create or replace an agreement (admin)")
def put_agreement(request: Request, agreement_id: str = Path(max_length=64), data: dict[str, Any] = AGREEMENT_BODY, who: Principal = Depends(admin)):
    if data.get("id", agreement_id) != agreement_id:
        raise InvalidInput("differs from the agreement id in the path", field="id")
    agreement = _save(request, {**data, "id": agreement_id}, who)
    return reply(agreement.model_dump(mode="json"))


@router.get("/agreements/{agreement_id}", response_model=Agreement, responses=responses(404), summary="An agreement's rules (members and admin)")
def get_agreement(request: Request, agreement_id: str = Path(max_length=64), who: Principal = Depends(reader_or_admin)):
    return reply(access.agreement(system_of(request), who.party_id, agreement_id).model_dump(mode="json"))
