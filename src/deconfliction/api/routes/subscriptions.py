from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field

from ...models import Subscription
from ..auth import Principal, reader, system_of, writer
from ..pagination import After, Limit, Page, page, window
from ..problems import responses
from ..wire import Strict, VolumesField, reply, volumes_from

router = APIRouter(prefix="/v1", tags=["subscriptions"])


class SubscriptionIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    volumes: list[dict] | dict = VolumesField
    kinds: list[str] | None = Field(default=None, max_length=50, description="event kind prefixes (default ['notice.'])")


@router.get("/subscriptions", response_model=Page[Subscription], responses=responses(), summary="Your areas of interest")
def list_subscriptions(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader)):
    found = system_of(request).subscriptions(who.party_id)
    return reply(page(window(found, after, limit), limit, lambda s: s.id))


@router.post("/subscriptions", status_code=201, response_model=Subscription, responses=responses(404),
             summary="Hear about notices in an area only (with no subscription in an agreement you hear of all its notices)")
def subscribe(request: Request, body: SubscriptionIn, who: Principal = Depends(writer)):
    system = system_of(request)
    volumes = volumes_from(body.volumes, system.clock())
    subscription = system.subscribe(who.party_id, body.agreement_id, volumes, body.kinds)
    return reply(subscription.model_dump(mode="json"), 201, {"Location": f"/v1/subscriptions/{subscription.id}"})


@router.delete("/subscriptions/{subscription_id}", status_code=204, responses=responses(404), summary="Remove one of your subscriptions")
def unsubscribe(request: Request, subscription_id: str = Path(max_length=200), who: Principal = Depends(writer)):
    system_of(request).unsubscribe(who.party_id, subscription_id)
    return Response(status_code=204)
