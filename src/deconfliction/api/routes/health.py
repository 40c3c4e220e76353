from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from ...errors import DeconflictionError, Unavailable
from ..auth import bearer, principal, system_of
from ..problems import MEDIA_TYPE, PROBLEM_SCHEMA
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["health"])


@router.get(
    "/health",
    summary="200 once the store answers (no token needed); `now` is the server's clock (the console's time reference); "
    "`last_event_seq` (where a feed opened now starts) only with a valid token",
    responses={503: {"description": "The store does not answer", "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}},
)
async def health(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)):
    system = system_of(request)
    try:
        seq = await run_in_threadpool(system.last_event_seq)
    except Exception as exc:  # noqa: BLE001 - any failure of the store is 'not ready'
        raise Unavailable(f"the store does not answer: {type(exc).__name__}") from None
    body = {"status": "ok", "now": system.clock().isoformat()}
    if credentials is not None and await _authenticated(request, credentials):
        body["last_event_seq"] = seq  # the global event count moves with every agreement: not for anyone on the network
    return reply(body)


async def _authenticated(request: Request, credentials: HTTPAuthorizationCredentials) -> bool:
    try:
        await principal(request, credentials)
    except DeconflictionError:
        return False  # a bad token is no reason for a health check to fail: it just gets the public answer
    return True
