"""The hotline: send, read and acknowledge messages, always as the token's own party."""

from __future__ import annotations

from typing import Callable, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from ...models import MESSAGE_KINDS, Deadline, HotlineMessage, InboxItem, LineStatus, MessageRefs
from ..auth import Principal, hotline_reader, hotline_writer, system_of
from ..pagination import Limit, Page, page
from ..problems import responses
from ..wire import ID_PATTERN, Strict, reply

router = APIRouter(prefix="/v1/hotline", tags=["hotline"])
MessageId = Path(max_length=200)


class MessageIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    kind: Literal["notice", "query", "alert", "info", "test"] = Field(description=f"one of {', '.join(MESSAGE_KINDS)}")
    text: str = Field(min_length=1, max_length=4000)
    to: list[str] | None = Field(default=None, max_length=1000, description="co-parties; omit for all of them (or, for a reply, everyone on the message answered)")
    refs: MessageRefs | None = Field(default=None, description="notices, conflicts and aircraft the message is about")
    in_reply_to: str | None = Field(default=None, pattern=ID_PATTERN)


@router.post("/messages", status_code=201, response_model=HotlineMessage, responses=responses(404),
             summary="Send a hotline message; every recipient owes an acknowledgment by the agreement's deadline")
def send_message(request: Request, body: MessageIn, who: Principal = Depends(hotline_writer)):
    message = system_of(request).send_message(
        who.party_id, body.agreement_id, kind=body.kind, text=body.text, to=body.to,
        refs=body.refs, in_reply_to=body.in_reply_to,
    )
    return reply(message.model_dump(mode="json"), status=201)


@router.get("/inbox", response_model=Page[InboxItem], responses=responses(),
            summary="Messages to you: overdue first, then pending by due time, then the rest, newest first")
def inbox(
    request: Request,
    agreement_id: str | None = Query(None, max_length=64),
    state: Literal["pending", "acknowledged", "overdue", "withdrawn"] | None = Query(None),
    after: int | None = Query(None, ge=0, le=1_000_000, description="cursor: the `next` of the previous page (a position in this ordering)"),
    limit: int = Limit(),
    who: Principal = Depends(hotline_reader),
):
    return reply(_by_position(lambda n: system_of(request).inbox(who.party_id, agreement_id=agreement_id, state=state, limit=n), after, limit))


@router.get("/sent", response_model=Page[HotlineMessage], responses=responses(),
            summary="Messages you sent, newest first, with each recipient's acknowledgment")
def sent(
    request: Request,
    agreement_id: str | None = Query(None, max_length=64),
    after: int | None = Query(None, ge=0, le=1_000_000, description="cursor: the `next` of the previous page (a position in this ordering)"),
    limit: int = Limit(),
    who: Principal = Depends(hotline_reader),
):
    return reply(_by_position(lambda n: system_of(request).sent(who.party_id, agreement_id=agreement_id, limit=n), after, limit))


@router.get("/messages/{message_id}", response_model=HotlineMessage, responses=responses(404),
            summary="A message you sent or received, with each recipient's acknowledgment")
def get_message(request: Request, message_id: str = MessageId, who: Principal = Depends(hotline_reader)):
    return reply(system_of(request).message(who.party_id, message_id).model_dump(mode="json"))


@router.get("/messages/{message_id}/thread", response_model=Page[HotlineMessage], responses=responses(404),
            summary="The conversation a message belongs to, oldest first")
def get_thread(request: Request, message_id: str = MessageId, who: Principal = Depends(hotline_reader)):
    return reply({"items": [m.model_dump(mode="json") for m in system_of(request).thread(who.party_id, message_id)], "next": None})


@router.post("/messages/{message_id}/ack", response_model=Deadline, responses=responses(404, 409),
             summary="Acknowledge a message you received")
def acknowledge_message(request: Request, message_id: str = MessageId, who: Principal = Depends(hotline_writer)):
    return reply(system_of(request).acknowledge_message(who.party_id, message_id).model_dump(mode="json"))


@router.get("/lines", response_model=Page[LineStatus], responses=responses(404),
            summary="Whose hotline answers: each party's line from its last settled line test")
def lines(request: Request, agreement_id: str = Query(min_length=1, max_length=64), who: Principal = Depends(hotline_reader)):
    return reply({"items": [line.model_dump(mode="json") for line in system_of(request).lines(who.party_id, agreement_id)], "next": None})


def _by_position(first: Callable[[int], list], after: int | None, limit: int) -> dict:
    """A page of a list in its own order (not by id): the cursor is the position reached."""
    start = after or 0
    return page(first(start + limit + 1)[start:], limit, lambda _: start + limit)
