"""Webhook endpoints (a party's own), their deliveries, the dead-letter view and requeueing."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from ...workers import webhooks as webhooks
from ...models import Delivery, Endpoint
from ..auth import Principal, ensure_writer, principal, reader_or_admin, system_of, writer
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import Strict, reply

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class EndpointIn(Strict):
    url: str = Field(max_length=2000, description="https URL of a public address (plain http only to loopback; private receivers only where the operator allows them)")
    secret: str | None = Field(default=None, min_length=16, max_length=200, description="signing secret (default: generated, returned once)")
    kinds: list[str] | None = Field(default=None, max_length=50, description="event kind prefixes (default: every event)")


class EndpointOut(BaseModel):
    id: str
    party_id: str
    url: str
    kinds: list[str]
    created_at: str
    active: bool
    secret: str | None = Field(default=None, description="only in the reply that created it")


def _endpoint(endpoint: Endpoint, with_secret: bool = False) -> dict:
    data = endpoint.model_dump(mode="json")
    if not with_secret:
        data.pop("secret", None)
    return data


@router.get("/endpoints", response_model=Page[EndpointOut], responses=responses(), summary="Your webhook endpoints (all: admin); secrets are not shown")
def list_endpoints(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = system_of(request).endpoints(who.party_id)
    return reply(page(window(found, after, limit), limit, lambda e: e.id, _endpoint))


@router.post("/endpoints", status_code=201, response_model=EndpointOut, responses=responses(404),
             summary="Add a webhook for your events; the reply carries the signing secret, shown this once")
def add_endpoint(request: Request, body: EndpointIn, who: Principal = Depends(writer)):
    endpoint = system_of(request).add_endpoint(who.party_id, body.url, body.secret, body.kinds)
    return reply(_endpoint(endpoint, with_secret=True), 201, {"Location": f"/v1/webhooks/endpoints/{endpoint.id}"})


@router.delete("/endpoints/{endpoint_id}", status_code=204, responses=responses(404), summary="Remove one of your webhook endpoints")
def remove_endpoint(request: Request, endpoint_id: str = Path(max_length=200), who: Principal = Depends(writer)):
    system_of(request).remove_endpoint(who.party_id, endpoint_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[Delivery], responses=responses(), summary="Webhook deliveries of your events (all: admin)")
def list_deliveries(
    request: Request,
    state: Literal["pending", "delivered", "dead"] | None = Query(None),
    after: str | None = After(),
    limit: int = Limit(),
    who: Principal = Depends(reader_or_admin),
):
    found = system_of(request).deliveries(who.party_id, state=state, limit=limit + 1, after_id=after)
    return reply(page(found, limit, lambda d: d.id))


@router.get("/dead-letters", response_model=Page[Delivery], responses=responses(), summary="Deliveries that failed for good (yours; all: admin)")
def dead_letters(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = webhooks.dead_letters(system_of(request), who.party_id, limit=limit + 1, after_id=after)
    return reply(page(found, limit, lambda d: d.id))


@router.post("/deliveries/{delivery_id}/retry", response_model=Delivery, responses=responses(404, 409),
             summary="Requeue a dead delivery (your own; any: admin)")
def retry(request: Request, delivery_id: str = Path(max_length=300), who: Principal = Depends(principal)):
    if not who.is_admin:
        ensure_writer(who)
    requeued = webhooks.retry_dead(system_of(request), delivery_id, actor=who.actor, party_id=who.party_id)
    return reply(requeued.model_dump(mode="json"))
