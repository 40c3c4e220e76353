"""A party's event feed: pull (`GET /v1/events?after=N`) or Server-Sent Events (`GET /v1/events/stream`).

Both read the same durable, ordered feed: an SSE event's `id` is its `seq`, so a client reconnecting
with `Last-Event-ID` (or `?after=`) resumes exactly after what it saw, and the pull feed takes the same
number. Pages and stream batches that reach the party are recorded in the audit chain."""

from __future__ import annotations

import asyncio
import time

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from ...errors import InvalidInput
from ...models import Event
from ..auth import Principal, reader, system_of
from ..pagination import Limit, Page, page
from ..problems import responses
from ..wire import reply
from ...transparency.watch import head_header, with_head

router = APIRouter(prefix="/v1", tags=["events"])


class Waker:
    """Wakes idle streams of this process at once after a write request; writes made by other
    processes are found by each stream's short poll."""

    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()

    def register(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.add(event)
        return event

    def unregister(self, event: asyncio.Event) -> None:
        self._events.discard(event)

    def notify(self) -> None:
        for event in list(self._events):
            event.set()


@router.get("/events", response_model=Page[Event], responses=responses(), summary="Your events after a sequence number, in order")
def pull(request: Request, after: int = Query(0, ge=0, le=2**62, description="resume after this seq"), limit: int = Limit(), who: Principal = Depends(reader)):
    system = system_of(request)
    found = system.events(who.party_id, after, limit + 1)
    shown = found[:limit]
    if shown and request.app.state.settings.record_feed_deliveries:
        system.record_delivery(who.party_id, "pull", shown[0].seq, shown[-1].seq)
    head = system.latest_tree_head()  # every page of events carries the latest signed head of the log
    return reply(page(found, limit, lambda e: e.seq), headers=head_header(head) if head else None)


@router.get(
    "/events/stream",
    responses={**responses(), 200: {"description": "text/event-stream: `id` = seq, `event` = kind, `data` = the event as JSON", "content": {"text/event-stream": {}}}},
    summary="Your events as Server-Sent Events; resume with Last-Event-ID (default: from now)",
)
async def stream(
    request: Request,
    after: int | None = Query(None, ge=0, le=2**62, description="start after this seq (Last-Event-ID wins)"),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    who: Principal = Depends(reader),
):
    system = system_of(request)
    settings = request.app.state.settings
    waker: Waker = request.app.state.waker
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        # The same rule as ?after=: a seq from 0 to 2**62, digits only.
        if not (text.isascii() and text.isdigit()) or int(text) > 2**62:
            raise InvalidInput("expected the seq of the last event received (0 to 2**62)", field="Last-Event-ID")
        after = int(text)
    cursor = after if after is not None else await anyio.to_thread.run_sync(system.last_event_seq)
    party = who.party_id

    # Set when the server shuts down (the demo sets it on Ctrl-C): a stream then ends at once instead of
    # holding a graceful shutdown open; the client resumes elsewhere with Last-Event-ID.
    closing = getattr(request.app.state, "closing", None)

    async def events():
        nonlocal cursor
        wake = waker.register()
        ends = None if settings.sse_max_s is None else time.monotonic() + settings.sse_max_s
        try:
            yield ServerSentEvent(comment=f"events of {party} after {cursor}", retry=1000)
            while (ends is None or time.monotonic() < ends) and not (closing is not None and closing.is_set()):
                wake.clear()
                batch = await anyio.to_thread.run_sync(system.events, party, cursor, settings.sse_batch)
                if batch:
                    head = await anyio.to_thread.run_sync(system.latest_tree_head)
                    for event in batch:
                        yield ServerSentEvent(data=with_head(event, head), event=event.kind, id=str(event.seq))
                    if settings.record_feed_deliveries:
                        await anyio.to_thread.run_sync(system.record_delivery, party, "sse", batch[0].seq, batch[-1].seq)
                    cursor = batch[-1].seq
                    continue
                with anyio.move_on_after(settings.sse_poll_s):
                    await wake.wait()
        finally:
            waker.unregister(wake)

    return EventSourceResponse(events(), ping=settings.sse_ping_s, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
