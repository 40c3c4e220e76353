"""A request body read whole and then handed on unchanged: for the middlewares that must see a body
before the route does (Guard's size limit and JSON rule, idempotency keys, party signatures)."""

from __future__ import annotations

from typing import Awaitable, Callable

Receive = Callable[[], Awaitable[dict]]


class TooLarge(Exception):
    """The body grew past the limit while it was read."""


async def read_whole(receive: Receive, max_bytes: int | None = None) -> tuple[bytes, Receive]:
    """(body, receive): the body, and a `receive` that gives it to the next reader once, then passes
    on whatever comes after (a disconnect)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    delivered = False

    async def replay() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
