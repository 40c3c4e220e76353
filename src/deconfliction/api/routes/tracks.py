"""Live tracks in, open tactical alerts out: `POST /v1/tracks` (a batch), `WS /v1/tracks/stream`
(one JSON report or a list per text message, each answered with the ingest counts) and
`GET /v1/alerts`. The monitor itself is `deconfliction.workers.tactical.TacticalService`, run by the runtime
(`deconfliction.runtime`, passed to `create_app`); without it these answer 503.

Reports are in SI units with an explicit altitude datum (PositionReport's field names); the party of
every aircraft is the caller's. The alerts themselves reach the parties as `alert.*` events in their
feeds (pull, SSE, webhooks)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from ...errors import DeconflictionError, InvalidInput, Unavailable
from ...monitor.alerts import AircraftState
from ...workers.tactical import TacticalService
from .. import bodies
from ..auth import Principal, ensure_writer, principal, reader_or_admin, system_of, writer
from ..pagination import After, Limit, page, window
from ..problems import from_error, responses
from ..wire import Strict, reply

router = APIRouter(prefix="/v1", tags=["tracks"])

MAX_REPORTS = 10_000

REPORT_EXAMPLE = {
    "aircraft": "3944ef", "time": 1780300800.0, "lat": 48.85, "lon": 2.35, "altitude_m": 3000.0, "datum": "AMSL",
    "ground_speed_ms": 120.0, "track_deg": 90.0, "vertical_rate_ms": 0.0, "callsign": "BLUE21", "notice_id": None,
}


class TracksIn(Strict):
    reports: list[Any] = Field(
        max_length=MAX_REPORTS,
        description="Position reports: aircraft (your id), time (UTC epoch seconds or RFC 3339 with offset), lat/lon (degrees), "
        "altitude_m with datum ('AMSL' barometric, 'W84' ellipsoid; required with an altitude), geometric_altitude_m (W84), "
        "ground_speed_ms, track_deg (true), vertical_rate_ms, callsign, notice_id (a live notice of yours), on_ground. "
        "Each report is checked on its own: a bad one is counted with its reason, never fails the batch.",
        examples=[[REPORT_EXAMPLE]],
    )


class Problem(BaseModel):
    index: int
    reason: str


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    out_of_order: int
    malformed: int
    refused: int
    problems: list[Problem]


class AlertItem(BaseModel):
    agreement_id: str
    alert: dict[str, Any]
    channel: dict[str, str] | None = None


class AlertPage(BaseModel):
    items: list[AlertItem]
    next: str | None = None


def tactical_of(app: Any) -> TacticalService:
    service = getattr(app.state, "tactical", None)
    if service is None:
        raise Unavailable("the tactical monitor does not run in this server process (`deconfliction serve` runs it with one worker)")
    return service


@router.post("/tracks", response_model=IngestOut, responses=responses(503),
             summary="Post a batch of position reports of your aircraft; answers what was accepted and why the rest was not")
def post_tracks(request: Request, body: TracksIn, who: Principal = Depends(writer)):
    result = tactical_of(request.app).ingest(who.party_id, body.reports)
    return reply(result.as_dict())


@router.get("/alerts", response_model=AlertPage, responses=responses(503),
            summary="Open tactical alerts: those involving you (an observer: all of its agreements'; the operator: all)")
def list_alerts(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = tactical_of(request.app).open_alerts(**_seen_by(request, who))
    rows = window(found, after, limit, key=lambda p: p.alert.id)
    return reply(page(rows, limit, lambda p: p.alert.id, dump=lambda p: p.as_dict()))


class AircraftPage(BaseModel):
    items: list[AircraftState]
    next: str | None = None


@router.get("/tracks", response_model=AircraftPage, responses=responses(503),
            summary="The last reported state of your aircraft (an observer: all of its agreements'; the operator: all)")
def list_aircraft(request: Request, after: str | None = After(), limit: int = Limit(), who: Principal = Depends(reader_or_admin)):
    found = tactical_of(request.app).aircraft(**_seen_by(request, who))
    key = lambda a: f"{a.party}/{a.aircraft}"  # noqa: E731
    return reply(page(window(found, after, limit, key=key), limit, key))


def _seen_by(request: Request, who: Principal) -> dict:
    """Whose aircraft and alerts the caller sees: all (operator), its agreements' (observer), its own (party)."""
    if who.is_admin:
        return {}
    if who.is_observer:
        return {"agreements": [a.id for a in system_of(request).agreements(who.party_id)]}
    return {"party_id": who.party_id}


def _credentials(websocket: WebSocket, token: str | None) -> HTTPAuthorizationCredentials | None:
    header = websocket.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=value.strip())
    if token:
        return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    return None


async def _deny(websocket: WebSocket, error: DeconflictionError) -> None:
    """Refuse the upgrade with the problem document (HTTP 401/403/503) where the server allows it."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(from_error(error))
    else:
        await websocket.close(code=1008 if error.status < 500 else 1011, reason=error.message[:120])


def _reports_in(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        if len(data) > MAX_REPORTS:
            raise InvalidInput(f"at most {MAX_REPORTS} reports per message (got {len(data)})", field="message")
        return data
    raise InvalidInput("expected a report (JSON object) or a list of reports", field="message")


@router.websocket("/tracks/stream")
async def track_stream(websocket: WebSocket, token: str | None = Query(None, description="the bearer token, for clients that cannot set headers")):
    """Each text message: one report (JSON object) or a list of them; each is answered, in order, with
    the ingest counts of POST /v1/tracks plus `message` (1, 2, …), or with `{"message": n, "error": problem}`
    for a message that is not a report or a list. Authenticate with `Authorization: Bearer …` or `?token=`."""
    credentials = _credentials(websocket, token)
    try:
        who = ensure_writer(await principal(websocket, credentials))
        service = tactical_of(websocket.app)
    except DeconflictionError as error:
        await _deny(websocket, error)
        return
    relay = getattr(websocket.app.state, "track_relay", None)  # in a pool: the monitor runs on the leader (api/leader_proxy.py)
    await websocket.accept()
    count = 0
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") if message.get("text") is not None else message.get("bytes")
            if text is None:
                continue
            count += 1
            try:
                document = bodies.parse(text, field="message")
            except bodies.HostileDocument as error:
                # The rule of HTTP bodies (a 400): refused with the problem, and the connection closed
                # with 1007 (data inconsistent with its type), so a client that sends such data stops.
                await websocket.send_json({"message": count, "error": error.to_dict()})
                await websocket.close(code=1007, reason=f"message {count}: {error}"[:120])
                return
            except InvalidInput as error:
                await websocket.send_json({"message": count, "error": error.to_dict()})
                continue
            try:
                reports = _reports_in(document)
                if relay is not None and not relay.leading:
                    await websocket.send_json({"message": count, **await relay.ingest(f"Bearer {credentials.credentials}", reports)})
                    continue
                result = await anyio.to_thread.run_sync(service.ingest, who.party_id, reports)
            except DeconflictionError as error:
                await websocket.send_json({"message": count, "error": error.to_dict()})
                continue
            await websocket.send_json({"message": count, **result.as_dict()})
    except WebSocketDisconnect:
        return
