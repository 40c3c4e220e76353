from __future__ import annotations

from fastapi import APIRouter, Request

from ...errors import Unavailable
from ..auth import system_of
from ..problems import MEDIA_TYPE, PROBLEM_SCHEMA
from ..wire import reply

router = APIRouter(prefix="/v1", tags=["health"])


@router.get(
    "/health",
    summary="200 once the store answers (no token needed); `now` is the server's clock (the console's time reference)",
    responses={503: {"description": "The store does not answer", "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}},
)
def health(request: Request):
    system = system_of(request)
    try:
        seq = system.last_event_seq()
    except Exception as exc:  # noqa: BLE001 - any failure of the store is 'not ready'
        raise Unavailable(f"the store does not answer: {type(exc).__name__}") from None
    return reply({"status": "ok", "last_event_seq": seq, "now": system.clock().isoformat()})
